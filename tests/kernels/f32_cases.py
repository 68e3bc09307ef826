"""Random one-op float32 graphs of every float kernel (``td_*_f32`` and the any-width
copies on float32), ``(rng, prefix) -> (graph, inputs)``: the kernel tests run them in C
under ASan/UBSan against the numpy golden (tests/kernels/test_td_f32.py)."""

from __future__ import annotations

import numpy as np

from tests.graphs import act, const, one_op
from tinydeploy.ir.graph import Tensor
from tinydeploy.ir.ops.float32 import UNARY_FNS

F = np.float32
ACTS = ("none", "relu", "relu6", "relu_n1_to_1")
# functions the C computes with libm (expf, erff, tanhf, powf, logf): within ulps of the
# golden's correctly rounded value, the rest bit for bit
LIBM_FNS = {"exp", "sigmoid", "tanh", "gelu", "swish", "erf", "log"}


def t(name, shape):
    return act(name, tuple(int(d) for d in shape), dtype="float32")


def vals(rng, shape, lo=-4.0, hi=4.0):
    return rng.uniform(lo, hi, size=tuple(int(d) for d in shape)).astype(F)


def _shape(rng, nd_max=4, d_max=6):
    return [int(rng.integers(1, d_max + 1)) for _ in range(int(rng.integers(1, nd_max + 1)))]


def unary(rng, p: str):
    fn = str(rng.choice(UNARY_FNS))
    shape = _shape(rng)
    alpha, beta = {"hard_sigmoid": (0.2, 0.5), "hard_swish": (1 / 6, 0.5),
                   "clip": (-1.5, 2.0), "leaky_relu": (0.1, 0.0),
                   "swish": (float(rng.uniform(0.5, 2)), 0.0)}.get(fn, (0.0, 0.0))
    lo, hi = (0.01, 9.0) if fn in ("sqrt", "log", "reciprocal") else (-6.0, 6.0)
    g = one_op("unary", [t(p + "x", shape)], t(p + "y", shape), name=p + "op", fn=fn,
               alpha=alpha, beta=beta)
    return g, [vals(rng, shape, lo, hi)]


def binary(rng, p: str):
    kind = str(rng.choice(["add", "sub", "mul", "div", "pow", "maximum", "minimum"]))
    out = _shape(rng)

    def side():
        s = [d if rng.random() < 0.7 else 1 for d in out]
        return s[int(rng.integers(0, len(s))):] or [1]

    sa, sb = side(), side()
    shape = list(np.broadcast_shapes(tuple(sa), tuple(sb)))
    xa = vals(rng, sa, 0.1, 3.0) if kind == "pow" else vals(rng, sa)
    xb = vals(rng, sb, 0.5, 3.0) * F(rng.choice([-1, 1])) if kind in ("div",) else \
        vals(rng, sb, -2.0, 2.0) if kind == "pow" else vals(rng, sb)
    ins = [t(p + "a", sa), t(p + "b", sb)]
    inputs = [xa, xb]
    if rng.random() < 0.3:                       # a constant operand
        ins[1] = const(p + "b", xb)
        inputs = [xa]
    act_ = "none" if kind == "pow" else str(rng.choice(ACTS))
    g = one_op(kind, ins, t(p + "y", shape), name=p + "op", act=act_)
    return g, inputs


def matmul(rng, p: str):
    m, n, k = (int(rng.integers(1, 7)) for _ in range(3))
    batch = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 3)))]
    ba = [d if rng.random() < 0.7 else 1 for d in batch]
    bb = [d if rng.random() < 0.7 else 1 for d in batch]
    ta, tb = bool(rng.random() < 0.4), bool(rng.random() < 0.5)
    out_batch = list(np.broadcast_shapes(tuple(ba), tuple(bb)))
    sa, sb = ba + ([k, m] if ta else [m, k]), bb + ([n, k] if tb else [k, n])
    a, xa = t(p + "a", sa), vals(rng, sa)
    xb = vals(rng, sb)
    ins, inputs = [a], [xa]
    if rng.random() < 0.3:
        ins.append(const(p + "b", xb))
    else:
        ins.append(t(p + "b", sb))
        inputs.append(xb)
    if rng.random() < 0.5:
        cshape = [[n], [m, 1], [1, n], out_batch[-1:] + [m, n]][int(rng.integers(0, 4))]
        ins.append(const(p + "c", vals(rng, cshape)))
    else:
        ins.append(None)
    g = one_op("matmul", ins, t(p + "y", out_batch + [m, n]), name=p + "op", k=k,
               trans_a=ta, trans_b=tb, alpha=float(rng.choice([1.0, 0.5, -2.0])),
               beta=float(rng.choice([1.0, 0.25])), act=str(rng.choice(ACTS)))
    return g, inputs


def fully_connected(rng, p: str):
    m, n, k = (int(rng.integers(1, 9)) for _ in range(3))
    ins = [t(p + "x", [m, k]), const(p + "w", vals(rng, [n, k])),
           const(p + "b", vals(rng, [n])) if rng.random() < 0.7 else None]
    g = one_op("fully_connected", ins, t(p + "y", [m, n]), name=p + "op",
               act=str(rng.choice(ACTS)))
    return g, [vals(rng, [m, k])]


def _geometry(rng, h, w, kh, kw, dil=(1, 1)):
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    pads = [int(rng.integers(0, kh)), int(rng.integers(0, kw)), int(rng.integers(0, kh)),
            int(rng.integers(0, kw))]
    oh = (h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) // sh + 1
    ow = (w + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) // sw + 1
    return (sh, sw), tuple(pads), oh, ow


def conv(rng, p: str):
    depthwise = rng.random() < 0.35
    n, h, w = int(rng.integers(1, 3)), int(rng.integers(3, 9)), int(rng.integers(3, 9))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    dil = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    stride, pads, oh, ow = _geometry(rng, h, w, kh, kw, dil)
    if oh < 1 or ow < 1:
        dil = (1, 1)
        stride, pads, oh, ow = _geometry(rng, h, w, kh, kw, dil)
    if depthwise:
        c = int(rng.integers(1, 6))
        cin, cout, wshape, extra = c, c, [kh, kw, c], {"depth_multiplier": 1}
        kind = "depthwise_conv2d"
    else:
        groups = int(rng.choice([1, 1, 2, 3]))
        cin, cout = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
        wshape, extra, kind = [cout, kh, kw, cin // groups], {"groups": groups}, "conv2d"
    ins = [t(p + "x", [n, h, w, cin]), const(p + "w", vals(rng, wshape)),
           const(p + "b", vals(rng, [cout])) if rng.random() < 0.7 else None]
    g = one_op(kind, ins, t(p + "y", [n, oh, ow, cout]), name=p + "op", stride=stride,
               dilation=dil, pads=pads, act=str(rng.choice(ACTS)), **extra)
    return g, [vals(rng, [n, h, w, cin])]


def pool(rng, p: str):
    kind = str(rng.choice(["max_pool2d", "avg_pool2d"]))
    n, h, w, c = int(rng.integers(1, 3)), int(rng.integers(2, 9)), int(rng.integers(2, 9)), \
        int(rng.integers(1, 5))
    kh, kw = int(rng.integers(1, min(4, h + 1))), int(rng.integers(1, min(4, w + 1)))  # fits
    stride, pads, oh, ow = _geometry(rng, h, w, kh, kw)
    g = one_op(kind, [t(p + "x", [n, h, w, c])], t(p + "y", [n, oh, ow, c]), name=p + "op",
               kernel=(kh, kw), stride=stride, pads=pads, act=str(rng.choice(ACTS)),
               count_include_pad=bool(rng.random() < 0.5))
    return g, [vals(rng, [n, h, w, c])]


def reduce(rng, p: str):
    shape = _shape(rng, 5, 5)
    axes = sorted(set(int(a) for a in rng.choice(len(shape), int(rng.integers(1, len(shape)
                                                                             + 1)))))
    out = [1 if i in axes else d for i, d in enumerate(shape)]
    kind = str(rng.choice(["reduce", "reduce", "reduce_max", "mean"]))   # mean: TFLite MEAN
    g = one_op(kind, [t(p + "x", shape)], t(p + "y", out), name=p + "op", axes=tuple(axes),
               mode=str(rng.choice(["sum", "mean"])), keepdims=True)
    return g, [vals(rng, shape)]


def softmax(rng, p: str):
    shape = _shape(rng, 3, 20)
    kind = str(rng.choice(["softmax", "log_softmax"]))
    g = one_op(kind, [t(p + "x", shape)], t(p + "y", shape), name=p + "op", beta=1.0)
    return g, [vals(rng, shape, -8, 8)]


def softmax_grad(rng, p: str):
    shape = _shape(rng, 3, 20)
    g = one_op("softmax_grad", [t(p + "dy", shape), t(p + "y", shape)], t(p + "dx", shape),
               name=p + "op")
    return g, [vals(rng, shape, -1, 1), vals(rng, shape, 0, 1)]


def norm(rng, p: str):
    rows, groups, per, hw = (int(rng.integers(1, 4)) for _ in range(4))
    layer = rng.random() < 0.5
    c = groups * per
    shape = [rows, c, hw]
    if layer:            # over the last axes, a scale per element of the row
        inner, stride, length = c * hw, 1, c * hw
    else:                # group norm: a scale per channel
        inner, stride, length = per * hw, hw, c
    ins = [t(p + "x", shape), const(p + "s", vals(rng, [length])),
           const(p + "b", vals(rng, [length])) if rng.random() < 0.6 else None]
    g = one_op("norm", ins, t(p + "y", shape), name=p + "op",
               mode=str(rng.choice(["layer", "rms"])), inner=inner, scale_stride=stride,
               scale_len=length, epsilon=float(rng.choice([1e-5, 1e-6])))
    return g, [vals(rng, shape)]


def movement(rng, p: str):
    shape = _shape(rng, 4, 5)
    which = str(rng.choice(["transpose", "concat", "pad", "gather"]))
    if which == "gather":                # constant indices, repeats allowed, any order
        axis = int(rng.integers(0, len(shape)))
        idx = tuple(int(i) for i in rng.integers(0, shape[axis], size=int(rng.integers(1, 5))))
        out = list(shape)
        out[axis] = len(idx)
        g = one_op("gather", [t(p + "x", shape)], t(p + "y", out), name=p + "op", axis=axis,
                   indices=idx)
        return g, [vals(rng, shape)]
    if which == "transpose":
        perm = tuple(int(v) for v in rng.permutation(len(shape)))
        g = one_op("transpose", [t(p + "x", shape)], t(p + "y", [shape[q] for q in perm]),
                   name=p + "op", perm=perm)
        return g, [vals(rng, shape)]
    if which == "concat":
        axis = int(rng.integers(0, len(shape)))
        other = list(shape)
        other[axis] = int(rng.integers(1, 4))
        out = list(shape)
        out[axis] += other[axis]
        g = one_op("concat", [t(p + "a", shape), t(p + "b", other)], t(p + "y", out),
                   name=p + "op", axis=axis)
        return g, [vals(rng, shape), vals(rng, other)]
    pads = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in shape)
    out = [d + a + b for d, (a, b) in zip(shape, pads)]
    g = one_op("pad", [t(p + "x", shape)], t(p + "y", out), name=p + "op", pads=pads,
               value=float(rng.choice([0.0, -1.5, -np.inf])))
    return g, [vals(rng, shape)]


def training(rng, p: str):
    """The backward kernels of training graphs: softmax_ce_grad (int64 labels, some
    outside [0, n)), gelu_grad, norm_grad."""
    which = str(rng.choice(["softmax_ce_grad", "gelu_grad", "norm_grad"]))
    if which == "softmax_ce_grad":
        rows, n = int(rng.integers(1, 7)), int(rng.integers(1, 21))
        labels = rng.integers(0, n, size=rows).astype(np.int64)
        if rng.random() < 0.3:
            labels[int(rng.integers(0, rows))] = int(rng.choice([-100, n]))
        logits = vals(rng, [rows, n], -6, 6)
        lp = (logits - logits.max(axis=1, keepdims=True)).astype(F)
        lp = (lp - np.log(np.exp(lp).sum(axis=1, keepdims=True))).astype(F)
        g = one_op(which, [t(p + "lp", [rows, n]), Tensor(p + "lab", (rows,), "int64")],
                   t(p + "dx", [rows, n]), name=p + "op",
                   batch=int(rng.choice([rows, rows + 3])))
        return g, [lp, labels]
    if which == "gelu_grad":
        shape = _shape(rng)
        g = one_op(which, [t(p + "dy", shape), t(p + "x", shape)], t(p + "dx", shape),
                   name=p + "op")
        return g, [vals(rng, shape, -1, 1), vals(rng, shape, -6, 6)]
    rows, inner = int(rng.integers(1, 5)), int(rng.integers(1, 33))
    shape = [rows, inner]
    g = one_op(which, [t(p + "dy", shape), t(p + "x", shape),
                       const(p + "s", vals(rng, [inner]))], t(p + "dx", shape),
               name=p + "op", inner=inner, epsilon=float(rng.choice([1e-5, 1e-6])))
    return g, [vals(rng, shape, -1, 1), vals(rng, shape)]


CASES = {"unary": unary, "binary": binary, "matmul": matmul,
         "fully_connected": fully_connected, "conv": conv, "pool": pool, "reduce": reduce,
         "softmax": softmax, "softmax_grad": softmax_grad, "norm": norm,
         "movement": movement, "training": training}
