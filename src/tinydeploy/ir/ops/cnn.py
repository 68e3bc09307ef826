"""Op kinds of integer CNNs: convolutions, pooling, elementwise arithmetic, data movement,
quantization, and the raw-accumulator requantization of the PULP dialects."""

from __future__ import annotations

from tinydeploy.ir.ops import (ACTIVATIONS, OpDef, conv_macs, dw_macs, elementwise_macs,
                               fc_macs, pool_macs, reduce_macs, register)

_SPATIAL = {
    "stride": "(sh, sw)",
    "dilation": "(dh, dw)",
    "pads": "(top, left, bottom, right) explicit zero padding in input pixels",
    "act": "fused activation, one of " + ", ".join(ACTIVATIONS),
}

register(OpDef("conv2d", ("x", "weight", "bias"), _SPATIAL, conv_macs,
                "NHWC conv, OHWI int8 weights (per-channel or per-tensor), int32 bias"))
register(OpDef("depthwise_conv2d", ("x", "weight", "bias"),
                {**_SPATIAL, "depth_multiplier": "output channels per input channel"},
                dw_macs, "NHWC depthwise conv, weights [KH, KW, C_out]"))
register(OpDef("fully_connected", ("x", "weight", "bias"), {"act": _SPATIAL["act"]},
                fc_macs, "y[..., o] = sum_i x[..., i] * w[o, i] + b[o]"))
register(OpDef("avg_pool2d", ("x",),
                {"kernel": "(kh, kw)", "stride": "(sh, sw)", "pads": _SPATIAL["pads"],
                 "act": _SPATIAL["act"]}, pool_macs,
                "average over the valid (non-padding) window elements"))
register(OpDef("max_pool2d", ("x",),
                {"kernel": "(kh, kw)", "stride": "(sh, sw)", "pads": _SPATIAL["pads"],
                 "act": _SPATIAL["act"]}, pool_macs, "max over the valid window elements"))
register(OpDef("add", ("a", "b"), {"act": _SPATIAL["act"]}, elementwise_macs,
                "elementwise sum, both inputs rescaled to the output's quantization"))
register(OpDef("mul", ("a", "b"), {"act": _SPATIAL["act"]}, elementwise_macs,
                "elementwise product"))
register(OpDef("concat", ("*",), {"axis": "axis (non-negative) to join along"},
                doc="inputs share the output's quantization (a pass inserts requantize)"))
register(OpDef("pad", ("x",), {"pads": "((before, after), ...) per dimension"},
                doc="constant padding with the value that represents real 0"))
register(OpDef("reshape", ("x",), {}, doc="same bytes, new shape (aliased, no copy)"))
register(OpDef("transpose", ("x",), {"perm": "output dim i = input dim perm[i]"},
                doc="byte permutation, used by the ONNX frontend for NCHW edges"))
register(OpDef("mean", ("x",), {"axes": "reduced axes", "keepdims": "bool"},
                reduce_macs, "mean over axes, requantized"))
register(OpDef("softmax", ("x",), {"beta": "float"}, elementwise_macs,
                "softmax over the last axis"))
register(OpDef("logistic", ("x",), {}, elementwise_macs, "sigmoid"))
register(OpDef("tanh", ("x",), {}, elementwise_macs, "hyperbolic tangent"))
register(OpDef("quantize", ("x",),
                {"act": "optional standalone activation (relu, relu6, relu_n1_to_1) applied "
                        "by an int8 -> int8 requantize, as TFLite's RELU/RELU6 ops"},
                doc="float32 -> int8, or int8/uint8 -> int8/uint8 with new quantization "
                    "(requantize)"))
register(OpDef("dequantize", ("x",), {}, doc="int8/uint8 -> float32"))

# Integer-deployable graphs (NEMO, QuantLab, Deeploy). conv2d, depthwise_conv2d,
# fully_connected and add with an int32 output tensor produce the raw accumulator instead:
# sum w * (x - zp_x) + bias, resp. (a - zp_a) * mults[0] + (b - zp_b) * mults[1] (attr
# "mults" on add); the requantization is the separate op below.
register(OpDef("requant", ("x",),
                {"mul": "per-channel (last axis) integer multipliers, or one",
                 "add": "per-channel integer additive terms, or one",
                 "fp32": "bit mask: 1 rounds x*mul, 2 rounds x*mul + add to float32 precision "
                         "(ties to even), where the source graph computes them in float32",
                 "mul2": "integer multiplier applied after the (rounded) x*mul + add",
                 "div": "per-channel positive integer divisors, or one",
                 "rounding": "'floor' or 'trunc' (toward zero) for the division",
                 "clip": "(lo, hi) integer clamp bounds, in the source (zero point 0) domain"},
                elementwise_macs,
                "int32 -> int8/int16/int32: y = clip(round((x*mul + add) * mul2 / div), lo, "
                "hi) + zero point of y"))
register(OpDef("sum_pool2d", ("x",),
                {"kernel": "(kh, kw)", "stride": "(sh, sw)", "pads": _SPATIAL["pads"]},
                pool_macs, "int32 sum of the (x - zp) over the valid window elements"))


