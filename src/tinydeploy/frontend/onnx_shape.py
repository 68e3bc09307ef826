"""ONNX ops that keep the quantization: shape-only ops, MaxPool, Pad, Relu/Clip.

They work the same in both forms (on int8 tensors, or on float tensors that only carry a
DequantizeLinear'd int8 tensor). Shape-only ops on quantized constants (weights that go
DequantizeLinear -> Transpose -> MatMul) are folded into the constant.

A Reshape/Flatten of a tensor held in NHWC keeps ONNX (NCHW) semantics: the data is
transposed back to NCHW first, unless that moves no byte (e.g. H = W = 1).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto

from tinydeploy.frontend.onnx_build import NCHW_TO_NHWC, NHWC_TO_NCHW, Builder, QConst, Value
from tinydeploy.frontend.onnx_emit import emit_clamp, emit_pad, emit_pool
from tinydeploy.frontend.onnx_qdq import clip_bounds
from tinydeploy.frontend.onnx_qop import attrs, opt, q_params


def _in_shape(b: Builder, name: str) -> tuple[int, ...]:
    if name in b.qconsts:
        return b.qconsts[name].data.shape
    return b.onnx_shape(b.val(name))


def _axes(b: Builder, node: onnx.NodeProto, rank: int) -> list[int] | None:
    a = attrs(node)
    axes = a.get("axes")
    if axes is None and opt(node, 1):
        axes = b.const_of(node.input[1], "axes").tolist()
    return None if axes is None else [int(v) % rank for v in axes]


def reshape_target(b: Builder, node: onnx.NodeProto, shape: tuple[int, ...]) -> tuple:
    """Output shape of Reshape/Flatten/Squeeze/Unsqueeze applied to ``shape``."""
    op, size = node.op_type, int(np.prod(shape, dtype=np.int64))
    if op == "Flatten":
        ax = int(attrs(node).get("axis", 1)) % (len(shape) + 1)
        return (int(np.prod(shape[:ax], dtype=np.int64)),
                int(np.prod(shape[ax:], dtype=np.int64)))
    if op == "Squeeze":
        axes = _axes(b, node, len(shape))
        return tuple(d for i, d in enumerate(shape)
                     if not (d == 1 and (axes is None or i in axes)))
    if op == "Unsqueeze":
        raw = attrs(node).get("axes") or b.const_of(node.input[1], "axes").tolist()
        rank = len(shape) + len(raw)
        out = list(shape)
        for ax in sorted(int(v) % rank for v in raw):
            out.insert(ax, 1)
        return tuple(out)
    target = [int(v) for v in b.const_of(node.input[1], "shape")]
    if not attrs(node).get("allowzero", 0):
        target = [shape[i] if v == 0 else v for i, v in enumerate(target)]
    if -1 in target:
        known = int(np.prod([v for v in target if v != -1], dtype=np.int64))
        target[target.index(-1)] = size // max(known, 1)
    if int(np.prod(target, dtype=np.int64)) != size:
        raise b.error(f"cannot reshape {list(shape)} to {target}")
    return tuple(target)


def _fold_axis(b: Builder, c: QConst, new_shape: tuple, perm=None) -> int | None:
    if c.axis is None:
        return None
    if perm is not None:
        return list(perm).index(c.axis)
    before = int(np.prod(c.data.shape[:c.axis], dtype=np.int64))
    for j, d in enumerate(new_shape):
        if d == c.data.shape[c.axis] and int(np.prod(new_shape[:j], dtype=np.int64)) == before:
            return j
    raise b.error("reshape of a per-channel quantized constant moves its channel axis")


def reshape_like(b: Builder, node: onnx.NodeProto) -> None:
    """Reshape, Flatten, Squeeze, Unsqueeze."""
    x, out = node.input[0], node.output[0]
    shape = reshape_target(b, node, _in_shape(b, x))
    if x in b.qconsts:
        c = b.qconsts[x]
        b.qconsts[out] = QConst(c.data.reshape(shape), c.scale, c.zp, _fold_axis(b, c, shape),
                                c.dtype)
        return
    v = b.val(x)
    if v.nhwc and shape == b.onnx_shape(v):
        b.vals[out] = v
        return
    b.vals[out] = Value(b.reshape(b.as_onnx(v), shape, out))


def transpose(b: Builder, node: onnx.NodeProto) -> None:
    x, out = node.input[0], node.output[0]
    rank = len(_in_shape(b, x))
    perm = tuple(int(p) for p in attrs(node).get("perm", range(rank - 1, -1, -1)))
    if x in b.qconsts:
        c = b.qconsts[x]
        b.qconsts[out] = QConst(c.data.transpose(perm), c.scale, c.zp,
                                _fold_axis(b, c, (), perm), c.dtype)
        return
    v = b.val(x)
    base = [NHWC_TO_NCHW[p] for p in perm] if v.nhwc else list(perm)   # IR perm, ONNX out
    if rank == 4:
        as_nhwc = tuple(base[p] for p in NCHW_TO_NHWC)                  # IR perm, NHWC out
        if as_nhwc == tuple(range(4)):
            b.vals[out] = Value(v.ir, nhwc=True)
            return
    b.vals[out] = Value(v.ir if base == list(range(rank)) else
                        b.permute(v.ir, tuple(base), "t"))


def identity(b: Builder, node: onnx.NodeProto) -> None:
    """Identity, Dropout (inference), and Cast to the type the tensor already has."""
    x, out = node.input[0], node.output[0]
    if node.op_type == "Cast":
        to, have = attrs(node).get("to"), b.types.get(x, TensorProto.FLOAT)
        if to != have:
            name = TensorProto.DataType.Name(to).lower()
            raise b.error(f"Cast of quantized tensor '{x}' to {name} is not supported")
    if x in b.qconsts:
        b.qconsts[out] = b.qconsts[x]
    else:
        b.vals[out] = b.val(x)


def shape(b: Builder, node: onnx.NodeProto) -> None:
    s = np.array(_in_shape(b, node.input[0]), dtype=np.int64)
    a = attrs(node)
    b.consts[node.output[0]] = s[a.get("start", 0):a.get("end", len(s))]


def max_pool(b: Builder, node: onnx.NodeProto) -> None:
    if len(node.output) > 1 and node.output[1] and b.consumers.get(node.output[1]):
        raise b.error("MaxPool indices output is not supported")
    v = b.val(node.input[0])
    b.vals[node.output[0]] = emit_pool(b, "max_pool2d", v, attrs(node), b.quant(v), "none",
                                       node.output[0])


def pad(b: Builder, node: onnx.NodeProto) -> None:
    a = attrs(node)
    if a.get("mode", "constant") != "constant":
        raise b.error(f"Pad mode '{a['mode']}' is not supported (only constant)")
    v = b.val(node.input[0])
    rank = len(b.onnx_shape(v))
    pads = a.get("pads") or b.const_of(node.input[1], "pads").tolist()
    axes = [int(x) % rank for x in b.const_of(node.input[3], "axes")] if opt(node, 3) \
        else list(range(rank))
    full = [0] * (2 * rank)
    for i, ax in enumerate(axes):
        full[ax], full[ax + rank] = int(pads[i]), int(pads[i + len(axes)])
    x_type, code, real = b.types.get(node.input[0], TensorProto.FLOAT), None, 0.0
    if opt(node, 2):
        c = b.const_of(node.input[2], "constant_value")
        if c.dtype.kind == "f":
            real = float(c)
        else:
            code = int(c) - (128 if c.dtype == np.uint8 else 0)
    elif x_type == TensorProto.FLOAT:
        real = float(a.get("value", 0.0))
    else:
        code = int(a.get("value", 0)) - (128 if x_type == TensorProto.UINT8 else 0)
    is_zero = real == 0.0 if code is None else code == b.quant(v).zp
    if not is_zero and any(full):
        raise b.error("Pad with a constant other than real 0 is not supported")
    b.vals[node.output[0]] = emit_pad(b, v, full, node.output[0])


def clamp(b: Builder, node: onnx.NodeProto) -> None:
    """A Relu/Clip not fused into a producer, e.g. DequantizeLinear -> Relu -> Quantize."""
    x, out = node.input[0], node.output[0]
    v = b.val(x)
    lo, hi, dtype = clip_bounds(b, node)
    q_in = b.quant(v)
    if b.types.get(x) in (TensorProto.INT8, TensorProto.UINT8) or \
            (dtype is not None and dtype.kind in "iu"):
        shift = 128 if b.types.get(x) == TensorProto.UINT8 else 0
        lo, hi = ((q_in.s * (c - shift - q_in.zp)) if abs(c) != np.inf else c
                  for c in (lo, hi))
    cons = b.consumers.get(out, [])
    q, name = q_in, out
    if len(cons) == 1 and cons[0].op_type == "QuantizeLinear" and out not in b.graph_outputs:
        q, name = q_params(b, cons[0]), cons[0].output[0]
        b.done.add(id(cons[0]))
    b.vals[name] = emit_clamp(b, v, lo, hi, q, name)


HANDLERS = {
    "Reshape": reshape_like, "Flatten": reshape_like, "Squeeze": reshape_like,
    "Unsqueeze": reshape_like, "Transpose": transpose, "Identity": identity,
    "Dropout": identity, "Cast": identity, "Shape": shape, "MaxPool": max_pool,
    "Pad": pad, "Relu": clamp, "Clip": clamp,
}
