"""The raw-accumulator and requant kernels (C, under ASan/UBSan) vs their numpy goldens.

One C build holds all random layers (independent ops side by side). The float32 rounding
of ``requant`` is checked against numpy's own float32 arithmetic (an independent IEEE
implementation), then C against the golden.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.graphs import act, const, one_op, random_input
from tests.harness import run_c_graph_many
from tests.kernels.test_td_conv2d import merge_graphs
from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Tensor
from tinydeploy.quant.execute import run_graph
from tinydeploy.quant.golden.requant import round_f32


def _t(name, shape, dtype="int8", zp=0) -> Tensor:
    return act(name, shape, 1.0, zp, dtype)


def conv_case(rng, p: str, depthwise=False, dtype="int8") -> Graph:
    h, w = int(rng.integers(3, 8)), int(rng.integers(3, 8))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    s, pad = int(rng.integers(1, 3)), (int(rng.integers(0, kh)), int(rng.integers(0, kw)))
    cin = int(rng.integers(1, 5))
    cout = cin * int(rng.integers(1, 3)) if depthwise else int(rng.integers(1, 6))
    oh, ow = (h + 2 * pad[0] - kh) // s + 1, (w + 2 * pad[1] - kw) // s + 1
    zp = int(rng.choice([0, -128])) if dtype == "int8" else int(rng.integers(-50, 50))
    x = _t(p + "x", (1, h, w, cin), dtype, zp)
    wshape = (kh, kw, cout) if depthwise else (cout, kh, kw, cin)
    wt = const(p + "w", rng.integers(-128, 128, size=wshape).astype(np.int8), 1.0)
    b = const(p + "b", rng.integers(-5000, 5000, size=cout).astype(np.int32), 1.0)
    y = _t(p + "y", (1, oh, ow, cout), "int32")
    kind = "depthwise_conv2d" if depthwise else "conv2d"
    return one_op(kind, [x, wt, b if rng.random() < 0.7 else None], y, name=p + "op",
                  stride=(s, s), pads=(pad[0], pad[1], pad[0], pad[1]))


def fc_case(rng, p: str, dtype="int8") -> Graph:
    cin, cout = int(rng.integers(1, 40)), int(rng.integers(1, 10))
    x = _t(p + "x", (1, cin), dtype, int(rng.choice([0, -128])))
    wt = const(p + "w", rng.integers(-128, 128, size=(cout, cin)).astype(np.int8), 1.0)
    b = const(p + "b", rng.integers(-900, 900, size=cout).astype(np.int32), 1.0)
    return one_op("fully_connected", [x, wt, b], _t(p + "y", (1, cout), "int32"),
                  name=p + "op")


def add_case(rng, p: str) -> Graph:
    shape = (1, 3, 4, int(rng.integers(1, 6)))
    a, b = _t(p + "a", shape, "int8", -128), _t(p + "b", shape, "int8", 0)
    return one_op("add", [a, b], _t(p + "y", shape, "int32"), name=p + "op",
                  mults=(int(rng.integers(-40, 40)), int(rng.integers(-40, 40))))


def pool_case(rng, p: str) -> Graph:
    k = int(rng.integers(1, 4))
    x = _t(p + "x", (1, 6, 5, 3), "int8", int(rng.choice([0, -128])))
    oh, ow = (6 - k) // k + 1, (5 - k) // k + 1
    return one_op("sum_pool2d", [x], _t(p + "y", (1, oh, ow, 3), "int32"), name=p + "op",
                  kernel=(k, k), stride=(k, k))


def requant_case(rng, p: str, out="int8", fp32=False, rounding="floor") -> Graph:
    c = int(rng.integers(1, 6))
    x = _t(p + "x", (1, 2, 3, c), "int32")
    zp = -128 if out == "int8" and rng.random() < 0.5 else 0
    info = np.iinfo(out)
    lo, hi = sorted(int(v) for v in rng.integers(int(info.min) - zp, int(info.max) - zp,
                                                 size=2, endpoint=True))
    attrs = dict(mul=rng.integers(-2**20, 2**20, size=c), add=rng.integers(-2**40, 2**40, size=c),
                 mul2=int(rng.integers(1, 8)), div=rng.integers(1, 2**24, size=c),
                 fp32=fp32, rounding=rounding, clip=(lo, hi))
    return one_op("requant", [x], _t(p + "y", (1, 2, 3, c), out, zp), name=p + "op", **attrs)


def _assert_c_matches(graphs: list[Graph], seed: int) -> None:
    g = merge_graphs(graphs)
    rng = np.random.default_rng(seed)
    recs = [[random_input(rng, g.t(n)) for n in g.inputs] for _ in range(2)]
    for rec, got in zip(recs, run_c_graph_many(g, recs, sanitize=True)):
        want = run_graph(g, rec)
        for name in g.outputs:
            np.testing.assert_array_equal(got[name].reshape(want[name].shape), want[name],
                                          err_msg=name)


pytestmark = pytest.mark.cc


def test_round_f32_equals_numpy_float32_conversion():
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.integers(-2**62, 2**62, size=20000),
                        rng.integers(-2**26, 2**26, size=20000),
                        np.array([2**24 + 1, 2**24 + 3, -(2**25 + 2), 2**25 + 6, 0, -1])])
    ties = (rng.integers(2**23, 2**24, size=5000) * 2 + 1) << 5   # exactly half-way cases
    v = np.concatenate([v, ties, -ties])
    want = v.astype(np.float32).astype(np.float64)
    np.testing.assert_array_equal(round_f32(v).astype(np.float64), want)


def test_raw_accumulator_kernels_match_golden():
    rng = np.random.default_rng(11)
    graphs = [conv_case(rng, f"c{i}_") for i in range(8)]
    graphs += [conv_case(rng, f"s{i}_", dtype="int16") for i in range(4)]
    graphs += [conv_case(rng, f"d{i}_", depthwise=True) for i in range(6)]
    graphs += [fc_case(rng, f"f{i}_") for i in range(5)]
    graphs += [fc_case(rng, f"g{i}_", dtype="int16") for i in range(3)]
    graphs += [add_case(rng, f"a{i}_") for i in range(4)]
    graphs += [pool_case(rng, f"p{i}_") for i in range(4)]
    _assert_c_matches(graphs, seed=12)


def test_requant_kernels_match_golden_all_modes():
    rng = np.random.default_rng(21)
    graphs = [requant_case(rng, f"r{i}_", out=o, fp32=f, rounding=r)
              for i, (o, f, r) in enumerate((o, f, r) for o in ("int8", "int16", "int32")
                                            for f in (0, 1, 2, 3)
                                            for r in ("floor", "trunc"))]
    _assert_c_matches(graphs, seed=22)


def test_requant_golden_floor_and_trunc_differ_only_on_negative_remainders():
    x = _t("x", (1, 4), "int32")
    g = one_op("requant", [x], _t("y", (1, 4), "int32"), mul=1, add=0, div=4,
               rounding="trunc", clip=(-100, 100))
    y = run_graph(g, [np.array([[-5, -4, 5, 7]], np.int32)])["y"]
    np.testing.assert_array_equal(y, [[-1, -1, 1, 1]])


def test_requant_rejects_int64_overflow():
    x = _t("x", (1, 4), "int32")
    g = one_op("requant", [x], _t("y", (1, 4), "int8"), mul=2**40, add=0, div=1)
    with pytest.raises(UnsupportedError, match="int64"):
        run_graph(g, [np.zeros((1, 4), np.int32)])
