"""Weights streamed L3 -> L2: whole layers (placement.place_levels) and, when a layer's
constants do not fit what L2 has left, chunks of output channels (DORY's L3 tiling):
bit-exact, ASan clean, and the L3 bytes and transfers exactly as planned."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, model_path
from tests.graphs import random_input
from tests.tiled.helpers import golden, lowered, merge, plan_for, run_tiled
from tests.tiling.layers import fc_graph, spatial_graph
from tinydeploy.compiler import compile_model, lower_file
from tinydeploy.targets import TARGET_DIR, load_target
from tinydeploy.check.validate import validate


def target_file(tmp_path: Path, l2: int) -> Path:
    """gap8 with another L2 size, written as a user would: one .toml file."""
    text = (TARGET_DIR / "gap8.toml").read_text()
    new = text.replace("size = 524288 ", f"size = {l2} ").replace('name = "gap8"',
                                                                  'name = "gap8_small_l2"')
    assert new != text
    f = tmp_path / "gap8_small_l2.toml"
    f.write_text(new)
    return f


def _consts(g) -> int:
    return sum(t.nbytes for t in g.tensors.values() if t.is_const)


@pytest.mark.parametrize("extra, chunked", [(8000, False), (1000, True)])
def test_kws_streams_weights_from_l3_bit_exact(extra, chunked, tmp_path):
    model = model_path("kws_dscnn_int8.tflite")
    arena = lower_file(model, sliding=False).memory.arena_bytes
    compile_model(model, tmp_path / "p", target=str(target_file(tmp_path, arena + extra)))
    tiled = json.loads((tmp_path / "p" / "manifest.json").read_text())["tiled"]
    assert tiled["chunked"] is chunked and tiled["streamed_bytes"] > 0
    assert tiled["levels"][1]["used"] <= tiled["levels"][1]["size"]
    streamed = [lay for lay in tiled["layers"] if lay["dma"]["l3_bytes"]]
    assert any(len(lay["chunks"]) > 1 for lay in streamed) is chunked
    assert sum(lay["dma"]["l3_bytes"] for lay in streamed) == tiled["streamed_bytes"]
    v = validate(tmp_path / "p", n=2, seed=3, sanitize=True)
    assert v.ok and v.dma_exact, v.messages
    assert sum(m["l3_bytes"] for m in v.dma.values()) == tiled["streamed_bytes"]


def test_depthwise_conv_and_fc_chunks_cover_all_channels_bit_exact(tmp_path):
    rng = np.random.default_rng(31)
    g = merge([spatial_graph(rng, "depthwise", 7, 6, 40, 40, pads=(1, 1, 1, 1), dm=2),
               spatial_graph(rng, "conv", 6, 5, 24, 36, pads=(1, 0, 1, 2)),
               fc_graph(rng, 3, 48, 30)])
    low = lowered(g)
    gap8 = load_target("gap8")
    l2 = replace(gap8.memory[1], size=low.memory.arena_bytes + 700)
    target = replace(gap8, memory=(gap8.memory[0], l2, gap8.memory[2]))
    plan = plan_for(low, target)
    assert plan.chunked and plan.streamed_bytes == _consts(low.graph)
    for lay in plan.layers.values():
        assert len(lay.chunks) > 1, lay.op
        assert [c.c0 for c in lay.chunks][0] == 0 and lay.chunks[-1].c1 == lay.geometry.out_c
        assert all(a.c1 == b.c0 for a, b in zip(lay.chunks, lay.chunks[1:]))
        assert all((c.c1 - c.c0) % lay.geometry.c_step == 0 for c in lay.chunks)
    assert plan.used["L2"] <= l2.size
    records = [[random_input(rng, low.graph.t(n)) for n in low.graph.inputs]]
    got, dma_mismatches = run_tiled(low, plan, records, tmp_path / "p", sanitize=True)
    want = golden(low, records)[0]
    for name in low.graph.outputs:
        np.testing.assert_array_equal(got[0][name].reshape(want[name].shape), want[name])
    assert dma_mismatches == []


def test_mobilenet_v1_1_0_on_gap8_streams_in_chunks_within_l2():
    sys.path.insert(0, str(REPO / "benchmarks"))
    from mobilenet_v1 import mobilenet_v1

    low = lowered(mobilenet_v1(alpha=1.0, res=128, seed=0))
    plan = plan_for(low, load_target("gap8"))
    assert plan.chunked and plan.used["L2"] <= 512 * 1024
    assert plan.streamed_bytes + plan.resident_bytes == _consts(low.graph)
    big = plan.layers["pw12"]                     # 1024 x 1024 weights: 1 MB > L2
    assert len(big.chunks) > 1
    assert sum(c.l3_bytes for c in big.chunks) == 1024 * 1024 + 4 * 1024
    assert all(c.solution.l1_bytes <= 64 * 1024 for lay in plan.layers.values()
               for c in lay.chunks)
