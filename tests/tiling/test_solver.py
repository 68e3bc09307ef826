"""CP-SAT tiling vs brute force, determinism, speed, and the no-fit error."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from tests.conftest import MLPERF_MODELS, model_path
from tests.tiling.layers import KINDS, random_layer, spatial_graph
from tinydeploy.compiler import lower_file
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.ops import macs
from tinydeploy.targets import load_target
from tinydeploy.tiling import (Tiling, geometry, layer_cost, solve_layer, tile_graph,
                               tileable)
from tinydeploy.tiling.schedule import l1_buffers, l1_bytes
from tinydeploy.tiling.solver import objective_value

GAP8 = load_target("gap8")


def _footprint(geom, tiling, target) -> int:
    return l1_bytes(l1_buffers(geom, tiling, target.cores, target.kernels.im2col))


def _all_tilings(geom):
    return (Tiling(h, w, c, o) for h, w, c, o in itertools.product(
        range(1, geom.out_h + 1), range(1, geom.out_w + 1),
        range(geom.c_step, geom.out_c + 1, geom.c_step), ("hwc", "chw")))


def _brute_force(geom, target):
    """Min modeled cycles over every tile size and order that fits, and min footprint."""
    best, smallest = None, None
    for t in _all_tilings(geom):
        fp = _footprint(geom, t, target)
        smallest = fp if smallest is None else min(smallest, fp)
        if fp <= target.l1.size:
            q = layer_cost(geom, t, target).total_q
            best = q if best is None else min(best, q)
    return best, smallest


@pytest.mark.parametrize("kind", KINDS)
def test_cpsat_optimum_equals_brute_force_over_all_tile_sizes(kind):
    rng = np.random.default_rng(200 + KINDS.index(kind))
    for _ in range(4):
        g = random_layer(rng, kind, max_hw=6, max_c=8)
        geom = geometry(g, g.ops[0])
        whole = _footprint(geom, Tiling(geom.out_h, geom.out_w, geom.out_c), GAP8)
        _, smallest = _brute_force(geom, GAP8.with_l1_size(10**9))
        for l1 in sorted({smallest, int(rng.integers(smallest, whole + 1)), whole}):
            target = GAP8.with_l1_size(l1)
            best, _ = _brute_force(geom, target)
            sol = solve_layer(geom, target)
            assert sol.status == "optimal"
            assert sol.l1_bytes <= l1
            assert sol.cost.total_q == best == objective_value(geom, target), (kind, l1)


def test_no_fit_error_reports_the_brute_force_minimum():
    rng = np.random.default_rng(9)
    for kind in ("conv", "depthwise", "fc", "add"):
        g = random_layer(rng, kind, max_hw=5, max_c=6)
        geom = geometry(g, g.ops[0])
        _, smallest = _brute_force(geom, GAP8)
        with pytest.raises(TinyDeployError) as e:
            solve_layer(geom, GAP8.with_l1_size(smallest - 1))
        assert str(e.value) == (f"layer '{geom.name}': no tiling fits L1 of {smallest - 1} "
                                f"bytes; the smallest tile needs {smallest} bytes")
        assert solve_layer(geom, GAP8.with_l1_size(smallest)).l1_bytes == smallest


def test_l1_of_1kb_names_the_layer_and_its_minimum():
    low = lower_file(model_path("kws_dscnn_int8.tflite"))
    target = GAP8.with_l1_size(1024)
    with pytest.raises(TinyDeployError) as e:
        tile_graph(low.graph, target)
    m = re.fullmatch(r"layer '0_CONV_2D': no tiling fits L1 of 1024 bytes; "
                     r"the smallest tile needs (\d+) bytes", str(e.value))
    assert m, str(e.value)
    need = int(m.group(1))
    op = low.graph.ops[0]
    assert need > 1024
    assert solve_layer(geometry(low.graph, op), GAP8.with_l1_size(need)).l1_bytes <= need


def test_solution_is_deterministic():
    low = lower_file(model_path("vww_mobilenet_int8.tflite"))
    first = tile_graph(low.graph, GAP8)
    second = tile_graph(low.graph, GAP8)
    assert first == second
    g = spatial_graph(np.random.default_rng(3), "conv", 20, 17, 8, 24, pads=(1, 1, 1, 1))
    geom = geometry(g, g.ops[0])
    assert solve_layer(geom, GAP8.with_l1_size(6000)) == solve_layer(geom,
                                                                     GAP8.with_l1_size(6000))


@pytest.mark.parametrize("target_name", ["gap8", "gap9", "siracusa"])
@pytest.mark.parametrize("model", MLPERF_MODELS)
def test_every_mlperf_layer_tiles_optimally(target_name, model):
    low = lower_file(model_path(model + ".tflite"))
    g, target = low.graph, load_target(target_name)
    for op in g.ops:
        if not tileable(g, op):
            assert op.kind in ("reshape", "softmax"), op.kind
            continue
        geom = geometry(g, op)
        sol = solve_layer(geom, target)       # (solver time: make bench, not a test)
        assert sol.status == "optimal" and sol.l1_bytes <= target.l1.size
        assert sol.macs == macs(g, op)
        assert sol.dma.output_bytes == g.t(op.outputs[0]).nbytes
        assert sol.dma.weight_bytes >= g.t(op.inputs[1]).nbytes if geom.weight_bytes_per_oc \
            else sol.dma.weight_bytes == 0
        assert sol.cost.total_q == layer_cost(geom, sol.tiling, target).total_q
        assert 0 < sol.macs_per_cycle <= target.cores * 2


def test_cpsat_objective_matches_enumeration_on_large_layers():
    """Large dims use restricted candidates; the closed forms must still be exact."""
    low = lower_file(model_path("vww_mobilenet_int8.tflite"))
    for op in low.graph.ops[:6]:
        geom = geometry(low.graph, op)
        sol = solve_layer(geom, GAP8)
        assert objective_value(geom, GAP8) == sol.cost.total_q


def test_flat_target_runs_layers_untiled_without_dma():
    low = lower_file(model_path("ic_resnet8_int8.tflite"))
    stm32 = load_target("stm32")
    for name, sol in tile_graph(low.graph, stm32).items():
        assert sol.status == "untiled" and sol.total_tiles == 1
        assert sol.dma.transfers == 0 and sol.l1_bytes == 0
        assert sol.cost.total_q == sol.cost.compute_q > 0


def test_fitting_whole_layer_is_single_buffered():
    g = spatial_graph(np.random.default_rng(4), "depthwise", 6, 6, 8, 8, pads=(1, 1, 1, 1))
    geom = geometry(g, g.ops[0])
    whole = Tiling(6, 6, 8)
    fp = _footprint(geom, whole, GAP8)
    sol = solve_layer(geom, GAP8.with_l1_size(fp))
    assert all(b.slots == 1 for b in sol.buffers)
    assert sol.tiling == whole or sol.l1_bytes <= fp
