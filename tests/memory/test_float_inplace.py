"""float32 tensors in the memory planner: the float kernels that may write over a dying
input (memory/lifetimes.py FLOAT_INPLACE_KINDS) get its bytes; the same chain runs in C
under ASan/UBSan equal to the golden."""

from __future__ import annotations

import numpy as np
import pytest

from tests.graphs import act
from tests.harness import run_c_graph
from tests.memory.arena_sim import replay
from tinydeploy.ir.graph import Graph, Op, Tensor
from tinydeploy.memory import buffers_for_graph, plan_graph
from tinydeploy.quant.execute import run_graph


def f32_chain() -> Graph:
    """x -> exp -> a; sub(x2, a) -> b (x2 is read later: over a); softmax(b) -> c;
    norm(c) -> n; add(n, x2) -> y."""
    ts = {n: act(n, (3, 8), dtype="float32") for n in ("x", "x2", "a", "b", "c", "n", "y")}
    ts["s"] = Tensor("s", (8,), "float32", data=np.full(8, 1.5, np.float32))
    ops = [Op("unary", "op0", ("x",), ("a",), {"fn": "exp", "alpha": 0.0, "beta": 0.0}),
           Op("sub", "op1", ("x2", "a"), ("b",), {}),
           Op("softmax", "op2", ("b",), ("c",), {"beta": 1.0}),
           Op("norm", "op3", ("c", "s", ""), ("n",),
              {"mode": "rms", "inner": 8, "scale_stride": 1, "scale_len": 8,
               "epsilon": 1e-6}),
           Op("add", "op4", ("n", "x2"), ("y",), {})]
    g = Graph("f", ts, ops, ["x", "x2"], ["y"])
    g.validate()
    return g


def test_float_ops_write_over_their_dying_inputs():
    g = f32_chain()
    spans = {b.name: b.inplace_of for b in buffers_for_graph(g).buffers}
    assert spans["b"] == "a" and spans["c"] == "b" and spans["n"] == "c"
    plan = plan_graph(g)
    replay(g, plan)
    assert plan.offsets["b"] == plan.offsets["a"] == plan.offsets["c"] == plan.offsets["n"]


@pytest.mark.cc
def test_float_chain_in_place_equals_the_golden_in_c():
    g = f32_chain()
    rng = np.random.default_rng(1)
    ins = [rng.uniform(-2, 2, (3, 8)).astype(np.float32) for _ in range(2)]
    got = run_c_graph(g, ins, sanitize=True)
    want = run_graph(g, ins)
    np.testing.assert_allclose(got["y"].reshape(3, 8), want["y"], rtol=1e-6)
