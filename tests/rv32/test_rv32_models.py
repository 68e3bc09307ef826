"""All four MLPerf Tiny models as bare-metal rv32imc on QEMU: outputs byte-identical to
the host build and to TFLite Micro; exact, deterministic instruction counts per layer."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import MLPERF_MODELS
from tests.rv32.conftest import compile_rv32, needs_qemu
from tinydeploy.check import hostrun, rv32
from tinydeploy.project import read_project
from tinydeploy.check.reference import run_reference
from tinydeploy.check.inputs import random_inputs

pytestmark = [pytest.mark.qemu, pytest.mark.models, needs_qemu]


def _same_bytes(a: list[list[np.ndarray]], b: list[list[np.ndarray]]) -> bool:
    return all(x.tobytes() == np.ascontiguousarray(y, dtype=x.dtype).reshape(x.shape).tobytes()
               for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True))


def _check_counts(prof: dict, manifest: dict) -> None:
    layers, tot = prof["layers"], prof["totals"]
    assert [r["index"] for r in layers] == [x["index"] for x in manifest["layers"]]
    assert prof["probe"] > 0
    for r in layers:
        if r["macs"] > 0:
            # no SIMD in rv32imc: at least one instruction per MAC; reference C stays well
            # under a few hundred (softmax and its exp table aside)
            assert r["instructions"] >= r["macs"], r
            if r["category"] != "other":
                assert r["instructions"] < 100 * r["macs"], r
        if r["kind"] == "reshape":
            assert r["instructions"] <= 2, r          # aliased: no code, only the hooks
    assert tot["layer_instructions"] <= tot["run_instructions"]
    # the run adds only the input/output copies and the hooks
    assert tot["run_instructions"] - tot["layer_instructions"] < 0.01 * tot["run_instructions"]


@pytest.mark.parametrize("name", MLPERF_MODELS)
def test_model_on_qemu_matches_host_and_tflm_and_counts(name, tmp_path):
    proj, manifest = compile_rv32(name, tmp_path)
    low = read_project(proj).lowered
    records = random_inputs(low.graph, 2, seed=11)
    host = hostrun.run(hostrun.build(proj), manifest, records)
    sim = rv32.run(rv32.build(proj), manifest, records)
    tflm = run_reference(read_project(proj).model, records)
    assert _same_bytes(sim, host), f"{name}: QEMU rv32imc differs from the host build"
    assert _same_bytes(sim, tflm), f"{name}: QEMU rv32imc differs from TFLite Micro"

    prof = rv32.profile(proj, records=records[:1])
    assert prof["runs"] == 1
    _check_counts(prof, manifest)


def test_counts_are_identical_on_two_runs_and_per_inference(tmp_path):
    proj, manifest = compile_rv32("kws_dscnn_int8", tmp_path)
    low = read_project(proj).lowered
    rec = random_inputs(low.graph, 1, seed=5)
    a = rv32.profile(proj, records=rec)
    b = rv32.profile(proj, records=rec)
    assert a == b
    # the same input twice: the sums double exactly, so the per-inference mean is unchanged
    c = rv32.profile(proj, records=rec * 2)
    assert c["runs"] == 2
    assert [r["instructions"] for r in c["layers"]] == [r["instructions"] for r in a["layers"]]
    assert c["totals"]["run_instructions"] == a["totals"]["run_instructions"]


def test_identical_layers_cost_nearly_the_same(tmp_path):
    """KWS's four pointwise convs (and its four 3x3 depthwise) have identical shapes: the
    counts may differ only by data-dependent requantization branches (the optimized
    kernels store a clamped output without requantizing it, so a layer whose outputs
    clamp more often costs a little less)."""
    proj, _ = compile_rv32("kws_dscnn_int8", tmp_path)
    layers = rv32.count_instructions(proj)
    for cat in ("pointwise", "depthwise"):
        counts = [r["instructions"] for r in layers if r["category"] == cat]
        assert len(counts) == 4, layers
        assert max(counts) - min(counts) < 0.04 * max(counts), counts
