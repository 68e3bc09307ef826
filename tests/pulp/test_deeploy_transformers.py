"""Deeploy's integer networks - kernel tests, the integer compact convolutional
transformer (ICCT), microLlama one-step graphs with their KV cache as inputs - compiled
and run in C under ASan/UBSan, bit for bit equal to Deeploy's outputs.npz.

Every folder of the integer families in ``../shared/models/deeploy`` runs (the list is
read from the folder, not written here: more networks of the same families must pass the
same way); input C types and symbolic dims come from inputs.npz, as Deeploy takes them.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinydeploy
from tests.conftest import model_path
from tests.pulp import deeploy_data as dd
from tinydeploy.check.hostrun import build, run

pytestmark = [pytest.mark.cc, pytest.mark.models]


def _compile(name: str, out, **options):
    folder = model_path(f"deeploy/{name}")
    proj = tinydeploy.compile(folder / "network.onnx", out, input_type=dd.input_type(folder),
                              input_shapes=dd.input_shapes(folder), **options)
    return folder, proj


def _assert_exact(got: list[np.ndarray], want: list[np.ndarray], manifest: dict) -> None:
    assert len(got) == len(want)
    for y, w, spec in zip(got, want, manifest["outputs"]):
        assert y.size == w.size, (spec["name"], y.shape, w.shape)
        bad = np.flatnonzero(y.astype(np.int64).ravel() != w.astype(np.int64).ravel())
        assert bad.size == 0, (f"output '{spec['name']}': {bad.size} of {y.size} values "
                               f"differ, first at {bad[0]}")


@pytest.mark.parametrize("name", dd.family_folders() or ["Models_CCT_Int_ICCT"])
def test_integer_network_is_exact_under_sanitizers(name, tmp_path):
    folder, proj = _compile(name, tmp_path / "out")
    man = proj.manifest
    outs = run(build(proj.path, sanitize=True), man, [dd.record(man, folder)])[0]
    _assert_exact(outs, dd.expected(folder), man)


@pytest.mark.parametrize("name", dd.family_folders() or ["Models_CCT_Int_ICCT"])
def test_integer_network_is_exact_with_the_optimized_kernels(name, tmp_path):
    """--kernels opt (runtime/kernels/opt: products, tables, norms of integer graphs)."""
    folder, proj = _compile(name, tmp_path / "out", kernels="opt")
    man = proj.manifest
    outs = run(build(proj.path, sanitize=True), man, [dd.record(man, folder)])[0]
    _assert_exact(outs, dd.expected(folder), man)


def test_icct_runs_from_the_tensor_level_importer_with_fused_layers(tmp_path):
    folder, proj = _compile("Models_CCT_Int_ICCT", tmp_path / "out")
    g = proj.lowered.graph
    kinds = {op.kind for op in g.ops}
    assert {"ilayernorm", "itamax", "matmul", "igelu", "reduce", "conv2d"} <= kinds
    fused = {op.kind for op in g.ops if "requant" in op.attrs}
    assert {"matmul", "fully_connected", "igelu", "conv2d", "add"} <= fused
    assert not any(g.t(n).dtype == "int32" for op in g.ops for n in op.outputs)
    check = proj.validate_golden(folder)
    assert check.ok and sum(m.output for m in check.matches) == 1


def test_microllama_step_is_exact_against_the_independent_reference(tmp_path):
    """Seeded random inputs (not only Deeploy's): C == golden == the ONNX reference
    evaluator with Deeploy's operators restated (check/deeploy_ops.py)."""
    _, proj = _compile("Models_microLlama_INT8_microLlama4", tmp_path / "out")
    v = proj.validate(n=3, sanitize=True)
    assert v.reference.startswith("onnx reference evaluator")
    assert v.ok and v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages


def test_an_empty_kv_cache_input_is_dropped_from_the_c_api(tmp_path):
    folder, proj = _compile("Models_microLlama_INT8_microLlama1_parallel", tmp_path / "out")
    names = [i["name"] for i in proj.manifest["inputs"]]
    assert not any(n.startswith("Concat_") for n in names), names
    assert any("empty" in n for n in proj.lowered.graph.meta["notes"])
