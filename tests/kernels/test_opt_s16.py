"""Optimized int16 kernels of integer graphs (kernels/opt/td_conv2d_s16_rq_opt.h,
td_add_tables_s8_s16_opt.h; args from quant/opt/conv2d_s16.py, add_s16.py) vs the numpy
golden: random convolutions with an int16 input - kernel sizes, strides, padding,
dilation, channel counts not a multiple of 4, int8/int16 requantized or raw int32
outputs, requantizations in every descriptor form (int32 and int64 multiply-shift, odd
divisors, float32 rounding, negative multipliers, clamps on both sides) - and adds of two
int8 tensors requantized to int16 (the plain sum, and shifted and clamped), compiled with
``--kernels opt`` into one ASan/UBSan build, must give the golden's bytes, and every case
must run its optimized kernel. Some convolutions read an int16 tensor that an add wrote
and that dies at the convolution, as in NEMO's residual blocks: the test checks that
those were planned in place (the kernel's margin is then what keeps them exact)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.graphs import const, random_input
from tests.harness import run_c_graph_many
from tests.kernels import attention_cases as ac
from tests.kernels import opt_program as op
from tests.kernels.test_opt_integer import _to_nchw
from tests.kernels.test_td_conv2d import merge_graphs
from tinydeploy.compiler import lower
from tinydeploy.quant import preconditions as pc
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.execute import run_graph

# (h, w, k_h, k_w, stride (h, w), pads (top, left), dilation, in_c, out_c)
SHAPES = [(25, 25, 3, 3, (1, 1), (1, 1), 1, 16, 16), (9, 7, 3, 3, (2, 2), (1, 1), 1, 6, 13),
          (8, 8, 1, 1, (1, 1), (0, 0), 1, 24, 10), (1, 32, 1, 8, (1, 4), (0, 1), 1, 2, 4),
          (5, 5, 2, 3, (1, 2), (1, 0), 1, 3, 5), (10, 9, 3, 3, (1, 1), (2, 2), 2, 7, 6),
          (7, 6, 3, 2, (1, 1), (0, 1), 1, 5, 1), (6, 6, 5, 5, (1, 1), (2, 2), 1, 4, 7)]


def _requant(g: Graph, rng, out: str, form: int, scale: float) -> Graph:
    """``g``'s int32 output requantized to ``out``: form 0 uniform power of two, 1 per
    channel power of two, 2 odd divisors, 3 float32 rounding (with mul2), 4 negative
    multipliers; the divisor maps about ``scale`` accumulator units to one output step;
    clamps inside the output type on both sides."""
    acc = g.t(g.outputs[0])
    c = acc.shape[-1]
    n = 1 if form == 0 else c
    mul = rng.integers(1, 60, size=n).repeat(c // n) * (-1 if form == 4 else 1)
    add = rng.integers(-2**12, 2**12, size=n).repeat(c // n)
    mul2 = int(rng.integers(2, 12)) if form == 3 else 1
    step = max(1.0, scale * 60 * mul2)
    div = 2 ** int(np.log2(step)) if form != 2 else int(step) | 1
    y = ac.t(acc.name + "_q", acc.shape, out, int(rng.choice([0, -128])) if out == "int8"
             else int(rng.choice([0, 77])))
    zp, info = y.quant.zp, np.iinfo(out)
    lo = int(rng.integers(int(info.min), int(info.min) * 13 // 16)) - zp
    hi = int(info.max) * 13 // 16 - zp
    op = Op("requant", acc.name + "_rq", (acc.name,), (y.name,),
            {"mul": mul, "add": add, "div": div, "mul2": mul2, "fp32": form == 3,
             "rounding": str(rng.choice(["floor", "trunc"])), "clip": (lo, hi)})
    return Graph(g.name, {**g.tensors, y.name: y}, [*g.ops, op], list(g.inputs), [y.name])


def _conv(rng, p: str, shape, x=None, n: int = 1) -> Graph:
    """conv2d with raw int32 sums on an NHWC int16 input (a new graph input of ``n``
    batches, or ``x``)."""
    h, w, kh, kw, s, pad, d, cin, cout = shape
    oh = (h + 2 * pad[0] - d * (kh - 1) - 1) // s[0] + 1
    ow = (w + 2 * pad[1] - d * (kw - 1) - 1) // s[1] + 1
    x = x or ac.t(p + "x", (n, h, w, cin), "int16", int(rng.choice([0, -300, 1000])))
    wt = const(p + "w", rng.integers(-128, 128, size=(cout, kh, kw, cin)).astype(np.int8),
               1.0)
    b = const(p + "b", rng.integers(-50000, 50000, size=cout).astype(np.int32), 1.0)
    return ac.one_op("conv2d", [x, wt, b if rng.random() < 0.7 else None],
                     ac.t(p + "y", (x.shape[0], oh, ow, cout), "int32"), name=p + "op", stride=s,
                     pads=(pad[0], pad[1], pad[0], pad[1]), dilation=(d, d))


def _add(rng, p: str, shape, mults=(1, 1)) -> Graph:
    a, b = ac.t(p + "a", shape, "int8", -128), ac.t(p + "b", shape, "int8", -128)
    return ac.one_op("add", [a, b], ac.t(p + "y", shape, "int32"), name=p + "op",
                     mults=mults)


def _identity_rq(g: Graph, p: str) -> Graph:
    """The int32 sum stored as int16 (NEMO's residual add: mul 1, div 1, no clamp)."""
    acc = g.t(g.outputs[0])
    y = ac.t(p + "s16", acc.shape, "int16", 0)
    op = Op("requant", p + "rq", (acc.name,), (y.name,),
            {"mul": np.ones(1, np.int64), "add": np.zeros(1, np.int64), "div": 1,
             "rounding": "floor", "clip": (-32768, 32767)})
    return Graph(g.name, {**g.tensors, y.name: y}, [*g.ops, op], list(g.inputs), [y.name])


def cases(rng) -> list[tuple[Graph, str]]:
    out = []
    for i, shape in enumerate(SHAPES):
        for j, kind in enumerate(("int8", "int16", "int32")):
            p = f"c{i}{kind}_"
            g = _conv(rng, p, shape)
            if kind != "int32":
                k = shape[2] * shape[3] * shape[7]
                g = _requant(g, rng, kind, (i + j) % 5,
                             np.sqrt(k) * 74 * 18918 / (64 if kind == "int8" else 16384))
            out.append((g, "Conv2dS16RqOptArgs"))
    for i, shape in enumerate(SHAPES[:4]):        # residual add -> int16 -> conv, in place
        p = f"r{i}_"
        add = _identity_rq(_add(rng, p + "add", (1, shape[0], shape[1], shape[7])), p)
        cv = _conv(rng, p, shape, x=add.t(add.outputs[0]))
        g = Graph(p, {**add.tensors, **cv.tensors}, [*add.ops, *cv.ops], list(add.inputs),
                  list(cv.outputs))
        k = shape[2] * shape[3] * shape[7]
        g = _requant(g, rng, "int8", i, np.sqrt(k) * 74 * 150 / 64)
        out.append((_to_nchw(g, p), "Conv2dS16RqOptArgs"))   # (the output in the arena)
    for i in range(4):                              # shifted, clamped, scaled adds
        g = _add(rng, f"a{i}_", (1, 3, 5, 1 + i), (int(rng.integers(-40, 40)),
                                                     int(rng.integers(-40, 40))))
        out.append((_requant(g, rng, "int16", 0, 2 + 30 * i), "AddTablesS16OptArgs"))
    return out


@pytest.mark.cc
def test_optimized_int16_kernels_equal_the_golden_under_sanitizers():
    rng = np.random.default_rng(1613)
    pairs = cases(rng)
    g = merge_graphs([p[0] for p in pairs], "opt_s16")
    low = lower(g, kernels="opt")
    chosen = {op.name: type(low.kernel_args[op.name]).__name__ for op in low.graph.ops}
    for sub, want in pairs:
        last = [o for o in sub.ops if o.kind not in ("requant", "transpose")][-1]
        name = next(n for n in chosen if n.startswith(last.name))
        assert chosen[name] == want, (name, chosen[name])
    linear = [a for a in low.kernel_args.values()
              if type(a).__name__ == "AddTablesS16OptArgs"]
    assert {int(a.linear) for a in linear} == {0, 1}
    forms = {int(d) for a in low.kernel_args.values()
             if type(a).__name__ == "Conv2dS16RqOptArgs" for d in np.asarray(a.chan)[2::12]}
    assert {0, 1, 3, 5} <= forms, forms               # S32, S64, raw, reciprocal division
    inline = {int(v) for a in low.kernel_args.values()
              if type(a).__name__ == "Conv2dS16RqOptArgs" for v in np.asarray(a.chan)[1::12]}
    assert inline == {0, 1, 2}, inline                # td_opt_rq_any, inline S32 and S64
    _assert_in_place(low, [p[0] for p in pairs if p[0].name.startswith("r")])
    recs = [[random_input(rng, g.t(n)) for n in g.inputs] for _ in range(3)]
    for rec, c in zip(recs, run_c_graph_many(g, recs, sanitize=True, kernels="opt")):
        gold = run_graph(g, rec)
        for n in g.outputs:
            assert np.array_equal(c[n].reshape(-1), gold[n].reshape(-1)), n


def _assert_in_place(low, graphs: list[Graph]) -> None:
    gm, mem = low.graph, low.memory
    hits = 0
    for sub in graphs:
        op = next(o for o in gm.ops if o.kind == "conv2d" and o.name.startswith(sub.name))
        x, y = gm.t(op.inputs[0]), gm.t(op.outputs[0])
        xo, yo = mem.offsets[x.name], mem.offsets[y.name]
        hits += yo < xo + x.nbytes and xo < yo + y.nbytes
    assert hits >= 1, hits


def test_int16_kernels_split_over_cores_equal_the_reference(tmp_path):
    """Each core takes its share of the pixel pairs with its own staging scratch (one heap
    block of cores * scratch_size bytes under ASan), or of the add's elements: 1 to 3
    cores, batches, odd pixel counts, vs the reference kernel and the golden
    (tests/kernels/opt_program.py)."""
    rng = np.random.default_rng(77)
    cases = []
    for i, shape in enumerate(SHAPES[1:]):
        g = _conv(rng, f"m{i}_", shape, n=1 + i % 2)
        if i % 3:
            k = shape[2] * shape[3] * shape[7]
            g = _requant(g, rng, ("int8", "int16")[i % 2], i % 5,
                         np.sqrt(k) * 74 * 18918 / (64 if i % 2 == 0 else 16384))
        x = random_input(rng, g.t(g.inputs[0]))
        ref = lower(g, kernels="ref").kernel_args
        conv = g.ops[0]
        name = next(n for n in ref if n.startswith(conv.name))
        ins = [x, *(np.asarray(g.t(n).data) if n else None for n in conv.inputs[1:])]
        cases.append(op.Case(ref[name], ins, run_graph(g, [x])[g.outputs[0]],
                             cores=1 + i % 3))
    assert all(type(c.opt_args()).__name__ == "Conv2dS16RqOptArgs" for c in cases)
    for i in range(4):                  # the add: its share of the elements per core
        g = _add(rng, f"n{i}_", (1, 5, 7, 3))
        g = _identity_rq(g, f"n{i}_") if i % 2 else _requant(g, rng, "int16", 0, 3)
        recs = [random_input(rng, g.t(n)) for n in g.inputs]
        ref = lower(g, kernels="ref").kernel_args
        name = next(n for n in ref if n.startswith(g.ops[0].name))
        cases.append(op.Case(ref[name], recs, run_graph(g, recs)[g.outputs[0]], acts=(0, 1),
                             cores=2 + i % 2))
        assert int(cases[-1].opt_args().linear) == i % 2
    for i, (case, row) in enumerate(zip(cases, op.run_host(cases, tmp_path))):
        assert row["ref_ok"] and row["opt_ok"], (i, case.cores, row)


def test_grouped_int16_convolutions_keep_the_reference_kernel():
    rng = np.random.default_rng(3)
    g = _conv(rng, "g_", (6, 6, 3, 3, (1, 1), (1, 1), 1, 4, 4))
    conv = g.ops[0]
    w = const("g_w2", rng.integers(-128, 128, size=(4, 3, 3, 2)).astype(np.int8), 1.0)
    grouped = Graph(g.name, {**g.tensors, w.name: w},
                    [conv.with_(inputs=(conv.inputs[0], w.name, conv.inputs[2]),
                                attrs={**conv.attrs, "groups": 2})], g.inputs, g.outputs)
    for graph, fast in ((g, True), (grouped, False)):
        low = lower(graph, kernels="opt")
        name = type(low.kernel_args[low.graph.ops[0].name]).__name__
        assert (name == "Conv2dS16RqOptArgs") == fast, name


def test_the_int16_rules_refuse_broken_args():
    rng = np.random.default_rng(8)
    conv = _requant(_conv(rng, "p_", SHAPES[1]), rng, "int8", 0, 5e5)
    add = _identity_rq(_add(rng, "q_", (1, 2, 3, 4)), "q_")
    for g, changes in ((conv, [({"pad_value": 5}, "padding taps hold -input_offset"),
                               ({"scratch_bytes": 8}, "[24] staged windows"),
                               ({"groups": 13, "in_c": 13}, "one group"),
                               ({"wts": np.zeros(3, np.int64)}, "the kernel reads"),
                               ({"esize": 3}, "outputs are 1, 2 or 4 bytes")]),
                       (add, [({"c": 40000}, "beyond the clamp"),
                              ({"linear": 0}, "the kernel reads 256"),
                              ({"out_offset": 32767}, "outputs must fit int16")])):
        low = lower(g, kernels="opt")
        op = next(o for o in low.graph.ops if o.kind in ("conv2d", "add"))
        args = low.kernel_args[op.name]
        assert type(args).__name__ in ("Conv2dS16RqOptArgs", "AddTablesS16OptArgs")
        pc.check_args(args, "L", "kind")
        for change, expect in changes:
            with pytest.raises(pc.KernelPreconditionError, match=expect):
                pc.check_args(replace(args, **change), "L", "kind")
