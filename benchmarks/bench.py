"""make bench: tinydeploy vs TFLite Micro, both measured in this run.

Per MLPerf Tiny model: our arena, its lower bound, TFLM's minimal arena (binary search on
the interpreter's arena size), the ratio, compile time, and host inference time of our C
vs the TFLM interpreter. Ratios only; nothing here asserts a time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
MODELS_DIR = REPO.parent / "shared" / "models"
MODELS = ["kws_dscnn_int8", "vww_mobilenet_int8", "ic_resnet8_int8", "ad_autoencoder_int8"]


def c_inference_seconds(project: Path, manifest: dict, low, reps: int) -> float:
    """Per-inference time of the generated C: (time of reps records - time of 1) / (reps-1)."""
    from tinydeploy.check import hostrun
    from tinydeploy.check.inputs import random_inputs

    exe = hostrun.build(project)
    rec = random_inputs(low.graph, 1, 0)[0]

    def timed(k: int) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            fin = Path(tmp) / "in.bin"
            fin.write_bytes(b"".join(np.ascontiguousarray(x).tobytes() for x in rec) * k)
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                subprocess.run([str(exe), str(fin), str(Path(tmp) / "out.bin")], check=True,
                               capture_output=True)
                best = min(best, time.perf_counter() - t0)
            return best

    return max(timed(reps) - timed(1), 0.0) / (reps - 1)


def main() -> int:
    from rich.console import Console
    from rich.table import Table

    from tflm_reference import tflm_inference_time, tflm_min_arena
    from tinydeploy.compiler import compile_model
    from tinydeploy.ir.ops import macs

    console = Console(width=160)
    if not MODELS_DIR.is_dir():
        console.print(f"[red]{MODELS_DIR} is absent: nothing to benchmark")
        return 1
    tab = Table(title="tinydeploy vs TFLite Micro (host, measured in this run)")
    for col in ("model", "arena B", "lower bd B", "arena/lb", "TFLM arena B", "arena/TFLM",
                "compile s", "C us/inf", "TFLM us/inf", "speedup"):
        tab.add_column(col, justify="right" if col != "model" else "left")
    results = []
    with tempfile.TemporaryDirectory(prefix="td_bench_") as tmp:
        for name in MODELS:
            path = MODELS_DIR / f"{name}.tflite"
            data = path.read_bytes()
            t0 = time.perf_counter()
            low = compile_model(path, Path(tmp) / name)
            compile_s = time.perf_counter() - t0
            manifest = json.loads((Path(tmp) / name / "manifest.json").read_text())
            total_macs = sum(macs(low.graph, op) for op in low.graph.ops)
            reps = 200 if total_macs < 5e6 else 50
            c_s = c_inference_seconds(Path(tmp) / name, manifest, low, reps)
            tflm_arena = tflm_min_arena(data)
            tflm_s = tflm_inference_time(data, n=20)
            r = dict(model=name, arena=low.memory.arena_bytes,
                     lower_bound=low.memory.whole_tensor_bound,
                     sliding_lower_bound=low.memory.lower_bound,
                     tflm_arena=tflm_arena, compile_s=compile_s, c_us=c_s * 1e6,
                     tflm_us=tflm_s * 1e6)
            results.append(r)
            tab.add_row(name, f"{r['arena']:,}", f"{r['lower_bound']:,}",
                        f"{r['arena'] / r['lower_bound']:.3f}", f"{tflm_arena:,}",
                        f"{r['arena'] / tflm_arena:.3f}", f"{compile_s:.2f}",
                        f"{r['c_us']:.0f}", f"{r['tflm_us']:.0f}",
                        f"{r['tflm_us'] / max(r['c_us'], 1e-9):.2f}x")
            console.print(f"done {name}", style="dim")
    console.print(tab)
    console.print("lower bd = max over layers of the bytes live there, whole tensors (the "
                  "usual layer-wise bound); our planner goes below it by letting convolutions "
                  "and pools overwrite their dying input row by row (its own bound: "
                  + ", ".join(f"{r['model'].split('_')[0]} {r['sliding_lower_bound']:,}"
                              for r in results) + ").")
    console.print("arena = activations incl. the input and output tensors (TFLM's figure also "
                  "includes its runtime structures); TFLM time = invoke() in the Python "
                  "interpreter; C time = generated code built with cc -O2.")
    (REPO / "out").mkdir(exist_ok=True)
    (REPO / "out" / "bench.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
