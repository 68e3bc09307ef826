"""Float TFLite builtin operators -> float graph ops: one short mapper per operator.

Each mapper gets the converter (tensor access, options, errors), the op's TFLite input and
output tensor indices and the raw operator. Layout changes are the int8 frontend's:
explicit pads from SAME/VALID, depthwise weights ``[KH, KW, C*M]``, FULLY_CONNECTED on a
non-2-D input gets reshapes around it. A constant DEQUANTIZE (float16 or int8 weights) is
folded into a float32 constant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np
import tflite

from tinydeploy.ir.graph import Tensor

if TYPE_CHECKING:
    from tinydeploy.quantize.float_tflite import _Converter

Mapper = Callable[["_Converter", list, list, object], None]


def explicit_pads(c: _Converter, x: Tensor, y: Tensor, padding: int, kernel, stride,
                  dilation) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of TFLite SAME/VALID padding; checks the output size."""
    if len(x.shape) != 4 or len(y.shape) != 4:
        c.fail(f"expected 4-D NHWC input/output, got {list(x.shape)} -> {list(y.shape)}")
    pads = []
    for i in range(2):
        size, k, s, d = x.shape[i + 1], kernel[i], stride[i], dilation[i]
        eff = (k - 1) * d + 1
        out = -(-size // s) if padding == tflite.Padding.SAME else (size - eff + s) // s
        if out != y.shape[i + 1]:
            c.fail(f"output size {y.shape[i + 1]} != {out} computed from the padding")
        total = max((out - 1) * s + eff - size, 0)
        pads.append((total // 2, total - total // 2))
    return pads[0][0], pads[1][0], pads[0][1], pads[1][1]


def _weights(c: _Converter, ins: list, n: int, what: str) -> str:
    if n >= len(ins) or ins[n] < 0:
        return ""
    c.const(ins[n], what)
    if c.t(ins[n]).dtype != "float32":
        c.fail(f"{what} '{c.tensor(ins[n])}' is {c.t(ins[n]).dtype}, expected float")
    return c.tensor(ins[n])


def _conv2d(c: _Converter, ins, outs, raw) -> None:
    o = c.options(raw, tflite.Conv2DOptions)
    x, y = c.t(ins[0]), c.t(outs[0])
    w = c.t(int(ins[1])) if _weights(c, ins, 1, "weights") else None
    if w is None or len(w.shape) != 4 or w.shape[3] != x.shape[-1]:
        c.fail("grouped convolution (or weights of the wrong shape) is not supported")
    stride, dil = (o.StrideH(), o.StrideW()), (o.DilationHFactor(), o.DilationWFactor())
    pads = explicit_pads(c, x, y, o.Padding(), w.shape[1:3], stride, dil)
    c.add("conv2d", (x.name, w.name, _weights(c, ins, 2, "bias")), (y.name,), stride=stride,
          dilation=dil, pads=pads, act=c.act(o.FusedActivationFunction()))


def _depthwise(c: _Converter, ins, outs, raw) -> None:
    o = c.options(raw, tflite.DepthwiseConv2DOptions)
    x, y = c.t(ins[0]), c.t(outs[0])
    w = c.t(int(ins[1])) if _weights(c, ins, 1, "weights") else None
    if w is None or len(w.shape) != 4 or w.shape[0] != 1:
        c.fail("depthwise weights must be [1, KH, KW, C*M]")
    name = w.name + "_hwc"
    if name not in c.tensors:
        c.tensors[name] = Tensor(name, w.shape[1:], "float32", None, w.data.reshape(w.shape[1:]))
    c_in, c_out = x.shape[-1], w.shape[3]
    if c_out % c_in:
        c.fail(f"{c_out} output channels for {c_in} input channels")
    stride, dil = (o.StrideH(), o.StrideW()), (o.DilationHFactor(), o.DilationWFactor())
    pads = explicit_pads(c, x, y, o.Padding(), w.shape[1:3], stride, dil)
    c.add("depthwise_conv2d", (x.name, name, _weights(c, ins, 2, "bias")), (y.name,),
          stride=stride, dilation=dil, pads=pads, act=c.act(o.FusedActivationFunction()),
          depth_multiplier=c_out // c_in)


def _fully_connected(c: _Converter, ins, outs, raw) -> None:
    o = c.options(raw, tflite.FullyConnectedOptions)
    x, y = c.t(ins[0]), c.t(outs[0])
    w = c.t(int(ins[1])) if _weights(c, ins, 1, "weights") else None
    if w is None or len(w.shape) != 2 or x.size % w.shape[1]:
        c.fail("weights must be [out, in] with the input a whole number of rows")
    rows = x.size // w.shape[1]
    xn, yn = x.name, y.name
    if x.shape != (rows, w.shape[1]):
        xn = c.new_tensor(f"{x.name}_2d", (rows, w.shape[1]))
        c.add("reshape", (x.name,), (xn,), suffix="flatten")
    if y.shape != (rows, w.shape[0]):
        yn = c.new_tensor(f"{y.name}_2d", (rows, w.shape[0]))
    act = c.act(o.FusedActivationFunction()) if o is not None else "none"
    c.add("fully_connected", (xn, w.name, _weights(c, ins, 2, "bias")), (yn,), act=act)
    if yn != y.name:
        c.add("reshape", (yn,), (y.name,), suffix="unflatten")


def _pool(kind: str) -> Mapper:
    def mapper(c: _Converter, ins, outs, raw) -> None:
        o = c.options(raw, tflite.Pool2DOptions)
        x, y = c.t(ins[0]), c.t(outs[0])
        kernel, stride = (o.FilterHeight(), o.FilterWidth()), (o.StrideH(), o.StrideW())
        pads = explicit_pads(c, x, y, o.Padding(), kernel, stride, (1, 1))
        c.add(kind, (x.name,), (y.name,), kernel=kernel, stride=stride, pads=pads,
              act=c.act(o.FusedActivationFunction()))
    return mapper


def _binary(kind: str, cls: type) -> Mapper:
    def mapper(c: _Converter, ins, outs, raw) -> None:
        if len(ins) != 2 or any(c.r.tensors[j].data for j in ins):
            c.fail(f"{kind} needs two activation inputs (a constant operand is not "
                   "supported)")
        o = c.options(raw, cls)
        act = c.act(o.FusedActivationFunction()) if o is not None else "none"
        c.add(kind, (c.tensor(ins[0]), c.tensor(ins[1])), (c.tensor(outs[0]),), act=act)
    return mapper


def _concat(c: _Converter, ins, outs, raw) -> None:
    o = c.options(raw, tflite.ConcatenationOptions)
    if o.FusedActivationFunction() != 0:
        c.fail("fused activation on CONCATENATION")
    rank = len(c.t(outs[0]).shape)
    c.add("concat", [c.tensor(j) for j in ins], (c.tensor(outs[0]),), axis=o.Axis() % rank)


def _pad(c: _Converter, ins, outs, raw) -> None:
    pads = c.const(ins[1], "paddings").reshape(-1, 2)
    if len(ins) > 2 and ins[2] >= 0 and float(c.const(ins[2], "pad value").ravel()[0]) != 0:
        c.fail("padding with a value other than 0 is not supported")
    c.add("pad", (c.tensor(ins[0]),), (c.tensor(outs[0]),),
          pads=tuple((int(a), int(b)) for a, b in pads))


def _mean(c: _Converter, ins, outs, raw) -> None:
    rank = len(c.t(ins[0]).shape)
    axes = tuple(sorted({int(a) % rank for a in c.const(ins[1], "axes").ravel()}))
    if 0 in axes:
        c.fail("MEAN over the batch dimension is not supported")
    o = c.options(raw, tflite.ReducerOptions)
    c.add("mean", (c.tensor(ins[0]),), (c.tensor(outs[0]),), axes=axes,
          keepdims=bool(o.KeepDims()) if o is not None else False)


def _softmax(c: _Converter, ins, outs, raw) -> None:
    o = c.options(raw, tflite.SoftmaxOptions)
    c.add("softmax", (c.tensor(ins[0]),), (c.tensor(outs[0]),),
          beta=float(o.Beta()) if o is not None else 1.0)


def _transpose(c: _Converter, ins, outs, raw) -> None:
    perm = tuple(int(p) for p in c.const(ins[1], "perm").ravel())
    if perm[0] != 0:
        c.fail("TRANSPOSE that moves the batch dimension is not supported")
    c.add("transpose", (c.tensor(ins[0]),), (c.tensor(outs[0]),), perm=perm)


def _dequantize(c: _Converter, ins, outs, raw) -> None:
    """Constant weights stored as float16/int8: fold into a float32 constant."""
    data = c.const(ins[0], "DEQUANTIZE input (a float model dequantizes weights only)")
    name, t = c.r.names[outs[0]], c.r.tensors[outs[0]]
    c.tensors[name] = Tensor(name, t.shape, "float32", None,
                             np.asarray(data, np.float32).reshape(t.shape))
    c.r.tensors[outs[0]].data = b"folded"      # a constant from now on


def _unary(kind: str, **attrs) -> Mapper:
    def mapper(c: _Converter, ins, outs, raw) -> None:
        c.add(kind, (c.tensor(ins[0]),), (c.tensor(outs[0]),), **attrs)
    return mapper


MAPPERS: dict[str, Mapper] = {
    "CONV_2D": _conv2d,
    "DEPTHWISE_CONV_2D": _depthwise,
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
    "TRANSPOSE": _transpose,
    "MEAN": _mean,
    "SOFTMAX": _softmax,
    "LOGISTIC": _unary("logistic"),
    "TANH": _unary("tanh"),
    "RELU": _unary("act", act="relu"),
    "RELU6": _unary("act", act="relu6"),
    "RELU_N1_TO_1": _unary("act", act="relu_n1_to_1"),
    "DEQUANTIZE": _dequantize,
}
