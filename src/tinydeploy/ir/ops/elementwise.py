"""Elementwise op kinds of TFLite models beyond ADD/MUL: arithmetic on two inputs and
activations on one. Integer semantics are each kind's golden (``quant/golden/<kind>.py``),
bit-exact with TFLite Micro's int8 and int16 kernels."""

from __future__ import annotations

from tinydeploy.ir.ops import ACTIVATIONS, OpDef, elementwise_macs, register

_ACT = {"act": "fused activation, one of " + ", ".join(ACTIVATIONS)}

register(OpDef("sub", ("a", "b"), _ACT, elementwise_macs,
               "a - b, both inputs rescaled to the output's quantization (numpy broadcast)"))
register(OpDef("leaky_relu", ("x",), {"alpha": "slope of the negative side (float)"},
               elementwise_macs, "x >= 0 ? x : alpha * x, rescaled to the output"))
register(OpDef("hard_swish", ("x",), {}, elementwise_macs, "x * relu6(x + 3) / 6"))
register(OpDef("abs", ("x",), {}, elementwise_macs, "|x|, rescaled to the output"))
register(OpDef("rsqrt", ("x",), {}, elementwise_macs, "1 / sqrt(x) (x > 0)"))
register(OpDef("prelu", ("x", "alpha"), {}, elementwise_macs,
               "x >= 0 ? x : alpha * x, alpha broadcast against x (per channel)"))
register(OpDef("squared_difference", ("a", "b"), {}, elementwise_macs, "(a - b)^2"))
register(OpDef("div", ("a", "b"), _ACT, elementwise_macs, "a / b"))
register(OpDef("maximum", ("a", "b"), {}, elementwise_macs,
               "max(a, b) of the stored integers (shared quantization)"))
register(OpDef("minimum", ("a", "b"), {}, elementwise_macs,
               "min(a, b) of the stored integers (shared quantization)"))
register(OpDef("cast", ("x",), {}, elementwise_macs,
               "C++ static_cast of every value between int8, int16, int32 and float32 "
               "(quantization ignored, as TFLite's CAST)"))
register(OpDef("l2_normalization", ("x",), {}, elementwise_macs,
               "x / sqrt(sum of x^2 over the last axis), output scale 1/128"))
register(OpDef("resize_bilinear", ("x",),
               {"align_corners": "bool", "half_pixel_centers": "bool"}, elementwise_macs,
               "NHWC bilinear resize to the output's height and width"))
