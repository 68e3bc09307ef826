"""make bench: exact instructions per MAC on QEMU rv32imc, optimized vs reference kernels.

Each MLPerf Tiny model is compiled twice for ``--board qemu-rv32`` (``--kernels opt`` and
``--kernels ref``) and profiled in this run (``-icount shift=0`` + minstret around every
layer). Printed: whole network and per layer type; then the ``--harts 8`` build (QEMU
``-smp 8``): per layer type the measured speedup (single-hart instructions / the busiest
hart's) beside the split's modeled one. Issue targets: <= 2.5 instructions/MAC on conv and
pointwise, <= 6 on depthwise, <= 4 fully connected, <= 3.0 over the whole KWS and IC
networks and 3.5 over VWW; -smp 8 speedup >= 6x on the conv and pointwise layers of VWW
and IC.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS_DIR = REPO.parent / "shared" / "models"
MODELS = ["kws_dscnn_int8", "vww_mobilenet_int8", "ic_resnet8_int8", "ad_autoencoder_int8"]
CATEGORIES = ("conv", "pointwise", "depthwise", "fc")


def main() -> int:
    from rich.console import Console
    from rich.table import Table

    from tinydeploy.compiler import compile_model
    from tinydeploy.errors import TinyDeployError
    from tinydeploy.check.rv32 import profile
    from tinydeploy.check.rv32.qemu import require_tools

    console = Console(width=160)
    try:
        require_tools()
    except TinyDeployError as e:
        console.print(f"[red]skipping the rv32 benchmark: {e}")
        return 0
    tab = Table(title="instructions per MAC on QEMU rv32imc (gcc -O3, exact: -icount + "
                "minstret), optimized / reference kernels, measured in this run")
    tab.add_column("model")
    for col in ("whole net", *CATEGORIES):
        tab.add_column(f"{col} opt/ref", justify="right")
    tab.add_column("speedup", justify="right")
    with tempfile.TemporaryDirectory(prefix="td_rv32_bench_") as tmp:
        for name in MODELS:
            prof = {}
            for k in ("opt", "ref"):
                out = Path(tmp) / f"{name}_{k}"
                compile_model(MODELS_DIR / f"{name}.tflite", out, board="qemu-rv32", kernels=k)
                prof[k] = profile(out)["totals"]
            cells = [f"{prof['opt']['instructions_per_mac']:.2f} / "
                     f"{prof['ref']['instructions_per_mac']:.2f}"]
            for c in CATEGORIES:
                o = prof["opt"]["by_category"].get(c)
                r = prof["ref"]["by_category"].get(c)
                cells.append("-" if o is None else
                             f"{o['instructions_per_mac']:.2f} / {r['instructions_per_mac']:.2f}")
            speed = prof["ref"]["run_instructions"] / prof["opt"]["run_instructions"]
            tab.add_row(name, *cells, f"{speed:.2f}x")
            console.print(f"done {name}", style="dim")
    console.print(tab)
    console.print("targets (issues 7, 13): conv, pointwise <= 2.5; depthwise <= 6; fully "
                  "connected <= 4; whole KWS and IC <= 3.0, VWW <= 3.5. Anchors on the same "
                  "QEMU setup: muRISCV-NN 4.3-5.0 (dw 11.8), CMSIS-NN C 4.8-5.7, TFLM "
                  "reference 10-49.")
    console.print(harts_table(compile_model, profile))
    return 0


def harts_table(compile_model, profile, harts: int = 8):
    """The parallel build (``--harts 8``, QEMU ``-smp 8``): per layer type, the measured
    speedup (the layers' single-hart instructions / their busiest hart's, exact) beside the
    split's modeled one (instruction-weighted over the layers)."""
    from rich.table import Table

    tab = Table(title=f"--harts {harts} on QEMU -smp {harts}: speedup per layer type, measured "
                "(single-hart instructions / busiest hart's, exact) and modeled (the split)")
    tab.add_column("model")
    for c in CATEGORIES:
        tab.add_column(f"{c} measured / modeled", justify="right")
    with tempfile.TemporaryDirectory(prefix="td_rv32_harts_") as tmp:
        for name in MODELS:
            out = Path(tmp) / name
            compile_model(MODELS_DIR / f"{name}.tflite", out, board="qemu-rv32", harts=harts)
            prof = profile(out)
            cells = []
            for c in CATEGORIES:
                rows = [r for r in prof["layers"] if r["category"] == c]
                meas = prof["totals"]["speedup_by_category"].get(c)
                single = sum(r["instructions"] for r in rows)
                model = sum(r["instructions"] / r["speedup_modeled"] for r in rows
                            if r["speedup_modeled"])
                cells.append("-" if not rows or meas is None else
                             f"{meas:.2f}x / {single / model:.2f}x" if model else f"{meas:.2f}x")
            tab.add_row(name, *cells)
    return tab


if __name__ == "__main__":
    sys.exit(main())
