"""ONNX QOperator form: QLinear* ops (and onnxruntime's com.microsoft ones), plus the
QuantizeLinear/DequantizeLinear handlers that both forms share.

Every QLinear op carries its input and output scales/zero points as inputs; the output's
become the IR tensor's quantization, the inputs' must agree with their producers'. Which
input slots hold them is in the op table (:data:`onnx_ops.OPS`, ``quant_slots``).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_build import SUBBYTE_NP, Builder, QConst, Value, same_quant
from tinydeploy.frontend.onnx_emit import (emit_binary, emit_concat, emit_conv, emit_fc,
                                           emit_global_avg, emit_nonlinear, emit_pool)
from tinydeploy.frontend.onnx_ops import OPS, ints, ir_kind, softmax_axis
from tinydeploy.frontend.onnx_facts import attrs, dtype_name, opt
from tinydeploy.ir.graph import QuantParams

ELEM_DTYPE = {TensorProto.INT8: "int8", TensorProto.UINT8: "uint8"}


def _quant_slots(node: onnx.NodeProto) -> dict[int, tuple[int, int]]:
    """Input slot -> (scale slot, zero point slot) of the quantized inputs of ``node``."""
    if node.op_type == "QLinearConcat":
        return {i: (i + 1, i + 2) for i in range(2, len(node.input), 3)}
    spec = OPS.get(node.op_type)
    return {i: (s, z) for i, s, z in spec.quant_slots} if spec else {}


def input_quant(b: Builder, name: str) -> tuple[str, str | None] | None:
    """(scale, zp) input names that describe graph input ``name``, from its consumers."""
    todo, seen = [name], set()
    while todo:
        t = todo.pop(0)
        for n in b.consumers.get(t, []):
            if id(n) in seen:
                continue
            seen.add(id(n))
            slots = _quant_slots(n)
            for i, inp in enumerate(n.input):
                if inp == t and i in slots:
                    return n.input[slots[i][0]], opt(n, slots[i][1])
            if n.op_type in OPS and OPS[n.op_type].keeps_quant:
                todo.append(n.output[0])
    return None


def q_params(b: Builder, node: onnx.NodeProto) -> QuantParams:
    """IR quantization of a QuantizeLinear's output (errors name that QuantizeLinear,
    also when the node being imported is the float op before it)."""
    outer, b.node = b.node, node
    try:
        return _q_params(b, node)
    finally:
        b.node = outer


def _q_params(b: Builder, node: onnx.NodeProto) -> QuantParams:
    a = attrs(node)
    default = ELEM_DTYPE.get(a.get("output_dtype", TensorProto.UINT8))
    if default is None:
        raise b.error(f"unsupported quantized dtype {dtype_name(a['output_dtype'])}")
    zp = opt(node, 2)
    sub = SUBBYTE_NP.get(b.consts[zp].dtype) if zp and zp in b.consts else None
    if sub:                     # INT4/INT2 output: retyped in finalize (onnx_graph)
        b.subbyte[node.output[0]] = sub
    return b.act_quant(node.input[1], zp, default)


def quantize_linear(b: Builder, node: onnx.NodeProto) -> None:
    if attrs(node).get("block_size", 0):
        raise b.error("blocked quantization is not supported")
    x, out = node.input[0], node.output[0]
    q = q_params(b, node)
    if x in b.float_inputs:
        y = b.act(out, b.t(x).shape, q)
        b.add_op("quantize", [x], [y])
        b.vals[out] = Value(y)
        return
    v = b.val(x)
    b.vals[out] = Value(b.requantize(v.ir, q, out), v.nhwc)


def dequantize_linear(b: Builder, node: onnx.NodeProto) -> None:
    a = attrs(node)
    if a.get("block_size", 0):
        raise b.error("blocked quantization is not supported")
    x, out = node.input[0], node.output[0]
    if x in b.consts:
        b.qconsts[out] = b.qconst(x, node.input[1], opt(node, 2), int(a.get("axis", 1)))
        return
    v = b.val(x)
    default = ELEM_DTYPE.get(b.types.get(x, TensorProto.UINT8), "uint8")
    q = b.act_quant(node.input[1], opt(node, 2), default)
    if not same_quant(q, b.quant(v)):
        raise b.error(f"DequantizeLinear parameters (scale {q.s:g}, zero point {q.zp}) "
                      f"differ from those of '{x}'")
    b.vals[out] = v


def _in(b: Builder, node: onnx.NodeProto, i: int) -> Value | QConst:
    """Quantized input ``i`` (scale/zp at i+1, i+2): a Value, or a QConst if constant."""
    name = node.input[i]
    if name in b.consts:
        return b.qconst(name, node.input[i + 1], opt(node, i + 2), None)
    v = b.val(name)
    q = b.act_quant(node.input[i + 1], opt(node, i + 2))
    if not same_quant(q, b.quant(v)):
        raise b.error(f"quantization of input '{name}' (scale {q.s:g}, zero point {q.zp}) "
                      f"differs from its producer's")
    return v


def _value(b: Builder, node: onnx.NodeProto, i: int) -> Value:
    v = _in(b, node, i)
    if not isinstance(v, Value):
        raise b.error(f"input '{node.input[i]}' must be an activation, not a constant")
    return v


def _weight(b: Builder, node: onnx.NodeProto, i: int, axis: int) -> QConst:
    if node.input[i] not in b.consts:
        raise b.error(f"weight '{node.input[i]}' must be a constant")
    return b.qconst(node.input[i], node.input[i + 1], opt(node, i + 2), axis)


def _int32_bias(b: Builder, node: onnx.NodeProto, i: int, scale: np.ndarray) -> QConst | None:
    name = opt(node, i)
    if name is None:
        return None
    data = b.const_of(name, "bias")
    if data.dtype != np.int32:
        raise b.error(f"bias '{name}' must be int32, got {data.dtype}")
    return QConst(data.reshape(-1), scale.astype(np.float32), np.zeros(1, np.int64))


def qlinear_conv(b: Builder, node: onnx.NodeProto) -> None:
    x = _value(b, node, 0)
    w = _weight(b, node, 3, 0)
    bias = _int32_bias(b, node, 8, np.float32(b.quant(x).s) * w.scale)
    out_q = b.act_quant(node.input[6], opt(node, 7))
    b.vals[node.output[0]] = emit_conv(b, x, w, bias, attrs(node), out_q, "none",
                                       node.output[0])


def qlinear_matmul(b: Builder, node: onnx.NodeProto) -> None:
    x = _value(b, node, 0)
    if node.input[3] not in b.consts:
        raise b.error("matrix products of two activations are not supported")
    w = _weight(b, node, 3, 1)
    if w.data.ndim != 2:
        raise b.error(f"MatMul weight must be 2-D, got {list(w.data.shape)}")
    w = QConst(w.data.T, w.scale, w.zp, 0 if w.axis is not None else None)
    out_q = b.act_quant(node.input[6], opt(node, 7))
    b.vals[node.output[0]] = emit_fc(b, x, w, None, out_q, "none", node.output[0])


def qgemm(b: Builder, node: onnx.NodeProto) -> None:
    a = attrs(node)
    alpha = float(a.get("alpha", 1.0))
    if a.get("transA", 0) or alpha <= 0:
        raise b.error("QGemm with transA or alpha <= 0 is not supported")
    if opt(node, 7) is None:
        raise b.error("QGemm with a float output is not supported")
    x = _value(b, node, 0)
    trans_b = int(a.get("transB", 0))
    w = _weight(b, node, 3, 0 if trans_b else 1)
    data = w.data if trans_b else w.data.T
    scale = (w.scale * np.float32(alpha)).astype(np.float32)
    w = QConst(data, scale, w.zp, 0 if w.axis is not None else None)
    bias = _int32_bias(b, node, 6, np.float32(b.quant(x).s) * scale)
    out_q = b.act_quant(node.input[7], opt(node, 8))
    b.vals[node.output[0]] = emit_fc(b, x, w, bias, out_q, "none", node.output[0])


def qlinear_binary(b: Builder, node: onnx.NodeProto) -> None:
    """QLinearAdd / QLinearMul."""
    ins = [_in(b, node, 0), _in(b, node, 3)]
    out_q = b.act_quant(node.input[6], opt(node, 7))
    b.vals[node.output[0]] = emit_binary(b, ir_kind(node), ins, out_q, "none",
                                         node.output[0])


def qlinear_average_pool(b: Builder, node: onnx.NodeProto) -> None:
    a = attrs(node)
    out_q = b.act_quant(node.input[3], opt(node, 4))
    b.vals[node.output[0]] = emit_pool(b, "avg_pool2d", _value(b, node, 0), a, out_q, "none",
                                       node.output[0], bool(a.get("channels_last", 0)))


def qlinear_global_average_pool(b: Builder, node: onnx.NodeProto) -> None:
    out_q = b.act_quant(node.input[3], opt(node, 4))
    b.vals[node.output[0]] = emit_global_avg(b, _value(b, node, 0), out_q, node.output[0],
                                             bool(attrs(node).get("channels_last", 0)))


def qlinear_concat(b: Builder, node: onnx.NodeProto) -> None:
    if (len(node.input) - 2) % 3:
        raise b.error(f"QLinearConcat with {len(node.input)} inputs (expected y_scale, "
                      "y_zero_point and a (x, scale, zero point) triple per input)",
                      TinyDeployError)
    out_q = b.act_quant(node.input[0], opt(node, 1))
    ins = [_value(b, node, i) for i in range(2, len(node.input), 3)]
    b.vals[node.output[0]] = emit_concat(b, ins, attrs(node).get("axis", 0), out_q,
                                         node.output[0])


def qlinear_nonlinear(b: Builder, node: onnx.NodeProto) -> None:
    """QLinearSigmoid / QLinearSoftmax (com.microsoft: ``opset`` attribute, default 13)."""
    a = attrs(node)
    x = _value(b, node, 0)
    opset = ints(b, [a.get("opset", 13)], "opset", 1)[0]
    axis = softmax_axis(b, b.onnx_shape(x), a.get("axis", -1), opset)
    out_q = b.act_quant(node.input[3], opt(node, 4))
    b.vals[node.output[0]] = emit_nonlinear(b, ir_kind(node), x, out_q, node.output[0],
                                            axis)


# role (onnx_ops.OPS) -> handler
HANDLERS = {
    "quantize_linear": quantize_linear, "dequantize_linear": dequantize_linear,
    "qlinear_conv": qlinear_conv, "qlinear_matmul": qlinear_matmul, "qgemm": qgemm,
    "qlinear_binary": qlinear_binary, "qlinear_avg_pool": qlinear_average_pool,
    "qlinear_global_avg_pool": qlinear_global_average_pool,
    "qlinear_concat": qlinear_concat, "qlinear_nonlinear": qlinear_nonlinear,
}
