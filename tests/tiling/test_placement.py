"""Per-level placement: resident weights, L3 streaming, and the errors."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import model_path
from tinydeploy.compiler import lower_file
from tinydeploy.errors import TinyDeployError
from tinydeploy.targets import load_target
from tinydeploy.tiling import geometry, place_levels, solve_layer, tile_graph
from tinydeploy.tiling.cost import Q


def _with_l2(target, size):
    return replace(target, memory=(target.memory[0], replace(target.memory[1], size=size))
                   + target.memory[2:])


def _const_bytes(g):
    return sum(t.nbytes for t in g.tensors.values() if t.is_const)


@pytest.fixture(scope="module")
def vww():
    return lower_file(model_path("vww_mobilenet_int8.tflite"))


def test_everything_resident_in_l2_when_it_fits(vww):
    p = place_levels(vww.graph, load_target("gap8"), vww.memory)
    assert p.home == "L2" and not p.streamed_bytes and p.stream_buffer_bytes == 0
    assert p.resident_bytes == _const_bytes(vww.graph)
    assert p.used == {"L2": vww.memory.arena_bytes + p.resident_bytes}
    assert set(p.levels.values()) == {"L2"}
    assert all(p.levels[n] == "L2" for n in vww.memory.offsets)


def test_largest_layers_stream_from_l3_until_l2_fits(vww):
    g, target = vww.graph, _with_l2(load_target("gap8"), 200_000)
    p = place_levels(g, target, vww.memory)
    per_op = {op.name: sum(g.t(n).nbytes for n in op.inputs if n and g.t(n).is_const)
              for op in g.ops}
    ranked = sorted(per_op, key=lambda n: -per_op[n])
    assert list(p.streamed_bytes) == ranked[:len(p.streamed_bytes)]   # largest first
    assert p.stream_buffer_bytes == max(p.streamed_bytes.values())
    assert p.used["L2"] == vww.memory.arena_bytes + p.resident_bytes + \
        p.stream_buffer_bytes <= 200_000
    last = list(p.streamed_bytes)[-1]            # streaming one layer fewer would not fit
    fewer = [b for name, b in p.streamed_bytes.items() if name != last]
    assert vww.memory.arena_bytes + p.resident_bytes + p.streamed_bytes[last] + \
        max(fewer, default=0) > 200_000
    assert p.used["L3"] == sum(p.streamed_bytes.values())
    for name in p.streamed_bytes:
        op = next(o for o in g.ops if o.name == name)
        assert all(p.levels[n] == "L3" for n in op.inputs if n and g.t(n).is_const)


def test_streamed_layers_pay_the_l3_transfer(vww):
    target = _with_l2(load_target("gap8"), 200_000)
    p = place_levels(vww.graph, target, vww.memory)
    sols = tile_graph(vww.graph, target, p)
    l2 = target.memory[1]
    for name, nbytes in p.streamed_bytes.items():
        sol = sols[name]
        assert sol.l3_weight_bytes == nbytes
        assert sol.cost.l3_q == l2.dma_setup * Q + round(Q / l2.bandwidth) * nbytes
        op = next(o for o in vww.graph.ops if o.name == name)
        plain = solve_layer(geometry(vww.graph, op), target)
        assert sol.cost.total_q == plain.cost.total_q + sol.cost.l3_q


def test_no_l3_and_weights_too_big_is_an_error(vww):
    target = _with_l2(load_target("siracusa"), 100_000)
    with pytest.raises(TinyDeployError, match="no outer level to stream from"):
        place_levels(vww.graph, target, vww.memory)


def test_activations_larger_than_l2_is_an_error(vww):
    target = _with_l2(load_target("gap8"), vww.memory.arena_bytes - 1)
    with pytest.raises(TinyDeployError, match=r"activations need \d+ bytes, more than L2"):
        place_levels(vww.graph, target, vww.memory)


def test_even_streaming_does_not_fit_is_an_error(vww):
    target = _with_l2(load_target("gap8"), vww.memory.arena_bytes + 1000)
    with pytest.raises(TinyDeployError, match="even streaming weights from L3"):
        place_levels(vww.graph, target, vww.memory)


def test_flat_target_places_everything_in_its_one_level(vww):
    p = place_levels(vww.graph, load_target("stm32"), vww.memory)
    assert p.home == "SRAM" and set(p.levels.values()) == {"SRAM"}
    assert p.used == {"SRAM": vww.memory.arena_bytes + _const_bytes(vww.graph)}


def test_repeated_layers_get_the_same_tiling_as_solving_them_alone(vww):
    target = load_target("gap8")
    sols = tile_graph(vww.graph, target)
    for op in vww.graph.ops:
        if op.name in sols:
            alone = solve_layer(geometry(vww.graph, op), target)
            assert sols[op.name] == alone
