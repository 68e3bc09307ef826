"""The report of a tiled target: per layer tiles, L1, DMA per level, modeled cycles.

``tinydeploy report MODEL --target gap8 [--json F] [--plot F.png]``. All cycle figures are
the cost model's (tiling/cost.py, parameters cited in the target file): *modeled*, not
measured. Ops that are not tiled (reshape, softmax, ...) run from L2 and are listed
without figures.
"""

from __future__ import annotations

import sys

from tinydeploy.codegen.tiled_plan import TiledPlan
from tinydeploy.compiler import Lowered
from tinydeploy.ir.ops import macs


def report_dict(low: Lowered, plan: TiledPlan) -> dict:
    g = low.graph
    layers = []
    for i, op in enumerate(g.ops):
        lay = plan.layers.get(op.name)
        layers.append(lay.to_dict() if lay else
                      {"index": i, "name": op.name, "kind": op.kind, "tiled": False,
                       "macs": macs(g, op)})
    tiled = [plan.layers[op.name] for op in g.ops if op.name in plan.layers]
    cycles = sum(t.cycles["total"] for t in tiled)
    tmacs = sum(t.macs for t in tiled)
    dma = {k: sum(t.dma[k] for t in tiled) for k in tiled[0].dma} if tiled else {}
    return {
        "model": g.source, "modeled": True, "plan": {k: v for k, v in plan.to_dict().items()
                                                     if k != "layers"},
        "layers": layers,
        "totals": {"tiled_layers": len(tiled), "tiles": sum(t.tiles for t in tiled),
                   "macs": sum(macs(g, op) for op in g.ops), "tiled_macs": tmacs,
                   "cycles": cycles, "macs_per_cycle": tmacs / cycles if cycles else 0.0,
                   "fps": plan.target.frequency_mhz * 1e6 / cycles if cycles else 0.0,
                   "dma": dma, "dma_lower_bound": sum(t.dma_lower_bound for t in tiled),
                   "compute_cycles": sum(t.cycles["compute"] for t in tiled),
                   "dma_cycles": sum(t.cycles["dma"] for t in tiled),
                   "l3_cycles": sum(t.cycles["l3"] for t in tiled)},
    }


def _tile(lay: dict) -> str:
    t = lay["tile"]
    return f"{t['h']}x{t['w']}x{t['c']} {lay['order']}"


def print_report(low: Lowered, plan: TiledPlan, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=None if sys.stdout.isatty() else 170)
    d = report_dict(low, plan)
    tab = Table(title=f"tinydeploy report: {low.graph.name} on {plan.target.name} "
                f"({plan.target.cores} cores, cycles MODELED)")
    cols = ("#", "layer", "op", "tile hxwxc", "tiles", "chunks", "L1 B", "L2->L1 B",
            "L1->L2 B", "L3->L2 B", "compute cyc", "DMA cyc", "total cyc", "MAC/cyc")
    for col in cols:
        tab.add_column(col, justify="left" if col in ("layer", "op", "tile hxwxc") else "right")
    for lay in d["layers"]:
        if lay.get("tiled") is False:
            tab.add_row(str(lay["index"]), lay["name"][:28], lay["kind"], "untiled (L2)",
                        *[""] * 10)
            continue
        c, m = lay["cycles"], lay["dma"]
        tab.add_row(str(lay["index"]), lay["name"][:28], lay["kind"], _tile(lay),
                    str(lay["tiles"]), str(len(lay["chunks"])), f"{lay['l1_bytes']:,}",
                    f"{m['in_bytes']:,}", f"{m['out_bytes']:,}", f"{m['l3_bytes']:,}",
                    f"{c['compute']:,.0f}", f"{c['dma']:,.0f}", f"{c['total']:,.0f}",
                    f"{lay['macs_per_cycle']:.2f}")
    t = d["totals"]
    tab.add_section()
    tab.add_row("", "total", "", "", str(t["tiles"]), "", "", f"{t['dma'].get('in_bytes', 0):,}",
                f"{t['dma'].get('out_bytes', 0):,}", f"{t['dma'].get('l3_bytes', 0):,}",
                f"{t['compute_cycles']:,.0f}", f"{t['dma_cycles']:,.0f}",
                f"{t['cycles']:,.0f}", f"{t['macs_per_cycle']:.2f}")
    console.print(tab)
    p = d["plan"]
    console.print("memory: " + ", ".join(f"{lv['name']} {lv['used']:,} of {lv['size']:,} B"
                                         for lv in p["levels"])
                  + f" (L2: arena {p['arena_bytes']:,} + resident constants "
                    f"{p['resident_bytes']:,} + staging {p['stage_bytes']:,})")
    moved = t["dma"].get("in_bytes", 0) + t["dma"].get("out_bytes", 0)
    console.print(f"L2<->L1 DMA {moved:,} B, lower bound {t['dma_lower_bound']:,} B "
                  f"(every byte once) = {moved / max(t['dma_lower_bound'], 1):.3f}x")
    console.print(f"MODELED: {t['cycles']:,.0f} cycles for the tiled layers = "
                  f"{t['fps']:.1f} inferences/s at {plan.target.frequency_mhz:g} MHz, "
                  f"{t['macs_per_cycle']:.2f} MAC/cycle (tiling/cost.py; not measured)")


def plot_report(low: Lowered, plan: TiledPlan, path: str) -> None:
    """PNG/SVG: modeled cycles per layer (compute, DMA, L3) and L1 bytes used per layer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = report_dict(low, plan)
    rows = [lay for lay in d["layers"] if lay.get("tiled") is not False]
    idx = list(range(len(rows)))
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(max(6, len(rows) * 0.35), 7), sharex=True)
    total = [r["cycles"]["total"] for r in rows]
    ax1.bar(idx, total, color="C0", label="modeled total")
    ax1.plot(idx, [r["cycles"]["compute"] for r in rows], "o-", color="C1", label="compute")
    ax1.plot(idx, [r["cycles"]["dma"] for r in rows], "s-", color="C2", label="L2<->L1 DMA")
    ax1.plot(idx, [r["cycles"]["l3"] for r in rows], "^-", color="C3", label="L3 streaming")
    ax1.set_ylabel("cycles (modeled)")
    ax1.legend(fontsize=8)
    ax1.set_title(f"{low.graph.name} on {plan.target.name}: modeled cycles and L1 per layer")
    ax2.bar(idx, [r["l1_bytes"] for r in rows], color="C4", label="L1 bytes used")
    ax2.axhline(plan.target.memory[0].size, color="C3", ls="--",
                label=f"L1 {plan.target.memory[0].size:,} B")
    ax2.set_ylabel("bytes")
    ax2.legend(fontsize=8)
    ax2.set_xticks(idx, [f"{r['index']} {r['kind']}" for r in rows], rotation=90, fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
