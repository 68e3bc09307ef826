"""TFLite builtin operators -> IR ops: one short mapping function per operator.

Each mapper takes the op's :class:`~tinydeploy.frontend.tflite._OpContext` (tensor access,
options, error reporting) and returns the IR ops it becomes. Layout changes:

- SAME/VALID padding becomes explicit ``pads`` (top, left, bottom, right) as TFLite
  computes them: ``total = max((out-1)*stride + (k-1)*dilation + 1 - in, 0)``, the odd
  pixel at the bottom/right.
- Depthwise weights ``[1, KH, KW, C*M]`` lose the leading 1 (per-channel axis 3 -> 2).
- FULLY_CONNECTED on an input that is not ``[N, in_features]`` gets an IR ``reshape`` in
  front (and one behind when the output is not ``[N, out_features]``).
- RESHAPE, SQUEEZE and EXPAND_DIMS all become ``reshape`` (the output shape says it all);
  standalone RELU/RELU6/RELU_N1_TO_1 become an int8 -> int8 ``quantize`` with ``act``
  (TFLite's quantized RELU rescales input to output quantization, then clamps).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np
import tflite

from tinydeploy.ir.graph import Op, QuantParams, Tensor

if TYPE_CHECKING:
    from tinydeploy.frontend.tflite import _OpContext

Mapper = Callable[["_OpContext"], list[Op]]


def _explicit_pads(c: _OpContext, padding: int, kernel, stride, dilation
                   ) -> tuple[int, int, int, int]:
    """Pads for SAME/VALID; checks the output size TFLite would compute."""
    x, y = c.t(c.i(0)), c.t(c.o())
    if len(x.shape) != 4 or len(y.shape) != 4:
        c.fail(f"expected 4-D NHWC input/output, got {list(x.shape)} -> {list(y.shape)}")
    if min(*stride, *dilation, *kernel) < 1:
        c.fail(f"invalid stride {stride}, dilation {dilation} or kernel {kernel}",
               unsupported=False)
    pads = []
    for i in range(2):
        size, k, s, d = x.shape[i + 1], kernel[i], stride[i], dilation[i]
        eff = (k - 1) * d + 1
        out = -(-size // s) if padding == tflite.Padding.SAME else (size - eff + s) // s
        if out != y.shape[i + 1]:
            c.fail(f"output size {y.shape[i + 1]} != {out} computed from the padding, "
                   "stride and kernel", unsupported=False)
        total = max((out - 1) * s + eff - size, 0)
        pads.append((total // 2, total - total // 2))
    return pads[0][0], pads[1][0], pads[0][1], pads[1][1]


def _conv2d(c: _OpContext) -> list[Op]:
    o = c.options(tflite.Conv2DOptions)
    x, w = c.t(c.i(0)), c.weights(1, "int8")
    if c.i(2):
        c.weights(2, "int32")
    if len(w.shape) != 4 or w.shape[3] != x.shape[-1]:
        c.fail(f"weights {list(w.shape)} for input {list(x.shape)}: grouped convolution "
               "is not supported")
    stride, dil = (o.StrideH(), o.StrideW()), (o.DilationHFactor(), o.DilationWFactor())
    pads = _explicit_pads(c, o.Padding(), w.shape[1:3], stride, dil)
    return [c.op("conv2d", (x.name, w.name, c.i(2)), stride=stride, dilation=dil, pads=pads,
                 act=c.act(o.FusedActivationFunction()))]


def _depthwise_conv2d(c: _OpContext) -> list[Op]:
    o = c.options(tflite.DepthwiseConv2DOptions)
    x, w = c.t(c.i(0)), c.weights(1, "int8")
    if c.i(2):
        c.weights(2, "int32")
    if len(w.shape) == 4:       # [1, KH, KW, C*M] -> [KH, KW, C*M]; shared weights once only
        if w.shape[0] != 1:
            c.fail(f"depthwise weights of shape {list(w.shape)}", unsupported=False)
        q = w.quant
        if q is not None and q.per_channel:
            q = QuantParams(q.scale, q.zero_point, q.axis - 1)
        w = Tensor(w.name, w.shape[1:], w.dtype, q, w.data.reshape(w.shape[1:]))
        c.put(w)
    c_in, c_out = x.shape[-1], w.shape[2]
    if c_out % c_in or o.DepthMultiplier() not in (0, c_out // c_in):
        c.fail(f"{c_out} output channels for {c_in} input channels and depth multiplier "
               f"{o.DepthMultiplier()}", unsupported=False)
    stride, dil = (o.StrideH(), o.StrideW()), (o.DilationHFactor(), o.DilationWFactor())
    pads = _explicit_pads(c, o.Padding(), w.shape[0:2], stride, dil)
    return [c.op("depthwise_conv2d", (x.name, w.name, c.i(2)), stride=stride, dilation=dil,
                 pads=pads, act=c.act(o.FusedActivationFunction()),
                 depth_multiplier=c_out // c_in)]


def _fully_connected(c: _OpContext) -> list[Op]:
    o = c.options(tflite.FullyConnectedOptions)
    if o.WeightsFormat() != 0:
        c.fail("shuffled FULLY_CONNECTED weights format")
    x, w, y = c.t(c.i(0)), c.weights(1, "int8"), c.t(c.o())
    if c.i(2):
        c.weights(2, "int32")
    n_out, n_in = w.shape
    if x.size % n_in:
        c.fail(f"input {list(x.shape)} does not flatten to rows of {n_in}", unsupported=False)
    rows, ops = x.size // n_in, []
    xn, yn = x.name, y.name
    if x.shape != (rows, n_in):
        xn = c.new_tensor(f"{x.name}_2d", x, (rows, n_in))
        ops.append(c.op("reshape", (x.name,), (xn,), suffix="flatten"))
    if y.shape != (rows, n_out):
        yn = c.new_tensor(f"{y.name}_2d", y, (rows, n_out))
    ops.append(c.op("fully_connected", (xn, w.name, c.i(2)), (yn,),
                    act=c.act(o.FusedActivationFunction())))
    if yn != y.name:
        ops.append(c.op("reshape", (yn,), (y.name,), suffix="unflatten"))
    return ops


def _pool(kind: str) -> Mapper:
    def mapper(c: _OpContext) -> list[Op]:
        o = c.options(tflite.Pool2DOptions)
        kernel, stride = (o.FilterHeight(), o.FilterWidth()), (o.StrideH(), o.StrideW())
        pads = _explicit_pads(c, o.Padding(), kernel, stride, (1, 1))
        return [c.op(kind, (c.i(0),), kernel=kernel, stride=stride, pads=pads,
                     act=c.act(o.FusedActivationFunction()))]
    return mapper


def _binary(kind: str, cls: type) -> Mapper:
    def mapper(c: _OpContext) -> list[Op]:
        if len(c.ins) != 2:
            c.fail(f"expected 2 inputs, got {len(c.ins)}", unsupported=False)
        o = c.options(cls, required=False)
        act = c.act(o.FusedActivationFunction()) if o else "none"
        return [c.op(kind, (c.i(0), c.i(1)), act=act)]
    return mapper


def _concat(c: _OpContext) -> list[Op]:
    o = c.options(tflite.ConcatenationOptions)
    if o.FusedActivationFunction() != 0:
        c.fail("fused activation on CONCATENATION")
    rank = len(c.t(c.o()).shape)
    return [c.op("concat", [c.i(n) for n in range(len(c.ins))],
                 axis=o.Axis() % rank if rank else 0)]


def _pad(c: _OpContext) -> list[Op]:
    """PAD/PADV2 copy bytes, so in/out share quantization and pad with the zero point."""
    x, y = c.t(c.i(0)), c.t(c.o())
    pads = c.const(1).reshape(-1, 2)
    if x.quant is None or y.quant is None or not (
            np.array_equal(x.quant.scale, y.quant.scale) and x.quant.zp == y.quant.zp):
        c.fail("PAD input and output quantization differ")
    if len(c.ins) > 2 and c.i(2) and int(c.const(2).ravel()[0]) != y.quant.zp:
        c.fail(f"PADV2 constant {int(c.const(2).ravel()[0])} is not the zero point "
               f"{y.quant.zp} (only padding with real 0 is supported)")
    return [c.op("pad", (x.name,), pads=tuple((int(a), int(b)) for a, b in pads))]


def _mean(c: _OpContext) -> list[Op]:
    rank = len(c.t(c.i(0)).shape)
    axes = tuple(sorted({int(a) % rank for a in c.const(1).ravel()}))
    o = c.options(tflite.ReducerOptions, required=False)
    return [c.op("mean", (c.i(0),), axes=axes, keepdims=bool(o.KeepDims()) if o else False)]


def _softmax(c: _OpContext) -> list[Op]:
    return [c.op("softmax", (c.i(0),), beta=float(c.options(tflite.SoftmaxOptions).Beta()))]


def _unary(kind: str, **attrs) -> Mapper:
    return lambda c: [c.op(kind, (c.i(0),), **attrs)]


MAPPERS: dict[str, Mapper] = {
    "CONV_2D": _conv2d,
    "DEPTHWISE_CONV_2D": _depthwise_conv2d,
    "FULLY_CONNECTED": _fully_connected,
    "AVERAGE_POOL_2D": _pool("avg_pool2d"),
    "MAX_POOL_2D": _pool("max_pool2d"),
    "ADD": _binary("add", tflite.AddOptions),
    "MUL": _binary("mul", tflite.MulOptions),
    "CONCATENATION": _concat,
    "PAD": _pad,
    "PADV2": _pad,
    "RESHAPE": _unary("reshape"),
    "SQUEEZE": _unary("reshape"),
    "EXPAND_DIMS": _unary("reshape"),
    "MEAN": _mean,
    "SOFTMAX": _softmax,
    "LOGISTIC": _unary("logistic"),
    "TANH": _unary("tanh"),
    "QUANTIZE": _unary("quantize", act="none"),
    "DEQUANTIZE": _unary("dequantize"),
    "RELU": _unary("quantize", act="relu"),
    "RELU6": _unary("quantize", act="relu6"),
    "RELU_N1_TO_1": _unary("quantize", act="relu_n1_to_1"),
}
