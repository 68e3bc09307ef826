"""Optimized kernels of integer graphs (kernels/opt/td_opt_mm.h products, tables, the
32-bit iLayerNorm, the tabulated iSoftmax; args from quant/opt/matmul_rq.py, table_s8.py,
ilayernorm.py, isoftmax.py) vs the
numpy golden: random layers of every kind they take - with RequantShift parameters in
the forms they cover (power-of-two divisors, floor and toward zero, uniform and per
channel, int32 and int64 requantization) - compiled with ``--kernels opt`` into one
ASan/UBSan build must give the golden's bytes, and every case must actually run its
optimized kernel. Layers outside those forms keep the reference kernel."""

from __future__ import annotations

import numpy as np
import pytest

from tests.graphs import const, random_input
from tests.harness import run_c_graph_many
from tests.kernels import attention_cases as ac
from tests.kernels.test_td_conv2d import merge_graphs
from tests.pulp.test_kernels import add_case
from tinydeploy.compiler import lower
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.execute import run_graph


def with_rq(g: Graph, rng, uniform: bool, big: bool = False, name: str = "") -> Graph:
    """``g``'s int32 output requantized to int8 by a power-of-two RequantShift."""
    acc = g.t(g.outputs[0])
    c = acc.shape[-1]
    n = 1 if uniform else c
    mul = rng.integers(1, 2**20 if big else 60, size=n).repeat(c // n)
    add = rng.integers(-2**12, 2**12, size=n).repeat(c // n)
    y = ac.t(acc.name + "_q", acc.shape, "int8", int(rng.choice([0, -128])))
    zp = y.quant.zp
    lo = int(rng.integers(-128, -88)) - zp
    hi = min(lo + 200, 127 - zp)
    op = Op("requant", name or acc.name + "_rq", (acc.name,), (y.name,),
            {"mul": mul, "add": add, "div": 2 ** int(rng.integers(6, 26 if big else 14)),
             "rounding": str(rng.choice(["floor", "trunc"])), "clip": (lo, hi)})
    return Graph(g.name, {**g.tensors, y.name: y}, [*g.ops, op], list(g.inputs), [y.name])


def fc(rng, p: str) -> Graph:
    b, k, n = int(rng.integers(1, 6)), int(rng.integers(1, 40)), int(rng.integers(1, 21))
    x = ac.t(p + "x", (b, k), "int8", int(rng.choice([0, -128, 5])))
    w = const(p + "w", rng.integers(-128, 128, size=(n, k)).astype(np.int8), 1.0)
    bias = const(p + "b", rng.integers(-9999, 9999, size=n).astype(np.int32), 1.0)
    return ac.one_op("fully_connected", [x, w, bias], ac.t(p + "y", (b, n), "int32"),
                     name=p + "op")


def matmul(rng, p: str) -> Graph:
    bt, m, k, n = int(rng.integers(1, 4)), int(rng.integers(1, 9)), int(rng.integers(1, 30)), \
        int(rng.integers(1, 20))
    tb = bool(rng.random() < 0.5)
    a = ac.t(p + "a", (bt, m, k), "int8", int(rng.choice([0, -128])))
    b = ac.t(p + "b", (bt, n, k) if tb else (bt, k, n), "int8", 0)
    return ac.one_op("matmul", [a, b, None], ac.t(p + "y", (bt, m, n), "int32"),
                     name=p + "op", k=k, trans_b=tb)


def binary(rng, p: str, kind: str) -> Graph:
    shape = [int(rng.integers(1, 5)) for _ in range(int(rng.integers(1, 4)))]
    b_shape = [d if rng.random() < 0.5 else 1 for d in shape][int(rng.integers(0, 2)):]
    a = ac.t(p + "a", shape, "int8", int(rng.choice([0, -128])))
    b = ac.t(p + "b", b_shape or [1], "int8", int(rng.choice([0, -128])))
    attrs = {"mults": (int(rng.integers(-3, 4)), int(rng.integers(-3, 4)))} \
        if kind == "add" else {}
    return ac.one_op(kind, [a, b], ac.t(p + "y", shape, "int32"), name=p + "op", **attrs)


def cases(rng) -> tuple[list[Graph], list[str]]:
    """Graphs and the optimized kernel each must run."""
    out = []
    for i in range(10):
        out.append((with_rq(fc(rng, f"fc{i}_"), rng, i % 3 == 0, big=i % 4 == 3),
                    "FullyConnectedRqOptArgs"))
        out.append((with_rq(matmul(rng, f"mm{i}_"), rng, i % 2 == 0, big=i % 4 == 1),
                    "MatMulRqOptArgs"))
    for i, kind in enumerate(("igelu", "ihardswish") * 3):
        g = getattr(ac, kind)(rng, f"{kind}{i}_")[0]
        out.append((with_rq(g, rng, True), "TableS8OptArgs"))
    for i in range(4):
        out.append((with_rq(add_case(rng, f"add{i}_"), rng, True), "AddTablesOptArgs"))
        g = ac.norm(rng, f"ln{i}_", "ilayernorm")[0]
        out.append((g, "ILayerNormOptArgs"))
        out.append((ac.isoftmax(rng, f"sm{i}_")[0], "ISoftmaxOptArgs"))
        for kind in ("add", "mul"):
            out.append((with_rq(binary(rng, f"{kind}any{i}_", kind), rng, True),
                        "BinaryS8RqOptArgs"))
    return out


@pytest.mark.cc
def test_optimized_integer_kernels_equal_the_golden_under_sanitizers():
    rng = np.random.default_rng(2024)
    pairs = cases(rng)
    g = merge_graphs([p[0] for p in pairs], "opt_integer")
    low = lower(g, kernels="opt")
    chosen = {op.name: type(low.kernel_args[op.name]).__name__ for op in low.graph.ops}
    for sub, want in pairs:
        name = next(n for n in chosen if n.startswith(sub.ops[0].name))
        assert chosen[name] == want, (name, chosen[name])
    recs = [[random_input(rng, g.t(n)) for n in g.inputs] for _ in range(3)]
    for rec, c in zip(recs, run_c_graph_many(g, recs, sanitize=True, kernels="opt")):
        gold = run_graph(g, rec)
        for n in g.outputs:
            assert np.array_equal(c[n].reshape(-1), gold[n].reshape(-1)), n


def test_layers_outside_the_fast_forms_keep_the_reference_kernel():
    rng = np.random.default_rng(5)
    g = with_rq(fc(rng, "f_"), rng, True)
    rq = g.ops[1]
    odd = Graph(g.name, g.tensors, [g.ops[0], rq.with_(attrs={**rq.attrs, "div": 3})],
                list(g.inputs), list(g.outputs))
    for graph, fast in ((g, True), (odd, False)):
        low = lower(graph, kernels="opt")
        assert ("Opt" in type(low.kernel_args[low.graph.ops[0].name]).__name__) == fast
