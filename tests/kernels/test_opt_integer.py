"""Optimized kernels of integer graphs (kernels/opt/td_opt_mm.h products, tables, the
32-bit iLayerNorm, the tabulated iSoftmax, the convolution and depthwise convolution with
fused requantization or raw int32 sums; args from quant/opt/matmul_rq.py, table_s8.py,
ilayernorm.py, isoftmax.py, conv2d_rq.py, depthwise_conv2d.py) vs the
numpy golden: random layers of every kind they take - with RequantShift parameters in
the forms they cover (power-of-two divisors, floor and toward zero, uniform and per
channel, int32 and int64 requantization) - compiled with ``--kernels opt`` into one
ASan/UBSan build must give the golden's bytes, and every case must actually run its
optimized kernel. Layers outside those forms keep the reference kernel.

The convolutions sit as in the NCHW graphs of Deeploy and NEMO: between two layout
transposes, so their input dies at the layer and the planner lets the output start over
it (the kernel's in-place margin); with int16 or int32 outputs the output grows faster
than the input it replaces. The test checks that those layers really were planned in
place (a graph-input-fed layer would hide a wrong margin). A depthwise layer right after
such a bridge reads the NCHW input itself (passes/nchw_edges.py; its own tests in
test_opt_dw_nchw.py); half of them get a requantize after the bridge and stay NHWC."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.graphs import act, const, random_input
from tests.harness import run_c_graph_many
from tests.kernels import attention_cases as ac
from tests.kernels import opt_cases as oc
from tests.kernels import opt_program as op_prog
from tests.kernels.test_td_conv2d import merge_graphs
from tests.pulp.test_kernels import add_case
from tinydeploy.compiler import lower
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant import preconditions as pc
from tinydeploy.quant.execute import run_graph


def with_rq(g: Graph, rng, uniform: bool, big: bool = False, name: str = "",
            out: str = "int8", div: int | None = None, neg: bool = False) -> Graph:
    """``g``'s int32 output requantized to ``out`` by a RequantShift (a power-of-two
    divisor unless ``div`` is given; negative multipliers with ``neg``)."""
    acc = g.t(g.outputs[0])
    c = acc.shape[-1]
    n = 1 if uniform else c
    mul = rng.integers(1, 2**20 if big else 60, size=n).repeat(c // n) * (-1 if neg else 1)
    add = rng.integers(-2**12, 2**12, size=n).repeat(c // n)
    y = ac.t(acc.name + "_q", acc.shape, out, int(rng.choice([0, -128])) if out == "int8"
             else 0)
    zp = y.quant.zp
    info = np.iinfo(out)
    lo = int(rng.integers(int(info.min), int(info.min) * 11 // 16)) - zp
    hi = min(lo + (int(info.max) - int(info.min)) * 25 // 32 + 1, int(info.max) - zp)
    op = Op("requant", name or acc.name + "_rq", (acc.name,), (y.name,),
            {"mul": mul, "add": add,
             "div": div or 2 ** int(rng.integers(6, 26 if big else 14)),
             "rounding": str(rng.choice(["floor", "trunc"])), "clip": (lo, hi)})
    return Graph(g.name, {**g.tensors, y.name: y}, [*g.ops, op], list(g.inputs), [y.name])


def fc(rng, p: str) -> Graph:
    b, k, n = int(rng.integers(1, 6)), int(rng.integers(1, 40)), int(rng.integers(1, 21))
    x = ac.t(p + "x", (b, k), "int8", int(rng.choice([0, -128, 5])))
    w = const(p + "w", rng.integers(-128, 128, size=(n, k)).astype(np.int8), 1.0)
    bias = const(p + "b", rng.integers(-9999, 9999, size=n).astype(np.int32), 1.0)
    return ac.one_op("fully_connected", [x, w, bias], ac.t(p + "y", (b, n), "int32"),
                     name=p + "op")


# (fp32 flags, mul2, divisor kind, negative multipliers) of the fully connected layers
# whose requantization has no multiply-shift form: per-column descriptors (mode 2)
FC_ANY = [(3, 1, "pow2", False), (1, 1, "odd", False), (0, 3, "pow2", False),
          (0, 1, "odd", True), (3, 2, "odd", False), (2, 1, "pow2", True), (3, 1, "odd", True),
          (0, 1, "small", False), (0, 5, "small", True)]


def fc_any(rng, p: str, fp32: int, mul2: int, div: str, neg: bool) -> Graph:
    """A fully connected layer requantized with float32 rounding flags, mul2 and a
    divisor outside the multiply-shift forms (fine multipliers: the float32 rounding can
    change values)."""
    small = div == "small"
    odd = int(rng.integers(3, 2**10) if small else rng.integers(2**20, 2**24)) | 1
    g = with_rq(fc(rng, p), rng, False, big=not small, neg=neg,
                div=odd if div != "pow2" else 2 ** int(rng.integers(24, 30)))
    rq = g.ops[-1]
    attrs = {**rq.attrs, "fp32": fp32, "mul2": mul2,
             "mul": np.asarray(rq.attrs["mul"]) * (1 if small else 37)}
    return Graph(g.name, g.tensors, [*g.ops[:-1], rq.with_(attrs=attrs)], list(g.inputs),
                 list(g.outputs))


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


# (h, w, k_h, k_w, stride (h, w), pads (top, left), in_c, out_c) of the convolutions, as
# in Deeploy's kernel tests: pointwise with many channels, 3x3 padded, 1-D strided
CONV_SHAPES = [(8, 8, 1, 1, (1, 1), (0, 0), 128, 128), (10, 10, 3, 3, (1, 1), (1, 1), 8, 4),
               (1, 32, 1, 8, (1, 4), (0, 1), 2, 4), (9, 7, 3, 3, (2, 2), (1, 1), 6, 13),
               (6, 12, 3, 3, (1, 1), (1, 1), 16, 10), (5, 5, 2, 3, (1, 2), (1, 0), 3, 5)]
DIRECT = {1, 2}     # CONV_SHAPES taken by td_conv2d_rq_direct_opt (test_opt_rq_direct.py)
FINE_SHAPES = [(6, 8, 3, 3, (1, 1), (1, 1), 8, 12), (9, 7, 3, 3, (2, 2), (1, 1), 6, 13),
               (5, 5, 2, 3, (1, 2), (1, 0), 3, 5)]      # row path, im2col, im2col
DW_SHAPES = [(10, 10, 3, 3, (1, 1), (1, 1), 40), (9, 8, 3, 3, (2, 2), (1, 1), 12),
             (1, 30, 1, 5, (1, 2), (0, 2), 6), (6, 6, 3, 3, (1, 1), (0, 0), 5)]


def _nchw_conv(rng, p: str, shape, depthwise: bool, rescaled: bool = False) -> Graph:
    """NCHW input -> transpose -> conv (raw int32 sums) on NHWC, as the ONNX frontend
    lowers an NCHW Conv: the conv's input dies at the conv. ``rescaled``: an int8
    requantize between the transpose and the conv (a depthwise right after the bridge
    would read the NCHW input itself: passes/nchw_edges.py)."""
    if depthwise:
        h, w, kh, kw, s, pad, cin = shape
        cout = cin
    else:
        h, w, kh, kw, s, pad, cin, cout = shape
    oh, ow = (h + 2 * pad[0] - kh) // s[0] + 1, (w + 2 * pad[1] - kw) // s[1] + 1
    zp = int(rng.choice([0, -128]))                 # int8, or uint8 stored with zp -128
    x = ac.t(p + "x", (1, cin, h, w), "int8", zp)
    xt = ac.t(p + "xt", (1, h, w, cin), "int8", zp)
    wshape = (kh, kw, cout) if depthwise else (cout, kh, kw, cin)
    wt = const(p + "w", rng.integers(-128, 128, size=wshape).astype(np.int8), 1.0)
    b = const(p + "b", rng.integers(-5000, 5000, size=cout).astype(np.int32), 1.0)
    y = ac.t(p + "y", (1, oh, ow, cout), "int32")
    use_b = rng.random() < 0.5
    tensors = {t.name: t for t in (x, xt, wt, b, y)}
    ops = [Op("transpose", p + "tin", (x.name,), (xt.name,), {"perm": (0, 2, 3, 1)})]
    if rescaled:
        xq = act(p + "xq", xt.shape, 1.5, zp)
        tensors[xq.name] = xq
        ops.append(Op("quantize", p + "rq_in", (xt.name,), (xq.name,), {}))
        xt = xq
    ops.append(Op("depthwise_conv2d" if depthwise else "conv2d", p + "op",
                  (xt.name, wt.name, b.name if use_b else ""), (y.name,),
                  {"stride": s, "pads": (pad[0], pad[1], pad[0], pad[1])}))
    return Graph(p, tensors, ops, [x.name], [y.name])


def _to_nchw(g: Graph, p: str) -> Graph:
    """``g`` with its NHWC output transposed back to NCHW (the output stays in the arena
    up to the transpose, as the conv's output in an NCHW graph)."""
    y = g.t(g.outputs[0])
    yt = ac.t(p + "out", (y.shape[0], y.shape[3], y.shape[1], y.shape[2]), y.dtype,
              y.quant.zp if y.quant is not None else 0)
    op = Op("transpose", p + "tout", (y.name,), (yt.name,), {"perm": (0, 3, 1, 2)})
    return Graph(g.name, {**g.tensors, yt.name: yt}, [*g.ops, op], list(g.inputs), [yt.name])


def conv_cases(rng) -> list[tuple[Graph, str]]:
    """The convolutions with each output: raw int32, int16 and int8 requantization
    (uniform and per channel, power-of-two and other divisors)."""
    out = []
    for depthwise, shapes, want in ((False, CONV_SHAPES, "Conv2dRqOptArgs"),
                                    (True, DW_SHAPES, "DepthwiseConv2dRqOptArgs")):
        for i, shape in enumerate(shapes):
            for j, kind in enumerate(("int32", "int16", "int8")):
                p = f"{'dw' if depthwise else 'cv'}{i}{kind}_"
                # (half the depthwise layers NHWC, in place; the others NCHW)
                g = _nchw_conv(rng, p, shape, depthwise, rescaled=depthwise and i % 2 == 0)
                if kind != "int32":
                    odd = (i + j) % 3 == 0
                    g = with_rq(g, rng, (i + j) % 2 == 0, out=kind,
                                div=int(rng.integers(3, 2**12)) | 1 if odd else None,
                                neg=i % 2 == 1)
                direct = not depthwise and i in DIRECT
                out.append((_to_nchw(g, p), "Conv2dRqDirectOptArgs" if direct else want))
    for i, shape in enumerate(FINE_SHAPES):        # fine multipliers (NEMO): TD_CV_RQ64
        p = f"cvfine{i}_"
        g = with_rq(_nchw_conv(rng, p, shape, False), rng, i % 2 == 0, big=True,
                    div=2 ** int(rng.integers(32, 35)))
        rq = g.ops[-1]
        g = Graph(g.name, g.tensors, [*g.ops[:-1], rq.with_(attrs={**rq.attrs,
                                                                   "rounding": "floor"})],
                  list(g.inputs), list(g.outputs))
        out.append((_to_nchw(g, p), "Conv2dRqOptArgs"))
    return out


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
    out += conv_cases(rng)
    more = np.random.default_rng(10)    # (a generator of their own: the draws above stay)
    for i, form in enumerate(FC_ANY):
        out.append((fc_any(more, f"fcany{i}_", *form), "FullyConnectedRqOptArgs"))
    return out


@pytest.mark.cc
def test_optimized_integer_kernels_equal_the_golden_under_sanitizers():
    rng = np.random.default_rng(2024)
    pairs = cases(rng)
    g = merge_graphs([p[0] for p in pairs], "opt_integer")
    low = lower(g, kernels="opt")
    chosen = {op.name: type(low.kernel_args[op.name]).__name__ for op in low.graph.ops}
    for sub, want in pairs:
        first = next(op for op in sub.ops if op.kind not in ("transpose", "quantize"))
        name = next(n for n in chosen if n.startswith(first.name))
        assert chosen[name] == want, (name, chosen[name])
    _assert_convs_in_place(low)
    forms = {int(v) for op in low.graph.ops if op.name.startswith("fcany")
             for v in np.asarray(low.kernel_args[op.name].chan).reshape(-1, 12)[:, 2]}
    assert forms == {0, 1, 2, 4, 5}, forms     # every descriptor form of td_opt_rq_any runs
    recs = [[random_input(rng, g.t(n)) for n in g.inputs] for _ in range(3)]
    for rec, c in zip(recs, run_c_graph_many(g, recs, sanitize=True, kernels="opt")):
        gold = run_graph(g, rec)
        for n in g.outputs:
            assert np.array_equal(c[n].reshape(-1), gold[n].reshape(-1)), n


def _assert_convs_in_place(low) -> None:
    """Every convolution with a wider output than its input was planned over its dying
    input (so a margin counted in elements instead of bytes would corrupt it)."""
    g, mem = low.graph, low.memory
    wide = [op for op in g.ops if op.kind in ("conv2d", "depthwise_conv2d")
            and g.t(op.outputs[0]).itemsize > 1      # (the direct kernel: its own test)
            and type(low.kernel_args[op.name]).__name__ != "Conv2dRqDirectOptArgs"
            and getattr(g.producer(op.inputs[0]), "kind", "") == "transpose"]
    assert len(wide) >= 8
    # (the depthwise layers right after a bridge read the NCHW input: no arena tensors;
    # the rescaled ones stay NHWC, in place: test_nhwc_depthwise_with_wider_outputs...)
    assert sum(bool(op.attrs.get("nchw")) for op in g.ops) >= 4
    for op in wide:
        x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
        xo, yo = mem.offsets[x.name], mem.offsets[y.name]
        assert yo < xo + x.nbytes and xo < yo + y.nbytes, (op.name, xo, yo)


# fused convolutions for the TD_CV_RQ32 epilogues (td_opt_cv_epi.h): im2col (one input
# channel 5x5 stride 2, pointwise, 3x3 with 3 channels) and row path (3 wide, >= 4 channels)
RQ32_SHAPES = [dict(h=11, w=11, cin=1, cout=16, k=(5, 5), stride=(2, 2), pads=(2, 2, 2, 2)),
               dict(h=5, w=6, cin=24, cout=13, k=(1, 1), pads=(0, 0, 0, 0)),
               dict(h=7, w=7, cin=3, cout=9, k=(3, 3), pads=(1, 1, 1, 1)),
               dict(h=6, w=8, cin=8, cout=9, k=(3, 3), pads=(1, 1, 1, 1)),
               dict(h=5, w=16, cin=4, cout=6, k=(3, 3), pads=(1, 1, 1, 1))]


@pytest.mark.cc
@pytest.mark.cc
@pytest.mark.parametrize("kind", ["int32", "int16"])
def test_nhwc_depthwise_with_wider_outputs_slides_over_its_input(kind):
    """An NHWC depthwise (its input requantized after the bridge, so it stays NHWC) whose
    output is wider than its dying input is planned over it, and stays exact."""
    rng = np.random.default_rng(11)
    g = _nchw_conv(rng, "d_", DW_SHAPES[0], True, rescaled=True)
    if kind != "int32":
        g = with_rq(g, rng, False, out=kind)
    g = _to_nchw(g, "d_")
    low = lower(g, kernels="opt")
    op = next(o for o in low.graph.ops if o.kind == "depthwise_conv2d")
    assert type(low.kernel_args[op.name]).__name__ == "DepthwiseConv2dRqOptArgs"
    assert not op.attrs.get("nchw")
    x, y = low.graph.t(op.inputs[0]), low.graph.t(op.outputs[0])
    xo, yo = low.memory.offsets[x.name], low.memory.offsets[y.name]
    assert yo < xo + x.nbytes and xo < yo + y.nbytes, (xo, yo)
    recs = [[random_input(rng, g.t(n)) for n in g.inputs] for _ in range(2)]
    for rec, c in zip(recs, run_c_graph_many(g, recs, sanitize=True, kernels="opt")):
        assert np.array_equal(c[g.outputs[0]], run_graph(g, rec)[g.outputs[0]])


def test_integer_conv_fast_epilogues_equal_the_golden_under_sanitizers(tmp_path):
    """Blocks whose channels are all TD_RQ_S32 with exact thresholds take TD_CV_RQ32
    (int8) / TD_CV_RQ32H (int16) on both paths, TD_CV_RQ64 where some are TD_RQ_S64 (int8,
    NEMO-like fine multipliers), next to TD_CV_RQ blocks in the same layer
    (a decreasing channel with a -128 weight cannot be mirrored), with outputs clamped on
    both sides; optimized == reference == golden on the host under ASan/UBSan."""
    rng = np.random.default_rng(13)
    cases = [oc.conv_rq_case(rng, out=out, cores=1 + i % 2, **shape)
             for i in range(3) for shape in RQ32_SHAPES for out in ("int8", "int16")]
    cases += [oc.conv_rq_case(rng, cores=1 + i % 2, fine=(18, 23), **shape)    # TD_CV_RQ64
              for i in range(2) for shape in RQ32_SHAPES]
    seen, mixed, clamped = set(), 0, 0
    for c in cases:
        a, rq = c.opt_args(), c.ref.rq
        modes = set(np.asarray(a.blk)[2::6].tolist())
        seen |= {(a.path, m) for m in modes}
        mixed += len(modes & {3}) > 0 and len(modes & {6, 7, 8}) > 0
        lo, hi = int(rq.clip_lo) + int(rq.out_offset), int(rq.clip_hi) + int(rq.out_offset)
        clamped += bool(modes & {6, 7, 8}) and lo in c.expect and hi in c.expect
    assert {(0, 6), (0, 7), (0, 8), (1, 6), (1, 7), (1, 8)} <= seen, seen
    assert mixed >= 2 and clamped >= 5, (mixed, clamped)
    rows = op_prog.run_host(cases, tmp_path)
    for i, (c, row) in enumerate(zip(cases, rows)):
        assert row["ref_ok"] and row["opt_ok"], (i, c.ref)


def test_layers_outside_the_fast_forms_keep_the_reference_kernel():
    rng = np.random.default_rng(5)
    g = with_rq(matmul(rng, "m_"), rng, True)
    rq = g.ops[1]
    odd = Graph(g.name, g.tensors, [g.ops[0], rq.with_(attrs={**rq.attrs, "div": 3})],
                list(g.inputs), list(g.outputs))
    for graph, fast in ((g, True), (odd, False)):
        low = lower(graph, kernels="opt")
        assert ("Opt" in type(low.kernel_args[low.graph.ops[0].name]).__name__) == fast


def test_fully_connected_descriptor_form_rule_refuses_broken_words():
    """Mode 2's precondition rule: C the same in kc and the descriptor, s + C within int32,
    known descriptor forms with their table entries, no raw sums into int8."""
    g = fc_any(np.random.default_rng(3), "f_", 3, 1, "odd", False)
    low = lower(g, kernels="opt")
    a = low.kernel_args[low.graph.ops[0].name]
    assert type(a).__name__ == "FullyConnectedRqOptArgs" and a.mode == 2
    pc.check_args(a, "L", "fully_connected")
    chan = np.asarray(a.chan, np.int64).reshape(-1, 12)
    kc = np.asarray(a.kc, np.int64).reshape(-1, 2)

    def with_chan(**words) -> dict:
        c = chan.copy()
        for w, v in words.items():
            c[0, int(w[1:])] = v
        return {"chan": c.reshape(-1)}

    big = kc.copy()
    big[0, 0] = 2**31 - 1
    cases = [(with_chan(w0=int(chan[0, 0]) + 1), "C in kc and in its descriptor differ"),
             ({**with_chan(w0=2**31 - 1), "kc": big.reshape(-1)}, "s + C can leave int32"),
             (with_chan(w2=9), "unknown requantization mode 9"),
             (with_chan(w2=3), "raw int32 sums need int32 outputs"),
             (with_chan(w2=2, w9=99), "table entry 99"),
             ({"gdiv": np.zeros(len(a.gdiv), np.int64)}, "divisors must be positive")]
    for changes, want in cases:
        with pytest.raises(TinyDeployError) as e:
            pc.check_args(replace(a, **changes), "L", "fully_connected")
        assert want in str(e.value), (want, str(e.value))
