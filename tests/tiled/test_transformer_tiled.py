"""Attention graphs on the tiled targets (issue 11, point 6): the MatMul/Gemm layers of
Deeploy's integer transformers - fully-connected and matmul of two activations with the
requantization fused in, batched over heads - tile on gap9 and siracusa like conv (CP-SAT
on the cost model), and run through the host HAL (8 emulated cores, L1 of exactly the
target's size) under ASan/UBSan bit for bit equal to Deeploy's outputs.npz, each layer's
measured DMA equal to the plan and to the independent model (dma_model.py, R10).

A target with a tiny L1 forces many tiles per layer: rows and channel tiles, both layouts
of B (read transposed for Q.K^T, as stored for P.V), several batches (heads)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tinydeploy
from tests.conftest import model_path
from tests.pulp import deeploy_data as dd
from tests.pulp.decode_driver import run_decode
from tests.pulp.test_decode import FRONTEND, _steps
from tests.tiled.dma_model import bound_violations, mismatches, model_plan
from tinydeploy.check.decode import golden_steps
from tinydeploy.check.dma import compare, run_measuring
from tinydeploy.check.hostrun import build
from tinydeploy.targets import TARGET_DIR

pytestmark = [pytest.mark.cc, pytest.mark.models]


def _tiny_gap9(tmp_path, l1: int):
    text = (TARGET_DIR / "gap9.toml").read_text()
    new = text.replace("size = 131072 ", f"size = {l1} ").replace('name = "gap9"',
                                                                   'name = "gap9_tiny"')
    assert f"size = {l1} " in new and new.count("gap9_tiny") == 1
    f = tmp_path / "gap9_tiny.toml"
    f.write_text(new)
    return str(f)


def _compile_run(name: str, target: str, out):
    folder = model_path(f"deeploy/{name}")
    proj = tinydeploy.compile(folder / "network.onnx", out, input_type=dd.input_type(folder),
                              input_shapes=dd.input_shapes(folder), target=target)
    man = json.loads((out / "manifest.json").read_text())
    outs, measured = run_measuring(build(out, sanitize=True), man, [dd.record(man, folder)])
    for y, w, spec in zip(outs[0], dd.expected(folder), man["outputs"]):
        bad = np.flatnonzero(y.astype(np.int64).ravel() != w.astype(np.int64).ravel())
        assert bad.size == 0, f"{name} on {target}: '{spec['name']}' {bad.size} values differ"
    low = proj.lowered
    assert compare(man, measured) == []                                   # the plan's
    assert mismatches(low.graph, model_plan(low.graph, low.args, low.tiled), measured) == []
    assert bound_violations(low.graph, low.args, low.tiled, measured) == []
    return low, man


def _op(low, name: str):
    return next(op for op in low.graph.ops if op.name == name)


def _tiled(low, kind: str) -> list:
    return [t for t in low.tiled.layers.values() if t.kind == kind
            and "requant" in _op(low, t.op).attrs]


@pytest.mark.parametrize("target", ["gap9", "siracusa"])
def test_icct_products_tile_and_are_exact_through_the_host_hal(target, tmp_path):
    low, man = _compile_run("Models_CCT_Int_ICCT", target, tmp_path / "p")
    fc, mm = _tiled(low, "fully_connected"), _tiled(low, "matmul")
    # every Gemm/MatMul of the encoder and the classifier; Q.K^T and P.V
    assert len(fc) == 7 and len(mm) == 2
    assert any(t.tiles > 1 for t in fc) and any(t.tiles > 1 for t in mm)
    assert all(t.l1_bytes <= low.target.memory[0].size for t in fc + mm)
    net = (tmp_path / "p" / "network.c").read_text()
    assert net.count("td_tiled_run(&") >= 9 and "td_matmul_s8_rq(&" not in net


@pytest.mark.parametrize("name, l1", [("Models_microLlama_INT8_microLlama4", 8192),
                                      ("Models_CCT_Int_ICCT", 32768)])
def test_a_tiny_l1_splits_rows_channels_and_heads_exactly(name, l1, tmp_path):
    """(ICCT's 512-channel layer keeps 28 bytes of parameters per channel in L1: 14 KB.)"""
    low, _ = _compile_run(name, _tiny_gap9(tmp_path, l1), tmp_path / "p")
    fc, mm = _tiled(low, "fully_connected"), _tiled(low, "matmul")
    assert fc and mm
    assert all(t.tiles > 1 for t in fc + mm if t.geometry.macs > l1)
    if name.startswith("Models_microLlama"):       # heads: batches of the matmuls
        assert any(t.geometry.batches == 16 for t in mm)
    taps = {bool(_op(low, t.op).attrs.get("trans_b")) for t in mm}
    assert taps == {True, False}                   # both layouts of B


def _products() -> list[str]:
    return [n for n in dd.family_folders()
            if n.startswith(("Kernels_Integer_GEMM", "Kernels_Integer_MatMul",
                             "Kernels_Integer_Attention"))] or ["Kernels_Integer_GEMM_Batch_RQ"]


@pytest.mark.parametrize("name", _products())
def test_deeploy_gemm_and_matmul_kernel_tests_are_exact_on_siracusa(name, tmp_path):
    """Each Gemm/MatMul kernel test: exact, DMA as planned and modeled; those whose
    product has its requant fused in run tiled."""
    low, _ = _compile_run(name, "siracusa", tmp_path / "p")
    for op in low.graph.ops:
        if op.kind in ("fully_connected", "matmul") and "requant" in op.attrs \
                and low.graph.t(op.outputs[0]).dtype == "int8":
            assert op.name in low.tiled.layers, op.name


def test_a_decode_loop_on_a_tiled_target_steps_exactly(tmp_path):
    """microLlama as <name>_reset/<name>_step on siracusa: its Gemm/MatMul layers of fixed
    size tiled, those whose arguments follow the context (attention over the cache) from
    L2; 16 steps equal the one-step golden at each cache length."""
    path = model_path("deeploy/Models_microLlama_INT8_microLlama1/network.onnx")
    proj = tinydeploy.compile(path, tmp_path / "out", input_type="int8", max_context=16,
                              target="siracusa")
    low = proj.lowered
    patched = {p.op for p in low.decode.patches}
    assert len(_tiled(low, "fully_connected")) >= 16 and not patched & set(low.tiled.layers)
    assert "int network_step(" in (tmp_path / "out" / "network.h").read_text()
    feeds, records = _steps(proj.manifest, 16, seed=5)
    gold = golden_steps(path, FRONTEND, feeds)
    _, codes, outs = run_decode(proj.path, proj.manifest, records)
    assert codes == [0] * 16
    for t in range(16):
        assert np.array_equal(outs[t][0], gold[t]["output"].astype(np.int64).ravel()), t
