"""QDQ handlers of transformer ops (models quantized by onnxruntime's quantize_static):
MatMul of two activations, LayerNormalization, Div by a constant, and float elementwise
functions between a DequantizeLinear and a QuantizeLinear (Erf, Gelu, ...).

- ``MatMul`` of two quantized activations (attention scores, attention-weighted values):
  the integer product (``matmul``, batched and broadcast) requantized to the output's
  QuantizeLinear by an integer multiplier and a power-of-two divisor (``requant``, error
  below 2^-30 of the real ratio s_a * s_b / s_y), fused into one kernel.
- ``LayerNormalization`` over the last axis: ``layernorm`` (integer arithmetic, gamma and
  beta real, quant/golden/layernorm.py).
- ``Div`` by a constant with a quantized output: a requantization of the input.
- A chain of float elementwise ops from one quantized tensor to a QuantizeLinear (Div by
  a constant, Erf, Add 1, ... or Gelu): evaluated once for each of the 256 input codes in
  float32, as onnxruntime computes it, and quantized: a ``lut`` (one table per chain).
"""

from __future__ import annotations

import math

import numpy as np
import onnx

from tinydeploy.frontend.onnx_build import Builder, Value
from tinydeploy.frontend.onnx_ops import scalar
from tinydeploy.frontend import onnx_qdq
from tinydeploy.frontend.onnx_qdq import PASS_FLOAT, output_q
from tinydeploy.frontend.onnx_qop import q_params
from tinydeploy.frontend.onnx_facts import attrs
from tinydeploy.ir.graph import QuantParams

MUL_BITS = 30          # integer multipliers below 2^31: the ratio's relative error < 2^-30


def _ratio(r: float) -> tuple[int, int]:
    """(mul, shift): r ~ mul / 2^shift with 2^29 <= mul < 2^31 (r > 0)."""
    shift = MUL_BITS - math.frexp(r)[1] + 1
    return int(round(r * 2.0**shift)), shift


def _requant(b: Builder, src: str, q: QuantParams, ratio: float, name: str) -> str:
    """int32 (or int8 with its zero point) ``src`` times ``ratio``, rounded half up, plus the
    zero point of ``q``, clamped to int8."""
    mul, shift = _ratio(abs(ratio))
    mul = mul if ratio >= 0 else -mul
    div = 1 << shift
    y = b.act(name, b.t(src).shape, q)
    t = b.t(src)
    lo, hi = (-(2**31), 2**31 - 1) if t.dtype == "int32" else (-128 - t.quant.zp,
                                                               127 - t.quant.zp)
    b.add_op("requant", [src], [y], mul=mul, add=div // 2, div=div, rounding="floor",
             clip=(-128 - q.zp, 127 - q.zp), x_range=(lo, hi))
    return y


def matmul_activations(b: Builder, node: onnx.NodeProto) -> None:
    a_ir, w_ir = b.as_onnx(b.val(node.input[0])), b.as_onnx(b.val(node.input[1]))
    a, w = b.t(a_ir), b.t(w_ir)
    if len(a.shape) < 2 or len(w.shape) < 2 or a.shape[-1] != w.shape[-2]:
        raise b.error(f"MatMul of {list(a.shape)} by {list(w.shape)}: inner dims differ")
    try:
        batch = tuple(np.broadcast_shapes(a.shape[:-2], w.shape[:-2]))
    except ValueError:
        raise b.error(f"batch dims of {list(a.shape)} and {list(w.shape)} do not broadcast")
    q, _, _, name, _ = output_q(b, node)
    acc = b.add_tensor(f"{name}_acc", (*batch, a.shape[-2], w.shape[-1]), "int32",
                       QuantParams.make(1.0, 0))
    b.add_op("matmul", [a_ir, w_ir, ""], [acc], k=int(a.shape[-1]), trans_a=False,
             trans_b=False, alpha=1, beta=1)
    b.vals[name] = Value(_requant(b, acc, q, a.quant.s * w.quant.s / q.s, name))


def _real(b: Builder, name: str | None, what: str):
    if not name:
        return None
    if name in b.qconsts:
        return b.qconsts[name].real()
    return np.asarray(b.const_of(name, what), dtype=np.float64)


def layer_norm(b: Builder, node: onnx.NodeProto) -> None:
    a = attrs(node)
    v = b.val(node.input[0])
    x_ir = b.as_onnx(v)
    rank = len(b.t(x_ir).shape)
    if int(a.get("axis", -1)) % rank != rank - 1:
        raise b.error(f"LayerNormalization over axis {a.get('axis')} (only the last axis)")
    if len(node.output) > 1 and any(node.output[1:]):
        raise b.error("LayerNormalization with mean/inv_std outputs is not supported")
    gamma = _real(b, node.input[1], "scale")
    beta = _real(b, node.input[2] if len(node.input) > 2 else None, "bias")
    q, _, _, name, _ = output_q(b, node)
    y = b.act(name, b.t(x_ir).shape, q)
    b.add_op("layernorm", [x_ir], [y], gamma=gamma, beta=0.0 if beta is None else beta,
             epsilon=float(a.get("epsilon", 1e-5)))
    b.vals[name] = Value(y)


def _consumers_chain(b: Builder, node: onnx.NodeProto):
    """Whether ``node``'s output goes straight into a QuantizeLinear."""
    cons = b.consumers.get(node.output[0], [])
    return len(cons) == 1 and cons[0].op_type == "QuantizeLinear"


def div(b: Builder, node: onnx.NodeProto) -> None:
    """Div by a constant: a requantization when its output is quantized, else the start
    of a float chain."""
    if node.input[0] not in b.vals or not _is_const(b, node.input[1]) or \
            not _consumers_chain(b, node):
        float_chain(b, node)
        return
    c = scalar(b, _real(b, node.input[1], "divisor"), f"divisor '{node.input[1]}'")
    if c == 0 or not math.isfinite(c):
        raise b.error(f"division by {c}")
    x_ir = b.as_onnx(b.val(node.input[0]))
    q, _, _, name, _ = output_q(b, node)
    b.vals[name] = Value(_requant(b, x_ir, q, b.t(x_ir).quant.s / c / q.s, name))


def _is_const(b: Builder, name: str) -> bool:
    return name in b.consts or name in b.qconsts


def _f32(v) -> np.ndarray:
    return np.asarray(v, dtype=np.float32)


def _erf(x: np.ndarray) -> np.ndarray:
    return _f32([math.erf(float(v)) for v in x])


def _gelu(x: np.ndarray, approximate: str) -> np.ndarray:
    if approximate == "tanh":
        inner = _f32(math.sqrt(2 / math.pi)) * (x + _f32(0.044715) * x * x * x)
        return _f32(0.5) * x * (_f32(1) + np.tanh(inner).astype(np.float32))
    return _f32(0.5) * x * (_f32(1) + _erf(x / _f32(math.sqrt(2))))


UNARY = {"Erf": _erf, "Tanh": lambda x: np.tanh(x).astype(np.float32),
         "Sigmoid": lambda x: (_f32(1) / (_f32(1) + np.exp(-x).astype(np.float32))),
         "Relu": lambda x: np.maximum(x, _f32(0)), "Neg": lambda x: -x, "Abs": np.abs,
         "Exp": lambda x: np.exp(x).astype(np.float32),
         "Sqrt": lambda x: np.sqrt(x).astype(np.float32)}
BINARY = {"Div": np.divide, "Mul": np.multiply, "Add": np.add, "Sub": np.subtract}


def _apply(b: Builder, n: onnx.NodeProto, t: str, x: np.ndarray) -> np.ndarray | None:
    """The float32 result of elementwise node ``n`` whose input ``t`` holds ``x`` (None: not
    an elementwise function of ``t`` alone)."""
    if n.op_type in UNARY and list(n.input) == [t]:
        return _f32(UNARY[n.op_type](x))
    if n.op_type == "Gelu" and list(n.input) == [t]:
        return _gelu(x, attrs(n).get("approximate", "none"))
    if n.op_type in BINARY and len(n.input) == 2 and t in n.input:
        other = n.input[1] if n.input[0] == t else n.input[0]
        if not _is_const(b, other):
            return None
        c = _f32(scalar(b, _real(b, other, "operand"), f"operand '{other}'"))
        return _f32(BINARY[n.op_type](x, c) if n.input[0] == t else
                    BINARY[n.op_type](c, x))
    return None


def float_chain(b: Builder, node: onnx.NodeProto) -> None:
    """Elementwise float ops from one quantized input to a QuantizeLinear: a table."""
    src = [n for n in node.input if n in b.vals]
    if len(src) != 1:
        raise b.error(f"{node.op_type} of {len(src)} quantized inputs in a float chain")
    v = b.val(src[0])
    x_ir = b.as_onnx(v)
    q_in = b.t(x_ir).quant
    codes = np.arange(-128, 128)
    x = _f32(codes - q_in.zp) * _f32(q_in.s)            # DequantizeLinear, float32
    y, n, chain = _apply(b, node, src[0], x), node, [node]
    if y is None:
        raise b.error(f"{node.op_type} is not an elementwise function of '{src[0]}'")
    while True:
        cons = b.consumers.get(n.output[0], [])
        if len(cons) != 1 or n.output[0] in b.graph_outputs:
            raise b.error(f"float value '{n.output[0]}' is not quantized (expected a chain "
                          "of elementwise ops ending in QuantizeLinear)")
        if cons[0].op_type == "QuantizeLinear":
            break
        nxt = _apply(b, cons[0], n.output[0], y)
        if nxt is None:
            raise b.error(f"float value '{n.output[0]}' feeds {cons[0].op_type}, which is "
                          "not an elementwise function of it alone")
        y, n = nxt, cons[0]
        chain.append(n)
    qn = cons[0]
    q = q_params(b, qn)
    with np.errstate(all="ignore"):
        codes_out = np.rint(y / _f32(q.s)).astype(np.float64) + q.zp     # half to even
    table = np.clip(np.nan_to_num(codes_out, nan=0.0), -128, 127).astype(np.int64)
    name = qn.output[0]
    out = b.act(name, b.t(x_ir).shape, q)
    b.add_op("lut", [x_ir], [out], table=table)
    b.vals[name] = Value(out)
    for c in (*chain, qn):
        b.done.add(id(c))


def nonlinear(b: Builder, node: onnx.NodeProto) -> None:
    """Softmax over the last axis of a transformer into any output quantization:
    ``softmax_exp`` (exp from a table, normalized in 64 bits: as close to float as the
    output scale allows; TFLite's softmax has a fixed 1/256 output scale and costs a
    requantization); other graphs, Sigmoid, Tanh, other axes: onnx_qdq."""
    x = b.val(node.input[0])
    rank = len(b.onnx_shape(x))
    axis = int(attrs(node).get("axis", -1 if b.opset >= 13 else 1)) % rank
    if node.op_type != "Softmax" or axis != rank - 1 or (b.opset < 13 and rank > 2) or \
            not transformer(b):
        onnx_qdq.nonlinear(b, node)
        return
    x_ir = b.as_onnx(x)
    q, _, _, name, _ = output_q(b, node)
    y = b.act(name, b.t(x_ir).shape, q)
    b.add_op("softmax_exp", [x_ir], [y])
    b.vals[name] = Value(y)


TRANSFORMER_OPS = {"LayerNormalization", "Erf", "Gelu"}


def transformer(b: Builder) -> bool:
    """A transformer graph (LayerNormalization, GELU, softmax, products of activations):
    its MatMul layers and Adds/Muls requantize with one rounding (``requant``), as the
    float ops between DQ and Q round once; TFLite's fixed-point rounding twice would put
    a step between them now and then, which the attention amplifies."""
    if not hasattr(b, "_transformer"):
        nodes = [n for ns in b.consumers.values() for n in ns]
        b._transformer = any(n.op_type in TRANSFORMER_OPS for n in nodes) or any(
            n.op_type == "MatMul" and len(n.input) > 1 and n.input[1] in b.vals
            for n in nodes)
    return b._transformer


def _shift_for(ratios: np.ndarray) -> int:
    return MUL_BITS - math.frexp(float(np.abs(ratios).max()))[1] + 1


def _requant_ratios(b: Builder, src: str, q: QuantParams, ratios: np.ndarray,
                    name: str) -> str:
    """int32 ``src`` times per-channel (last axis) ``ratios``, rounded half up, plus the
    zero point of ``q``, clamped to int8."""
    shift = _shift_for(ratios)
    mul = np.round(np.asarray(ratios, np.float64) * 2.0**shift).astype(object)
    div = 1 << shift
    y = b.act(name, b.t(src).shape, q)
    b.add_op("requant", [src], [y], mul=mul if mul.size > 1 else int(mul[0]),
             add=div // 2, div=div, rounding="floor", clip=(-128 - q.zp, 127 - q.zp))
    return y


def _fc_single_rounding(b: Builder, node: onnx.NodeProto) -> None:
    x = b.val(node.input[0])
    w = onnx_qdq._weight(b, node.input[1])
    if w.data.ndim != 2 or np.any(w.zp != 0):
        onnx_qdq.matmul(b, node)             # asymmetric or batched weights: TFLite form
        return
    xi = b.as_onnx(x)
    shape = b.t(xi).shape
    if w.data.shape[0] != shape[-1]:
        raise b.error(f"weight {list(w.data.shape)} does not fit input {list(shape)}")
    q, act, name, bias = onnx_qdq._out(b, node, allow_act=False, allow_bias=True)
    c_out = w.data.shape[1]
    w_scale = np.broadcast_to(np.asarray(w.scale, np.float64).ravel(), (c_out,))
    sx = b.quant(xi).s
    wt = b.const(f"{name}_weight", np.ascontiguousarray(w.data.T).astype(np.int8),
                 QuantParams.make(1.0, 0))
    bias_ir = ""
    if bias is not None:
        real = bias.real() if hasattr(bias, "real") and callable(bias.real) else bias
        bq = np.round(np.broadcast_to(np.asarray(real, np.float64).ravel(), (c_out,)) /
                      (sx * w_scale))
        bias_ir = b.const(f"{name}_bias", bq.astype(np.int32), QuantParams.make(1.0, 0))
    rows = int(np.prod(shape[:-1]))
    x2 = b.reshape(xi, (rows, shape[-1]))
    acc = b.add_tensor(f"{name}_acc", (rows, c_out), "int32", QuantParams.make(1.0, 0))
    b.add_op("fully_connected", [x2, wt, bias_ir], [acc])
    y = _requant_ratios(b, acc, q, sx * w_scale / q.s, f"{name}_2d")
    b.vals[name] = Value(b.reshape(y, (*shape[:-1], c_out), name))


def matmul(b: Builder, node: onnx.NodeProto) -> None:
    """MatMul: of two activations; by a constant weight (onnx_qdq, or in a transformer
    with one rounding)."""
    if node.input[1] in b.vals:
        matmul_activations(b, node)
    elif transformer(b):
        _fc_single_rounding(b, node)
    else:
        onnx_qdq.matmul(b, node)


def _quantized_output(b: Builder, node: onnx.NodeProto) -> bool:
    """``node``'s float output reaches a QuantizeLinear through pass-through ops only."""
    t = node.output[0]
    while True:
        cons = b.consumers.get(t, [])
        if len(cons) != 1 or t in b.graph_outputs:
            return False
        if cons[0].op_type == "QuantizeLinear":
            return True
        if cons[0].op_type not in PASS_FLOAT | {"Relu", "Clip", "Cast"}:
            return False
        t = cons[0].output[0]


def _int_operand(b: Builder, name: str, base: str) -> tuple[str, float]:
    """(IR tensor, scale) of a quantized activation or constant operand."""
    if name in b.qconsts:
        c = b.qconsts[name]
        if c.scale.size > 1:
            raise b.error(f"operand '{name}' is quantized per channel")
        ir = b.const(f"{base}_{len(b.tensors)}", c.data.astype(np.int8), c.quant())
        return ir, float(c.scale[0])
    ir = b.as_onnx(b.val(name))
    return ir, b.quant(ir).s


def _binary_single_rounding(b: Builder, node: onnx.NodeProto) -> None:
    """Add / Mul of two quantized operands, the int32 result requantized once."""
    q, _, _, name, _ = output_q(b, node)
    (a, sa), (c, sc) = (_int_operand(b, n, name) for n in node.input)
    try:
        shape = tuple(np.broadcast_shapes(b.t(a).shape, b.t(c).shape))
    except ValueError:
        raise b.error(f"operands {list(b.t(a).shape)} and {list(b.t(c).shape)} do not "
                      "broadcast")
    acc = b.add_tensor(f"{name}_acc", shape, "int32", QuantParams.make(1.0, 0))
    if node.op_type == "Mul":
        b.add_op("mul", [a, c], [acc])
        b.vals[name] = Value(_requant(b, acc, q, sa * sc / q.s, name))
        return
    ra, rc = sa / q.s, sc / q.s
    p = max(0, min(24, 30 - math.frexp(256 * (abs(ra) + abs(rc)))[1]))
    mults = (int(round(ra * 2**p)), int(round(rc * 2**p)))
    b.add_op("add", [a, c], [acc], mults=mults)
    y = b.act(name, shape, q)
    b.add_op("requant", [acc], [y], mul=1, add=(1 << p) // 2, div=1 << p, rounding="floor",
             clip=(-128 - q.zp, 127 - q.zp))
    b.vals[name] = Value(y)


def binary(b: Builder, node: onnx.NodeProto) -> None:
    """Add / Mul: a step of a float chain (x * 0.5 before Erf); in a transformer with one
    rounding; else onnx_qdq (TFLite's quantized add/mul)."""
    if not _quantized_output(b, node) and sum(n in b.vals for n in node.input) == 1:
        float_chain(b, node)
    elif transformer(b):
        _binary_single_rounding(b, node)
    else:
        onnx_qdq.binary(b, node)


# role -> handler; "matmul", "binary" and "nonlinear" extend onnx_qdq's (onnx.py merges this
# table last)
HANDLERS = {"layer_norm": layer_norm, "div": div, "float_chain": float_chain,
            "matmul": matmul, "binary": binary, "nonlinear": nonlinear}
