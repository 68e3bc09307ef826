"""The direct int8 convolution of integer graphs (kernels/opt/td_conv2d_rq_direct_opt.h;
args from quant/opt/conv2d_rq_direct.py, chosen by conv2d_rq.py for few output channels)
vs the golden: random convolutions of every kind it takes - kernel sizes 1..8, strides,
padding on either side (border windows staged, inner ones read in place), dilation, 1 to
5 input and 1 to 12 output channels (blocks of 8, then 4, with padding channels), input zero
points, requantizations to int8 and int16 in every descriptor form with clamps on both
sides, raw int32 sums, one and two cores - run next to the reference kernel in one
ASan/UBSan host program must give the golden's bytes. A Deeploy-like layer (NCHW
transposes around it, so its output is planned over its dying input) compiled with
``--kernels opt`` must take the kernel, be planned in place and match the golden; the
precondition rule must refuse a struct it would overrun."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.graphs import random_input
from tests.harness import run_c_graph_many
from tests.kernels import opt_cases as oc
from tests.kernels import opt_program as op_prog
from tests.kernels.test_opt_integer import _nchw_conv, _to_nchw, with_rq
from tests.kernels.test_td_conv2d import merge_graphs
from tinydeploy import compiler
from tinydeploy.compiler import lower
from tinydeploy.quant import preconditions as pc
from tinydeploy.quant.execute import run_graph
from tinydeploy.quant.opt import conv2d_rq_direct as direct
from tinydeploy.quant.opt._tflite_rq import x_max

# (h, w, k, stride, dilation, pads (top, left, bottom, right), in_c, out_c)
SHAPES = [(12, 9, (8, 8), (1, 1), (1, 1), (1, 1, 1, 1), 2, 4),
          (10, 10, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 5, 8),
          (9, 7, (3, 3), (2, 2), (1, 1), (1, 0, 1, 2), 3, 5),
          (1, 20, (1, 3), (1, 1), (1, 1), (0, 1, 0, 1), 4, 4),
          (6, 6, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), 1, 1),
          (7, 8, (2, 3), (1, 2), (1, 1), (0, 0, 1, 1), 1, 7),
          (8, 8, (3, 3), (1, 1), (2, 2), (2, 2, 2, 2), 2, 3),
          (5, 6, (5, 5), (1, 1), (1, 1), (2, 2, 2, 2), 3, 6),
          (4, 5, (2, 2), (2, 1), (1, 2), (0, 1, 1, 0), 4, 2),
          (11, 11, (4, 4), (3, 3), (1, 1), (0, 0, 0, 0), 5, 8),
          (3, 3, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 2, 12),
          (5, 3, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 3, 3),     # 15 pixels: groups of 4
          (1, 7, (1, 3), (1, 1), (1, 1), (0, 1, 0, 1), 6, 4),     # and a last one of 3
          (2, 3, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), 9, 2)]


def _case(rng, shape, out: str, i: int):
    h, w, k, s, d, pads, cin, cout = shape
    kw = dict(h=h, w=w, cin=cin, cout=cout, k=k, stride=s, dilation=d, pads=pads,
              cores=1 + i % 2)
    if out == "int32":
        c = oc.conv_rq_case(rng, raw=True, **kw)
        acc, rq = c.ref, None
    else:
        forms = [dict(), dict(pow2=False), dict(fp32=1), dict(rounding=1),
                 dict(fine=(18, 23))]
        c = oc.conv_rq_case(rng, out=out, **kw, **forms[i % len(forms)])
        acc, rq = c.ref.acc, c.ref.rq
    c.opt = direct.build(direct.Conv2dRqDirectOptArgs, acc, rq, c.inputs,
                         x_max(acc.input_offset), c.cores)
    return c


@pytest.mark.cc
def test_direct_conv_equals_the_golden_under_sanitizers(tmp_path):
    rng = np.random.default_rng(1313)
    cases = [_case(rng, shape, out, i) for i, shape in enumerate(SHAPES)
             for out in ("int8", "int16", "int32")]
    cases += [_case(rng, shape, "int8", i + 1) for i, shape in enumerate(SHAPES)]
    forms = {int(v) for c in cases for v in np.asarray(c.opt.chan)[2::12]}
    inline = {int(v) for c in cases for v in np.asarray(c.opt.chan)[1::12]}
    assert {0, 1, 3} <= forms and inline == {0, 1, 2}, (forms, inline)
    clamped = 0
    for c in cases:
        pc.check_args(c.opt, "L", "conv2d")           # every struct passes its rule
        if c.ref.__class__.__name__ != "Conv2dS32Args":
            rq = c.ref.rq
            lo, hi = int(rq.clip_lo) + int(rq.out_offset), int(rq.clip_hi) + int(rq.out_offset)
            clamped += lo in c.expect and hi in c.expect
    assert clamped >= 8, clamped
    rows = op_prog.run_host(cases, tmp_path)
    for i, (c, row) in enumerate(zip(cases, rows)):
        assert row["ref_ok"] and row["opt_ok"], (i, c.ref)


@pytest.mark.cc
def test_direct_conv_compiles_only_the_paths_its_layer_reaches(tmp_path):
    """td_opt_config.h's TD_CVD_PATHS (conv2d_s16.py c_config): a layer alone with its own
    header - blocks of 4 x 4 or of 8 and 4 channels, the inline int8 store or the general
    one, td_opt_rq_any only for a channel of form 0 - stays exact."""
    rng = np.random.default_rng(1314)
    picks = [(SHAPES[13], "int8", 0), (SHAPES[0], "int16", 0), (SHAPES[10], "int8", 1),
             (SHAPES[1], "int32", 1)]
    cases = [_case(rng, shape, out, i) for shape, out, i in picks]
    paths = [c.opt.c_config()["TD_CVD_PATHS"] for c in cases]
    assert paths == [(1, 4), (1, 5, 6), (2, 3, 5, 6), (2, 5, 6)], paths
    for i, c in enumerate(cases):
        row = op_prog.run_host([c], tmp_path / f"layer{i}", config=True)[0]
        assert row["ref_ok"] and row["opt_ok"], (i, paths[i], c.ref)


@pytest.mark.cc
def test_few_channel_layers_take_the_direct_kernel_in_place(monkeypatch):
    """Layers like deeploy_conv2d_rq's (8x8 kernel, 2 -> 4 channels) and NEMO EEGNet's
    pointwise one take the direct kernel; a small 1x3 one keeps the staged kernel (its
    per-pair overhead would cost more); outputs planned over the dying input match. (The
    layers stay NHWC: passes/nchw_edges.py, which would let the pointwise one read the
    NCHW input itself, is off here; its own tests in test_opt_cv_nchw.py.)"""
    monkeypatch.setattr(compiler, "nchw_edges", lambda g: g)
    rng = np.random.default_rng(77)
    shapes = {"dee": (20, 12, 8, 8, (1, 1), (1, 1), 2, 4),
              "pw": (1, 64, 1, 1, (1, 1), (0, 0), 100, 4),
              "k13": (1, 64, 1, 3, (1, 1), (0, 1), 4, 4)}
    want = {"dee": "Conv2dRqDirectOptArgs", "pw": "Conv2dRqDirectOptArgs",
            "k13": "Conv2dRqOptArgs"}
    graphs = []
    for i, (p, shape) in enumerate(shapes.items()):
        g = with_rq(_nchw_conv(rng, p, shape, False), rng, i % 2 == 0, neg=i == 1)
        graphs.append(_to_nchw(g, p))
    g = merge_graphs(graphs, "direct")
    low = lower(g, kernels="opt")
    for p, kind in want.items():
        name = next(o.name for o in low.graph.ops if o.name.startswith(p + "op"))
        a = low.kernel_args[name]
        assert type(a).__name__ == kind, (name, type(a).__name__)
        if kind == "Conv2dRqDirectOptArgs":
            op = next(o for o in low.graph.ops if o.name == name)
            x, y = low.graph.t(op.inputs[0]), low.graph.t(op.outputs[0])
            xo, yo = low.memory.offsets[x.name], low.memory.offsets[y.name]
            assert yo < xo + x.nbytes and xo < yo + y.nbytes, (name, xo, yo)
    recs = [[random_input(rng, g.t(n)) for n in g.inputs] for _ in range(2)]
    for rec, c in zip(recs, run_c_graph_many(g, recs, sanitize=True, kernels="opt")):
        gold = run_graph(g, rec)
        for n in g.outputs:
            assert np.array_equal(c[n].reshape(-1), gold[n].reshape(-1)), n


def test_the_rule_refuses_a_struct_the_kernel_would_overrun():
    rng = np.random.default_rng(3)
    c = _case(rng, SHAPES[1], "int8", 0)
    pc.check_args(c.opt, "L", "conv2d")
    for bad in (dict(scratch_bytes=2 * c.opt.k - 1), dict(n4=0, n8=0),
                dict(k=c.opt.k + 1), dict(pad_value=c.opt.pad_value + 1), dict(groups=2)):
        with pytest.raises(pc.KernelPreconditionError):
            pc.check_args(replace(c.opt, **bad), "L", "conv2d")
