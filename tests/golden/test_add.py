"""add golden vs TFLite Micro: identical int8 outputs, with and without broadcasting.

The helpers here (:func:`f32`, :func:`broadcast_pair`, :func:`binary_graph`,
:func:`assert_matches_tflm`) are reused by the other elementwise/activation tests.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.graphs import act, const, one_op, random_input
from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph
from tinydeploy.quant.execute import prepare_all, run_graph

ACTS = ("none", "relu", "relu6", "relu_n1_to_1")


def f32(x: float) -> float:
    """``x`` rounded to float32 (what a .tflite file can hold), as a Python float."""
    return float(np.float32(x))


def assert_matches_tflm(g: Graph, inputs: list[np.ndarray]) -> None:
    """Golden and TFLite Micro give the same output bytes (floats compared bitwise)."""
    from tests.tflite_writer import graph_to_tflite, run_tflm

    want = run_tflm(graph_to_tflite(g), inputs)[0]
    got = run_graph(g, inputs)[g.outputs[0]]
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_array_equal(got.view(np.uint8), want.reshape(got.shape).view(np.uint8))


@st.composite
def broadcast_pair(draw, max_rank: int = 4):
    """(shape_a, shape_b): b drops leading dims and/or has 1s; sometimes a and b swap."""
    rank = draw(st.integers(1, max_rank))
    out = tuple(draw(st.lists(st.integers(1, 5), min_size=rank, max_size=rank)))
    kind = draw(st.sampled_from(["same", "suffix", "ones", "scalar"]))
    if kind == "same":
        b = out
    elif kind == "suffix":
        b = out[draw(st.integers(0, rank - 1)):]
    elif kind == "ones":
        b = tuple(1 if draw(st.booleans()) else d for d in out)
    else:
        b = (1,) * draw(st.integers(1, rank))
    return (b, out) if draw(st.booleans()) else (out, b)


def binary_graph(kind: str, rng: np.random.Generator, sa, sb, act_fn="none", prefix="",
                 b_const=False, out_ratio=None) -> Graph:
    """A one-op add/mul graph with random float32 scales and zero points.

    ``out_ratio`` (default random) is the output scale relative to the natural result
    scale (max input scale for add, product of the scales for mul).
    """
    s_a, s_b = f32(rng.uniform(0.005, 0.2)), f32(rng.uniform(0.005, 0.2))
    natural = max(s_a, s_b) if kind == "add" else s_a * s_b * 128
    ratio = out_ratio if out_ratio is not None else rng.uniform(0.3, 3.0)
    zp = lambda: int(rng.integers(-128, 128))      # noqa: E731
    a = act(prefix + "a", sa, s_a, zp())
    if b_const:
        data = rng.integers(-128, 128, size=sb).astype(np.int8)
        b = const(prefix + "b", data, scale=s_b, zp=zp())
    else:
        b = act(prefix + "b", sb, s_b, zp())
    y = act(prefix + "y", np.broadcast_shapes(tuple(sa), tuple(sb)), f32(natural * ratio),
            zp())
    return one_op(kind, [a, b], y, name=prefix + kind, act=act_fn)


def graph_inputs(g: Graph, rng: np.random.Generator) -> list[np.ndarray]:
    return [random_input(rng, g.t(n)) for n in g.inputs]


@settings(max_examples=40, deadline=None)
@given(shapes=broadcast_pair(), act_fn=st.sampled_from(ACTS[:3]), seed=st.integers(0, 2**31))
def test_add_random_broadcast_shapes_match_tflm(shapes, act_fn, seed):
    rng = np.random.default_rng(seed)
    g = binary_graph("add", rng, *shapes, act_fn=act_fn)
    assert_matches_tflm(g, graph_inputs(g, rng))


def test_add_resnet_block_same_shape_matches_tflm():
    rng = np.random.default_rng(1)
    for act_fn in ("none", "relu"):
        g = binary_graph("add", rng, (1, 8, 8, 16), (1, 8, 8, 16), act_fn=act_fn)
        assert_matches_tflm(g, graph_inputs(g, rng))


@pytest.mark.parametrize("b_shape", [(1,), (), (1, 1, 1, 6)])
def test_add_constant_broadcast_operand_matches_tflm(b_shape):
    rng = np.random.default_rng(2)
    g = binary_graph("add", rng, (2, 3, 4, 6), b_shape, b_const=True)
    assert_matches_tflm(g, graph_inputs(g, rng))


def test_add_equal_input_scales_matches_tflm():
    """Both input multipliers are exactly 0.5 (Q31 2**30, shift 0)."""
    rng = np.random.default_rng(3)
    g = binary_graph("add", rng, (4, 33), (4, 33))
    g.tensors["b"] = act("b", (4, 33), g.t("a").quant.s, -7)
    assert_matches_tflm(g, graph_inputs(g, rng))


def test_add_extreme_zero_points_and_tiny_output_scale_match_tflm():
    """Sums far outside the output range saturate exactly as TFLite's do."""
    rng = np.random.default_rng(4)
    for i in range(6):
        g = binary_graph("add", rng, (3, 20), (3, 20), out_ratio=[0.01, 0.05, 8.0][i % 3])
        g.tensors["a"] = act("a", (3, 20), g.t("a").quant.s, [-128, 127][i % 2])
        assert_matches_tflm(g, graph_inputs(g, rng))


def test_add_broadcast_strides_merge_dims():
    """Same shapes merge to one dim; a per-channel operand to (rows, channels)."""
    rng = np.random.default_rng(5)
    args = prepare_all(binary_graph("add", rng, (1, 4, 4, 8), (1, 4, 4, 8)))["add"]
    assert (args.ndim, list(args.shape), list(args.a_strides)) == (1, [128], [1])
    args = prepare_all(binary_graph("add", rng, (1, 4, 4, 8), (8,)))["add"]
    assert list(args.shape) == [16, 8] and list(args.b_strides) == [0, 1]
    args = prepare_all(binary_graph("add", rng, (2, 1, 3), (1, 4, 1)))["add"]
    assert list(args.shape) == [2, 4, 3]
    assert list(args.a_strides) == [3, 0, 1] and list(args.b_strides) == [0, 1, 0]


def test_add_incompatible_shapes_is_error_naming_node():
    rng = np.random.default_rng(6)
    g = binary_graph("add", rng, (2, 3), (2, 3), prefix="p_")
    g.tensors["p_b"] = act("p_b", (2, 4), 0.1, 0)
    with pytest.raises(UnsupportedError, match="p_add.*do not broadcast"):
        prepare_all(g)


def test_add_output_shape_not_the_broadcast_shape_is_error():
    rng = np.random.default_rng(7)
    g = binary_graph("add", rng, (2, 3), (3,))
    g.tensors["y"] = act("y", (3, 3), 0.1, 0)
    with pytest.raises(UnsupportedError, match="output shape"):
        prepare_all(g)


def test_add_uint8_is_error():
    g = one_op("add", [act("a", (4,), 0.1, 3, "uint8"), act("b", (4,), 0.1, 3, "uint8")],
               act("y", (4,), 0.2, 3, "uint8"))
    with pytest.raises(UnsupportedError, match="int8"):
        prepare_all(g)


def test_add_output_scale_below_input_range_is_error():
    """TFLite requires 2 * max(s_a, s_b) / (2**20 * s_out) < 1."""
    rng = np.random.default_rng(8)
    g = binary_graph("add", rng, (4,), (4,))
    g.tensors["y"] = act("y", (4,), g.t("a").quant.s * 2.0**-21, 0)
    with pytest.raises(UnsupportedError, match="output multiplier"):
        prepare_all(g)


def test_add_too_many_broadcast_dims_is_error():
    """Alternating broadcast dims cannot merge; more than 6 are rejected."""
    sa, sb = (2, 1) * 4, (1, 2) * 4
    g = binary_graph("add", np.random.default_rng(9), sa, sb)
    with pytest.raises(UnsupportedError, match="at most 6"):
        prepare_all(g)
