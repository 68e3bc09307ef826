"""Graph -> buffers: lifetimes, reshape aliasing, in-place hints, and whole-plan replay."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.graphs import act, const
from tests.memory.arena_sim import replay
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.memory import buffers_for_graph, plan_graph


def graph(tensors, ops, inputs, outputs) -> Graph:
    """``ops``: (kind, inputs, output) triples, named op0, op1, ... in schedule order."""
    g = Graph("t", {t.name: t for t in tensors},
              [Op(k, f"op{i}", tuple(ins), (out,)) for i, (k, ins, out) in enumerate(ops)],
              list(inputs), list(outputs))
    g.validate()
    return g


W = const("w", np.zeros((4, 4), np.int8))


def spans(g: Graph) -> dict[str, tuple[int, int, str | None]]:
    return {b.name: (b.first, b.last, b.inplace_of) for b in buffers_for_graph(g).buffers}


def test_chain_tensor_lives_from_producer_to_last_consumer():
    g = graph([act("x", (1, 4)), W, act("a", (1, 4)), act("b", (1, 4)), act("y", (1, 4))],
              [("fully_connected", ["x", "w", ""], "a"), ("fully_connected", ["a", "w", ""], "b"),
               ("fully_connected", ["b", "w", ""], "y")], ["x"], ["y"])
    assert spans(g) == {"x": (0, 0, None), "a": (0, 1, None), "b": (1, 2, None),
                        "y": (2, 2, None)}
    plan = plan_graph(g)
    assert plan.arena_bytes == plan.lower_bound == 8 and plan.naive_bytes == 16
    assert plan.live_bytes == (8, 8, 8)
    replay(g, plan)


def test_graph_input_lives_from_op0_and_output_to_last_op():
    g = graph([act("x", (1, 4)), act("z", (1, 4)), W, act("a", (1, 4)), act("b", (1, 4)),
               act("y", (1, 4))],
              [("fully_connected", ["x", "w", ""], "a"), ("fully_connected", ["x", "w", ""], "b"),
               ("fully_connected", ["z", "w", ""], "y")], ["x", "z"], ["a", "y"])
    s = spans(g)
    assert s["z"] == (0, 2, None) and s["a"] == (0, 2, None) and s["b"] == (1, 1, None)
    replay(g, plan_graph(g))


def test_reshape_chain_is_one_buffer_over_the_union_of_lifetimes():
    g = graph([act("x", (1, 2, 2, 1)), W, act("a", (1, 2, 2, 1)), act("r1", (1, 4)),
               act("r2", (4,)), act("y", (1, 4))],
              [("avg_pool2d", ["x"], "a"), ("reshape", ["a"], "r1"), ("reshape", ["r1"], "r2"),
               ("fully_connected", ["r2", "w", ""], "y")], ["x"], ["y"])
    gb = buffers_for_graph(g)
    assert spans(g)["a"] == (0, 3, None) and "r1" not in spans(g)
    assert gb.aliases["r1"] == gb.aliases["r2"] == "a"
    plan = plan_graph(g)
    assert plan.offsets["r1"] == plan.offsets["r2"] == plan.offsets["a"]
    replay(g, plan)


def test_reshape_of_constant_gets_its_own_buffer():
    c = const("c", np.arange(4, dtype=np.int8).reshape(2, 2))
    g = graph([act("x", (1, 4)), c, act("r", (1, 4)), act("y", (1, 4))],
              [("reshape", ["c"], "r"), ("add", ["x", "r"], "y")], ["x"], ["y"])
    assert spans(g)["r"] == (0, 1, None)
    replay(g, plan_graph(g))


def residual(out_kind: str = "add", a_used_after: bool = False) -> Graph:
    """x -> fc -> a; x -> fc -> b; add(a, b) -> c; fc(c [, a]) -> y."""
    ts = [act(n, (1, 4)) for n in ("x", "a", "b", "c", "y")] + [W]
    last = ("add", ["c", "a"], "y") if a_used_after else ("fully_connected", ["c", "w", ""], "y")
    return graph(ts, [("fully_connected", ["x", "w", ""], "a"),
                      ("fully_connected", ["x", "w", ""], "b"), (out_kind, ["a", "b"], "c"),
                      last], ["x"], ["y"])


def test_add_writes_in_place_over_its_first_input_when_it_dies_there():
    g = residual()
    assert spans(g)["c"] == (2, 3, "a")
    plan = plan_graph(g)
    assert plan.offsets["c"] == plan.offsets["a"]
    assert plan.arena_bytes == plan.lower_bound == 12    # op 1 holds x, a, b; op 2 only a/c, b
    replay(g, plan)


def test_add_uses_second_input_when_first_is_still_needed():
    g = residual(a_used_after=True)
    assert spans(g)["c"][2] == "b"
    replay(g, plan_graph(g))


def test_mul_is_in_place_like_add():
    assert spans(residual("mul"))["c"][2] == "a"


def test_graph_output_is_never_overwritten_in_place():
    g = graph([act("x", (1, 4)), act("z", (1, 4)), W, act("a", (1, 4)), act("y", (1, 4))],
              [("fully_connected", ["x", "w", ""], "a"), ("add", ["a", "z"], "y")],
              ["x", "z"], ["a", "y"])
    assert spans(g)["y"][2] == "z"       # not "a": a is a graph output
    replay(g, plan_graph(g))


def test_add_with_broadcast_first_input_is_not_in_place_over_it():
    g = graph([act("x", (1, 1)), act("z", (1, 4)), act("y", (1, 4))],
              [("add", ["x", "z"], "y")], ["x", "z"], ["y"])
    assert spans(g)["y"][2] == "z"


def test_int8_requantize_logistic_tanh_are_in_place():
    for kind in ("quantize", "logistic", "tanh"):
        g = graph([act("x", (1, 4)), act("y", (1, 4))], [(kind, ["x"], "y")], ["x"], ["y"])
        assert spans(g)["y"][2] == "x", kind


def test_dequantize_and_float_quantize_are_not_in_place():
    g = graph([act("x", (1, 4)), act("y", (1, 4), dtype="float32")],
              [("dequantize", ["x"], "y")], ["x"], ["y"])
    assert spans(g)["y"][2] is None
    g = graph([act("x", (1, 4), dtype="float32"), act("y", (1, 16))],
              [("quantize", ["x"], "y")], ["x"], ["y"])
    assert spans(g)["y"][2] is None


def test_softmax_is_not_in_place():
    g = graph([act("x", (1, 4)), act("y", (1, 4))], [("softmax", ["x"], "y")], ["x"], ["y"])
    assert spans(g)["y"][2] is None


@st.composite
def random_graphs(draw) -> Graph:
    """Random DAGs of unary/binary ops; shapes only need consistent byte counts here."""
    sizes = st.sampled_from([4, 8, 12, 20, 64])
    tensors = [act("in0", (1, draw(sizes)))]
    ops = []
    for i in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["fully_connected", "reshape", "add", "softmax"]))
        a = draw(st.sampled_from(tensors)).name
        n = {t.name: t for t in tensors}[a].shape[1]
        if kind == "add":
            same = [t.name for t in tensors if t.shape[1] == n]
            ins = [a, draw(st.sampled_from(same))]
        else:
            ins = [a]
        if kind == "fully_connected":
            n = draw(sizes)
        tensors.append(act(f"t{i}", (1, n)))
        ops.append((kind, ins, f"t{i}"))
    outs = draw(st.lists(st.sampled_from([t.name for t in tensors[1:]]), min_size=1,
                         max_size=3, unique=True))
    return graph(tensors, ops, ["in0"], outs)


@settings(max_examples=50, deadline=None)
@given(random_graphs())
def test_random_graph_plans_never_clobber_live_data(g):
    plan = plan_graph(g)
    replay(g, plan)
    assert plan.lower_bound <= plan.arena_bytes <= plan.naive_bytes
    assert max(plan.live_bytes) <= plan.arena_bytes
