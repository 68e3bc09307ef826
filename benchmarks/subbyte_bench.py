"""Sub-byte benchmark: 4-bit-weight variants of the MLPerf Tiny models vs their int8 models.

Per model: the conv/depthwise/fc weight bytes of the int8 model and of its 4-bit-weight
variant (quant/subbyte.py requantize_weights; packed, so about 0.5x), all constant bytes
(biases and the rest stay int32/int8), whether the variant's generated C equals its
golden on the benchmark inputs, and the output SQNR (dB) of the variant vs the int8 model
and of both vs the float model (the float original in ../shared/models/float, run with
the float reference of tinydeploy.quantize when present, else TFLite Micro; "n/a" when
neither can run it), plus top-1 agreement with float for the classifiers.

Inputs: the seeded synthetic natural-signal data of ``quantize_bench.py`` (pink-noise
images, MFCC-like and log-mel-like features in the int8 input's range), quantized with the
int8 model's input parameters (uniform over the int8 range if that module is absent); the
float model gets the same values dequantized, so both see identical inputs. Random inputs
are not a dataset: the SQNR says how far the variants drift, not their accuracy. Nothing
here asserts a number.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MODELS_DIR = REPO.parent / "shared" / "models"
MODELS = ["kws_dscnn_int8", "vww_mobilenet_int8", "ic_resnet8_int8", "ad_autoencoder_int8"]
N_INPUTS = 20


def weight_bytes(g) -> tuple[int, int]:
    """(bytes of the conv/depthwise/fc weight tensors, bytes of all constants), packed."""
    from tinydeploy.quant.subbyte import WEIGHTED_KINDS

    weights = {op.inputs[1] for op in g.ops if op.kind in WEIGHTED_KINDS}
    consts = [t for t in g.tensors.values() if t.is_const]
    return sum(t.nbytes for t in consts if t.name in weights), sum(t.nbytes for t in consts)


def sqnr_db(ref: np.ndarray, test: np.ndarray) -> float:
    """10 log10(signal power / error power) of ``test`` against ``ref``."""
    ref = np.asarray(ref, np.float64)
    err = float(np.sum((ref - np.asarray(test, np.float64)) ** 2))
    sig = float(np.sum(ref ** 2))
    return float("inf") if err == 0 else 10.0 * np.log10(max(sig, 1e-30) / err)


def dequantized(g, outs: list[dict]) -> np.ndarray:
    t = g.t(g.outputs[0])
    q = np.stack([o[g.outputs[0]] for o in outs]).astype(np.float64)
    return (q - t.quant.zp) * t.quant.s if t.quant is not None else q


def float_runner(path: Path):
    """A function float input -> float output of the float model, or None."""
    try:
        from tinydeploy.quantize.float_graph import load_float_model
        from tinydeploy.quantize.float_ops import run_float

        fg = load_float_model(path)
        return lambda x: run_float(fg, [x.reshape(fg.t(fg.inputs[0]).shape)])[fg.outputs[0]]
    except Exception:  # noqa: BLE001 - the float reference is optional; try TFLM next
        pass
    try:
        from tflite_micro import runtime

        it = runtime.Interpreter.from_bytes(path.read_bytes(), arena_size=8 * 1024 * 1024)

        def run(x):
            it.set_input(x.astype(np.float32).reshape(it.get_input_details(0)["shape"]), 0)
            it.invoke()
            return np.array(it.get_output(0))

        run(np.zeros(it.get_input_details(0)["shape"], np.float32))
        return run
    except Exception:  # noqa: BLE001 - e.g. TFLM rejects the hybrid KWS float file
        return None


def c_outputs(g, records: list) -> list[dict]:
    """The generated C's outputs (host build, -O2) of graph ``g``."""
    from tinydeploy.check import hostrun
    from tinydeploy.codegen.project import write_project
    from tinydeploy.compiler import lower

    low = lower(g)
    with tempfile.TemporaryDirectory(prefix="td_sbbench_") as tmp:
        proj = write_project(low, Path(tmp) / "p", prefix="net")
        exe = hostrun.build(proj)
        manifest = json.loads((proj / "manifest.json").read_text())
        outs = hostrun.run(exe, manifest, records)
    return [dict(zip(low.graph.outputs, o)) for o in outs]


def bench_inputs(name: str, g, n: int, seed: int) -> list[list[np.ndarray]]:
    """``n`` int8 input records (see the module doc)."""
    from tinydeploy.quant.requant import round_half_away
    from tinydeploy.check.inputs import random_inputs

    x = g.t(g.inputs[0])
    s, z = x.quant.s, x.quant.zp
    try:
        from quantize_bench import generate
    except ImportError:
        return random_inputs(g, n, seed)
    xf = generate(name, np.random.default_rng(seed + 1), n, s * (-128 - z), s * (127 - z))
    q = np.clip(round_half_away(np.asarray(xf, np.float32) / np.float32(s)) + z, -128, 127)
    return [[qi.astype(np.int8).reshape(x.shape)] for qi in q]


def model_row(name: str, n: int = N_INPUTS, seed: int = 0) -> dict:
    from tinydeploy.compiler import lower
    from tinydeploy.frontend import load_model
    from tinydeploy.quant.execute import run_graph
    from tinydeploy.quant.subbyte import requantize_weights

    low8 = lower(load_model(MODELS_DIR / f"{name}.tflite"))
    low4 = lower(requantize_weights(low8.graph, 4))
    g8, g4 = low8.graph, low4.graph
    records = bench_inputs(name, g8, n, seed)
    out8 = [run_graph(g8, r, low8.args) for r in records]
    out4 = [run_graph(g4, r, low4.args) for r in records]
    c4 = c_outputs(g4, records)
    exact = all(np.array_equal(c[k], o[k]) for c, o in zip(c4, out4) for k in g4.outputs)
    y8, y4 = dequantized(g8, out8), dequantized(g4, out4)
    row = dict(model=name, w8=weight_bytes(g8)[0], w4=weight_bytes(g4)[0],
               const8=weight_bytes(g8)[1], const4=weight_bytes(g4)[1], c_exact=exact,
               sqnr_4_vs_8=sqnr_db(y8, y4), sqnr_8_vs_f=None, sqnr_4_vs_f=None,
               top1_8_vs_f=None, top1_4_vs_f=None)
    run_f = float_runner(MODELS_DIR / "float" / name.replace("_int8", "_float.tflite"))
    if run_f is not None:
        x = g8.t(g8.inputs[0])
        yf = np.stack([np.asarray(run_f((r[0].astype(np.float64) - x.quant.zp) * x.quant.s),
                                  np.float64).reshape(y8.shape[1:]) for r in records])
        row.update(sqnr_8_vs_f=sqnr_db(yf, y8), sqnr_4_vs_f=sqnr_db(yf, y4))
        if not name.startswith("ad_"):      # classifiers: top-1 agreement with float
            top = [np.argmax(v.reshape(n, -1), axis=1) for v in (yf, y8, y4)]
            row.update(top1_8_vs_f=float(np.mean(top[1] == top[0])),
                       top1_4_vs_f=float(np.mean(top[2] == top[0])))
    return row


def _fmt(v, spec: str) -> str:
    return "n/a" if v is None else format(v, spec)


def main() -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=200)
    if not MODELS_DIR.is_dir():
        console.print(f"[red]{MODELS_DIR} is absent: nothing to benchmark")
        return 1
    tab = Table(title=f"4-bit weights (packed) vs int8, MLPerf Tiny, {N_INPUTS} seeded inputs")
    for col in ("model", "int8 W B", "w4 W B", "w4/int8", "int8 const B", "w4 const B",
                "C = golden", "SQNR w4 vs int8", "SQNR int8 vs float", "SQNR w4 vs float",
                "top1 int8/float", "top1 w4/float"):
        tab.add_column(col, justify="left" if col == "model" else "right", no_wrap=True)
    rows = []
    for name in MODELS:
        r = model_row(name)
        rows.append(r)
        tab.add_row(name, f"{r['w8']:,}", f"{r['w4']:,}", f"{r['w4'] / r['w8']:.3f}",
                    f"{r['const8']:,}", f"{r['const4']:,}", "yes" if r["c_exact"] else "NO",
                    _fmt(r["sqnr_4_vs_8"], ".1f"), _fmt(r["sqnr_8_vs_f"], ".1f"),
                    _fmt(r["sqnr_4_vs_f"], ".1f"), _fmt(r["top1_8_vs_f"], ".2f"),
                    _fmt(r["top1_4_vs_f"], ".2f"))
        console.print(f"done {name}", style="dim")
    console.print(tab)
    console.print("W B = conv/depthwise/fc weight bytes (int4 packed two per byte); const B = "
                  "all constant tensors (weights + int32 biases). "
                  "SQNR in dB on the dequantized outputs; C = golden: the variant's "
                  "generated C (host) equals its numpy golden on every input. w4 = every "
                  "conv/fc re-quantized from its int8 weights (max scaling, no retraining, "
                  "no calibration): layers that lose too much call for 8-bit weights there "
                  "(per-layer bits).")
    (REPO / "out").mkdir(exist_ok=True)
    (REPO / "out" / "subbyte_bench.json").write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
