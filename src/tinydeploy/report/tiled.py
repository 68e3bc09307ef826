"""The report of a tiled target: per layer tiles, L1, DMA per level, modeled cycles.

``tinydeploy report MODEL --target gap8 [--json F] [--plot F.png]``. All cycle figures are
the cost model's (tiling/cost.py, parameters cited in the target file): *modeled*, not
measured. Ops that are not tiled (reshape, softmax, ...) run from L2 and are listed
without figures.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from tinydeploy.ir.ops import macs
from tinydeploy.lowered import Lowered
from tinydeploy.report.text import shown
from tinydeploy.report.figures import new_figure, save_figure


def report_dict(low: Lowered) -> dict:
    g, plan = low.graph, low.tiled
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


def print_report(low: Lowered, console=None) -> None:
    plan = low.tiled
    console = console or Console(width=None if sys.stdout.isatty() else 170)
    d = report_dict(low)
    tab = Table(title=f"tinydeploy report: {shown(low.graph.name)} on {shown(plan.target.name)} "
                f"({plan.target.cores} cores, cycles MODELED)")
    cols = ("#", "layer", "op", "tile hxwxc", "tiles", "chunks", "L1 B", "L2->L1 B",
            "L1->L2 B", "L3->L2 B", "compute cyc", "DMA cyc", "total cyc", "MAC/cyc")
    for col in cols:
        tab.add_column(col, justify="left" if col in ("layer", "op", "tile hxwxc") else "right")
    for lay in d["layers"]:
        if lay.get("tiled") is False:
            tab.add_row(str(lay["index"]), shown(lay["name"], 28), lay["kind"], "untiled (L2)",
                        *[""] * 10)
            continue
        c, m = lay["cycles"], lay["dma"]
        tab.add_row(str(lay["index"]), shown(lay["name"], 28), lay["kind"], _tile(lay),
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


def _tiled_rows(d: dict) -> list[dict]:
    return [lay for lay in d["layers"] if lay.get("tiled") is not False]


def _xticks(ax, rows: list[dict]) -> None:
    ax.set_xticks(range(len(rows)), [f"{r['index']} {r['kind']}" for r in rows],
                  rotation=90, fontsize=7)


def _width(n: int) -> float:
    return max(6, n * 0.35)


def draw_cycles(ax, rows: list[dict]) -> None:
    """Modeled cycles per tiled layer: total (bars), compute, L2<->L1 DMA, L3 streaming."""
    idx = list(range(len(rows)))
    ax.bar(idx, [r["cycles"]["total"] for r in rows], color="C0", label="modeled total")
    ax.plot(idx, [r["cycles"]["compute"] for r in rows], "o-", color="C1", label="compute")
    ax.plot(idx, [r["cycles"]["dma"] for r in rows], "s-", color="C2", label="L2<->L1 DMA")
    ax.plot(idx, [r["cycles"]["l3"] for r in rows], "^-", color="C3", label="L3 streaming")
    ax.set_ylabel("cycles (modeled)")
    ax.legend(fontsize=8)


def draw_l1(ax, rows: list[dict], l1_size: int) -> None:
    """L1 bytes used per tiled layer against the L1 size."""
    ax.bar(range(len(rows)), [r["l1_bytes"] for r in rows], color="C4", label="L1 bytes used")
    ax.axhline(l1_size, color="C3", ls="--", label=f"L1 {l1_size:,} B")
    ax.set_ylabel("bytes")
    ax.legend(fontsize=8)


def draw_dma(ax, rows: list[dict]) -> None:
    """DMA bytes per tiled layer and direction (stacked), with each layer's lower bound."""
    idx = list(range(len(rows)))
    bottom = [0] * len(rows)
    for key, label, color in (("in_bytes", "L2->L1", "C0"), ("out_bytes", "L1->L2", "C1"),
                              ("l3_bytes", "L3->L2", "C3")):
        vals = [r["dma"][key] for r in rows]
        if key == "l3_bytes" and not any(vals):
            continue
        ax.bar(idx, vals, bottom=bottom, color=color, label=label)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.plot(idx, [r["dma_lower_bound"] for r in rows], "k_", markersize=14, mew=2,
            ls="none", label="L2<->L1 lower bound")
    ax.set_ylabel("DMA bytes")
    ax.legend(fontsize=8)


def report_figure(low: Lowered):
    """Modeled cycles above L1 bytes per tiled layer (what :func:`plot_report` writes)."""
    plan = low.tiled
    rows = _tiled_rows(report_dict(low))
    fig, (ax1, ax2) = new_figure(2, (_width(len(rows)), 7))
    draw_cycles(ax1, rows)
    ax1.set_title(f"{low.graph.name} on {plan.target.name}: modeled cycles and L1 per layer",
                  parse_math=False)
    draw_l1(ax2, rows, plan.target.memory[0].size)
    _xticks(ax2, rows)
    return fig


def dma_figure(low: Lowered):
    """DMA bytes per tiled layer and direction, with the every-byte-once lower bound."""
    plan = low.tiled
    rows = _tiled_rows(report_dict(low))
    fig, (ax,) = new_figure(1, (_width(len(rows)), 3.6))
    draw_dma(ax, rows)
    ax.set_title(f"{low.graph.name} on {plan.target.name}: DMA per layer", parse_math=False)
    _xticks(ax, rows)
    return fig


def plot_report(low: Lowered, path: str) -> None:
    """PNG/SVG: modeled cycles per layer (compute, DMA, L3) and L1 bytes used per layer."""
    save_figure(report_figure(low), path)
