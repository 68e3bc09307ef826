"""make bench (audio front end): micro_speech's audio preprocessor (TFLite Micro's signal
ops, the model the tests build: tests/signal/micro_speech.py) compiled for the default
board, measured in this run.

- QEMU rv32imc (exact: ``-icount shift=0`` + minstret around every layer): instructions
  per 30 ms frame over one clip's 49 frames (state carried from frame to frame), where they
  go by op, and the features checked against TFLite Micro's (a wrong byte exits 1);
- ``size`` of the network objects: static RAM (data + bss: arena, noise-estimate state)
  and flash (text + rodata: kernels and tables);
- host time per frame of the generated C (gcc -O2) against the TFLite Micro interpreter
  on the same frames, both measured here.

A plot of the per-op instruction shares goes to out/bench/audio_bench.png.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tflite_micro import runtime  # noqa: E402

from tests.signal import micro_speech as ms  # noqa: E402
from tinydeploy import api  # noqa: E402
from tinydeploy.check import hostrun, rv32  # noqa: E402
from tinydeploy.check.rv32.qemu import require_tools  # noqa: E402
from tinydeploy.check.static_ram import network_sizes  # noqa: E402
from tinydeploy.errors import TinyDeployError  # noqa: E402

PLOT = REPO / "out" / "bench" / "audio_bench.png"
REPS = 20          # clips timed on the host


def tflm_features(model: bytes, frames: list[np.ndarray]) -> tuple[np.ndarray, float]:
    """TFLM's features of one clip and its seconds per frame (best of 3 passes)."""
    best, out = float("inf"), None
    for _ in range(3):
        it = runtime.Interpreter.from_bytes(model, arena_size=200_000)
        feats = []
        t0 = time.perf_counter()
        for f in frames:
            it.set_input(f, 0)
            it.invoke()
            feats.append(np.array(it.get_output(0)).reshape(-1))
        best = min(best, (time.perf_counter() - t0) / len(frames))
        out = np.concatenate(feats)
    return out, best


def c_seconds_per_frame(project: Path, frames: list[np.ndarray]) -> float:
    """(time of REPS clips - time of 1 clip) / ((REPS - 1) * frames), best of 3."""
    exe = hostrun.build(project)

    def timed(k: int, tmp: Path) -> float:
        fin = tmp / "in.bin"
        fin.write_bytes(b"".join(f.tobytes() for f in frames) * k)
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run([str(exe), str(fin), str(tmp / "out.bin")], check=True,
                           capture_output=True)
            best = min(best, time.perf_counter() - t0)
        return best

    with tempfile.TemporaryDirectory() as tmp:
        return max(timed(REPS, Path(tmp)) - timed(1, Path(tmp)), 0.0) / \
            ((REPS - 1) * len(frames))


def plot(shares: dict[str, int], console) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    PLOT.parent.mkdir(parents=True, exist_ok=True)
    names = sorted(shares, key=shares.get)
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(names) + 1.2))
    ax.barh(names, [shares[n] / 1e3 for n in names], color="tab:blue")
    ax.set_xlabel("thousand instructions per 30 ms frame (QEMU rv32imc, exact)")
    ax.set_title("micro_speech audio preprocessor in tinydeploy C")
    fig.tight_layout()
    fig.savefig(PLOT, dpi=120)
    plt.close(fig)
    console.print(f"plot: {PLOT}")


def main() -> int:
    console = Console(width=160)
    try:
        require_tools()
    except TinyDeployError as e:
        console.print(f"[red]skipping the audio benchmark: {e}")
        return 0
    model = ms.preprocessor_model()
    frames = ms.frames(ms.seeded_clip(0))
    want, tflm_s = tflm_features(model, frames)
    with tempfile.TemporaryDirectory(prefix="td_audio_bench_") as tmp:
        path = Path(tmp) / "audio_preprocessor.tflite"
        path.write_bytes(model)
        proj = api.compile(path, Path(tmp) / "rv32", board="qemu-rv32")
        recs = [[f] for f in frames]
        elf = rv32.build(proj.path)
        got = np.concatenate([r[0].reshape(-1) for r in rv32.run(elf, proj.manifest, recs)])
        prof = rv32.profile(proj.path, records=recs)
        sizes = network_sizes(proj.path, "rv32")
        host = api.compile(path, Path(tmp) / "host")
        c_s = c_seconds_per_frame(host.path, frames)
    t = prof["totals"]
    per_frame = t["run_instructions"]              # mean per call (one frame)
    ok = np.array_equal(got, want)
    tab = Table(title="micro_speech audio preprocessor (one 30 ms frame -> 40 int8 "
                      "features), measured in this run")
    for col in ("", "value"):
        tab.add_column(col, justify="left" if not col else "right")
    tab.add_row("rv32imc instructions per frame (QEMU, exact)", f"{per_frame:,.0f}")
    tab.add_row("static RAM B (data + bss, size)", f"{sizes.ram:,}")
    tab.add_row("  of which arena B", f"{proj.lowered.memory.arena_bytes:,}")
    tab.add_row("flash B (text + rodata, size)", f"{sizes.text:,}")
    tab.add_row("host us per frame: generated C (-O2)", f"{c_s * 1e6:.2f}")
    tab.add_row("host us per frame: TFLite Micro interpreter", f"{tflm_s * 1e6:.2f}")
    tab.add_row("host speed ratio C / TFLM", f"{tflm_s / c_s:.1f}x" if c_s else "-")
    tab.add_row("features == TFLite Micro (49 frames, state carried)",
                "yes" if ok else "[red]NO")
    console.print(tab)
    shares: dict[str, int] = {}
    for layer in prof["layers"]:
        shares[layer["kind"]] = shares.get(layer["kind"], 0) + int(layer["instructions"])
    console.print("per frame by op: " + ", ".join(
        f"{k} {v:,}" for k, v in sorted(shares.items(), key=lambda kv: -kv[1])))
    plot(shares, console)
    if not ok:
        console.print("[red bold]FAILED: the rv32 features differ from TFLite Micro's")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
