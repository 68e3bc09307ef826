"""The optimized int8 max pool (kernels/opt/td_max_pool2d_s8_opt.h, args from
quant/opt/max_pool2d.py) vs the reference C kernel and the numpy golden, byte for byte,
under ASan/UBSan: random geometries (kernel sizes, strides, asymmetric padding, batches,
channel counts that are and are not multiples of four, activation clamps) split over one
to three cores; and in graphs, planned over its dying input (the kernel's in-place
margin) with the golden's bytes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.graphs import random_input
from tests.harness import run_c_graph_many
from tests.kernels import attention_cases as ac
from tests.kernels import opt_program as op
from tests.kernels.test_td_conv2d import merge_graphs
from tinydeploy.compiler import lower
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant import preconditions as pc
from tinydeploy.quant.execute import run_graph
from tinydeploy.quant.golden._pool_common import window_range
from tinydeploy.quant.golden.max_pool2d import MaxPool2dArgs
from tinydeploy.quant.golden.max_pool2d import run as max_pool_golden
from tinydeploy.quant.opt import MAKERS

pytestmark = pytest.mark.cc


def _out(size: int, k: int, s: int, pad_lo: int, pad_hi: int) -> int:
    return (size + pad_lo + pad_hi - k) // s + 1


def pool_case(rng, h: int, w: int, c: int, k=(2, 2), s=(2, 2), pads=(0, 0, 0, 0),
              n: int = 1, act=(-128, 127), cores: int = 1, x=None) -> op.Case | None:
    """A max pool layer (pads: top, left, bottom, right) with random int8 input; None when
    a window would lie entirely in the padding (the reference refuses those)."""
    oh, ow = _out(h, k[0], s[0], pads[0], pads[2]), _out(w, k[1], s[1], pads[1], pads[3])
    if oh < 1 or ow < 1:
        return None
    for o_n, st, p, kk, size in ((oh, s[0], pads[0], k[0], h), (ow, s[1], pads[1], k[1], w)):
        for o in (0, o_n - 1):
            lo, hi = window_range(o, st, p, kk, size)
            if hi <= lo:
                return None
    a = MaxPool2dArgs(n, h, w, c, oh, ow, k[0], k[1], s[0], s[1], pads[0], pads[1], *act)
    if x is None:
        x = rng.integers(-128, 128, size=(n, h, w, c)).astype(np.int8)
    return op.Case(a, [x], max_pool_golden(a, x), cores=cores)


def _fixed_cases(rng) -> list[op.Case]:
    """The shapes of the PULP networks (2x2 / 2, channels 16..128), odd channel counts,
    3x3 / 2 with SAME-style padding (TFLite), 1xk / kx1, stride 1 (overlapping windows),
    a window larger than the stride, clamps (ReLU6-like and ReLU), constant inputs (ties,
    INT8_MIN everywhere)."""
    specs = [
        dict(h=8, w=10, c=32), dict(h=6, w=6, c=96), dict(h=4, w=4, c=128, n=2),
        dict(h=7, w=9, c=5), dict(h=5, w=5, c=3, pads=(0, 0, 1, 1)),
        dict(h=9, w=9, c=7, k=(3, 3), s=(2, 2), pads=(1, 1, 1, 1)),
        dict(h=10, w=6, c=8, k=(3, 3), s=(2, 2), pads=(0, 0, 1, 1)),
        dict(h=1, w=16, c=6, k=(1, 3), s=(1, 2), pads=(0, 1, 0, 1)),
        dict(h=11, w=3, c=4, k=(4, 1), s=(3, 1), pads=(2, 0, 1, 0)),
        dict(h=6, w=7, c=9, k=(2, 2), s=(1, 1)),
        dict(h=7, w=7, c=12, k=(3, 3), s=(1, 1), pads=(1, 1, 1, 1), act=(-128, 6)),
        dict(h=6, w=8, c=13, act=(0, 127)), dict(h=4, w=4, c=1, act=(-20, 30)),
        dict(h=5, w=7, c=17, k=(5, 7), s=(5, 7)), dict(h=3, w=3, c=2, k=(3, 3), s=(1, 1),
                                                         pads=(2, 2, 2, 2)),
    ]
    out = [pool_case(rng, cores=1 + i % 3, **sp) for i, sp in enumerate(specs)]
    for v in (-128, 0, 127):
        x = np.full((1, 6, 6, 10), v, np.int8)
        out.append(pool_case(rng, 6, 6, 10, x=x, cores=2))
    return out


def _random_cases(rng, count: int) -> list[op.Case]:
    out = []
    while len(out) < count:
        k = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        s = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        pads = tuple(int(rng.integers(0, k[i % 2])) for i in range(4))
        lo = int(rng.choice([-128, -128, 0, -50]))
        hi = int(rng.choice([127, 127, 6, 90]))
        case = pool_case(rng, int(rng.integers(1, 12)), int(rng.integers(1, 12)),
                         int(rng.integers(1, 40)), k, s, pads, int(rng.integers(1, 3)),
                         (lo, hi), 1 + len(out) % 3)
        if case is not None:
            out.append(case)
    return out


def test_opt_max_pool_matches_reference_and_golden(tmp_path):
    rng = np.random.default_rng(31)
    cases = [c for c in _fixed_cases(rng) if c is not None] + _random_cases(rng, 60)
    assert all(type(c.opt_args()).__name__ == "MaxPool2dOptArgs" for c in cases)
    rows = op.run_host(cases, tmp_path)
    for i, (case, row) in enumerate(zip(cases, rows)):
        assert row["ref_ok"], f"reference kernel, case {i}: {case.ref}"
        assert row["opt_ok"], f"optimized kernel, case {i} ({case.cores} cores): {case.ref}"


def _nchw_pool(rng, p: str, h: int, w: int, c: int, k, s, pads, act: str) -> Graph:
    """NCHW input -> transpose -> max pool -> transpose: the pool's input dies at it."""
    zp = int(rng.choice([0, -128, 3]))
    x = ac.t(p + "x", (1, c, h, w), "int8", zp)
    xt = ac.t(p + "xt", (1, h, w, c), "int8", zp)
    oh, ow = _out(h, k[0], s[0], pads[0], pads[2]), _out(w, k[1], s[1], pads[1], pads[3])
    y = ac.t(p + "y", (1, oh, ow, c), "int8", zp)
    yt = ac.t(p + "out", (1, c, oh, ow), "int8", zp)
    ops = [Op("transpose", p + "tin", (x.name,), (xt.name,), {"perm": (0, 2, 3, 1)}),
           Op("max_pool2d", p + "op", (xt.name,), (y.name,),
              {"kernel": k, "stride": s, "pads": pads, "act": act}),
           Op("transpose", p + "tout", (y.name,), (yt.name,), {"perm": (0, 3, 1, 2)})]
    return Graph(p, {t.name: t for t in (x, xt, y, yt)}, ops, [x.name], [yt.name])


def test_opt_max_pool_in_place_in_graphs_matches_golden():
    """Compiled graphs (--kernels opt): the pools run the optimized kernel, at least one
    is planned over its dying input, and the outputs are the golden's bytes."""
    rng = np.random.default_rng(32)
    shapes = [(8, 8, 16, (2, 2), (2, 2), (0, 0, 0, 0), "none"),
              (9, 7, 5, (3, 3), (1, 1), (1, 1, 1, 1), "relu"),
              (12, 10, 4, (3, 3), (2, 2), (1, 1, 1, 1), "relu6"),
              (6, 6, 33, (2, 2), (1, 1), (0, 0, 0, 0), "none")]
    graphs = [_nchw_pool(rng, f"mp{i}_", *sh) for i, sh in enumerate(shapes)]
    g = merge_graphs(graphs, "opt_pool")
    low = lower(g, kernels="opt")
    pools = [o for o in low.graph.ops if o.kind == "max_pool2d"]
    assert len(pools) == len(shapes)
    assert all(type(low.kernel_args[o.name]).__name__ == "MaxPool2dOptArgs" for o in pools)
    mem, shared = low.memory, 0
    for o in pools:
        x, y = low.graph.t(o.inputs[0]), low.graph.t(o.outputs[0])
        xo, yo = mem.offsets[x.name], mem.offsets[y.name]
        shared += yo < xo + x.nbytes and xo < yo + y.nbytes
    assert shared >= 1
    recs = [[random_input(rng, g.t(n)) for n in g.inputs] for _ in range(3)]
    for rec, c in zip(recs, run_c_graph_many(g, recs, sanitize=True, kernels="opt")):
        gold = run_graph(g, rec)
        for n in g.outputs:
            assert np.array_equal(c[n].reshape(-1), gold[n].reshape(-1)), n


def test_opt_max_pool_args_pass_the_reference_rule_and_refuse_violations():
    """td_max_pool2d_s8_opt has the reference kernel's rule (same geometry): the args the
    maker makes pass it with the same buffers; a window in the padding, a reversed clamp
    or a zero dimension is refused."""
    a = MaxPool2dArgs(1, 6, 6, 5, 3, 3, 2, 2, 2, 2, 0, 0, -128, 127)
    o = MAKERS[MaxPool2dArgs](a, [None], 1)
    spec, ref = pc.check_args(o), pc.check_args(a)
    assert spec.output.nbytes == ref.output.nbytes == 45
    assert [x.nbytes for x in spec.inputs] == [x.nbytes for x in ref.inputs] == [180]
    for bad, why in ((dict(pad_left=2, kernel_w=2), "padding"),
                     (dict(act_min=10, act_max=5), "act"), (dict(channels=0), "> 0")):
        with pytest.raises(TinyDeployError, match=why):
            pc.check_args(dataclasses.replace(o, **bad))
