"""Where accuracy is lost: per-layer SQNR between consecutive stages and vs float.

For every layer of the deployable graph, its output tensor is compared across the four
stages (:mod:`tinydeploy.quantize.stages`) on the same inputs:
``SQNR(ref, x) = 10 log10(sum ref^2 / sum (ref - x)^2)`` in dB over all samples (inf when
identical). Columns: float -> fake-quantized, fake-quantized -> quantized-deployable,
quantized-deployable -> integer-deployable, and float -> integer (the final error).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinydeploy.quantize.plan import QuantPlan
from tinydeploy.quantize.stages import STAGES, IntegerStage, run_all

PAIRS = (("float", "fake_quant"), ("fake_quant", "deployable"), ("deployable", "integer"),
         ("float", "integer"))
HEADERS = ("float>fq", "fq>qd", "qd>int", "float>int")


def sqnr_db(ref: np.ndarray, x: np.ndarray) -> float:
    ref = np.asarray(ref, np.float64)
    noise = float(np.sum((ref - np.asarray(x, np.float64).reshape(ref.shape)) ** 2))
    signal = float(np.sum(ref ** 2))
    if noise == 0.0:
        return math.inf
    if signal == 0.0:
        return -math.inf
    return 10.0 * math.log10(signal / noise)


@dataclass(frozen=True)
class LayerRow:
    name: str
    kind: str
    tensor: str
    bits: str                       # "w8a8"
    sqnr: tuple[float, ...]         # one per PAIRS entry


@dataclass(frozen=True)
class StageReport:
    rows: tuple[LayerRow, ...]
    outputs: dict[str, tuple[float, ...]]     # graph output -> SQNR per PAIRS entry
    top1: dict[str, float]                    # graph output -> top-1 agreement int vs float
    samples: int


def stage_report(plan: QuantPlan, inputs: list[np.ndarray],
                 integer: IntegerStage | None = None) -> StageReport:
    """Run all stages on ``inputs`` (batches, one array per graph input) and compare."""
    envs = run_all(plan, inputs, integer)
    rows = []
    for op in plan.graph.ops:
        y = op.outputs[0]
        if not all(y in envs[s] for s in STAGES):
            continue
        b = plan.bits[op.name]
        rows.append(LayerRow(op.name, op.kind, y, f"w{b.weights}a{b.activations}"
                             if op.kind in ("conv2d", "depthwise_conv2d", "fully_connected")
                             else f"a{b.activations}",
                             tuple(sqnr_db(envs[a][y], envs[c][y]) for a, c in PAIRS)))
    outputs, top1 = {}, {}
    for y in plan.graph.outputs:
        outputs[y] = tuple(sqnr_db(envs[a][y], envs[c][y]) for a, c in PAIRS)
        f, i = envs["float"][y], envs["integer"][y]
        if f.ndim >= 2 and f.shape[-1] > 1:
            top1[y] = float(np.mean(np.argmax(f, -1) == np.argmax(i, -1)))
    return StageReport(tuple(rows), outputs, top1, int(inputs[0].shape[0]))


def _db(v: float) -> str:
    return "exact" if v == math.inf else f"{v:.1f}"


def format_report(rep: StageReport) -> str:
    """Plain-text table (dB), one row per layer, then the graph outputs."""
    w = max([len(r.name) for r in rep.rows] + [5])
    head = f"{'layer':<{w}}  {'kind':<16} {'bits':<5} " + " ".join(f"{h:>9}" for h in HEADERS)
    lines = [f"per-layer SQNR in dB over {rep.samples} inputs (stage > next stage; higher is "
             "closer)", head, "-" * len(head)]
    for r in rep.rows:
        lines.append(f"{r.name:<{w}}  {r.kind:<16} {r.bits:<5} "
                     + " ".join(f"{_db(v):>9}" for v in r.sqnr))
    for y, v in rep.outputs.items():
        extra = f", top-1 agreement with float {100 * rep.top1[y]:.1f}%" if y in rep.top1 else ""
        lines.append(f"output '{y}': final SQNR vs float {_db(v[-1])} dB{extra}")
    return "\n".join(lines)
