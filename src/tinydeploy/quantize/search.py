"""``--bits auto --budget KB``: per-layer weight widths that fit a weight memory budget.

Greedy, loss per byte: start with 8-bit weights everywhere; while the weight bytes exceed
the budget, try lowering each conv / depthwise / fully connected layer by one step
(8 -> 4 -> 2), measure the network's output SQNR vs float for each trial, and keep the
trial that loses the least SQNR per byte saved. Every trial is measured, not estimated:
the quantized-deployable stage (integer weights, real scales; :mod:`stages`) runs on the
first :data:`EVAL_SAMPLES` calibration samples, with the activation ranges of one 8-bit
calibration (activations stay at the bits config's default, 8-bit: only weights are
searched). Bias correction, if asked for, is applied afterwards to the chosen widths.

Weight bytes are what the generated C stores for the linear layers: weights packed at
their width plus int32 biases (:func:`precision.layer_weight_bytes`). The search is the
simple baseline of issue 5; the Free Bits search is the later, full version.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph
from tinydeploy.quantize.bits import BitsConfig, LayerBits, parse_bits
from tinydeploy.quantize.calibrate import CalibrationData
from tinydeploy.quantize.canonical import LINEAR
from tinydeploy.quantize.plan import QuantPlan, layer_weights, make_plan
from tinydeploy.quantize.precision import layer_weight_bytes
from tinydeploy.quantize.report import sqnr_db
from tinydeploy.quantize.stages import run_deployable, run_float_stage

EVAL_SAMPLES = 64
KIB = 1024
LOWER = {8: 4, 4: 2}


@dataclass(frozen=True)
class AutoBits:
    """The chosen widths and how the search got there."""

    weights: dict[str, int]                  # linear layer -> weight bits
    weight_bytes: int
    int8_bytes: int
    budget: int                              # bytes
    sqnr: float                              # deployable stage vs float, dB
    steps: tuple[tuple[str, int, float, int], ...]   # (layer, new bits, SQNR, bytes)

    def config(self, source: str = "--bits auto") -> BitsConfig:
        return parse_bits({"layers": {n: {"weights": b} for n, b in self.weights.items()}},
                          source)

    def toml(self) -> str:
        """The config as an editable TOML file (``--bits FILE`` reproduces it)."""
        lines = [f"# tinydeploy quantize --bits auto: {self.weight_bytes} weight bytes "
                 f"(budget {self.budget}, int8 {self.int8_bytes}), SQNR {self.sqnr:.2f} dB "
                 "(quantized-deployable stage vs float, calibration data)",
                 "[default]", "weights = 8", "activations = 8"]
        for name, b in self.weights.items():
            lines += ["", f"[layers.{json.dumps(name)}]", f"weights = {b}"]
        return "\n".join(lines) + "\n"


def budget_bytes(kb: float) -> int:
    if not (isinstance(kb, (int, float)) and math.isfinite(kb) and kb > 0):
        raise TinyDeployError(f"--budget must be a positive number of KiB, got {kb!r}")
    return int(kb * KIB)


def auto_bits(fg: Graph, data: CalibrationData, budget: int, observer: str = "minmax"
              ) -> AutoBits:
    """Per-layer weight bits of ``fg`` fitting ``budget`` bytes (see the module doc)."""
    base = make_plan(fg, data, observer)
    g = base.graph
    linear = [op for op in g.ops if op.kind in LINEAR]
    if not linear:
        raise TinyDeployError("--bits auto: the model has no conv / depthwise / fully "
                              "connected layer to narrow")
    nbytes = {(op.name, b): layer_weight_bytes(g, op, b) for op in linear for b in (2, 4, 8)}
    bits = {op.name: 8 for op in linear}
    int8 = _total(bits, nbytes)
    floor = _total({n: 2 for n in bits}, nbytes)
    if floor > budget:
        raise TinyDeployError(f"--budget: {budget} bytes of weight memory is below "
                              f"the smallest weight memory, {floor} bytes with 2-bit weights "
                              f"everywhere (int8: {int8} bytes)")
    trial = _Trials(base, [a[:EVAL_SAMPLES] for a in data.inputs])
    cur, steps = trial.sqnr(bits), []
    while _total(bits, nbytes) > budget:
        best = None
        for name, b in bits.items():
            if b not in LOWER:
                continue
            cand = {**bits, name: LOWER[b]}
            s = trial.sqnr(cand)
            per_byte = (cur - s) / (nbytes[(name, b)] - nbytes[(name, LOWER[b])])
            if best is None or per_byte < best[0]:
                best = (per_byte, cand, s, name)
        _, bits, cur, name = best
        steps.append((name, bits[name], cur, _total(bits, nbytes)))
    return AutoBits(bits, _total(bits, nbytes), int8, budget, cur, tuple(steps))


def _total(bits: dict[str, int], nbytes: dict[tuple[str, int], int]) -> int:
    return sum(nbytes[(n, b)] for n, b in bits.items())


class _Trials:
    """SQNR vs float of the deployable stage for a weight-bits assignment; quantized
    weights are computed once per (layer, bits)."""

    def __init__(self, base: QuantPlan, inputs: list[np.ndarray]):
        self.base, self.inputs = base, inputs
        ref = run_float_stage(base, inputs)
        self.ref = np.concatenate([ref[n].ravel() for n in base.graph.outputs])
        self.cache: dict[tuple[str, int], object] = {}

    def sqnr(self, bits: dict[str, int]) -> float:
        plan = copy.copy(self.base)
        plan.weights = {n: self._weights(n, b) for n, b in bits.items()}
        plan.bits = {**self.base.bits, **{n: LayerBits(b, self.base.bits[n].activations)
                                          for n, b in bits.items()}}
        out = run_deployable(plan, self.inputs)
        return sqnr_db(self.ref, np.concatenate([out[n].ravel()
                                                 for n in plan.graph.outputs]))

    def _weights(self, name: str, b: int):
        if (name, b) not in self.cache:
            self.cache[(name, b)] = (self.base.weights[name] if b == 8 else
                                     layer_weights(self.base, name, b))
        return self.cache[(name, b)]
