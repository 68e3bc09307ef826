"""make bench (tiled targets): compile time, modeled cycles and measured DMA per model.

For every MLPerf Tiny model on gap8, gap9 and siracusa: compile time (lowering, level
placement and CP-SAT tiling of every layer, C emission), the modeled cycles and MAC/cycle
of the tiled layers (tiling/cost.py; untiled ops - reshape, softmax - are not modeled),
and the L2 <-> L1 DMA bytes per inference: measured by the host HAL's counters in a run
of the generated C, the planner's prediction, and the lower bound (every input, weight,
parameter and output byte moved once). Then a MobileNetV1-1.0 128x128 (generated,
benchmarks/mobilenet_v1.py) planned for gap8: its *modeled* frames per second beside
DORY's published 4.3 fps, which was *measured* on GAP8 silicon (Burrello et al., IEEE
Trans. Computers 2021) - a model against a measurement, not a like-for-like result.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
MODELS_DIR = REPO.parent / "shared" / "models"
MODELS = ["kws_dscnn_int8", "vww_mobilenet_int8", "ic_resnet8_int8", "ad_autoencoder_int8"]
TARGETS = ["gap8", "gap9", "siracusa"]
DORY_MOBILENET_FPS = 4.3     # DORY, MobileNetV1-1.0 128x128 on GAP8 (measured, published)


def measure_dma(project: Path, low) -> dict[int, dict[str, int]]:
    """Per-layer DMA counters of one inference of the generated C on the host HAL."""
    from tinydeploy.check import hostrun
    from tinydeploy.check.dma import run_measuring
    from tinydeploy.check.inputs import random_inputs

    manifest = json.loads((project / "manifest.json").read_text())
    _, dma = run_measuring(hostrun.build(project), manifest, random_inputs(low.graph, 1, 0))
    return dma


def bench_model(name: str, target: str, tmp: Path) -> dict:
    from tinydeploy.compiler import compile_model
    from tinydeploy.ir.ops import macs

    t0 = time.perf_counter()
    low = compile_model(MODELS_DIR / f"{name}.tflite", tmp / f"{name}_{target}", target=target)
    compile_s = time.perf_counter() - t0
    manifest = json.loads((tmp / f"{name}_{target}" / "manifest.json").read_text())
    layers = manifest["tiled"]["layers"]
    measured = measure_dma(tmp / f"{name}_{target}", low)
    cycles = sum(lay["cycles"]["total"] for lay in layers)
    tiled_macs = sum(lay["macs"] for lay in layers)
    return dict(model=name, target=target, compile_s=compile_s, layers=len(layers),
                tiles=sum(lay["tiles"] for lay in layers), cycles=cycles,
                macs=sum(macs(low.graph, op) for op in low.graph.ops), tiled_macs=tiled_macs,
                mac_per_cycle=tiled_macs / cycles,
                fps=manifest["tiled"]["frequency_mhz"] * 1e6 / cycles,
                dma_predicted=sum(lay["dma"]["in_bytes"] + lay["dma"]["out_bytes"]
                                  for lay in layers),
                dma_measured=sum(m["in_bytes"] + m["out_bytes"] for m in measured.values()),
                dma_lower_bound=sum(lay["dma_lower_bound"] for lay in layers),
                l3_bytes=sum(lay["dma"]["l3_bytes"] for lay in layers))


def bench_mobilenet() -> dict:
    from mobilenet_v1 import mobilenet_v1
    from tinydeploy.tiling.plan import plan_tiled
    from tinydeploy.compiler import lower
    from tinydeploy.targets import load_target

    t0 = time.perf_counter()
    low = lower(mobilenet_v1(alpha=1.0, res=128, seed=0), sliding=False)
    target = load_target("gap8")
    plan = plan_tiled(low.graph, target, low.memory)
    plan_s = time.perf_counter() - t0
    cycles = sum(lay.cycles["total"] for lay in plan.layers.values())
    macs = sum(lay.macs for lay in plan.layers.values())
    return dict(plan_s=plan_s, cycles=cycles, macs=macs, mac_per_cycle=macs / cycles,
                fps=target.frequency_mhz * 1e6 / cycles, mhz=target.frequency_mhz,
                l3_bytes=plan.streamed_bytes, l2_used=plan.used,
                chunked=[lay.op for lay in plan.layers.values() if len(lay.chunks) > 1])


def main() -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=170)
    if not MODELS_DIR.is_dir():
        console.print(f"[red]{MODELS_DIR} is absent: nothing to benchmark")
        return 1
    tab = Table(title="tiled targets: compile (incl. CP-SAT), modeled cycles, DMA per "
                "inference (measured on the host HAL vs planned vs lower bound)")
    for col in ("model", "target", "compile s", "tiles", "modeled Mcycles", "MAC/cycle",
                "modeled fps", "DMA measured B", "DMA planned B", "lower bound B",
                "meas/lb", "L3 B"):
        tab.add_column(col, justify="left" if col in ("model", "target") else "right")
    results = []
    with tempfile.TemporaryDirectory(prefix="td_tiled_bench_") as tmp:
        for name in MODELS:
            for target in TARGETS:
                r = bench_model(name, target, Path(tmp))
                results.append(r)
                tab.add_row(name, target, f"{r['compile_s']:.2f}", str(r["tiles"]),
                            f"{r['cycles'] / 1e6:.3f}", f"{r['mac_per_cycle']:.2f}",
                            f"{r['fps']:.1f}", f"{r['dma_measured']:,}",
                            f"{r['dma_predicted']:,}", f"{r['dma_lower_bound']:,}",
                            f"{r['dma_measured'] / r['dma_lower_bound']:.3f}",
                            f"{r['l3_bytes']:,}")
                console.print(f"done {name} on {target}", style="dim")
    console.print(tab)
    bad = [r for r in results if r["dma_measured"] != r["dma_predicted"]]
    console.print("measured DMA == planned DMA for every model and target" if not bad else
                  f"[red]measured DMA differs from the plan: {[r['model'] for r in bad]}")
    mb = bench_mobilenet()
    console.print(
        f"MobileNetV1-1.0 128x128 (generated, seeded weights) on gap8 @ {mb['mhz']:g} MHz: "
        f"planned in {mb['plan_s']:.2f} s; {mb['macs'] / 1e6:.1f} MMAC, "
        f"{mb['cycles'] / 1e6:.2f} Mcycles MODELED, {mb['mac_per_cycle']:.2f} MAC/cycle "
        f"MODELED -> {mb['fps']:.2f} fps MODELED | DORY (published, measured on GAP8): "
        f"{DORY_MOBILENET_FPS} fps. Weights {mb['l3_bytes']:,} B streamed from L3 "
        f"({len(mb['chunked'])} layers in chunks of output channels).")
    console.print("modeled = tiling/cost.py with the cost-model parameters cited in "
                  "targets/gap8.toml; not a measurement.")
    (REPO / "out").mkdir(exist_ok=True)
    (REPO / "out" / "tiled_bench.json").write_text(
        json.dumps({"models": results, "mobilenet_v1_gap8": mb}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
