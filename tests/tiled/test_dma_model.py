"""Measured DMA of the generated tiled C == an independent model, exactly, for every layer.

The "measured == planned" check (``check.dma.compare``) holds the host HAL's counters
against numbers the plan computed from the very tile tables the code generator wrote, so
a wrong tile table (a halo off by one row, a missing reload) moves both sides alike and
passes. Here the same counters are held against ``tests/tiled/dma_model.py``, which
counts the traffic from the layer's geometry and the chosen tile sizes alone (its rules
are in its docstring), for every layer kind: the four MLPerf Tiny models on gap8,
siracusa and a target with a tiny L1 and an L2 so small that all weights stream from L3
in chunks; and synthetic layers (pools with padding and stride, depthwise with stride 2,
dilated and grouped convs, fully-connected, add, mul) with forced tilings in both loop
orders, resident and streamed. The last tests show that the comparison can fail.
"""

from __future__ import annotations

import collections
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import MLPERF_MODELS, model_path
from tests.graphs import act, one_op, random_input
from tests.tiled.dma_model import (bound_violations, layer_of, mismatches, model_plan,
                                   touches_all_input)
from tests.tiled.helpers import golden, lowered, merge, plan_for, run_tiled_measured
from tests.tiling.layers import add_graph, fc_graph, spatial_graph
from tinydeploy.check import hostrun
from tinydeploy.check.dma import compare, run_measuring
from tinydeploy.check.inputs import random_inputs
from tinydeploy.compiler import compile_model, lower_file
from tinydeploy.quant.execute import run_graph
from tinydeploy.targets import TARGET_DIR, load_target
from tinydeploy.tiling import geometry, schedule, solution
from tinydeploy.tiling.plan import chunk_geometry
from tinydeploy.tiling.problem import Tiling
from tinydeploy.tiling.solution import make_solution

# smallest power-of-two L1 every layer of the model fits (with its L1 buffers) on gap8
TINY_L1 = {"kws_dscnn_int8": 4096, "vww_mobilenet_int8": 8192, "ic_resnet8_int8": 16384,
           "ad_autoencoder_int8": 4096}


def tiny_target(tmp_path: Path, name: str, l2_extra: int) -> Path:
    """gap8 with the model's tiny L1 and an L2 of its activations + ``l2_extra`` bytes (the
    weights must stream from L3), written as a user would: one .toml file."""
    arena = lower_file(model_path(name + ".tflite"), sliding=False).memory.arena_bytes
    text = (TARGET_DIR / "gap8.toml").read_text()
    new = (text.replace("size = 65536 ", f"size = {TINY_L1[name]} ")
           .replace("size = 524288 ", f"size = {arena + l2_extra} ")
           .replace('name = "gap8"', 'name = "gap8_tiny"'))
    assert new.count("gap8_tiny") == 1 and f"size = {TINY_L1[name]} " in new
    f = tmp_path / "gap8_tiny.toml"
    f.write_text(new)
    return f


def kinds_of(g, plan) -> collections.Counter:
    """Tiled layers per kind (conv2d split into conv and pointwise)."""
    out = collections.Counter()
    for op in g.ops:
        if op.name in plan.layers:
            kind = op.kind
            if kind == "conv2d" and g.t(op.inputs[1]).shape[1:3] == (1, 1):
                kind = "pointwise"
            out[kind] += 1
    return out


def _run_project(project: Path, records, sanitize: bool = False):
    manifest = json.loads((project / "manifest.json").read_text())
    exe = hostrun.build(project, sanitize=sanitize)
    outs, measured = run_measuring(exe, manifest, records)
    return outs, measured, manifest


MLPERF_CASES = ([(n, "gap8") for n in MLPERF_MODELS] + [(n, "siracusa") for n in MLPERF_MODELS]
                + [(n, "tiny_chunked") for n in MLPERF_MODELS]
                + [("kws_dscnn_int8", "tiny_whole")])


@pytest.mark.parametrize("name, target", MLPERF_CASES)
def test_mlperf_layers_move_exactly_the_independent_model(name, target, tmp_path):
    model = model_path(name + ".tflite")
    if target.startswith("tiny"):
        # chunked: 4000 bytes of L2 for constants, every model streams in chunks; whole:
        # a quarter of KWS's constants fit, its layers stream whole from L3
        extra = 4000 if target == "tiny_chunked" else 6092
        target = str(tiny_target(tmp_path, name, extra))
    low = compile_model(model, tmp_path / "p", target=target)
    plan, g = low.tiled, low.graph
    records = random_inputs(g, 2, 7)
    outs, measured, manifest = _run_project(tmp_path / "p", records)

    model_counts = model_plan(g, low.args, plan)
    assert mismatches(g, model_counts, measured) == []
    assert compare(manifest, measured) == []          # and the plan's own numbers
    for rec, got in zip(records, outs):               # the C is right, not only its DMA
        want = run_graph(g, rec, low.args)
        for n, x in zip(g.outputs, got):
            np.testing.assert_array_equal(x.reshape(want[n].shape), want[n])
    assert bound_violations(g, low.args, plan, measured) == []

    kinds = kinds_of(g, plan)
    assert sum(kinds.values()) == len(plan.layers) > 0
    assert sum(lay.tiles for lay in plan.layers.values()) > len(plan.layers)   # tiled
    if target.endswith(".toml"):
        assert plan.streamed_bytes > 0
        assert sum(m["l3_bytes"] for m in measured.values()) == plan.streamed_bytes
        assert plan.chunked is (extra == 4000)
        assert 2 * sum(lay.tiles > 1 for lay in plan.layers.values()) > len(plan.layers)


# ------------------------------------------------------------------ synthetic layers

def _mul(rng, h, w, c):
    a = act("a", (1, h, w, c), 0.05, 3)
    b = act("b", (1, h, w, c), 0.08, -4)
    return one_op("mul", [a, b], act("y", (1, h, w, c), 0.2, 1), act="none")


def synthetic_graphs(rng) -> list:
    """Pools with padding and stride, depthwise with stride 2, the other kinds."""
    return [
        spatial_graph(rng, "max_pool", 11, 9, 6, 6, k=(3, 3), stride=(2, 2), pads=(1, 1, 1, 1)),
        spatial_graph(rng, "avg_pool", 10, 9, 5, 5, k=(3, 2), stride=(2, 2), pads=(1, 0, 1, 1)),
        spatial_graph(rng, "max_pool", 10, 11, 4, 4, k=(2, 2), stride=(3, 3)),   # skips input
        spatial_graph(rng, "avg_pool", 9, 8, 3, 3, k=(3, 3), stride=(1, 1), pads=(1, 1, 1, 1)),
        spatial_graph(rng, "depthwise", 12, 11, 8, 8, stride=(2, 2), pads=(0, 0, 1, 1)),
        spatial_graph(rng, "depthwise", 9, 10, 5, 10, stride=(2, 2), pads=(1, 1, 1, 1), dm=2),
        spatial_graph(rng, "conv", 11, 10, 6, 10, stride=(2, 1), dilation=(2, 1),
                      pads=(2, 1, 1, 1)),
        spatial_graph(rng, "conv", 9, 8, 6, 9, pads=(1, 1, 1, 1), groups=3),
        spatial_graph(rng, "conv", 12, 11, 7, 12, k=(1, 1), stride=(2, 2)),     # pointwise
        fc_graph(rng, 5, 24, 13),
        add_graph(rng, 7, 6, 9),
        _mul(rng, 6, 7, 5),
    ]


def _forced_tiling(geom, step: int, order: str) -> Tiling:
    """About three tiles along every dimension (whole channel groups of ``step``)."""
    units = geom.out_c // step
    return Tiling(max(1, -(-geom.out_h // 3)), max(1, -(-geom.out_w // 3)),
                  step * max(1, -(-units // 3)), order)


def forced_plan(plan, order: str):
    """``plan`` with every chunk re-tiled to :func:`_forced_tiling` in ``order``."""
    layers = {}
    for name, lay in plan.layers.items():
        chunks = []
        for c in lay.chunks:
            sub = chunk_geometry(lay.geometry, c.c0, c.c1)
            # whole groups of the layer: a chunk of one group has c_step 1 (see the xfail
            # test below), the runtime needs whole groups of the layer
            tiling = _forced_tiling(sub, lay.geometry.c_step, order)
            sol = make_solution(sub, tiling, plan.target, "test", c.l3_bytes)
            assert sol.l1_bytes <= plan.target.memory[0].size
            chunks.append(replace(c, solution=replace(sol, op=name)))
        layers[name] = replace(lay, chunks=tuple(chunks))
    return replace(plan, layers=layers)


def _streaming_target(low):
    gap8 = load_target("gap8")
    l2 = replace(gap8.memory[1], size=low.memory.arena_bytes + 100)
    return replace(gap8, memory=(gap8.memory[0], l2, gap8.memory[2]))


@pytest.mark.parametrize("order", ["hwc", "chw"])
@pytest.mark.parametrize("streamed", [False, True])
def test_synthetic_layers_move_exactly_the_independent_model(order, streamed, tmp_path):
    rng = np.random.default_rng(71)
    low = lowered(merge(synthetic_graphs(rng)))
    g = low.graph
    target = _streaming_target(low) if streamed else load_target("gap8")
    plan = forced_plan(plan_for(low, target), order)
    assert set(plan.layers) == {op.name for op in g.ops}
    if streamed:
        weighted = [lay for lay in plan.layers.values() if lay.geometry.weight_bytes_per_oc]
        assert plan.chunked and all(len(lay.chunks) > 1 and lay.chunks[0].l3_bytes
                                    for lay in weighted)
    records = [[random_input(rng, g.t(n)) for n in g.inputs] for _ in range(2)]
    got, measured, manifest = run_tiled_measured(low, plan, records, tmp_path / "p",
                                                 sanitize=(order, streamed) == ("chw", True))
    want = golden(low, records)
    for a, b in zip(got, want):
        for n in g.outputs:
            np.testing.assert_array_equal(a[n].reshape(b[n].shape), b[n], err_msg=n)

    model_counts = model_plan(g, low.args, plan)
    assert mismatches(g, model_counts, measured) == []
    assert compare(manifest, measured) == []
    assert bound_violations(g, low.args, plan, measured) == []
    assert all(lay.tiles >= 4 for lay in plan.layers.values())
    kinds = {op.kind for op in g.ops}
    assert kinds == {"max_pool2d", "avg_pool2d", "depthwise_conv2d", "conv2d",
                     "fully_connected", "add", "mul"}
    skipping = [op.name for op in g.ops
                if not touches_all_input(layer_of(g, op, low.args.get(op.name)))]
    assert len(skipping) >= 2        # the max pool of stride 3 and the pointwise of stride 2

    # the comparison is not vacuous: one byte off in the model is reported, for that layer
    bad = {i: dict(c) for i, c in model_counts.items()}
    bad[4]["in_bytes"] += 1
    msgs = mismatches(g, bad, measured)
    assert len(msgs) == 1 and "layer #4" in msgs[0] and "in_bytes" in msgs[0]


# ------------------------------------------------------------------ the check can fail

def test_a_wrong_tile_row_passes_the_plan_check_but_not_the_model(monkeypatch, tmp_path):
    """Perturb ONE tile row of one layer's plan - its input box one row taller, as an
    off-by-one halo would - consistently in the tile table, the L1 slot sizes and the
    plan's DMA count (all made from ``iter_tiles``). The C still computes the right
    output and moves exactly what the plan says, so the plan check passes; the
    independent model reports the layer, off by exactly that row."""
    rng = np.random.default_rng(5)
    low = lowered(merge([spatial_graph(rng, "conv", 12, 7, 5, 6, pads=(1, 1, 1, 1)),
                         spatial_graph(rng, "depthwise", 10, 9, 4, 4, stride=(2, 2),
                                       pads=(0, 0, 1, 1))]))
    g = low.graph
    victim = g.ops[1].name
    geom = geometry(g, g.ops[1])
    assert g.ops[1].kind == "depthwise_conv2d" and (geom.out_h, geom.out_w) == (5, 4)
    tiling = Tiling(2, 4, 4, "hwc")              # 3 row tiles; tile 0 ends inside the input
    real_iter = schedule.iter_tiles

    def perturbed(geom_, tiling_):
        for t in real_iter(geom_, tiling_):
            if geom_.name == victim and t.index == 0:
                (h0, h1), w, c = t.inp
                assert h1 < geom_.in_h
                t = replace(t, inp=((h0, h1 + 1), w, c))
            yield t

    plan = plan_for(low, load_target("gap8"))
    monkeypatch.setattr(schedule, "iter_tiles", perturbed)
    monkeypatch.setattr(solution, "iter_tiles", perturbed)
    lay = plan.layers[victim]
    sol = replace(make_solution(geom, tiling, plan.target, "test"), op=victim)
    plan.layers[victim] = replace(lay, chunks=(replace(lay.chunks[0], solution=sol),))
    records = [[random_input(rng, g.t(n)) for n in g.inputs]]
    got, measured, manifest = run_tiled_measured(low, plan, records, tmp_path / "p",
                                                 sanitize=False)
    want = golden(low, records)[0]
    for n in g.outputs:                          # the extra row is harmless to the result
        np.testing.assert_array_equal(got[0][n].reshape(want[n].shape), want[n])
    assert compare(manifest, measured) == []     # the plan check cannot see it
    msgs = mismatches(g, model_plan(g, low.args, plan), measured)
    extra = geom.in_w * 4                        # one input row of tile 0: all columns
    model = model_plan(g, low.args, plan)[1]
    assert len(msgs) == 1 and f"'{victim}'" in msgs[0], msgs
    assert measured[1]["in_bytes"] - model["in_bytes"] == extra
    assert measured[1]["in_transfers"] == model["in_transfers"]


def test_grouped_conv_streamed_one_group_per_chunk_runs(tmp_path):
    """A chunk of ONE group computes like a dense conv, but its channel tiles must still
    be whole groups: the runtime counts a tile's groups with the layer's step (a tile of
    a third of a group once made it divide by zero)."""
    rng = np.random.default_rng(3)
    low = lowered(merge([spatial_graph(rng, "conv", 9, 8, 6, 9, pads=(1, 1, 1, 1),
                                       groups=3)]))
    gap8 = load_target("gap8")
    per_group = 3 * (2 * 3 * 3 + 4)           # weights + bias of one group's 3 channels
    target = replace(gap8, memory=(
        replace(gap8.memory[0], size=700),
        replace(gap8.memory[1], size=low.memory.arena_bytes + per_group + 10),
        gap8.memory[2]))
    plan = plan_for(low, target)
    lay = plan.layers["L0_op0"]
    assert [(c.c0, c.c1) for c in lay.chunks] == [(0, 3), (3, 6), (6, 9)]
    assert {c.solution.tiling.c for c in lay.chunks} == {3}    # whole groups only
    records = [[random_input(rng, low.graph.t(n)) for n in low.graph.inputs]]
    got, measured, _ = run_tiled_measured(low, plan, records, tmp_path / "p", sanitize=False)
    want = golden(low, records)[0]
    n = low.graph.outputs[0]
    np.testing.assert_array_equal(got[0][n].reshape(want[n].shape), want[n])
    assert mismatches(low.graph, model_plan(low.graph, low.args, plan), measured) == []
