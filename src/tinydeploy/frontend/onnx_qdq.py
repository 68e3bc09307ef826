"""ONNX QDQ form: float ops between DequantizeLinear and QuantizeLinear.

Recognized by meaning, not by node patterns: each float input resolves to an int8 IR
tensor (DequantizeLinear outputs, through shape-only ops, map to the quantized tensor they
carry) or to a quantized constant (DequantizeLinear of an initializer). The output
quantization is that of the QuantizeLinear the float result flows into, following
Identity/Cast/Dropout, and Relu/Clip which become the fused activation (or vanish when
the output range already implies them). MatMul followed by Add of a constant becomes one
fully_connected with bias. Conv, Gemm and MatMul of int8 layers requantize with one
rounding of the exact product, as the graph's float arithmetic does (not TFLite's two).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto

from tinydeploy.frontend import onnx_ops
from tinydeploy.frontend.onnx_build import Builder, QConst
from tinydeploy.frontend.onnx_emit import (INF, choose_act, emit_binary, emit_concat,
                                           emit_conv, emit_fc, emit_global_avg, emit_mean,
                                           emit_nonlinear, emit_pool)
from tinydeploy.frontend.onnx_ops import (gemm_flags, ir_kind, reduce_axes, scalar,
                                          softmax_axis, softmax_default_axis)
from tinydeploy.frontend.onnx_qop import q_params
from tinydeploy.frontend.onnx_facts import attrs, opt

PASS_FLOAT = {"Identity", "Dropout"}


def clip_bounds(b: Builder, node: onnx.NodeProto) -> tuple[float, float, np.dtype | None]:
    """(min, max, dtype of the bounds) of a Relu or Clip; a bound may be a DequantizeLinear
    of a constant (its real value; the dtype then stays that of the other bound)."""
    def bound(name: str):
        if name in b.qconsts:
            return scalar(b, b.qconsts[name].real(), f"Clip bound '{name}'"), None
        c = b.const_of(name, "Clip bound")
        return scalar(b, c, f"Clip bound '{name}'"), c.dtype
    return onnx_ops.clip_bounds(node, bound)


def _bias_operand(b: Builder, node: onnx.NodeProto, t: str):
    other = [i for i in node.input if i != t]
    if len(other) != 1:
        return None
    if other[0] in b.qconsts:
        return b.qconsts[other[0]]
    c = b.consts.get(other[0])
    return c if c is not None and c.dtype.kind == "f" else None


def output_q(b: Builder, node: onnx.NodeProto, allow_bias: bool = False):
    """Follow ``node``'s float output to its QuantizeLinear; marks the chain consumed.

    Returns (IR quantization, clamp lo, clamp hi, int8 output name, bias or None).
    """
    t, lo, hi, chain, bias = node.output[0], -INF, INF, [], None
    while True:
        cons = b.consumers.get(t, [])
        if t in b.graph_outputs or len(cons) != 1:
            raise b.error(f"output '{t}' is not quantized (expected exactly one "
                          "QuantizeLinear consumer)")
        n = cons[0]
        if n.op_type == "QuantizeLinear":
            break
        if n.op_type in PASS_FLOAT or (n.op_type == "Cast" and
                                       attrs(n).get("to") == TensorProto.FLOAT):
            pass
        elif n.op_type in ("Relu", "Clip"):
            clo, chi, _ = clip_bounds(b, n)
            lo, hi = max(lo, clo), min(hi, chi)
        elif allow_bias and bias is None and n.op_type == "Add" and \
                _bias_operand(b, n, t) is not None and lo == -INF and hi == INF:
            bias = _bias_operand(b, n, t)
        else:
            raise b.error(f"output '{t}' is not quantized (consumed by {n.op_type} "
                          f"'{n.name or n.output[0]}' instead of QuantizeLinear)")
        chain.append(n)
        t = n.output[0]
    for c in (*chain, n):
        b.done.add(id(c))
    return q_params(b, n), lo, hi, n.output[0], bias


def _out(b: Builder, node: onnx.NodeProto, allow_act: bool = True, allow_bias: bool = False):
    q, lo, hi, name, bias = output_q(b, node, allow_bias)
    act = choose_act(lo, hi, q)
    if act is None or (not allow_act and act != "none"):
        raise b.error(f"clamp to [{lo:g}, {hi:g}] after {node.op_type} is not supported")
    return q, act, name, bias


def _weight(b: Builder, name: str) -> QConst:
    if name in b.qconsts:
        return b.qconsts[name]
    if name in b.consts:
        raise b.error(f"weight '{name}' is float; tinydeploy needs quantized weights "
                      "(a DequantizeLinear of an int8 initializer)")
    raise b.error(f"weight '{name}' must be a constant")


def _bias(b: Builder, name: str | None):
    if name is None:
        return None
    if name in b.qconsts:
        return b.qconsts[name]
    if name in b.consts and b.consts[name].dtype.kind == "f":
        return b.consts[name]
    raise b.error(f"bias '{name}' must be a constant")


def _transposed(w: QConst, alpha: float = 1.0) -> QConst:
    """[K, N] -> [N, K] (per-channel axis follows), scales times ``alpha``."""
    axis = None if w.axis is None else 1 - w.axis
    return QConst(w.data.T, (w.scale * np.float32(alpha)).astype(np.float32), w.zp, axis,
                  w.dtype)


def conv(b: Builder, node: onnx.NodeProto) -> None:
    x, w, bias = b.val(node.input[0]), _weight(b, node.input[1]), _bias(b, opt(node, 2))
    q, act, name, _ = _out(b, node)
    b.vals[name] = emit_conv(b, x, w, bias, attrs(node), q, act, name,
                           single_rounding=True)


def gemm(b: Builder, node: onnx.NodeProto) -> None:
    alpha, beta, trans_a, trans_b = gemm_flags(b, node)
    if trans_a or alpha <= 0:           # alpha scales the weight scales: must stay > 0
        raise b.error("Gemm with transA or alpha <= 0 is not supported")
    x, w = b.val(node.input[0]), _weight(b, node.input[1])
    if w.data.ndim != 2:
        raise b.error(f"Gemm weight must be 2-D, got {list(w.data.shape)}")
    if trans_b:
        w = QConst(w.data, (w.scale * np.float32(alpha)).astype(np.float32), w.zp, w.axis,
                   w.dtype)
    else:
        w = _transposed(w, alpha)
    bias = _bias(b, opt(node, 2))
    if bias is not None and beta != 1.0:
        bias = (bias.real() if isinstance(bias, QConst) else bias) * beta
    q, act, name, _ = _out(b, node)
    b.vals[name] = emit_fc(b, x, w, bias, q, act, name, single_rounding=True)


def matmul(b: Builder, node: onnx.NodeProto) -> None:
    x = b.val(node.input[0])
    if node.input[1] in b.vals:
        raise b.error("matrix products of two activations are not supported")
    w = _weight(b, node.input[1])
    if w.data.ndim != 2:
        raise b.error(f"MatMul weight must be 2-D, got {list(w.data.shape)}")
    q, act, name, bias = _out(b, node, allow_bias=True)
    b.vals[name] = emit_fc(b, x, _transposed(w), bias, q, act, name,
                         single_rounding=True)


def _operand(b: Builder, name: str):
    if name in b.vals:
        return b.vals[name]
    if name in b.qconsts:
        return b.qconsts[name]
    return b.val(name)      # raises: not quantized


def binary(b: Builder, node: onnx.NodeProto) -> None:
    """Add / Mul."""
    ins = [_operand(b, n) for n in node.input]
    q, act, name, _ = _out(b, node)
    b.vals[name] = emit_binary(b, ir_kind(node), ins, q, act, name)


def average_pool(b: Builder, node: onnx.NodeProto) -> None:
    x = b.val(node.input[0])
    q, act, name, _ = _out(b, node)
    b.vals[name] = emit_pool(b, "avg_pool2d", x, attrs(node), q, act, name)


def global_average_pool(b: Builder, node: onnx.NodeProto) -> None:
    x = b.val(node.input[0])
    q, _, name, _ = _out(b, node, allow_act=False)
    b.vals[name] = emit_global_avg(b, x, q, name)


def reduce_mean(b: Builder, node: onnx.NodeProto) -> None:
    x = b.val(node.input[0])
    rank = len(b.onnx_shape(x))
    axes = reduce_axes(b, node, rank)
    keep = bool(attrs(node).get("keepdims", 1))
    q, _, name, _ = _out(b, node, allow_act=False)
    if rank == 4 and axes == [2, 3] and keep:
        b.vals[name] = emit_global_avg(b, x, q, name)
    else:
        b.vals[name] = emit_mean(b, x, axes, keep, q, name)


def nonlinear(b: Builder, node: onnx.NodeProto) -> None:
    """Softmax / Sigmoid / Tanh into the canonical output quantization, requantized."""
    kind, x, axis = ir_kind(node), b.val(node.input[0]), -1
    if kind == "softmax":
        axis = softmax_axis(b, b.onnx_shape(x), softmax_default_axis(node, b.opset), b.opset)
    q, _, name, _ = _out(b, node, allow_act=False)
    b.vals[name] = emit_nonlinear(b, kind, x, q, name, axis)


def concat(b: Builder, node: onnx.NodeProto) -> None:
    ins = [b.val(n) for n in node.input]
    q, _, name, _ = _out(b, node, allow_act=False)
    b.vals[name] = emit_concat(b, ins, attrs(node)["axis"], q, name)


# role (onnx_ops.OPS) -> handler
HANDLERS = {
    "conv": conv, "gemm": gemm, "matmul": matmul, "binary": binary,
    "avg_pool": average_pool, "global_avg_pool": global_average_pool,
    "reduce_mean": reduce_mean, "nonlinear": nonlinear, "concat": concat,
}
