"""The quantization plan: every number the quantized stages share, decided once.

:func:`make_plan` takes a float graph and calibration data and returns a
:class:`QuantPlan`: the deployable float graph (BN folded, activations fused), the
quantization of each of its activations, the integer weights (per-channel symmetric) and
int32 biases, and the bits of each layer. The stages (:mod:`tinydeploy.quantize.stages`)
only read it, so they differ exactly by the arithmetic they simulate.

Activation parameters: the network input uses min/max of the data; an op that only moves
values (reshape, transpose, pad, max/avg pool) keeps its input's quantization, as int8
kernels require; softmax/logistic/tanh outputs get TFLite's fixed quantization (1/256,
-128; 1/256, -128; 1/128, 0); everything else its observer's range. Widths: the layer's bits
config, except where the integer kernels need int8 (:mod:`precision`: graph inputs and
outputs, tensors next to int8-only ops), which stay 8-bit and are listed in ``raised``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinydeploy.ir.graph import Graph, QuantParams
from tinydeploy.quantize.bits import BitsConfig, LayerBits
from tinydeploy.quantize.calibrate import CalibrationData, batches, collect_stats
from tinydeploy.quantize.canonical import LINEAR, canonicalize
from tinydeploy.quantize.float_ops import FLOAT_KERNELS, SAME_QUANT_KINDS, run_float
from tinydeploy.quantize.observers import (affine_params, observe, quantize_weights,
                                           weight_scales)
from tinydeploy.quantize.precision import deployable_act_bits

BIAS_LIMIT = float(2**30)       # |bias code| bound, leaving room for the accumulation
FIXED_OUT = {"softmax": (1.0 / 256, -128), "logistic": (1.0 / 256, -128),
             "tanh": (1.0 / 128, 0)}


@dataclass(frozen=True, eq=False)
class QuantWeights:
    """Integer weights and bias of one linear layer (IR layout)."""

    w: np.ndarray                 # int8 codes
    w_scale: np.ndarray           # float32 per output channel
    axis: int                     # channel axis of w
    bias: np.ndarray              # int32, scale x_scale * w_scale (float32 product)
    bias_scale: np.ndarray        # float32 per output channel

    def w_real(self) -> np.ndarray:
        shape = [1] * self.w.ndim
        shape[self.axis] = -1
        return self.w.astype(np.float64) * self.w_scale.astype(np.float64).reshape(shape)

    def bias_real(self) -> np.ndarray:
        return self.bias.astype(np.float64) * self.bias_scale.astype(np.float64)


@dataclass(eq=False)
class QuantPlan:
    float_graph: Graph                       # as loaded (stage 1)
    graph: Graph                             # deployable float graph (canonical)
    act: dict[str, QuantParams]              # every activation of ``graph``
    bits: dict[str, LayerBits]               # by op name of ``graph``
    weights: dict[str, QuantWeights]         # by op name of ``graph`` (linear layers)
    fq_weights: dict[str, np.ndarray]        # fake-quantized float-graph weights (stage 2)
    act_bits: dict[str, int] = field(default_factory=dict)    # by activation name
    raised: list[str] = field(default_factory=list)  # sub-byte requests kept at 8 bits
    observer: str = "minmax"
    calibration: str = ""
    bias_correction: bool = False


def weight_axis(kind: str) -> int:
    """Output-channel axis of the IR weight layout of ``kind``."""
    return 2 if kind == "depthwise_conv2d" else 0


def make_plan(fg: Graph, data: CalibrationData, observer: str = "minmax",
              bits: BitsConfig | None = None, bias_correction: bool = False) -> QuantPlan:
    g = canonicalize(fg)
    layer_bits = (bits or BitsConfig()).resolve([(op.name, op.outputs[0]) for op in g.ops])
    act_bits = {n: layer_bits[op.name].activations for op in g.ops for n in op.outputs}
    act_bits.update({n: 8 for n in g.inputs})         # the float -> integer boundary
    act_bits, raised = deployable_act_bits(g, act_bits)
    layer_bits = {op.name: LayerBits(layer_bits[op.name].weights, act_bits[op.outputs[0]])
                  for op in g.ops}
    stats = collect_stats(g, data)
    act = _activation_params(g, stats, observer, act_bits)
    float_bias = {op.name: _float_bias(g, op) for op in g.ops if op.kind in LINEAR}
    if bias_correction:
        _correct_biases(g, data, layer_bits, float_bias)
    weights = {op.name: _quant_weights(g, op, act, layer_bits[op.name].weights,
                                       float_bias[op.name])
               for op in g.ops if op.kind in LINEAR}
    plan = QuantPlan(fg, g, act, layer_bits, weights, {}, act_bits, raised, observer,
                     data.source, bias_correction)
    plan.fq_weights = _fake_quant_float_weights(fg, g, layer_bits)
    return plan


def layer_weights(plan: QuantPlan, name: str, wbits: int) -> QuantWeights:
    """Layer ``name``'s weights and bias quantized with ``wbits`` bits (the plan's
    activations and float bias; what ``make_plan`` would give it without bias correction)."""
    op = next(o for o in plan.graph.ops if o.name == name)
    return _quant_weights(plan.graph, op, plan.act, wbits, _float_bias(plan.graph, op))


def _activation_params(g: Graph, stats, observer: str, act_bits: dict[str, int]
                       ) -> dict[str, QuantParams]:
    act: dict[str, QuantParams] = {}
    for n in g.inputs:
        act[n] = _qp(*affine_params(stats[n].lo, stats[n].hi, act_bits[n]))
    for op in g.ops:
        y = op.outputs[0]
        if op.kind in SAME_QUANT_KINDS:
            act[y] = act[op.inputs[0]]
        elif op.kind in FIXED_OUT:
            act[y] = _qp(*FIXED_OUT[op.kind])
        else:
            lo, hi = observe(stats[y], observer, act_bits[y])
            act[y] = _qp(*affine_params(lo, hi, act_bits[y]))
    return act


def _qp(scale: float, zp: int) -> QuantParams:
    return QuantParams.make(np.float64(np.float32(scale)), int(zp))


def _float_bias(g: Graph, op) -> np.ndarray:
    w = g.t(op.inputs[1])
    c_out = w.shape[weight_axis(op.kind)]
    if not op.inputs[2]:
        return np.zeros(c_out)
    return g.t(op.inputs[2]).data.astype(np.float64).reshape(c_out)


def _quant_weights(g: Graph, op, act: dict[str, QuantParams], wbits: int,
                   bias: np.ndarray) -> QuantWeights:
    w = g.t(op.inputs[1]).data
    axis = weight_axis(op.kind)
    x_scale = np.float32(act[op.inputs[0]].s)
    scales = weight_scales(w, axis, wbits, mse=wbits < 8)
    # a channel with tiny weights but a large bias would need a bias code beyond int32:
    # widen its weight scale until the bias fits in BIAS_LIMIT (as TFLite's converter does)
    scales = np.maximum(scales, (np.abs(bias) / (float(x_scale) * BIAS_LIMIT))
                        .astype(np.float32))
    codes = quantize_weights(w, scales, axis, wbits)
    bscale = (x_scale * scales).astype(np.float32)
    q = np.floor(np.abs(bias / bscale) + 0.5) * np.sign(bias)
    return QuantWeights(codes, scales, axis, np.clip(q, -2**31, 2**31 - 1).astype(np.int32),
                        bscale)


def _dequantized_weights(w: np.ndarray, kind: str, bits: int) -> np.ndarray:
    """``w`` quantized per output channel and back to reals (float64)."""
    axis = weight_axis(kind)
    scales = weight_scales(w, axis, bits, mse=bits < 8)
    shape = [1] * w.ndim
    shape[axis] = -1
    return quantize_weights(w, scales, axis, bits) * scales.astype(np.float64).reshape(shape)


def _fake_quant_float_weights(fg: Graph, g: Graph, layer_bits) -> dict[str, np.ndarray]:
    """Stage 2 weights: each float-graph weight quantized per channel (before any BN
    folding) with the bits of the deployed layer that absorbs it (same op name)."""
    deployed = {op.name for op in g.ops}
    return {op.inputs[1]: _dequantized_weights(
                fg.t(op.inputs[1]).data, op.kind,
                layer_bits[op.name].weights if op.name in deployed else 8)
            for op in fg.ops if op.kind in LINEAR}


def _correct_biases(g: Graph, data: CalibrationData, layer_bits, float_bias) -> None:
    """Empirical bias correction: subtract from each layer's bias the mean (per output
    channel, over the calibration data) of the error its quantized weights add to the
    pre-activation output, with float inputs."""
    linear = [op for op in g.ops if op.kind in LINEAR]
    dw = {op.name: _dequantized_weights(g.t(op.inputs[1]).data, op.kind,
                                        layer_bits[op.name].weights)
          - g.t(op.inputs[1]).data.astype(np.float64) for op in linear}
    sums = {op.name: 0.0 for op in linear}
    count = 0
    for batch in batches(data):
        env = run_float(g, batch)
        count += batch[0].shape[0]
        for op in linear:
            plain = op.with_(attrs={**op.attrs, "act": "none"})
            err = FLOAT_KERNELS[op.kind](plain, env[op.inputs[0]], dw[op.name], None)
            per_sample = err.reshape(batch[0].shape[0], -1, err.shape[-1]).mean(axis=1)
            sums[op.name] = sums[op.name] + per_sample.sum(axis=0)
    for op in linear:
        float_bias[op.name] = float_bias[op.name] - sums[op.name] / count
