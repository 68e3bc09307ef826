"""Depth-first attention (passes/depth_first.py): multi-head attention split into one block
per head (and row block) gives the unsplit graph's numbers bit for bit - in the golden
and in C under ASan/UBSan - with a smaller arena; the compiler applies it only where the
arena shrinks and the report shows the arena with and without it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.graphs import act, const, random_input
from tests.harness import run_c_graph_many
from tinydeploy.compiler import lower
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.memory import plan_graph
from tinydeploy.passes import depth_first, run_passes
from tinydeploy.quant.execute import run_graph
from tinydeploy.report.layers import report_dict


def _rq(name: str, x: str, y: str, c: int, rng) -> Op:
    return Op("requant", name, (x,), (y,), {
        "mul": rng.integers(1, 40, size=c), "add": rng.integers(-2**10, 2**10, size=c),
        "div": 2**int(rng.integers(8, 12)), "rounding": "floor", "clip": (-128, 127)})


def mha(heads: int = 4, seq: int = 16, dim: int = 8, seed: int = 0) -> Graph:
    """Deeploy-style attention: Q, K, V as [1, S, H, d] transposed to heads, scores
    matmul + requant, + mask (broadcast over heads) + requant, iSoftmax, P V + requant."""
    rng = np.random.default_rng(seed)
    t = {}

    def a(name, shape, dtype="int8", zp=0):
        t[name] = act(name, shape, 1.0, zp, dtype)
        return name

    for n in ("q", "k", "v"):
        a(n, (1, seq, heads, dim))
    a("qt", (1, heads, seq, dim))
    a("kt", (1, heads, dim, seq))
    a("vt", (1, heads, seq, dim))
    t["mask"] = const("mask", rng.integers(-128, 128, size=(seq, seq)).astype(np.int8), 1.0)
    for n, shape, dtype in (("s32", (1, heads, seq, seq), "int32"), ("s", None, "int8"),
                            ("m32", None, "int32"), ("m", None, "int8"),
                            ("p", None, "int8"), ("o32", (1, heads, seq, dim), "int32"),
                            ("o", (1, heads, seq, dim), "int8")):
        a(n, shape or (1, heads, seq, seq), dtype, -128 if n == "p" else 0)
    ops = [Op("transpose", "tq", ("q",), ("qt",), {"perm": (0, 2, 1, 3)}),
           Op("transpose", "tk", ("k",), ("kt",), {"perm": (0, 2, 3, 1)}),
           Op("matmul", "qk", ("qt", "kt", ""), ("s32",), {"k": dim}),
           _rq("rq_s", "s32", "s", seq, rng),
           Op("add", "mask_add", ("s", "mask"), ("m32",), {}),
           _rq("rq_m", "m32", "m", seq, rng),
           Op("isoftmax", "softmax", ("m",), ("p",),
              {"coeff_a": 1, "coeff_b": 300, "coeff_c": 60000, "log2": 64, "n_levels": 256}),
           Op("transpose", "tv", ("v",), ("vt",), {"perm": (0, 2, 1, 3)}),
           Op("matmul", "pv", ("p", "vt", ""), ("o32",), {"k": seq}),
           _rq("rq_o", "o32", "o", dim, rng)]
    return Graph("mha", t, ops, ["q", "k", "v"], ["o"])


def _arena(g: Graph) -> int:
    return plan_graph(g, sliding=True, edges=True).arena_bytes


@pytest.mark.parametrize("rows", [None, 4])
def test_split_attention_gives_the_unsplit_numbers(rows):
    g = run_passes(mha())
    assert [(a.qk, len(a.chain)) for a in depth_first.find(g)] == [(2, 2)]   # fused
    h = depth_first.split(g, rows)
    kinds = [op.kind for op in h.ops]
    blocks = 4 * (1 if rows is None else 4)
    assert kinds.count("matmul") == 2 * blocks and "transpose" not in kinds[:1]
    assert kinds.count("insert") == blocks - 1 and kinds.count("pad") == 1
    rng = np.random.default_rng(1)
    for _ in range(3):
        ins = [random_input(rng, g.t(n)) for n in g.inputs]
        assert np.array_equal(run_graph(g, ins)["o"], run_graph(h, ins)["o"])
    assert _arena(h) < _arena(g)


@pytest.mark.cc
def test_depth_first_attention_in_c_is_exact_under_sanitizers():
    g = mha(heads=3, seq=12, dim=4, seed=5)
    low = lower(g)
    df = low.graph.meta["depth_first"]
    assert df["applied"] and df["with"] < df["without"] == _arena(run_passes(g))
    assert low.memory.arena_bytes == df["with"]
    assert report_dict(low)["depth_first"] == df
    rng = np.random.default_rng(7)
    recs = [[random_input(rng, g.t(n)) for n in g.inputs] for _ in range(2)]
    for rec, c in zip(recs, run_c_graph_many(g, recs, sanitize=True)):
        want = run_graph(run_passes(g), rec)["o"]
        assert np.array_equal(c["o"].reshape(-1), want.reshape(-1))


def test_the_split_is_kept_only_where_the_arena_shrinks():
    g = run_passes(mha(heads=1, seq=8, dim=64))      # one head: the values dominate
    out = depth_first.choose(g, _arena)
    assert out is g and not g.meta["depth_first"]["applied"]
    assert g.meta["depth_first"]["with"] >= g.meta["depth_first"]["without"]
