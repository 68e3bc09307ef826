"""The ``tinydeploy quantize`` subcommand (registered by :mod:`tinydeploy.cli`)."""

from __future__ import annotations

import sys

from tinydeploy.quantize.driver import quantize_file
from tinydeploy.quantize.observers import OBSERVERS
from tinydeploy.quantize.report import format_report


def add_parser(sub) -> None:
    q = sub.add_parser("quantize", help="quantize a float .tflite/.onnx model to an int8 "
                       "ONNX QDQ model (calibrated, checked bit-exact before writing)")
    q.add_argument("model", help="float32 .tflite or .onnx model (dynamic-range .tflite too)")
    q.add_argument("-o", "--output", required=True, help="output .onnx file (replaced)")
    q.add_argument("--calib", action="append", metavar="DATA.npy",
                   help="calibration samples [N, *input_shape[1:]] in the model's input "
                   "units, one file per model input (repeat for several inputs); without "
                   "it a named synthetic fallback is used, with a warning")
    q.add_argument("--observer", choices=OBSERVERS, default="minmax",
                   help="activation range: minmax (default), percentile (99.99%%) or mse "
                   "(clipping with the least quantization error)")
    q.add_argument("--bits", metavar="CONFIG",
                   help="per-layer bits: a width (8, 4, 2), a .json/.toml file (see "
                   "tinydeploy.quantize.bits), or 'auto' with --budget; default 8")
    q.add_argument("--budget", type=float, metavar="KB",
                   help="with --bits auto: weight memory budget in KiB; per-layer weight "
                   "bits (2/4/8) are chosen greedily at least SQNR loss and written to "
                   "OUTPUT's stem + .bits.toml")
    q.add_argument("--bias-correction", action="store_true",
                   help="correct each layer's bias for the mean error its quantized weights "
                   "add (measured on the calibration data)")
    q.add_argument("--report", action="store_true",
                   help="print per-layer SQNR between the stages (float, fake-quantized, "
                   "quantized-deployable, integer) and the final error vs float")
    q.set_defaults(fn=run)


def _warn(msg: str) -> None:
    print(f"tinydeploy: warning: {msg}", file=sys.stderr)


def run(a) -> int:
    res = quantize_file(a.model, a.output, calib=a.calib, observer=a.observer, bits=a.bits,
                        bias_correction=a.bias_correction, report=a.report, warn=_warn,
                        budget_kb=a.budget)
    plan = res.plan
    widths = sorted({w for b in plan.bits.values() for w in (b.weights, b.activations)})
    form = "int8" if widths == [8] else "mixed " + "/".join(map(str, widths)) + "-bit"
    print(f"wrote {a.output}: {len(plan.graph.ops)} layers, {form} QDQ; observer "
          f"{plan.observer}, calibration {plan.calibration} ({res.samples} samples); the "
          "file re-imports bit-exact to the integer model")
    if plan.raised:
        print(f"kept 8-bit (next to int8-only ops or at the graph edge): "
              f"{', '.join(plan.raised)}")
    if res.auto is not None:
        print(_auto_summary(res))
    if res.report is not None:
        print(format_report(res.report))
    return 0


def _auto_summary(res) -> str:
    au = res.auto
    lines = [f"--bits auto: {au.weight_bytes} weight bytes (budget {au.budget}, int8 "
             f"{au.int8_bytes}), SQNR {au.sqnr:.2f} dB vs float (quantized-deployable stage, "
             f"calibration data); config written to {res.bits_file}:"]
    lines += [f"  {name}: {b}-bit weights" for name, b in au.weights.items()]
    return "\n".join(lines)
