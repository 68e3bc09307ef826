"""IR emitters shared by the QOperator and QDQ handlers of the ONNX importer.

Each function takes already-resolved inputs (:class:`Value` activations, :class:`QConst`
constants in ONNX layout), the output quantization and fused activation, emits IR ops in
NHWC and returns the output :class:`Value`. Layout and dtype conversions live here so the
two ONNX forms cannot drift apart.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_build import SUBBYTE_NP, Builder, QConst, Value, same_quant
from tinydeploy.frontend.onnx_ops import (INF, NCHW_TO_NHWC, axis_of, conv_form, ints,
                                          pool_kernel, spatial)
from tinydeploy.ir.graph import QuantParams
from tinydeploy.quant.requant import activation_range, single_rounding_attrs

ACT_RANGES = {"none": (-INF, INF), "relu": (0.0, INF), "relu6": (0.0, 6.0),
              "relu_n1_to_1": (-1.0, 1.0)}
# TFLite's fixed output quantization of its int8 lookup-style kernels.
CANONICAL_OUT = {"logistic": (1 / 256, -128), "softmax": (1 / 256, -128), "tanh": (1 / 128, 0)}


def choose_act(lo: float, hi: float, q: QuantParams) -> str | None:
    """The fused activation equal to clamping reals to [lo, hi] before quantizing with ``q``.

    Bounds outside ``q``'s representable range do not matter (the int8 saturation already
    clamps there, to within half a step), so e.g. Clip(0, 6) into a range [0, 4] is "relu".
    None when no activation expresses the clamp.
    """
    s, zp = q.s, q.zp
    rmin, rmax = s * (-128 - zp), s * (127 - zp)
    want = (max(lo, rmin), min(hi, rmax))
    exact = [a for a, r in ACT_RANGES.items() if r == (lo, hi)]
    for act in exact + list(ACT_RANGES):
        alo, ahi = ACT_RANGES[act]
        got = (max(alo, rmin), min(ahi, rmax))
        if abs(got[0] - want[0]) <= s / 2 and abs(got[1] - want[1]) <= s / 2:
            return act
    return None


def prepare_bias(b: Builder, bias, x_scale: float, w_scale: np.ndarray, c_out: int
                 ) -> np.ndarray | None:
    """int32 bias with scale ``x_scale * w_scale`` (float32 products, as onnxruntime).

    int32 data already at that scale is kept bit for bit; anything else (float bias, other
    scales) is quantized with round-half-even like onnxruntime's quantizer.
    """
    if bias is None:
        return None
    want = np.broadcast_to(np.float32(x_scale) * w_scale.astype(np.float32), (c_out,))
    want = want.astype(np.float64)
    if isinstance(bias, QConst):
        if bias.data.size != c_out:
            raise b.error(f"bias has {bias.data.size} values, expected {c_out}")
        s = np.broadcast_to(bias.scale.astype(np.float64), (c_out,))
        if bias.data.dtype == np.int32 and not bias.zp.any() and \
                np.allclose(s, want, rtol=1e-6, atol=0):
            return bias.data.reshape(c_out).astype(np.int32)
        real = bias.real().reshape(-1)
    else:
        real = np.asarray(bias, dtype=np.float64).reshape(-1)
        if real.size != c_out:
            raise b.error(f"bias has {real.size} values, expected {c_out}")
    if not np.all(np.isfinite(real)):
        raise b.error("bias holds values that are not finite numbers", TinyDeployError)
    q = np.rint(real / want)
    return np.clip(q, -2**31, 2**31 - 1).astype(np.int32)


def _bias_tensor(b: Builder, name: str, data, x_scale: float, w_scale: np.ndarray) -> str:
    if data is None:
        return ""
    s = np.broadcast_to(np.float32(x_scale) * w_scale.astype(np.float32), data.shape)
    return b.const(f"{name}_bias", data, QuantParams.make(s.astype(np.float64), 0, 0))


def _single_rounding(b: Builder, xi: str, w: QConst, out_q: QuantParams) -> bool:
    """int8 activations and weights in a file without sub-byte tensors (those keep the
    kernels they have): the layer can requantize as the QDQ graph does."""
    return (not w.dtype and b.t(xi).dtype == "int8" and w.data.dtype == np.int8 and
            not any(c.dtype in SUBBYTE_NP for c in b.consts.values()))


def _accumulate_requant(b: Builder, kind: str, ins: list[str], shape, x_scale: float,
                        w: QConst, out_q: QuantParams, act: str, name: str, **attrs) -> str:
    """``kind`` with an int32 output, then ONE rounding to ``out_q`` (ONNX QDQ semantics:
    :func:`~tinydeploy.quant.requant.single_rounding_attrs`); the passes fuse the pair, so
    the int32 tensor never reaches the arena."""
    acc = b.add_tensor(f"{name}_acc", shape, "int32", QuantParams.make(1.0, 0))
    b.add_op(kind, ins, [acc], **attrs, act="none")
    ratios = (np.float64(np.float32(x_scale)) * w.scale.astype(np.float64) /
              np.float64(np.float32(out_q.s)))
    lo, hi = activation_range(act, out_q.s, out_q.zp)
    y = b.act(name, shape, out_q)
    b.add_op("requant", [acc], [y], op_name=f"{b.ops[-1].name}_requant",
             **single_rounding_attrs(ratios, out_q.zp, lo, hi))
    return y


def emit_conv(b: Builder, x: Value, w: QConst, bias, a: dict, out_q: QuantParams | None,
              act: str, name: str, single_rounding: bool = False) -> Value:
    """Conv (group 1) or depthwise conv (group == C_in); weights OIHW in ``w``.
    ``single_rounding``: requantize with one rounding, as the QDQ graph's float arithmetic
    (int8 layers), instead of TFLite's double rounding. ``out_q`` None: the int32
    accumulator itself is the output (ConvInteger)."""
    xi = b.as_nhwc(x)
    n, h, wd, c = b.t(xi).shape
    if w.data.ndim != 4:
        raise b.error(f"only 2-D convolution is supported (weight {list(w.data.shape)})")
    o, ipg, kh, kw = w.data.shape
    group = ints(b, [a.get("group", 1)], "group", 1)[0]
    if w.zp.any():
        raise b.error("asymmetric weights (zero point != 0) are not supported")
    if w.scale.size > 1 and w.axis != 0:
        raise b.error(f"per-channel weight scales must be on axis 0 (got axis {w.axis})")
    stride, dil, pads, (oh, ow) = spatial(b, a, (h, wd), (kh, kw))
    attrs = dict(stride=stride, dilation=dil, pads=pads, act=act)
    kind, multiplier = conv_form(b, group, c, o, ipg)
    if kind == "conv2d":
        wdata, axis = w.data.transpose(0, 2, 3, 1), 0
    else:
        wdata, axis = w.data[:, 0].transpose(1, 2, 0), 2
        attrs["depth_multiplier"] = multiplier
    x_scale = b.quant(xi).s
    bdata = prepare_bias(b, bias, x_scale, w.scale, o)
    w_ir = b.const(f"{name}_weight", wdata.astype(np.int8), w.quant(axis), w.dtype)
    b_ir = _bias_tensor(b, name, bdata, x_scale, w.scale)
    if out_q is None:
        y = b.add_tensor(name, (n, oh, ow, o), "int32", QuantParams.make(1.0, 0))
        b.add_op(kind, [xi, w_ir, b_ir], [y], **attrs)
        return Value(y, nhwc=True)
    if single_rounding and _single_rounding(b, xi, w, out_q):
        attrs.pop("act")
        y = _accumulate_requant(b, kind, [xi, w_ir, b_ir], (n, oh, ow, o), x_scale, w,
                                out_q, act, name, **attrs)
        return Value(y, nhwc=True)
    y = b.act(name, (n, oh, ow, o), out_q)
    b.add_op(kind, [xi, w_ir, b_ir], [y], **attrs)
    return Value(y, nhwc=True)


def emit_fc(b: Builder, x: Value, w: QConst, bias, out_q: QuantParams | None, act: str,
            name: str, single_rounding: bool = False) -> Value:
    """y[..., o] = x[..., :] . w[o, :] + bias[o]; ``w`` is [out, in] (per-channel axis 0).
    ``single_rounding`` and ``out_q`` None as in :func:`emit_conv`."""
    xi = b.as_onnx(x)
    shape = b.t(xi).shape
    if w.data.ndim != 2 or w.data.shape[1] != shape[-1]:
        raise b.error(f"weight {list(w.data.shape)} does not fit input {list(shape)}")
    if w.scale.size > 1 and (w.zp.any() or w.axis != 0):
        raise b.error("per-channel weights must be symmetric, one scale per output")
    c_out = w.data.shape[0]
    x_scale = b.quant(xi).s
    bdata = prepare_bias(b, bias, x_scale, w.scale, c_out)
    w_ir = b.const(f"{name}_weight", w.data.astype(np.int8), w.quant(0), w.dtype)
    b_ir = _bias_tensor(b, name, bdata, x_scale, w.scale)
    if out_q is None:
        y = b.add_tensor(name, (*shape[:-1], c_out), "int32", QuantParams.make(1.0, 0))
        b.add_op("fully_connected", [xi, w_ir, b_ir], [y], act=act)
        return Value(y)
    if single_rounding and _single_rounding(b, xi, w, out_q):
        return Value(_accumulate_requant(b, "fully_connected", [xi, w_ir, b_ir],
                                         (*shape[:-1], c_out), x_scale, w, out_q, act, name))
    y = b.act(name, (*shape[:-1], c_out), out_q)
    b.add_op("fully_connected", [xi, w_ir, b_ir], [y], act=act)
    return Value(y)


def emit_pool(b: Builder, kind: str, x: Value, a: dict, out_q: QuantParams, act: str,
              name: str, channels_last: bool = False) -> Value:
    """max_pool2d / avg_pool2d; pooling keeps the input quantization, then requantizes."""
    xi = b.as_onnx(x) if channels_last else b.as_nhwc(x)
    n, h, w, c = b.t(xi).shape
    k = pool_kernel(b, a)
    ceil = ints(b, [a.get("ceil_mode", 0)], "ceil_mode", 0, 1)[0]
    stride, _, pads, (oh, ow) = spatial(b, a, (h, w), k, ceil)
    q_in = b.quant(xi)
    include_pad = bool(a.get("count_include_pad", 0)) or not any(pads)
    if kind == "avg_pool2d" and include_pad and not a.get("ceil_mode", 0) and \
            not same_quant(q_in, out_q):
        # rescaling average with a fixed divisor: one depthwise conv with all-one weights
        # of scale 1/(kh*kw) rounds once, as onnxruntime does (pool + requantize twice)
        ones = b.const(f"{name}_ones", np.ones((*k, c), np.int8),
                       QuantParams.make(np.float32(1.0 / (k[0] * k[1])), 0))
        y = b.act(name, (n, oh, ow, c), out_q)
        b.add_op("depthwise_conv2d", [xi, ones, ""], [y], stride=stride, dilation=(1, 1),
                 pads=pads, act=act, depth_multiplier=1)
        return Value(y, nhwc=not channels_last)
    if kind == "avg_pool2d" and a.get("count_include_pad", 0) and any(pads):
        if a.get("ceil_mode", 0):
            raise b.error("count_include_pad with ceil_mode is not supported")
        xi = emit_pad(b, Value(xi, True), [0, pads[0], pads[1], 0, 0, pads[2], pads[3], 0],
                      f"{name}_padded", nchw_pads=False).ir
        pads = (0, 0, 0, 0)
    base = name if same_quant(q_in, out_q) else f"{name}_pool"
    y = b.act(base, (n, oh, ow, c), q_in)
    b.add_op(kind, [xi], [y], kernel=k, stride=stride, pads=pads, act=act)
    return Value(b.requantize(y, out_q, name), nhwc=not channels_last)


def emit_global_avg(b: Builder, x: Value, out_q: QuantParams, name: str,
                    channels_last: bool = False) -> Value:
    """Mean over H, W with keepdims: avg_pool2d when quantization is kept, else mean."""
    xi = b.as_onnx(x) if channels_last else b.as_nhwc(x)
    n, h, w, c = b.t(xi).shape
    y = b.act(name, (n, 1, 1, c), out_q)
    if same_quant(b.quant(xi), out_q):
        b.add_op("avg_pool2d", [xi], [y], kernel=(h, w), stride=(1, 1), pads=(0, 0, 0, 0),
                 act="none")
    else:
        b.add_op("mean", [xi], [y], axes=(1, 2), keepdims=True)
    return Value(y, nhwc=not channels_last)


def emit_mean(b: Builder, x: Value, axes, keepdims: bool, out_q: QuantParams,
              name: str) -> Value:
    rank = len(b.onnx_shape(x))
    axes = sorted({int(a) % rank for a in axes})
    nhwc = False
    if x.nhwc:
        ir_axes = sorted(NCHW_TO_NHWC.index(a) for a in axes)
        kept = [NCHW_TO_NHWC[i] for i in range(4) if i not in ir_axes]
        nhwc = bool(keepdims)
        if keepdims or kept == sorted(kept):
            xi = x.ir
        else:
            xi, ir_axes = b.as_onnx(x), axes
    else:
        xi, ir_axes = x.ir, axes
    shape = b.t(xi).shape
    out = [1 if d in ir_axes else s for d, s in enumerate(shape)
           if keepdims or d not in ir_axes]
    y = b.act(name, out, out_q)
    b.add_op("mean", [xi], [y], axes=tuple(ir_axes), keepdims=bool(keepdims))
    return Value(y, nhwc=nhwc)


def _operand(b: Builder, v, nhwc: bool, name: str) -> str:
    """IR tensor of an elementwise operand, in NHWC (rank-4 aligned) or ONNX layout."""
    if isinstance(v, Value):
        if not nhwc:
            return b.as_onnx(v)
        if v.nhwc:
            return v.ir
        s = b.onnx_shape(v)
        return b.as_nhwc(Value(b.reshape(v.ir, (1,) * (4 - len(s)) + s)))
    if v.scale.size > 1:
        raise b.error("per-channel quantized constant operands are not supported")
    data = v.data.astype(np.int8) if v.data.dtype != np.int8 else v.data
    if nhwc:
        data = data.reshape((1,) * (4 - data.ndim) + data.shape).transpose(NCHW_TO_NHWC)
    return b.const(f"{name}_const", data, v.quant())


def emit_binary(b: Builder, kind: str, ins: list, out_q: QuantParams, act: str,
                name: str) -> Value:
    """add / mul of two operands (Values or per-tensor QConsts), numpy broadcasting."""
    shapes = [b.onnx_shape(v) if isinstance(v, Value) else v.data.shape for v in ins]
    try:
        out_onnx = np.broadcast_shapes(*shapes)
    except ValueError:
        raise b.error(f"shapes {shapes} do not broadcast") from None
    if not any(isinstance(v, Value) for v in ins):
        raise b.error("both operands are constants")
    nhwc = len(out_onnx) == 4 and any(isinstance(v, Value) and v.nhwc for v in ins)
    irs = [_operand(b, v, nhwc, f"{name}_{i}") for i, v in enumerate(ins)]
    shape = np.broadcast_shapes(*(b.t(i).shape for i in irs))
    y = b.act(name, shape, out_q)
    b.add_op(kind, irs, [y], act=act)
    return Value(y, nhwc=nhwc)


def emit_concat(b: Builder, ins: list[Value], axis: int, out_q: QuantParams,
                name: str) -> Value:
    rank = len(b.onnx_shape(ins[0]))
    axis = axis_of(b, axis, rank)
    nhwc = rank == 4 and any(v.nhwc for v in ins)
    irs = [b.requantize(b.as_nhwc(v) if nhwc else b.as_onnx(v), out_q) for v in ins]
    ir_axis = NCHW_TO_NHWC.index(axis) if nhwc else axis
    shape = list(b.t(irs[0]).shape)
    shape[ir_axis] = sum(b.t(i).shape[ir_axis] for i in irs)
    y = b.act(name, shape, out_q)
    b.add_op("concat", irs, [y], axis=ir_axis)
    return Value(y, nhwc=nhwc)


def emit_nonlinear(b: Builder, kind: str, x: Value, out_q: QuantParams, name: str,
                   axis: int = -1) -> Value:
    """logistic / tanh / softmax (last IR axis) into TFLite's fixed output quantization,
    then requantized to ``out_q`` when that differs."""
    xi, nhwc = x.ir, x.nhwc
    attrs = {}
    if kind == "softmax":
        rank = len(b.onnx_shape(x))
        axis = axis_of(b, axis, rank)
        if x.nhwc and axis == 1:
            pass
        elif axis == rank - 1:
            xi, nhwc = b.as_onnx(x), False
        else:
            raise b.error(f"softmax over axis {axis} of a {rank}-D tensor is not supported "
                          "(only the last/channel axis)")
        attrs["beta"] = 1.0
    s, zp = CANONICAL_OUT[kind]
    canon = QuantParams.make(s, zp)
    y = b.act(name if same_quant(canon, out_q) else f"{name}_{kind}", b.t(xi).shape, canon)
    b.add_op(kind, [xi], [y], **attrs)
    return Value(b.requantize(y, out_q, name), nhwc=nhwc)


def emit_pad(b: Builder, x: Value, pads, name: str, nchw_pads: bool = True) -> Value:
    """Constant pad with real 0 (the zero point); ``pads`` = ONNX [begins..., ends...]."""
    r = len(pads) // 2
    pairs = [(int(pads[i]), int(pads[i + r])) for i in range(r)]
    if x.nhwc and nchw_pads:
        pairs = [pairs[p] for p in NCHW_TO_NHWC]
    if any(p < 0 for pr in pairs for p in pr):
        raise b.error("negative pads (cropping) are not supported")
    shape = [d + p0 + p1 for d, (p0, p1) in zip(b.t(x.ir).shape, pairs)]
    y = b.act(name, shape, b.quant(x))
    b.add_op("pad", [x.ir], [y], pads=tuple(pairs))
    return Value(y, nhwc=x.nhwc)


def emit_clamp(b: Builder, x: Value, lo: float, hi: float, out_q: QuantParams,
               name: str) -> Value:
    """Standalone Relu/Clip: a requantize to ``out_q`` that carries the activation (none
    when the output range already implies the clamp)."""
    act = choose_act(lo, hi, out_q)
    if act is None:
        raise b.error(f"clamp to [{lo:g}, {hi:g}] is not supported (only relu, relu6, "
                      "relu_n1_to_1 or a range implied by the output quantization)")
    if act == "none":
        return Value(b.requantize(x.ir, out_q, name), nhwc=x.nhwc)
    y = b.act(name, b.t(x.ir).shape, out_q)
    b.add_op("quantize", [x.ir], [y], act=act)
    return Value(y, nhwc=x.nhwc)
