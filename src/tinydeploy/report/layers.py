"""Per-layer report: op, shapes, MACs, weight and activation bytes, arena offsets."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tinydeploy.ir.ops import macs
from tinydeploy.ir.training import training
from tinydeploy.lowered import Lowered
from tinydeploy.report.text import printable, shown
from tinydeploy.report.figures import new_figure, save_figure


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
        "model": Path(low.graph.source).name if low.graph.source else None,
        "compiled": compile_info(low),
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
            **({"kv_cache_bytes": low.decode.kv_bytes} if low.decode is not None else {}),
            **({"state_bytes": state_info(low)["bytes"]}
               if low.decode is None and low.graph.meta.get("state") else {}),
        },
        **({"decode": decode_info(low)} if low.decode is not None else {}),
        **({"state": state_info(low)}
           if low.decode is None and low.graph.meta.get("state") else {}),
        **({"depth_first": dict(low.graph.meta["depth_first"])}
           if low.graph.meta.get("depth_first") else {}),
        **({"training": training_info(low)} if training(low.graph) is not None else {}),
    }


def training_info(low: Lowered) -> dict:
    """A training step (ir/training.py): the trainable parameters (RAM arrays updated in
    place; their initial values are in the program image too), the forward activations
    the backward pass keeps (live past the inference part), and the arena in use during
    each part."""
    g, step = low.graph, training(low.graph)
    fwd = g.ops[:step.start]
    produced = {n for op in fwd for n in op.outputs} | set(g.inputs)
    late = {n for op in g.ops[step.start:] for n in op.inputs if n in produced}
    aliases = low.memory.aliases
    kept = sorted({aliases.get(n, n) for n in late if not g.t(n).is_const})
    live = low.memory.live_bytes
    return {"trainable": [{"tensor": p, "shape": list(g.t(p).shape), "bytes": g.t(p).nbytes}
                          for p in step.params],
            "trainable_bytes": sum(g.t(p).nbytes for p in step.params),
            "frozen_weight_bytes": sum(t.nbytes for t in g.tensors.values()
                                       if t.is_const and t.name not in step.params),
            "kept_for_backward_bytes": sum(g.t(n).nbytes for n in kept),
            "kept_for_backward": kept,
            "arena_forward_bytes": max(live[:step.start], default=0),
            "arena_backward_bytes": max(live[step.start:], default=0),
            "inference_layers": step.start, "training_layers": len(g.ops) - step.start,
            "spec": g.meta["train"].get("spec"), "recompute": recompute_info(low)}


def recompute_info(low: Lowered) -> dict | None:
    """Recomputation instead of storage (train/recompute.py), when asked for: the arena
    without and with it (with: the best candidate's, even when not applied), the layers
    recomputed in the backward pass and the MACs they add."""
    rc = low.graph.meta["train"].get("recompute")
    if rc is None:
        return None
    applied = bool(rc["applied"])
    return {"applied": applied, "arena_without_bytes": int(rc["without"]),
            "arena_with_bytes": low.memory.arena_bytes if applied else int(rc["with"]),
            "recomputed_layers": len(rc["ops"]), "extra_macs": int(rc["macs"]),
            "checkpoints": list(rc["checkpoints"])}


def state_info(low: Lowered) -> dict:
    """Recurrent state (an LSTM's hidden and cell state): arena bytes kept across calls."""
    g = low.graph
    tensors = [{"tensor": n, "shape": list(g.t(n).shape), "dtype": g.t(n).dtype,
                "bytes": g.t(n).nbytes, "arena_offset": low.memory.offsets.get(n)}
               for n in g.meta.get("state", ())]
    return {"bytes": sum(t["bytes"] for t in tensors), "tensors": tensors}


def decode_info(low: Lowered) -> dict:
    """A decode loop's KV caches (part of the arena, kept across steps)."""
    dp = low.decode
    g = low.graph
    return {"max_context": dp.max_context, "kv_cache_bytes": dp.kv_bytes,
            "kv_caches": [{"state": c["state"], "input": c["input"],
                           "shape": list(g.t(c["state"]).shape), "bytes": c["bytes"],
                           "arena_offset": low.memory.offsets.get(c["state"])}
                          for c in dp.caches],
            "arguments_following_the_context": len(dp.patches)}


def compile_info(low: Lowered) -> dict:
    """What the numbers depend on: kernel set, target, board and the other options."""
    return {"kernels": low.options.kernels or low.graph.meta.get("kernels", "ref"),
            "target": low.target.name if low.target else "host",
            "board": low.options.board, "io_layout": low.options.io_layout,
            "options": low.options.to_dict()}


def print_report(low: Lowered, console=None) -> None:
    console = console or Console(width=None if sys.stdout.isatty() else 150)
    d = report_dict(low)
    tab = Table(title=f"tinydeploy report: {shown(low.graph.name)}", show_lines=False)
    for col, just in (("#", "right"), ("layer", "left"), ("op", "left"), ("in", "left"),
                      ("out", "left"), ("MACs", "right"), ("weights B", "right"),
                      ("act B", "right"), ("arena off", "right")):
        tab.add_column(col, justify=just)
    for r in d["layers"]:
        tab.add_row(str(r["index"]), shown(r["name"], 32), r["kind"],
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
    if "decode" in d:
        dd = d["decode"]
        shape = "x".join(map(str, dd["kv_caches"][0]["shape"])) if dd["kv_caches"] else ""
        console.print(f"decode loop: {len(dd['kv_caches'])} KV caches of {shape} for "
                      f"{dd['max_context']} tokens, {dd['kv_cache_bytes']:,} B of the arena "
                      "(kept across steps)", markup=False)
    if "state" in d:                     # recurrent state (codegen/state.py)
        st = d["state"]
        names = ", ".join(f"{shown(x['tensor'], 24)} {x['bytes']:,} B" for x in st["tensors"])
        console.print(f"state kept across calls: {st['bytes']:,} B of the arena ({names})",
                      markup=False)
    if "depth_first" in d:               # passes/depth_first.py
        df = d["depth_first"]
        rows = "per head" + (f", {df['rows']} rows per block" if df.get("rows") else "")
        console.print(f"depth-first attention ({df['attentions']} attention(s), {rows}): "
                      f"arena {df['with']:,} B with, {df['without']:,} B without - "
                      f"{'applied' if df['applied'] else 'not applied'}", markup=False)
    if "training" in d:                  # a training step (codegen/train.py)
        tr = d["training"]
        console.print(f"training step: {len(tr['trainable'])} trainable tensors, "
                      f"{tr['trainable_bytes']:,} B in RAM (updated in place); frozen "
                      f"weights {tr['frozen_weight_bytes']:,} B in flash; activations kept "
                      f"for the backward pass {tr['kept_for_backward_bytes']:,} B; arena in "
                      f"use: forward {tr['arena_forward_bytes']:,} B, backward "
                      f"{tr['arena_backward_bytes']:,} B", markup=False)
        if tr.get("recompute"):          # train/recompute.py
            rc = tr["recompute"]
            console.print(f"recomputation: arena {rc['arena_without_bytes']:,} B without, "
                          f"{rc['arena_with_bytes']:,} B with - "
                          f"{'applied' if rc['applied'] else 'not applied'}; "
                          f"{rc['recomputed_layers']} layers recomputed, "
                          f"{rc['extra_macs']:,} extra MACs", markup=False)
    c = d["compiled"]
    console.print(f"kernels {c['kernels']}, target {c['target']}, board {c['board']}, "
                  f"io layout {c['io_layout']}", markup=False)
    if d.get("dialect"):                 # NEMO/QuantLab/Deeploy graphs (frontend/pulp)
        console.print(f"dialect: {d['dialect']} integer-deployable ONNX", markup=False)
        for n in d["notes"]:
            console.print(f"note: {printable(n)}", markup=False)


def _xticks(ax, idx: list[int], labels: list[str]) -> None:
    ax.set_xticks(idx, labels, rotation=90, fontsize=7)


def draw_memory(ax, low: Lowered) -> None:
    """Arena bytes in use per layer (memory over time) against the arena and its bound."""
    ax.step(range(len(low.memory.live_bytes)), low.memory.live_bytes, where="mid",
            label="live activation bytes")
    ax.axhline(low.memory.arena_bytes, color="C3", ls="--",
               label=f"arena {low.memory.arena_bytes:,} B")
    ax.axhline(low.memory.whole_tensor_bound, color="C2", ls=":",
               label=f"whole-tensor lower bound {low.memory.whole_tensor_bound:,} B")
    ax.set_ylabel("bytes")
    ax.legend(fontsize=8)


def draw_macs(ax, rows: list[LayerRow]) -> None:
    """MACs per layer (bars)."""
    ax.bar([r.index for r in rows], [r.macs for r in rows], color="C1")
    ax.set_ylabel("MACs")


def _width(n: int, per_layer: float = 0.3) -> float:
    return max(6, n * per_layer)


def report_figure(low: Lowered):
    """Memory over time above MACs per layer (what :func:`plot_report` writes)."""
    rows = layer_rows(low)
    fig, (ax1, ax2) = new_figure(2, (_width(len(rows)), 6))
    draw_memory(ax1, low)
    ax1.set_title(f"{low.graph.name}: memory over time and work per layer", parse_math=False)
    draw_macs(ax2, rows)
    _xticks(ax2, [r.index for r in rows], [f"{r.index} {r.kind}" for r in rows])
    return fig


def memory_figure(low: Lowered):
    """Memory over time alone (arena bytes in use during each layer)."""
    rows = layer_rows(low)
    fig, (ax,) = new_figure(1, (_width(len(rows)), 3.6))
    draw_memory(ax, low)
    ax.set_title(f"{low.graph.name}: activation memory over time", parse_math=False)
    _xticks(ax, [r.index for r in rows], [f"{r.index} {r.kind}" for r in rows])
    return fig


def macs_figure(low: Lowered):
    """MACs per layer alone."""
    rows = layer_rows(low)
    fig, (ax,) = new_figure(1, (_width(len(rows)), 3.6))
    draw_macs(ax, rows)
    ax.set_title(f"{low.graph.name}: MACs per layer", parse_math=False)
    _xticks(ax, [r.index for r in rows], [f"{r.index} {r.kind}" for r in rows])
    return fig


def plot_report(low: Lowered, path: str) -> None:
    """PNG/SVG: arena bytes in use per layer (memory over time) and MACs per layer."""
    save_figure(report_figure(low), path)
