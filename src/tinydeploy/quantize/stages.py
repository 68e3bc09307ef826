"""The four stages of a quantized network, each runnable in numpy on the same inputs.

NEMO's walk from a float network to what runs on the MCU, one function per stage. Every
runner takes a list of input batches (one float array ``[N, *shape[1:]]`` per graph input)
and returns the real value (float64) of every tensor it computes, by name, so any two
stages compare tensor by tensor:

1. ``float``: the float graph as loaded (BatchNorm, standalone activations, float32
   weights), in float64.
2. ``fake_quant``: the same graph with every weight quantized per output channel and every
   tensor the deployed network stores rounded to its quantization grid (quantize, then
   dequantize); BatchNorm and biases stay float.
3. ``deployable`` (quantized-deployable): the deployable graph (BN folded, activations
   fused) with integer weights, int32 biases and real-valued scales: each layer computes
   exactly on the integer grid and requantizes its result with one real multiplication
   and one rounding.
4. ``integer`` (integer-deployable): the int8 IR graph (requantization by Q31 multiplier
   and shift, TFLite's integer kernels) run by :func:`tinydeploy.quant.execute.run_graph`:
   the same arithmetic as the generated C, bit for bit.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.execute import prepare_all, run_graph
from tinydeploy.quantize.float_ops import run_float
from tinydeploy.quantize.integer import build_integer_graph, integer_names
from tinydeploy.quantize.observers import fake_quant
from tinydeploy.quantize.plan import LINEAR, QuantPlan

STAGES = ("float", "fake_quant", "deployable", "integer")


def run_float_stage(plan: QuantPlan, inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
    return run_float(plan.float_graph, inputs)


def _grid(plan: QuantPlan):
    def hook(name: str, x: np.ndarray) -> np.ndarray | None:
        q = plan.act.get(name)
        if q is None:
            return None
        return fake_quant(x, q.s, q.zp, plan.act_bits.get(name, 8))
    return hook


def run_fake_quant(plan: QuantPlan, inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
    return run_float(plan.float_graph, inputs, on_tensor=_grid(plan), consts=plan.fq_weights)


def run_deployable(plan: QuantPlan, inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
    consts = {}
    for op in plan.graph.ops:
        if op.kind in LINEAR:
            qw = plan.weights[op.name]
            consts[op.inputs[1]], consts[op.inputs[2]] = qw.w_real(), qw.bias_real()
    return run_float(plan.graph, inputs, on_tensor=_grid(plan), consts=consts)


class IntegerStage:
    """The integer-deployable graph with its kernel arguments prepared once."""

    def __init__(self, plan: QuantPlan):
        self.graph = build_integer_graph(plan)
        self.args = prepare_all(self.graph)
        self.names = integer_names(self.graph)

    def run(self, inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Real values of the deployable graph's tensors, computed sample by sample by the
        integer golden (the C kernels' arithmetic); batch on axis 0 as the other stages."""
        n = inputs[0].shape[0]
        per = []
        for i in range(n):
            rec = [np.asarray(x[i:i + 1], np.float32).reshape(self.graph.t(name).shape)
                   for x, name in zip(inputs, self.graph.inputs)]
            per.append(run_graph(self.graph, rec, self.args))
        out = {}
        for name, ir in self.names.items():
            t = self.graph.t(ir)
            out[name] = _real(np.concatenate([p[ir] for p in per]), t)
        return out


def _real(v: np.ndarray, t) -> np.ndarray:
    if t.quant is None or t.dtype == "float32":
        return v.astype(np.float64)
    return (v.astype(np.float64) - t.quant.zp) * t.quant.s


def run_all(plan: QuantPlan, inputs: list[np.ndarray], integer: IntegerStage | None = None
            ) -> dict[str, dict[str, np.ndarray]]:
    """Every stage on the same inputs: {stage: {tensor: real values}}."""
    integer = integer or IntegerStage(plan)
    return {"float": run_float_stage(plan, inputs),
            "fake_quant": run_fake_quant(plan, inputs),
            "deployable": run_deployable(plan, inputs),
            "integer": integer.run(inputs)}
