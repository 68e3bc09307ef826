"""ONNX integer ops with zero-point inputs: ConvInteger and MatMulInteger.

``y = sum (x - x_zero_point) * (w - w_zero_point)`` in int32, exact (onnxruntime computes
the same integers). Imported as the IR's raw-accumulator conv2d / depthwise_conv2d /
fully_connected (int32 output, input offset ``-x_zero_point``); the weight zero point is
folded into the constant weights, which must then fit int8. ``x`` is an int8/uint8
activation (a graph input takes its zero point from here, scale 1: the op has none); the
int32 result must be a graph output: ops reading int32 activations (Cast then Mul by a
scale) are refused, naming the node.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto

from tinydeploy.frontend.onnx_build import Builder, QConst
from tinydeploy.frontend.onnx_emit import emit_conv, emit_fc
from tinydeploy.frontend.onnx_facts import attrs, opt

OPS = ("ConvInteger", "MatMulInteger")


def _zero_point(b: Builder, node: onnx.NodeProto, slot: int, what: str) -> np.ndarray:
    """The zero point input as int64 values in its own dtype's domain (0 if absent)."""
    name = opt(node, slot)
    if name is None:
        return np.zeros(1, np.int64)
    z = b.const_of(name, what)
    if z.dtype not in (np.int8, np.uint8) or z.ndim > 1:
        raise b.error(f"{what} '{name}' must be an int8/uint8 scalar or 1-D tensor, got "
                      f"{z.dtype} {list(z.shape)}")
    return z.astype(np.int64).reshape(-1)


def _x_zero_point(b: Builder, node: onnx.NodeProto) -> int:
    """The activation zero point in the int8 domain the IR holds uint8 data in."""
    z = _zero_point(b, node, 2, "x zero point")
    if z.size != 1:
        raise b.error("the activation zero point must be one value")
    unsigned = b.types.get(node.input[0]) == TensorProto.UINT8
    return int(z[0]) - (128 if unsigned else 0)


def input_zero_point(b: Builder, name: str) -> int | None:
    """Zero point (int8 domain) of graph input ``name`` read directly as an integer op's
    ``x``; None when no such op reads it."""
    for n in b.consumers.get(name, []):
        if n.op_type in OPS and n.input[0] == name:
            b.node = n
            try:
                return _x_zero_point(b, n)
            finally:
                b.node = None
    return None


def _weights(b: Builder, node: onnx.NodeProto, axis: int) -> QConst:
    """Constant ``w - w_zero_point`` (zero point per tensor or along ``axis``) as int8."""
    name = node.input[1]
    if name not in b.consts:
        raise b.error(f"{node.op_type} weight '{name}' must be a constant")
    w = b.consts[name]
    if w.dtype not in (np.int8, np.uint8):
        raise b.error(f"{node.op_type} weight '{name}' must be int8/uint8, got {w.dtype}")
    z = _zero_point(b, node, 3, "weight zero point")
    wi = w.astype(np.int64)
    if z.size > 1:
        if z.size != w.shape[axis]:
            raise b.error(f"weight zero point has {z.size} values for {w.shape[axis]} "
                          "output channels")
        z = z.reshape([-1 if d == axis else 1 for d in range(w.ndim)])
    wi = wi - z
    if wi.min() < -128 or wi.max() > 127:
        raise b.error(f"weight '{name}' minus its zero point does not fit int8 "
                      f"([{wi.min()}, {wi.max()}])")
    return QConst(wi.astype(np.int8), np.ones(1, np.float32), np.zeros(1, np.int64))


def _activation(b: Builder, node: onnx.NodeProto):
    x = b.val(node.input[0])
    z, have = _x_zero_point(b, node), b.quant(x).zp
    if z != have:
        raise b.error(f"x zero point {z} (int8 domain) differs from the zero point {have} "
                      f"of '{node.input[0]}'")
    if node.output[0] not in b.graph_outputs or b.consumers.get(node.output[0]):
        raise b.error(f"the int32 result '{node.output[0]}' must be a graph output (int32 "
                      "activations into other ops are not supported)")
    return x


def conv_integer(b: Builder, node: onnx.NodeProto) -> None:
    x = _activation(b, node)
    w = _weights(b, node, 0)
    b.vals[node.output[0]] = emit_conv(b, x, w, None, attrs(node), None, "none",
                                       node.output[0])


def matmul_integer(b: Builder, node: onnx.NodeProto) -> None:
    x = _activation(b, node)
    w = _weights(b, node, 1)
    if w.data.ndim != 2:
        raise b.error(f"MatMulInteger weight must be 2-D, got {list(w.data.shape)}")
    w = QConst(np.ascontiguousarray(w.data.T), w.scale, w.zp, 0)
    b.vals[node.output[0]] = emit_fc(b, x, w, None, None, "none", node.output[0])


HANDLERS = {"conv_integer": conv_integer, "matmul_integer": matmul_integer}
