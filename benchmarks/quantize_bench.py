"""make bench: tinydeploy quantize vs the official int8 MLPerf Tiny models (TFLite converter).

Per model: the float original (../shared/models/float) is quantized by ``tinydeploy
quantize`` (the same code path as the CLI: calibrate, plan, integer graph, QDQ file),
calibrated on CALIB seeded inputs; then, on TEST other seeded inputs, both quantized models
are compared with the float model (run in numpy float64; TFLM's float kernels agree to
~1e-6 for IC/VWW/AD, TFLM cannot run KWS's dynamic-range file):

- ours: the integer-deployable model (numpy golden), whose outputs are also checked equal,
  byte for byte, to the generated C (the QDQ file compiled and run on the host);
- official: ``<model>_int8.tflite`` in TFLite Micro, input quantized with its own input
  parameters (round half away from zero, as TFLite), output dequantized.

Metrics: SQNR of the output vs float (dB) and top-1 agreement with float (classifiers).
Input range: from the official model's input quantization (real = s * (q - zp) over the
int8 range): IC raw pixels 0..255, VWW pixels 0..1, KWS features [-123.4, 25.7], AD
features [-84.9, 14.9]. Inputs are seeded synthetic data of natural-signal statistics
(1/f "pink" images, smooth MFCC-like / log-mel-like features), clipped to that range.
The official models were calibrated by their authors on the real datasets, ours on
samples of the test distribution: the comparison says that our quantizer, given
representative data, loses no more than the converter did; it is not a dataset accuracy.

Mixed precision: a second table quantizes with ``--bits auto`` at AUTO_FRACTION (60%) of
the int8 model's weight bytes (weights packed + int32 biases) and prints the bytes chosen,
the per-layer widths and the SQNR vs float (integer stage; C == numpy checked too). KWS
only, to keep it near a minute: measured on 2 cores, the search with its final quantize,
C build and test run takes ~25-35 s for KWS, ~45 s for IC, ~5 s for AD and ~2.5 minutes
for VWW (28 layers, every trial measured); add names to AUTO_MODELS to run them.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MODELS_DIR = REPO.parent / "shared" / "models"
MODELS = ["kws_dscnn", "vww_mobilenet", "ic_resnet8", "ad_autoencoder"]
CALIB, TEST = 200, 300
CONFIGS = [("minmax", False), ("percentile", True)]      # (observer, bias correction)
AUTO_MODELS = ["kws_dscnn"]
AUTO_FRACTION = 0.6


def pink(rng: np.random.Generator, n: int, h: int, w: int, c: int, alpha: float = 1.0):
    """Gaussian fields with a 1/f**alpha spectrum, unit variance per sample: [n, h, w, c]."""
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.rfftfreq(w)[None, :]
    f = np.sqrt(fy ** 2 + fx ** 2)
    f[0, 0] = 1.0
    amp = 1.0 / f ** alpha
    amp[0, 0] = 0.0
    shape = (n, c, h, w // 2 + 1)
    spec = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * amp
    x = np.fft.irfft2(spec, s=(h, w)).transpose(0, 2, 3, 1)
    return x / (x.std(axis=(1, 2, 3), keepdims=True) + 1e-9)


def images(rng, n: int, h: int, w: int, lo: float, hi: float) -> np.ndarray:
    """Natural-looking images: 1/f luminance plus weaker colour, random brightness and
    contrast, in [lo, hi]."""
    x = pink(rng, n, h, w, 1) + 0.3 * pink(rng, n, h, w, 3)
    x = rng.uniform(0.3, 0.7, (n, 1, 1, 1)) + rng.uniform(0.1, 0.25, (n, 1, 1, 1)) * x
    return (lo + (hi - lo) * np.clip(x, 0.0, 1.0)).astype(np.float32)


def mfcc(rng, n: int, lo: float, hi: float, frames: int = 49, coeffs: int = 10):
    """MFCC-like [n, frames, coeffs, 1]: smooth in time, energy term c0 with a random
    level, higher coefficients with decreasing spread."""
    t = pink(rng, n, frames, coeffs * 4, 1, alpha=1.5)[:, :, :coeffs, 0]
    sigma = np.array([25.0] + [12.0 / np.sqrt(k) for k in range(1, coeffs)])
    x = t * sigma
    x[:, :, 0] += rng.uniform(-60.0, -10.0, (n, 1))
    return np.clip(x, lo, hi).astype(np.float32)[..., None]


def logmel(rng, n: int, lo: float, hi: float, frames: int = 5, bins: int = 128):
    """Log-mel-like [n, frames * bins]: smooth spectral envelopes, tilted, random level."""
    env = pink(rng, n, frames * 8, bins, 1, alpha=2.0)[:, :frames, :, 0]
    x = rng.uniform(-50.0, -20.0, (n, 1, 1)) + 12.0 * env - np.linspace(0, 20, bins)
    return np.clip(x, lo, hi).reshape(n, frames * bins).astype(np.float32)


def generate(model: str, rng, n: int, lo: float, hi: float) -> np.ndarray:
    if model.startswith("ic"):
        return images(rng, n, 32, 32, lo, hi)
    if model.startswith("vww"):
        return images(rng, n, 96, 96, lo, hi)
    if model.startswith("kws"):
        return mfcc(rng, n, lo, hi)
    return logmel(rng, n, lo, hi)


def official_io(data: bytes):
    """(input scale, zero point, output scale, zero point) of an int8 model."""
    from tflite_micro import runtime

    it = runtime.Interpreter.from_bytes(data, arena_size=4 << 20)
    qi = it.get_input_details(0)["quantization_parameters"]
    qo = it.get_output_details(0)["quantization_parameters"]
    return (float(qi["scales"][0]), int(qi["zero_points"][0]), float(qo["scales"][0]),
            int(qo["zero_points"][0]))


def run_official(data: bytes, x: np.ndarray) -> np.ndarray:
    """The official int8 model in TFLM on float inputs (TFLite's input quantization)."""
    from tflite_micro import runtime

    it = runtime.Interpreter.from_bytes(data, arena_size=4 << 20)
    s, z, so, zo = official_io(data)
    shape = tuple(it.get_input_details(0)["shape"])
    outs = []
    for xi in x:
        r = np.asarray(xi, np.float32) / np.float32(s)
        q = np.clip(np.sign(r) * np.floor(np.abs(r) + 0.5) + z, -128, 127).astype(np.int8)
        it.set_input(q.reshape(shape), 0)
        it.invoke()
        outs.append((np.asarray(it.get_output(0), np.float64) - zo) * so)
    return np.stack(outs)


def c_outputs(onnx_path: Path, x: np.ndarray, tmp: Path) -> np.ndarray:
    """The QDQ file compiled by ``tinydeploy compile`` and run as C on the host."""
    from tinydeploy.check import hostrun
    from tinydeploy.compiler import compile_model

    proj = tmp / (onnx_path.stem + "_c")
    compile_model(onnx_path, proj)
    manifest = json.loads((proj / "manifest.json").read_text())
    shape = manifest["inputs"][0]["shape"]
    recs = hostrun.run(hostrun.build(proj), manifest, [[xi.reshape(shape)] for xi in x])
    return np.stack([r[0] for r in recs])


def ort_lsb(onnx_path: Path, x: np.ndarray, ours: np.ndarray, lsb: float) -> tuple[float, float]:
    """onnxruntime on the QDQ file vs our integer outputs: (max |diff| in output LSB,
    fraction of identical outputs).

    Basic graph optimizations only: the float ops run on dequantized values, which is what
    the QDQ file means. With all optimizations onnxruntime fuses Q/DQ into integer kernels
    that, on x86 CPUs without VNNI, add u8 x s8 product pairs with int16 saturation and go
    wrong for full-range int8 weights (onnxruntime's own quantizer needs 7-bit weights,
    "reduce_range", there).
    """
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    shape = sess.get_inputs()[0].shape
    r = np.stack([sess.run(None, {name: xi.reshape(shape)})[0] for xi in x])
    d = np.abs(r.reshape(ours.shape) - ours) / lsb
    return float(d.max()), float(np.mean(d < 1e-3))


def top1(y: np.ndarray, ref: np.ndarray) -> float:
    return float(np.mean(np.argmax(y.reshape(len(y), -1), -1) ==
                         np.argmax(ref.reshape(len(ref), -1), -1)))


def bench_model(name: str, tmp: Path) -> dict:
    from tinydeploy.quantize.float_graph import load_float_model
    from tinydeploy.quantize.float_ops import run_float
    from tinydeploy.quantize.report import sqnr_db

    off_data = (MODELS_DIR / f"{name}_int8.tflite").read_bytes()
    s, z, so, _ = official_io(off_data)
    lo, hi = s * (-128 - z), s * (127 - z)
    calib = generate(name, np.random.default_rng(0), CALIB, lo, hi)
    test = generate(name, np.random.default_rng(1), TEST, lo, hi)
    float_path = MODELS_DIR / "float" / f"{name}_float.tflite"
    fg = load_float_model(float_path)
    ref = run_float(fg, [test])[fg.outputs[0]]
    official = run_official(off_data, test).reshape(ref.shape)
    np.save(tmp / f"{name}_calib.npy", calib)
    r = {"model": name, "range": (lo, hi), "official_sqnr": sqnr_db(ref, official),
         "official_top1": top1(official, ref), "ours": []}
    for observer, bc in CONFIGS:
        r["ours"].append(_ours(name, float_path, observer, bc, tmp, test, ref, so))
    r["arena"] = arenas(name, tmp / f"{name}_{CONFIGS[0][0]}.onnx", tmp)
    if name in AUTO_MODELS:
        r["auto"] = _auto(name, float_path, tmp, test, ref)
    return r


def arenas(name: str, ours: Path, tmp: Path) -> dict:
    """Arena bytes of the default ``--board qemu-rv32`` build: our quantized QDQ file (float
    input and output: the edge quantize/dequantize read and write the caller's buffers) and
    the official int8 TFLite file (int8 input and output)."""
    from tinydeploy import api

    out = {}
    for key, path in (("ours", ours), ("official", MODELS_DIR / f"{name}_int8.tflite")):
        p = api.compile(path, tmp / f"{name}_{key}_rv32", board="qemu-rv32")
        out[key] = p.lowered.memory.arena_bytes
    return out


def _auto(name, float_path, tmp: Path, test, ref) -> dict:
    """``--bits auto`` at AUTO_FRACTION of the int8 weight bytes."""
    from tinydeploy.quantize.canonical import LINEAR, canonicalize
    from tinydeploy.quantize.driver import quantize_file
    from tinydeploy.quantize.float_graph import load_float_model
    from tinydeploy.quantize.precision import layer_weight_bytes
    from tinydeploy.quantize.report import sqnr_db
    from tinydeploy.quantize.search import KIB

    g = canonicalize(load_float_model(float_path))
    int8 = sum(layer_weight_bytes(g, op, 8) for op in g.ops if op.kind in LINEAR)
    t0 = time.perf_counter()
    out = tmp / f"{name}_auto.onnx"
    res = quantize_file(float_path, out, calib=[str(tmp / f"{name}_calib.npy")],
                        bits="auto", budget_kb=AUTO_FRACTION * int8 / KIB)
    quant_s = time.perf_counter() - t0
    ours = res.integer.run([test])[res.plan.graph.outputs[0]].reshape(ref.shape)
    c = c_outputs(out, test, tmp).reshape(ref.shape)
    widths = list(res.auto.weights.values())
    return {"int8_bytes": int8, "budget": res.auto.budget,
            "weight_bytes": res.auto.weight_bytes, "widths": {b: widths.count(b)
                                                              for b in (8, 4, 2)},
            "sqnr": sqnr_db(ref, ours), "top1": top1(ours, ref), "quantize_s": quant_s,
            "c_exact": bool(np.array_equal(c.astype(np.float64),
                                           ours.astype(np.float32).astype(np.float64)))}


def _ours(name, float_path, observer, bc, tmp: Path, test, ref, out_lsb) -> dict:
    from tinydeploy.quantize.driver import quantize_file
    from tinydeploy.quantize.report import sqnr_db

    t0 = time.perf_counter()
    out = tmp / f"{name}_{observer}{'_bc' if bc else ''}.onnx"
    res = quantize_file(float_path, out, calib=[str(tmp / f"{name}_calib.npy")],
                        observer=observer, bias_correction=bc)
    quant_s = time.perf_counter() - t0
    ours = res.integer.run([test])[res.plan.graph.outputs[0]].reshape(ref.shape)
    c = c_outputs(out, test, tmp).reshape(ref.shape)
    ig = res.integer.graph
    lsb = ig.t(ig.ops[-1].inputs[0]).quant.s
    ort_max, ort_same = ort_lsb(out, test, ours, lsb)
    return {"observer": observer, "bias_correction": bc, "sqnr": sqnr_db(ref, ours),
            "top1": top1(ours, ref), "c_exact": bool(np.array_equal(
                c.astype(np.float64), ours.astype(np.float32).astype(np.float64))),
            "ort_max_lsb": ort_max, "ort_identical": ort_same, "quantize_s": quant_s}


def main() -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=170)
    if not MODELS_DIR.is_dir():
        console.print(f"[red]{MODELS_DIR} is absent: nothing to benchmark")
        return 1
    tab = Table(title=f"tinydeploy quantize vs the official int8 models (TFLite converter): "
                f"SQNR (dB) and top-1 agreement with the float model on {TEST} seeded "
                f"inputs (calibration: {CALIB} others)")
    for col in ("model", "input range", "ours: observer", "ours dB", "ours top-1 %",
                "official dB", "official top-1 %", "ours >= official", "C == numpy",
                "ORT max LSB", "ORT same %", "quantize s"):
        tab.add_column(col, justify="left" if col in ("model", "ours: observer") else "right")
    results = []
    with tempfile.TemporaryDirectory(prefix="td_qbench_") as tmp:
        for name in MODELS:
            r = bench_model(name, Path(tmp))
            results.append(r)
            for o in r["ours"]:
                classifier = not name.startswith("ad")
                ok = o["sqnr"] >= r["official_sqnr"] and (
                    not classifier or o["top1"] >= r["official_top1"])
                tab.add_row(name.split("_")[0], f"{r['range'][0]:.4g}..{r['range'][1]:.4g}",
                            o["observer"] + (", bias corr." if o["bias_correction"] else ""),
                            f"{o['sqnr']:.2f}", _pct(o["top1"], classifier),
                            f"{r['official_sqnr']:.2f}", _pct(r["official_top1"], classifier),
                            "yes" if ok else "NO", "yes" if o["c_exact"] else "NO",
                            f"{o['ort_max_lsb']:.0f}", f"{100 * o['ort_identical']:.1f}",
                            f"{o['quantize_s']:.1f}")
            console.print(f"done {name}", style="dim")
    console.print(tab)
    console.print(_arena_table(results))
    console.print(_auto_table(results))
    console.print("ours = integer-deployable model (numpy golden; 'C == numpy': the compiled "
                  "QDQ file gives the same bytes on every test input). ORT = onnxruntime on "
                  "the same QDQ file with basic graph optimizations (float ops on dequantized "
                  "values; its fused int8 kernels saturate on CPUs without VNNI), output "
                  "LSB = the output quantization step, 1/256 for softmax outputs (which magnify "
                  "the +-1 LSB float-vs-fixed-point requantization differences of earlier "
                  "layers). AD is an autoencoder: no top-1. Inputs: seeded synthetic data of "
                  "natural-signal statistics in the range of the official model's input "
                  "quantization (see the module docstring).")
    (REPO / "out").mkdir(exist_ok=True)
    (REPO / "out" / "quantize_bench.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


def _arena_table(results: list[dict]):
    from rich.table import Table

    tab = Table(title="quantize -> compile: arena of the default --board qemu-rv32 build "
                "(optimized kernels, their scratch included), ours (float edges) vs the "
                "official int8 file")
    for col in ("model", "ours B", "official int8 B", "ours / official", "goal <= 1"):
        tab.add_column(col, justify="left" if col == "model" else "right")
    for r in results:
        a = r["arena"]
        tab.add_row(r["model"].split("_")[0], f"{a['ours']:,}", f"{a['official']:,}",
                    f"{a['ours'] / a['official']:.3f}",
                    "met" if a["ours"] <= a["official"] else "NOT met")
    return tab


def _auto_table(results: list[dict]):
    from rich.table import Table

    tab = Table(title=f"--bits auto at {AUTO_FRACTION:.0%} of the int8 weight bytes "
                "(weights + int32 biases): SQNR vs float on the same test inputs")
    for col in ("model", "int8 bytes", "budget", "auto bytes", "ratio", "layers w8/w4/w2",
                "auto dB", "int8 dB (minmax)", "auto top-1 %", "C == numpy", "quantize s"):
        tab.add_column(col, justify="left" if col == "model" else "right")
    for r in results:
        a = r.get("auto")
        if a is None:
            continue
        classifier = not r["model"].startswith("ad")
        tab.add_row(r["model"].split("_")[0], str(a["int8_bytes"]), str(a["budget"]),
                    str(a["weight_bytes"]), f"{a['weight_bytes'] / a['int8_bytes']:.2f}",
                    "/".join(str(a["widths"][b]) for b in (8, 4, 2)), f"{a['sqnr']:.2f}",
                    f"{r['ours'][0]['sqnr']:.2f}", _pct(a["top1"], classifier),
                    "yes" if a["c_exact"] else "NO", f"{a['quantize_s']:.1f}")
    return tab


def _pct(v: float, show: bool) -> str:
    return f"{100 * v:.1f}" if show else "-"


if __name__ == "__main__":
    sys.exit(main())
