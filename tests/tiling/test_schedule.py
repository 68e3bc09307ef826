"""Halo, L1 footprint and DMA counts vs brute force: a tile-by-tile numpy emulation
through an L1 byte array, and window taps enumerated output pixel by output pixel."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.graphs import random_input
from tests.tiling.emulate import emulate
from tests.tiling.layers import KINDS, random_layer
from tinydeploy.quant.execute import run_graph
from tinydeploy.targets import load_target
from tinydeploy.tiling import Tiling, count_dma, geometry
from tinydeploy.tiling.problem import align_up
from tinydeploy.tiling.solution import make_solution

GAP8 = load_target("gap8")


def _random_tiling(rng, geom) -> Tiling:
    step = geom.c_step
    return Tiling(int(rng.integers(1, geom.out_h + 1)), int(rng.integers(1, geom.out_w + 1)),
                  step * int(rng.integers(1, geom.out_c // step + 1)),
                  str(rng.choice(["hwc", "chw"])))


def _check_emulation(g, sol, rng):
    op = g.ops[0]
    inputs = [random_input(rng, g.t(n)) for n in g.inputs]
    want = run_graph(g, inputs)[g.outputs[0]]
    got, cnt = emulate(g, op, sol, inputs)
    np.testing.assert_array_equal(got.reshape(want.shape), want)
    dma = count_dma(sol.geometry, sol.tiling)
    assert (cnt.input_bytes, cnt.weight_bytes, cnt.param_bytes, cnt.output_bytes) == \
        (dma.input_bytes, dma.weight_bytes, dma.param_bytes, dma.output_bytes)
    assert cnt.transfers == dma.transfers
    assert dma.output_bytes == want.size          # every output byte stored exactly once
    for b in sol.buffers:                          # slots exactly as large as needed
        if b.name != "scratch":
            assert b.bytes == align_up(cnt.max_bytes[b.name]), b


@pytest.mark.parametrize("kind", KINDS)
def test_random_tilings_run_bit_exact_through_l1_and_match_dma_count(kind):
    rng = np.random.default_rng(KINDS.index(kind))
    for _ in range(12):
        g = random_layer(rng, kind)
        geom = geometry(g, g.ops[0])
        sol = make_solution(geom, _random_tiling(rng, geom), GAP8, "test")
        _check_emulation(g, sol, rng)


def test_grouped_conv_tiles_whole_groups_and_runs_bit_exact():
    from tests.tiling.layers import spatial_graph
    rng = np.random.default_rng(11)
    g = spatial_graph(rng, "conv", 7, 6, 6, 9, pads=(1, 1, 1, 1), groups=3)
    geom = geometry(g, g.ops[0])
    assert geom.groups == 3 and geom.c_step == 3 and geom.input_depends_on_c
    for tiling in (Tiling(3, 6, 3, "hwc"), Tiling(2, 4, 6, "chw"), Tiling(7, 6, 9)):
        sol = make_solution(geom, tiling, GAP8, "test")
        assert all(t.inp[2][1] - t.inp[2][0] == 2 * t.channels // 3 for t in sol.tiles())
        _check_emulation(g, sol, rng)


def test_single_tile_moves_exactly_the_lower_bound_and_tiles_move_more():
    from tests.tiling.layers import spatial_graph
    g = spatial_graph(np.random.default_rng(12), "conv", 9, 8, 5, 7, pads=(1, 1, 1, 1))
    geom = geometry(g, g.ops[0])
    whole = make_solution(geom, Tiling(9, 8, 7), GAP8, "test")
    assert whole.dma.in_bytes + whole.dma.out_bytes == whole.dma_lower_bound
    assert all(b.slots == 1 for b in whole.buffers)
    tiled = make_solution(geom, Tiling(3, 8, 7), GAP8, "test")
    halo = 2 * 2 * 8 * 5                      # 2 inner tile borders, 2 extra rows each
    assert tiled.dma.in_bytes + tiled.dma.out_bytes == whole.dma_lower_bound + halo


def _touched(geom, h0, h1, w0, w1):
    """Input (row, col) positions any window tap of outputs [h0,h1) x [w0,w1) reads."""
    rows, cols = set(), set()
    for oy, ky in itertools.product(range(h0, h1), range(geom.k_h)):
        r = oy * geom.stride_h - geom.pad_top + ky * geom.dil_h
        if 0 <= r < geom.in_h:
            rows.add(r)
    for ox, kx in itertools.product(range(w0, w1), range(geom.k_w)):
        c = ox * geom.stride_w - geom.pad_left + kx * geom.dil_w
        if 0 <= c < geom.in_w:
            cols.add(c)
    return rows, cols


@pytest.mark.parametrize("kind", ["conv", "depthwise", "avg_pool", "max_pool"])
def test_input_span_is_the_halo_of_the_window_taps(kind):
    rng = np.random.default_rng(100 + KINDS.index(kind))
    for _ in range(25):
        g = random_layer(rng, kind)
        geom = geometry(g, g.ops[0])
        tiling = _random_tiling(rng, geom)
        for tile in make_solution(geom, tiling, GAP8, "test").tiles():
            (h0, h1), (w0, w1), _ = tile.out
            (i0, i1), (j0, j1), _ = tile.inp
            rows, cols = _touched(geom, h0, h1, w0, w1)
            # every tap is loaded; the loaded span has no row/col beyond the extreme taps
            assert rows <= set(range(i0, i1)) and cols <= set(range(j0, j1))
            assert (i0, i1) == (min(rows), max(rows) + 1) or geom.dil_h > 1
            assert (j0, j1) == (min(cols), max(cols) + 1) or geom.dil_w > 1
            # the unclipped span is (t - 1) * s + (k - 1) * d + 1 rows
            full = (h1 - h0 - 1) * geom.stride_h + (geom.k_h - 1) * geom.dil_h + 1
            assert (i1 - i0) + tile.pad[0] + tile.pad[2] == full


def test_conv_input_reloads_follow_the_loop_order():
    rng = np.random.default_rng(7)
    from tests.tiling.layers import spatial_graph
    g = spatial_graph(rng, "conv", 8, 8, 4, 8, pads=(1, 1, 1, 1))
    geom = geometry(g, g.ops[0])
    hwc = count_dma(geom, Tiling(4, 8, 4, "hwc"))     # 2 row tiles x 2 channel tiles
    chw = count_dma(geom, Tiling(4, 8, 4, "chw"))
    rows = (5 + 5) * 8 * 4                             # two 5-row halo spans, 8 cols, 4 ch
    assert hwc.input_bytes == rows and chw.input_bytes == 2 * rows
    wbytes = 8 * 3 * 3 * 4
    assert hwc.weight_bytes == 2 * wbytes and chw.weight_bytes == wbytes
    assert hwc.output_bytes == chw.output_bytes == 8 * 8 * 8
    assert hwc.param_bytes == 8 * 12 and hwc.param_transfers == 3


@pytest.mark.parametrize("model", ["kws_dscnn_int8", "ic_resnet8_int8"])
def test_mlperf_layers_tiled_by_the_solver_run_bit_exact(model):
    from tests.conftest import model_path
    from tinydeploy.compiler import lower_file
    from tinydeploy.tiling import tile_graph

    low = lower_file(model_path(model + ".tflite"))
    target = GAP8.with_l1_size(16 * 1024)          # small L1: several tiles per layer
    sols = tile_graph(low.graph, target)
    rng = np.random.default_rng(5)
    for op in low.graph.ops:
        if op.name in sols:
            sub = _one_op(low.graph, op)
            _check_emulation(sub, sols[op.name], rng)


def _one_op(g, op):
    from tinydeploy.ir.graph import Graph
    names = [n for n in (*op.inputs, *op.outputs) if n]
    ins = [n for n in op.inputs if n and not g.t(n).is_const]
    return Graph("sub", {n: g.t(n) for n in names}, [op], ins, list(op.outputs))
