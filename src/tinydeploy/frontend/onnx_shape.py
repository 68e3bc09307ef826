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

from tinydeploy.frontend.onnx_build import Builder, QConst, Value
from tinydeploy.frontend.onnx_emit import emit_clamp, emit_pad, emit_pool
from tinydeploy.frontend.onnx_ops import (NCHW_TO_NHWC, NHWC_TO_NCHW, pad_amounts,
                                          reshape_target, scalar, transpose_perm)
from tinydeploy.frontend.onnx_qdq import clip_bounds
from tinydeploy.frontend.onnx_qop import q_params
from tinydeploy.frontend.onnx_facts import attrs, dtype_name, elem_type, opt


def _in_shape(b: Builder, name: str) -> tuple[int, ...]:
    if name in b.qconsts:
        return b.qconsts[name].data.shape
    return b.onnx_shape(b.val(name))


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
    perm = transpose_perm(b, node, rank)
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
        to = elem_type(attrs(node).get("to"), b.path, node, "Cast to")
        if to != b.types.get(x, TensorProto.FLOAT):
            raise b.error(f"Cast of quantized tensor '{x}' to {dtype_name(to)} is not "
                          "supported")
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
    """Constant pad; the fill (attribute or input 2, a quantized code or a real) must be
    real 0, i.e. the zero point."""
    a = attrs(node)
    v = b.val(node.input[0])
    full = pad_amounts(b, node, len(b.onnx_shape(v)))
    x_type, code, real = b.types.get(node.input[0], TensorProto.FLOAT), None, 0.0
    if opt(node, 2):
        c = b.const_of(node.input[2], "constant_value")
        value = scalar(b, c, f"constant_value '{node.input[2]}'")
        if c.dtype.kind == "f":
            real = value
        else:
            code = int(value) - (128 if c.dtype == np.uint8 else 0)
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


# role (onnx_ops.OPS) -> handler
HANDLERS = {
    "reshape": reshape_like, "transpose": transpose, "identity": identity, "shape": shape,
    "max_pool": max_pool, "pad": pad, "clamp": clamp,
}
