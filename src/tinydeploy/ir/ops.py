"""Op definitions: the one place that says what each IR op kind takes and means.

Each :class:`OpDef` lists the positional inputs, the attributes with their meaning, and
how to count MACs. Integer arithmetic lives in :mod:`tinydeploy.quant.golden`, one file
per kind; frontends only map their format's ops onto these kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from tinydeploy.ir.graph import Graph, Op

ACTIVATIONS = ("none", "relu", "relu6", "relu_n1_to_1")


@dataclass(frozen=True)
class OpDef:
    kind: str
    inputs: tuple[str, ...]          # positional input roles; "*" = variadic
    attrs: dict[str, str]            # attribute -> meaning
    macs: Callable[[Graph, Op], int] = lambda g, op: 0
    doc: str = ""


def _out(g: Graph, op: Op):
    return g.t(op.outputs[0])


def _conv_macs(g: Graph, op: Op) -> int:
    w = g.t(op.inputs[1])
    out = _out(g, op)
    return out.size * int(np.prod(w.shape[1:]))


def _dw_macs(g: Graph, op: Op) -> int:
    w = g.t(op.inputs[1])
    return _out(g, op).size * w.shape[0] * w.shape[1]


def _fc_macs(g: Graph, op: Op) -> int:
    return _out(g, op).size * g.t(op.inputs[1]).shape[1]


def _pool_macs(g: Graph, op: Op) -> int:
    kh, kw = op.attrs["kernel"]
    return _out(g, op).size * kh * kw


def _elementwise_macs(g: Graph, op: Op) -> int:
    return _out(g, op).size


def _reduce_macs(g: Graph, op: Op) -> int:
    return g.t(op.inputs[0]).size


_SPATIAL = {
    "stride": "(sh, sw)",
    "dilation": "(dh, dw)",
    "pads": "(top, left, bottom, right) explicit zero padding in input pixels",
    "act": "fused activation, one of " + ", ".join(ACTIVATIONS),
}

OPS: dict[str, OpDef] = {}


def _register(d: OpDef) -> None:
    OPS[d.kind] = d


_register(OpDef("conv2d", ("x", "weight", "bias"), _SPATIAL, _conv_macs,
                "NHWC conv, OHWI int8 weights (per-channel or per-tensor), int32 bias"))
_register(OpDef("depthwise_conv2d", ("x", "weight", "bias"),
                {**_SPATIAL, "depth_multiplier": "output channels per input channel"},
                _dw_macs, "NHWC depthwise conv, weights [KH, KW, C_out]"))
_register(OpDef("fully_connected", ("x", "weight", "bias"), {"act": _SPATIAL["act"]},
                _fc_macs, "y[..., o] = sum_i x[..., i] * w[o, i] + b[o]"))
_register(OpDef("avg_pool2d", ("x",),
                {"kernel": "(kh, kw)", "stride": "(sh, sw)", "pads": _SPATIAL["pads"],
                 "act": _SPATIAL["act"]}, _pool_macs,
                "average over the valid (non-padding) window elements"))
_register(OpDef("max_pool2d", ("x",),
                {"kernel": "(kh, kw)", "stride": "(sh, sw)", "pads": _SPATIAL["pads"],
                 "act": _SPATIAL["act"]}, _pool_macs, "max over the valid window elements"))
_register(OpDef("add", ("a", "b"), {"act": _SPATIAL["act"]}, _elementwise_macs,
                "elementwise sum, both inputs rescaled to the output's quantization"))
_register(OpDef("mul", ("a", "b"), {"act": _SPATIAL["act"]}, _elementwise_macs,
                "elementwise product"))
_register(OpDef("concat", ("*",), {"axis": "axis (non-negative) to join along"},
                doc="inputs share the output's quantization (a pass inserts requantize)"))
_register(OpDef("pad", ("x",), {"pads": "((before, after), ...) per dimension"},
                doc="constant padding with the value that represents real 0"))
_register(OpDef("reshape", ("x",), {}, doc="same bytes, new shape (aliased, no copy)"))
_register(OpDef("transpose", ("x",), {"perm": "output dim i = input dim perm[i]"},
                doc="byte permutation, used by the ONNX frontend for NCHW edges"))
_register(OpDef("mean", ("x",), {"axes": "reduced axes", "keepdims": "bool"},
                _reduce_macs, "mean over axes, requantized"))
_register(OpDef("softmax", ("x",), {"beta": "float"}, _elementwise_macs,
                "softmax over the last axis"))
_register(OpDef("logistic", ("x",), {}, _elementwise_macs, "sigmoid"))
_register(OpDef("tanh", ("x",), {}, _elementwise_macs, "hyperbolic tangent"))
_register(OpDef("quantize", ("x",),
                {"act": "optional standalone activation (relu, relu6, relu_n1_to_1) applied "
                        "by an int8 -> int8 requantize, as TFLite's RELU/RELU6 ops"},
                doc="float32 -> int8, or int8/uint8 -> int8/uint8 with new quantization "
                    "(requantize)"))
_register(OpDef("dequantize", ("x",), {}, doc="int8/uint8 -> float32"))

# Integer-deployable graphs (NEMO, QuantLab, Deeploy). conv2d, depthwise_conv2d,
# fully_connected and add with an int32 output tensor produce the raw accumulator instead:
# sum w * (x - zp_x) + bias, resp. (a - zp_a) * mults[0] + (b - zp_b) * mults[1] (attr
# "mults" on add); the requantization is the separate op below.
_register(OpDef("requant", ("x",),
                {"mul": "per-channel (last axis) integer multipliers, or one",
                 "add": "per-channel integer additive terms, or one",
                 "fp32": "bit mask: 1 rounds x*mul, 2 rounds x*mul + add to float32 precision "
                         "(ties to even), where the source graph computes them in float32",
                 "mul2": "integer multiplier applied after the (rounded) x*mul + add",
                 "div": "per-channel positive integer divisors, or one",
                 "rounding": "'floor' or 'trunc' (toward zero) for the division",
                 "clip": "(lo, hi) integer clamp bounds, in the source (zero point 0) domain"},
                _elementwise_macs,
                "int32 -> int8/int16/int32: y = clip(round((x*mul + add) * mul2 / div), lo, "
                "hi) + zero point of y"))
_register(OpDef("sum_pool2d", ("x",),
                {"kernel": "(kh, kw)", "stride": "(sh, sw)", "pads": _SPATIAL["pads"]},
                _pool_macs, "int32 sum of the (x - zp) over the valid window elements"))


def op_def(kind: str) -> OpDef:
    return OPS[kind]


def macs(g: Graph, op: Op) -> int:
    return OPS[op.kind].macs(g, op)
