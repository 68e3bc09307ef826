"""The four MLPerf Tiny models on the PULP targets: compiled (CP-SAT tiling, levels),
built with the host HAL (8 emulated cores, L1 of exactly the target's size), bit-exact
with the golden and TFLite Micro, and every layer's measured DMA bytes and transfers equal
to the planner's prediction."""

from __future__ import annotations

import json

import pytest

from tests.conftest import MLPERF_MODELS, model_path
from tests.tiled.dma_model import bound_violations
from tinydeploy.compiler import compile_model
from tinydeploy.check.validate import validate

TARGETS = ["gap8", "gap9", "siracusa"]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", MLPERF_MODELS)
def test_model_tiled_is_bit_exact_and_moves_exactly_the_planned_dma(name, target, tmp_path):
    low = compile_model(model_path(name + ".tflite"), tmp_path / "p", target=target)
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    tiled = manifest["tiled"]
    assert tiled["target"] == target and tiled["cores"] == 8
    assert all(lay["cores"] == 8 for lay in tiled["layers"])
    assert sum(lay["tiles"] for lay in tiled["layers"]) > len(tiled["layers"])  # tiled
    v = validate(tmp_path / "p", n=2, seed=5, sanitize=(name, target) == ("vww_mobilenet_int8",
                                                                          "gap8"))
    assert v.c_vs_golden_exact, v.messages
    assert v.c_vs_reference_max_lsb == 0, v.messages
    assert v.dma_exact is True, v.messages
    for lay in tiled["layers"]:
        measured = v.dma[lay["index"]]
        assert measured == lay["dma"], lay["name"]
    # never below what a layer must move, for every kind: each input position a window
    # reads, each weight, parameter and output byte, once (and the plan's dma_lower_bound
    # where the windows read every input byte; dma_model.bound_violations says why not
    # elsewhere). Exact per-tile counts: test_dma_model.py.
    assert bound_violations(low.graph, low.args, low.tiled, v.dma) == []
    assert v.ok
