"""Handlers of the float32 ONNX importer: elementwise functions and arithmetic, MatMul
and Gemm, data movement, reductions and Softmax (convolutions, pools and norms:
:mod:`.onnx_float_layers`). Each maps one ONNX node onto the IR kinds of
:mod:`tinydeploy.ir.ops` (float32 variants) and records its outputs."""

from __future__ import annotations

import numpy as np
import onnx

from tinydeploy.frontend.onnx_float_build import FloatBuilder
from tinydeploy.frontend.onnx_float_layers import HANDLERS as LAYER_HANDLERS
from tinydeploy.frontend.onnx_float_train import HANDLERS as TRAIN_HANDLERS
from tinydeploy.frontend.onnx_facts import attrs, opt

# ONNX op -> (unary fn, default alpha, default beta, attribute names of alpha/beta)
UNARY = {"Relu": ("relu", 0.0, 0.0), "Exp": ("exp", 0.0, 0.0), "Sqrt": ("sqrt", 0.0, 0.0),
         "Sigmoid": ("sigmoid", 0.0, 0.0), "Tanh": ("tanh", 0.0, 0.0),
         "Gelu": ("gelu", 0.0, 0.0), "Erf": ("erf", 0.0, 0.0),
         "HardSigmoid": ("hard_sigmoid", 0.2, 0.5), "HardSwish": ("hard_swish", 1 / 6, 0.5),
         "Swish": ("swish", 1.0, 0.0), "Floor": ("floor", 0.0, 0.0),
         "Ceil": ("ceil", 0.0, 0.0), "Neg": ("neg", 0.0, 0.0), "Abs": ("abs", 0.0, 0.0),
         "LeakyRelu": ("leaky_relu", 0.01, 0.0), "Reciprocal": ("reciprocal", 0.0, 0.0),
         "Log": ("log", 0.0, 0.0), "Round": ("round", 0.0, 0.0)}
BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Pow": "pow",
          "Max": "maximum", "Min": "minimum"}


def _unary(b: FloatBuilder, node, fn: str, alpha: float, beta: float) -> None:
    x = node.input[0]
    v = None if b.is_const(x) else b.val(x)
    if v is not None and v.onnx is None:         # stays in NHWC
        src = v.nhwc
        y = b.tensor(node.output[0], b.shape_of(src))
        b.op("unary", [src], [y], fn=fn, alpha=float(alpha), beta=float(beta))
        b.set_nhwc(node.output[0], y, v.shape)
        return
    src = b.onnx_in(x)
    y = b.tensor(node.output[0], b.shape_of(src))
    b.op("unary", [src], [y], fn=fn, alpha=float(alpha), beta=float(beta))
    b.set_onnx(node.output[0], y)


def unary(b: FloatBuilder, node) -> None:
    fn, alpha, beta = UNARY[node.op_type]
    a = attrs(node)
    if node.op_type == "Gelu":
        b.require(a.get("approximate", "none") == "none",
                  f"Gelu approximate='{a.get('approximate')}' (the erf form only)")
    _unary(b, node, fn, a.get("alpha", alpha), a.get("beta", beta))


def clip(b: FloatBuilder, node) -> None:
    a = attrs(node)
    lo, hi = a.get("min", -np.inf), a.get("max", np.inf)
    for i, what in ((1, "min"), (2, "max")):
        if opt(node, i):
            v = np.asarray(b.const_of(node.input[i], f"Clip {what}")).reshape(-1)
            b.require(v.size == 1, f"Clip {what} of {v.size} values")
            lo, hi = (float(v[0]), hi) if i == 1 else (lo, float(v[0]))
    # an absent bound is +-FLT_MAX (the same for every finite value)
    top = float(np.finfo(np.float32).max)
    _unary(b, node, "clip", max(np.float32(lo), -top), min(np.float32(hi), top))


def identity(b: FloatBuilder, node) -> None:
    x = node.input[0]
    if b.is_const(x):
        b.consts[node.output[0]] = b.consts[x]
        return
    b.vals[node.output[0]] = b.val(x)


def binary(b: FloatBuilder, node) -> None:
    b.require(len(node.input) == 2, f"{node.op_type} of {len(node.input)} inputs")
    ia, ib = node.input[0], node.input[1]
    try:
        shape = tuple(np.broadcast_shapes(b.shape(ia), b.shape(ib)))
    except ValueError:
        raise b.error(f"shapes {list(b.shape(ia))} and {list(b.shape(ib))} do not "
                      "broadcast") from None
    for i in (ia, ib):
        if b.is_const(i):
            b.require(np.asarray(b.consts[i]).dtype.kind in "fiub",
                      f"constant '{i}' is not numeric")
    if _in_nhwc(b, (ia, ib), shape):        # e.g. a residual add between convolutions
        ins = [b.onnx_in(i) if b.is_const(i) else b.val(i).nhwc for i in (ia, ib)]
        y = b.tensor(node.output[0], b.shape_of(next(i for i in ins
                                                     if len(b.shape_of(i)) == 4)))
        b.op(BINARY[node.op_type], ins, [y])
        b.set_nhwc(node.output[0], y, shape)
        return
    ins = [b.onnx_in(i) for i in (ia, ib)]
    y = b.tensor(node.output[0], shape)
    b.op(BINARY[node.op_type], ins, [y])
    b.set_onnx(node.output[0], y)


def _in_nhwc(b: FloatBuilder, names, shape) -> bool:
    """Both operands can be read in NHWC: activations of the output's shape held in NHWC
    (at least one only so) or constant scalars."""
    vals = [None if b.is_const(i) else b.val(i) for i in names]
    if not any(v is not None and v.onnx is None for v in vals):
        return False
    for i, v in zip(names, vals):
        if v is None:
            if np.asarray(b.consts[i]).size != 1:
                return False
        elif v.nhwc is None or tuple(v.shape) != tuple(shape) or \
                len(b.shape_of(v.nhwc)) != 4:
            return False
    return True


def matmul(b: FloatBuilder, node) -> None:
    sa, sb = b.shape(node.input[0]), b.shape(node.input[1])
    b.require(len(sa) >= 1 and len(sb) >= 1, "MatMul of scalars")
    a, w = b.onnx_in(node.input[0]), b.onnx_in(node.input[1])
    if len(sa) == 1:
        a = _reshaped(b, a, (1, sa[0]))
    if len(sb) == 1:
        w = _reshaped(b, w, (sb[0], 1))
    ea, eb = b.shape_of(a), b.shape_of(w)
    b.require(ea[-1] == eb[-2], f"MatMul of {list(sa)} by {list(sb)}")
    try:
        batch = tuple(np.broadcast_shapes(ea[:-2], eb[:-2]))
    except ValueError:
        raise b.error(f"MatMul batch dims of {list(sa)} and {list(sb)} do not "
                      "broadcast") from None
    full = batch + (ea[-2], eb[-1])
    y = b.tensor(node.output[0], full)
    b.op("matmul", [a, w, ""], [y], k=int(ea[-1]), trans_a=False, trans_b=False,
         alpha=1.0, beta=1.0)
    want = tuple(np.matmul(np.zeros(sa, np.float32), np.zeros(sb, np.float32)).shape)
    if want != full:
        y = _reshaped(b, y, want, node.output[0])
    b.set_onnx(node.output[0], y)


def gemm(b: FloatBuilder, node) -> None:
    at = attrs(node)
    ta, tb = bool(at.get("transA", 0)), bool(at.get("transB", 0))
    sa, sb = b.shape(node.input[0]), b.shape(node.input[1])
    # (ONNX Gemm is 2-D; ONNX Runtime training graphs also carry N-D ones: a batched
    # product over the leading dims, transA/transB on the last two, as Deeploy runs them)
    b.require(len(sa) >= 2 and len(sb) >= 2, "Gemm of operands below 2-D")
    m = sa[-1] if ta else sa[-2]
    k = sa[-2] if ta else sa[-1]
    n = sb[-2] if tb else sb[-1]
    try:
        batch = tuple(np.broadcast_shapes(tuple(sa[:-2]), tuple(sb[:-2])))
    except ValueError:
        raise b.error(f"Gemm batch dims of {list(sa)} and {list(sb)} do not "
                      "broadcast") from None
    ins = [b.onnx_in(node.input[0]), b.onnx_in(node.input[1])]
    ins.append(b.onnx_in(node.input[2]) if opt(node, 2) else "")
    y = b.tensor(node.output[0], batch + (m, n))
    b.op("matmul", ins, [y], k=int(k), trans_a=ta, trans_b=tb,
         alpha=float(at.get("alpha", 1.0)), beta=float(at.get("beta", 1.0)))
    b.set_onnx(node.output[0], y)


def _reshaped(b: FloatBuilder, x: str, shape, name: str | None = None) -> str:
    y = b.tensor(name or f"{x}_r", shape)
    b.op("reshape", [x], [y], name=f"{y}_reshape")
    return y


def reshape_like(b: FloatBuilder, node) -> None:
    """Reshape, Flatten, Squeeze, Unsqueeze: the same bytes, the output's shape."""
    x = node.input[0]
    src = b.shape(x)
    a = attrs(node)
    op = node.op_type
    if op == "Reshape":
        target = [int(v) for v in np.asarray(b.const_of(node.input[1], "shape")).reshape(-1)]
        allowzero = bool(a.get("allowzero", 0))
        shape = [src[i] if d == 0 and not allowzero else d for i, d in enumerate(target)]
        if -1 in shape:
            known = int(np.prod([d for d in shape if d != -1]))
            shape[shape.index(-1)] = int(np.prod(src)) // max(known, 1)
    elif op == "Flatten":
        ax = int(a.get("axis", 1)) % (len(src) + 1)
        shape = [int(np.prod(src[:ax])), int(np.prod(src[ax:]))]
    else:
        axes = a.get("axes")
        if isinstance(axes, int):         # (Deeploy's training graphs: an int, not a list)
            axes = [axes]
        if axes is None and opt(node, 1):
            axes = [int(v) for v in np.asarray(b.const_of(node.input[1], "axes")).reshape(-1)]
        if op == "Squeeze":
            axes = [d % len(src) for d in axes] if axes else \
                [i for i, d in enumerate(src) if d == 1]
            shape = [d for i, d in enumerate(src) if i not in axes]
        else:
            b.require(bool(axes), "Unsqueeze without axes")
            n = len(src) + len(axes)
            b.require(all(-n <= d < n for d in axes) and len({d % n for d in axes}) == len(axes),
                      f"Unsqueeze axes {list(axes)} are out of range or repeated for a "
                      f"{n}-D output")
            axes = sorted(d % n for d in axes)
            it = iter(src)
            shape = [1 if i in axes else next(it) for i in range(n)]
    b.require(int(np.prod(shape)) == int(np.prod(src)),
              f"{op} of {list(src)} to {shape}: the sizes differ")
    y = _reshaped(b, b.onnx_in(x), shape or [1], node.output[0])
    b.set_onnx(node.output[0], y)


def transpose(b: FloatBuilder, node) -> None:
    src = b.shape(node.input[0])
    perm = [int(p) for p in attrs(node).get("perm", list(range(len(src)))[::-1])]
    x = b.onnx_in(node.input[0])
    y = b.tensor(node.output[0], tuple(src[p] for p in perm))
    b.op("transpose", [x], [y], perm=tuple(perm))
    b.set_onnx(node.output[0], y)


def concat(b: FloatBuilder, node) -> None:
    ins = [i for i in node.input if i and int(np.prod(b.shape(i))) > 0]
    nd = len(b.shape(ins[0]))
    axis = int(attrs(node)["axis"]) % nd
    cur = b.onnx_in(ins[0])
    for k, nxt in enumerate(ins[1:]):
        s1, s2 = b.shape_of(cur), b.shape(nxt)
        shape = list(s1)
        shape[axis] += s2[axis]
        last = k == len(ins) - 2
        y = b.tensor(node.output[0] if last else f"{node.output[0]}_part{k}", shape)
        b.op("concat", [cur, b.onnx_in(nxt)], [y], axis=axis)
        cur = y
    if len(ins) == 1:
        cur = _reshaped(b, cur, b.shape_of(cur), node.output[0])
    b.set_onnx(node.output[0], cur)


def pad(b: FloatBuilder, node) -> None:
    a = attrs(node)
    b.require(a.get("mode", "constant") == "constant", f"Pad mode '{a.get('mode')}'")
    pads = a.get("pads")
    if pads is None:
        pads = [int(v) for v in np.asarray(b.const_of(node.input[1], "pads")).reshape(-1)]
    value = float(a.get("value", 0.0))
    if opt(node, 2):
        value = float(np.asarray(b.const_of(node.input[2], "constant_value")).reshape(-1)[0])
    b.require(not opt(node, 3), "Pad with axes")
    src = b.shape(node.input[0])
    nd = len(src)
    b.require(len(pads) == 2 * nd and min(pads) >= 0, f"pads {pads} (non-negative only)")
    pairs = tuple((pads[i], pads[i + nd]) for i in range(nd))
    y = b.tensor(node.output[0], tuple(d + p + q for d, (p, q) in zip(src, pairs)))
    b.op("pad", [b.onnx_in(node.input[0])], [y], pads=pairs, value=value)
    b.set_onnx(node.output[0], y)


def reduce(b: FloatBuilder, node) -> None:
    a = attrs(node)
    src = b.shape(node.input[0])
    axes = a.get("axes")
    if axes is None and opt(node, 1):
        axes = [int(v) for v in np.asarray(b.const_of(node.input[1], "axes")).reshape(-1)]
    if not axes:
        if a.get("noop_with_empty_axes", 0):
            return identity(b, node)
        axes = list(range(len(src)))
    axes = sorted({int(d) % len(src) for d in axes})
    keep = bool(a.get("keepdims", 1))
    shape = [1 if i in axes else d for i, d in enumerate(src)] if keep else \
        [d for i, d in enumerate(src) if i not in axes]
    kind, mode = {"ReduceMean": ("reduce", "mean"), "ReduceSum": ("reduce", "sum"),
                  "ReduceMax": ("reduce_max", "max"),
                  "GlobalAveragePool": ("reduce", "mean"),
                  "GlobalMaxPool": ("reduce_max", "max")}[node.op_type]
    y = b.tensor(node.output[0], shape or [1])
    b.op(kind, [b.onnx_in(node.input[0])], [y], axes=tuple(axes), mode=mode)
    b.set_onnx(node.output[0], y)


def global_pool(b: FloatBuilder, node) -> None:
    node2 = onnx.helper.make_node(node.op_type, list(node.input), list(node.output),
                                  name=node.name,
                                  axes=list(range(2, len(b.shape(node.input[0])))),
                                  keepdims=1)
    reduce(b, node2)


def softmax(b: FloatBuilder, node) -> None:
    """Softmax and LogSoftmax over an axis (moved last where it is not)."""
    kind = "log_softmax" if node.op_type == "LogSoftmax" else "softmax"
    src = b.shape(node.input[0])
    nd = len(src)
    a = attrs(node)
    if "axis" not in a and b.opset < 13 and nd > 2:
        # ONNX < 13 would flatten the dims from axis 1 on; Deeploy's graphs (and its
        # outputs.npz) mean the last axis, as from opset 13 on
        b.notes.append(f"Softmax '{node.name or node.output[0]}' without an axis: taken "
                       "over the last axis (as Deeploy does), not ONNX < 13's flattened "
                       "axis 1")
    axis = int(a.get("axis", -1)) % nd
    x = b.onnx_in(node.input[0])
    if axis == nd - 1:
        y = b.tensor(node.output[0], src)
        b.op(kind, [x], [y], beta=1.0)
    elif b.opset < 13:             # rows are the flattened dims from axis on
        rows = _reshaped(b, x, (int(np.prod(src[:axis])), int(np.prod(src[axis:]))))
        s = b.tensor(f"{node.output[0]}_rows", b.shape_of(rows))
        b.op(kind, [rows], [s], beta=1.0)
        y = _reshaped(b, s, src, node.output[0])
    else:                          # the axis moved last and back
        perm = [d for d in range(nd) if d != axis] + [axis]
        inv = list(np.argsort(perm))
        t = b.tensor(f"{node.output[0]}_t", tuple(src[p] for p in perm))
        b.op("transpose", [x], [t], name=f"{node.output[0]}_to_last", perm=tuple(perm))
        s = b.tensor(f"{node.output[0]}_s", b.shape_of(t))
        b.op(kind, [t], [s], beta=1.0)
        y = b.tensor(node.output[0], src)
        b.op("transpose", [s], [y], name=f"{node.output[0]}_back", perm=tuple(inv))
    b.set_onnx(node.output[0], y)


def softmax_grad(b: FloatBuilder, node) -> None:
    """com.microsoft SoftmaxGrad (dY, Y) -> dX over the last axis."""
    src = b.shape(node.input[1])
    axis = int(attrs(node).get("axis", -1)) % len(src)
    b.require(axis == len(src) - 1, f"SoftmaxGrad over axis {axis} (the last axis only)")
    b.require(tuple(b.shape(node.input[0])) == tuple(src), "dY and Y of different shapes")
    y = b.tensor(node.output[0], src)
    b.op("softmax_grad", [b.onnx_in(node.input[0]), b.onnx_in(node.input[1])], [y])
    b.set_onnx(node.output[0], y)


def shape_op(b: FloatBuilder, node) -> None:
    b.consts[node.output[0]] = np.asarray(b.shape(node.input[0]), dtype=np.int64)


HANDLERS = {**{k: unary for k in UNARY}, **{k: binary for k in BINARY},
            "Clip": clip, "Identity": identity, "Dropout": identity,
            "MatMul": matmul, "Gemm": gemm,
            "Reshape": reshape_like, "Flatten": reshape_like, "Squeeze": reshape_like,
            "Unsqueeze": reshape_like, "Transpose": transpose, "Concat": concat, "Pad": pad,
            "ReduceMean": reduce, "ReduceSum": reduce, "ReduceMax": reduce,
            "GlobalAveragePool": global_pool, "GlobalMaxPool": global_pool,
            "Softmax": softmax, "LogSoftmax": softmax, "SoftmaxGrad": softmax_grad,
            "Shape": shape_op, **LAYER_HANDLERS, **TRAIN_HANDLERS}
