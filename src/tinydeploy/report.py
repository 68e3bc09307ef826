"""Per-layer report: op, shapes, MACs, weight and activation bytes, arena offsets."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass

from tinydeploy.compiler import Lowered
from tinydeploy.ir.ops import macs


@dataclass(frozen=True)
class LayerRow:
    index: int
    name: str
    kind: str
    inputs: list[list[int]]
    output: list[int]
    macs: int
    weight_bytes: int
    activation_bytes: int      # non-constant inputs + output
    arena_offset: int | None


def layer_rows(low: Lowered) -> list[LayerRow]:
    g = low.graph
    rows = []
    for i, op in enumerate(g.ops):
        ins = [g.t(n) for n in op.inputs if n]
        out = g.t(op.outputs[0])
        rows.append(LayerRow(
            i, op.name, op.kind + ("+requant" if "requant" in op.attrs else ""),  # fused
            [list(t.shape) for t in ins if not t.is_const], list(out.shape), macs(g, op),
            sum(t.nbytes for t in ins if t.is_const),
            sum(t.nbytes for t in ins if not t.is_const) + out.nbytes,
            low.memory.offsets.get(out.name)))
    return rows


def report_dict(low: Lowered) -> dict:
    rows = layer_rows(low)
    return {
        "model": low.graph.source,
        **({"dialect": low.graph.meta["dialect"], "notes": low.graph.meta.get("notes", [])}
           if low.graph.meta.get("dialect") else {}),
        "layers": [asdict(r) for r in rows],
        "totals": {
            "layers": len(rows),
            "macs": sum(r.macs for r in rows),
            "weight_bytes": sum(t.nbytes for t in low.graph.tensors.values() if t.is_const),
            "arena_bytes": low.memory.arena_bytes,
            "arena_lower_bound_bytes": low.memory.lower_bound,
            "arena_whole_tensor_lower_bound_bytes": low.memory.whole_tensor_bound,
            "arena_naive_bytes": low.memory.naive_bytes,
        },
    }


def print_report(low: Lowered, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=None if sys.stdout.isatty() else 150)
    d = report_dict(low)
    tab = Table(title=f"tinydeploy report: {low.graph.name}", show_lines=False)
    for col, just in (("#", "right"), ("layer", "left"), ("op", "left"), ("in", "left"),
                      ("out", "left"), ("MACs", "right"), ("weights B", "right"),
                      ("act B", "right"), ("arena off", "right")):
        tab.add_column(col, justify=just)
    for r in d["layers"]:
        tab.add_row(str(r["index"]), r["name"][:32], r["kind"],
                    " ".join("x".join(map(str, s)) for s in r["inputs"]),
                    "x".join(map(str, r["output"])), f"{r['macs']:,}",
                    f"{r['weight_bytes']:,}", f"{r['activation_bytes']:,}",
                    "" if r["arena_offset"] is None else f"{r['arena_offset']:,}")
    t = d["totals"]
    tab.add_section()
    tab.add_row("", "total", "", "", "", f"{t['macs']:,}", f"{t['weight_bytes']:,}", "", "")
    console.print(tab)
    lb, wlb = t["arena_lower_bound_bytes"], t["arena_whole_tensor_lower_bound_bytes"]
    console.print(f"arena {t['arena_bytes']:,} B  (layer-wise lower bound with whole tensors "
                  f"{wlb:,} B = {t['arena_bytes'] / max(wlb, 1):.3f}x; with in-place windows "
                  f"{lb:,} B; no reuse {t['arena_naive_bytes']:,} B)")
    console.print(f"weights {t['weight_bytes']:,} B  MACs {t['macs']:,}")
    if d.get("dialect"):                 # NEMO/QuantLab/Deeploy graphs (frontend/pulp)
        console.print(f"dialect: {d['dialect']} integer-deployable ONNX", markup=False)
        for n in d["notes"]:
            console.print(f"note: {n}", markup=False)


def plot_report(low: Lowered, path: str) -> None:
    """PNG/SVG: arena bytes in use per layer (memory over time) and MACs per layer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = layer_rows(low)
    idx = [r.index for r in rows]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(max(6, len(rows) * 0.3), 6), sharex=True)
    ax1.step(idx, low.memory.live_bytes, where="mid", label="live activation bytes")
    ax1.axhline(low.memory.arena_bytes, color="C3", ls="--",
                label=f"arena {low.memory.arena_bytes:,} B")
    ax1.axhline(low.memory.whole_tensor_bound, color="C2", ls=":",
                label=f"whole-tensor lower bound {low.memory.whole_tensor_bound:,} B")
    ax1.set_ylabel("bytes")
    ax1.legend(fontsize=8)
    ax1.set_title(f"{low.graph.name}: memory over time and work per layer")
    ax2.bar(idx, [r.macs for r in rows], color="C1")
    ax2.set_ylabel("MACs")
    ax2.set_xticks(idx, [f"{r.index} {r.kind}" for r in rows], rotation=90, fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
