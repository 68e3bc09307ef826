"""``tinydeploy quantize``: float model + calibration data -> int8 ONNX QDQ file.

Nothing is written unless every step succeeds: the file goes to a temporary name in the
destination folder and is renamed at the end. Before that, the exported bytes are imported
again by the ONNX frontend (what ``tinydeploy compile`` reads) and run on calibration
samples; they must give the integer-deployable stage's outputs bit for bit, so the file on
disk is provably the integer model that was evaluated.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx import load_onnx
from tinydeploy.ir.graph import Graph
from tinydeploy.quant.execute import run_graph
from tinydeploy.quantize.bits import BitsConfig, load_bits
from tinydeploy.quantize.calibrate import (FALLBACK, CalibrationData, fallback_data,
                                           load_calibration)
from tinydeploy.quantize.export_onnx import export_qdq
from tinydeploy.quantize.float_graph import load_float_model
from tinydeploy.quantize.integer import check_bits
from tinydeploy.quantize.observers import OBSERVERS
from tinydeploy.quantize.plan import QuantPlan, make_plan
from tinydeploy.quantize.report import StageReport, stage_report
from tinydeploy.quantize.search import AutoBits, auto_bits, budget_bytes
from tinydeploy.quantize.stages import IntegerStage

CHECK_SAMPLES = 4        # calibration samples the re-imported file is checked on
REPORT_SAMPLES = 64


@dataclass
class QuantizeResult:
    plan: QuantPlan
    integer: IntegerStage
    model: onnx.ModelProto
    data: bytes
    samples: int = 0
    warnings: list[str] = field(default_factory=list)
    report: StageReport | None = None
    auto: AutoBits | None = None              # --bits auto: the search's choice
    bits_file: Path | None = None             # ... written next to the output as TOML


def quantize_graph(fg: Graph, data: CalibrationData, observer: str = "minmax",
                   bits: BitsConfig | None = None, bias_correction: bool = False,
                   report: bool = False) -> QuantizeResult:
    """Quantize float graph ``fg``; returns the plan, the integer stage and the QDQ model."""
    if observer not in OBSERVERS:
        raise TinyDeployError(f"unknown observer '{observer}' (one of {', '.join(OBSERVERS)})")
    plan = make_plan(fg, data, observer, bits, bias_correction)
    check_bits(plan)
    integer = IntegerStage(plan)
    meta = {"tinydeploy.observer": observer, "tinydeploy.calibration": data.source,
            "tinydeploy.calibration_samples": str(data.n),
            "tinydeploy.bias_correction": str(bool(bias_correction)).lower(),
            "tinydeploy.bits": (bits or BitsConfig()).source}
    model = export_qdq(integer.graph, meta)
    raw = model.SerializeToString(deterministic=True)
    _check_reimport(raw, integer, data)
    rep = None
    if report:
        rep = stage_report(plan, [a[:REPORT_SAMPLES] for a in data.inputs], integer)
    return QuantizeResult(plan, integer, model, raw, data.n, report=rep)


def _check_reimport(raw: bytes, integer: IntegerStage, data: CalibrationData) -> None:
    """The exported file, read by the ONNX frontend, must compute the integer graph's
    outputs bit for bit (else it is a quantizer bug: refuse to write it)."""
    with tempfile.TemporaryDirectory(prefix="td_quantize_") as tmp:
        path = Path(tmp) / "check.onnx"
        path.write_bytes(raw)
        g2 = load_onnx(path)
    g = integer.graph
    for i in range(min(CHECK_SAMPLES, data.n)):
        rec = [np.asarray(a[i], np.float32).reshape(g.t(n).shape)
               for a, n in zip(data.inputs, g.inputs)]
        want = run_graph(g, rec, integer.args)
        got = run_graph(g2, rec)
        for a, b in zip(g.outputs, g2.outputs):
            if not np.array_equal(want[a], got[b]):
                raise TinyDeployError(f"internal error: the exported ONNX file computes "
                                      f"output '{a}' differently from the integer model "
                                      f"(calibration sample {i}); nothing written")


def quantize_file(model: str | Path, output: str | Path, calib: list[str] | None = None,
                  observer: str = "minmax", bits: str | None = None,
                  bias_correction: bool = False, report: bool = False,
                  warn=None, budget_kb: float | None = None) -> QuantizeResult:
    """Load, calibrate, quantize, check and write ``output`` (atomically).

    ``bits="auto"`` with ``budget_kb`` (KiB of weight memory) searches per-layer weight
    widths (:mod:`search`) and also writes them to ``<output stem>.bits.toml``.
    ``warn(message)`` is called as soon as something deserves a warning (no calibration
    data); the messages are also in the result.
    """
    output = Path(output)
    if output.suffix.lower() != ".onnx":
        raise TinyDeployError("the output must be an .onnx file", file=str(output))
    auto = bits is not None and bits.strip().lower() == "auto"
    if auto != (budget_kb is not None):
        raise TinyDeployError("--bits auto needs --budget KB" if auto else
                              "--budget is only used with --bits auto")
    budget = budget_bytes(budget_kb) if auto else 0
    bits_cfg = None if auto else load_bits(bits)
    fg = load_float_model(model)
    warnings = []
    if calib:
        data = load_calibration(fg, list(calib))
    else:
        data = fallback_data(fg)
        warnings.append(f"no calibration data (--calib): activation ranges come from the "
                        f"fallback '{FALLBACK}', which knows nothing of your inputs' real "
                        "range; give representative samples as .npy for a usable model")
        if warn is not None:
            warn(warnings[-1])
    try:
        chosen = auto_bits(fg, data, budget, observer) if auto else None
        if chosen is not None:
            bits_cfg = chosen.config(f"--bits auto --budget {budget_kb:g}")
        res = quantize_graph(fg, data, observer, bits_cfg, bias_correction, report)
    except TinyDeployError as e:
        raise e.with_file(str(model))
    res.warnings = warnings
    _write_atomic(output, res.data)
    if chosen is not None:
        res.auto, res.bits_file = chosen, output.with_suffix(".bits.toml")
        _write_atomic(res.bits_file, chosen.toml().encode())
    return res


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
