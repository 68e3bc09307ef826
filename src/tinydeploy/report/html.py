"""One self-contained HTML page for a compilation: ``tinydeploy report ... --html F``.

The page shows what the other reports show, in one place: what it was compiled with,
the summary numbers (arena against its lower bounds, weights, MACs; tiled targets: memory
levels, DMA against its lower bound and the cost model's cycles, labelled MODELED), the
plots (memory over time; MACs per layer, or modeled cycles, L1 and DMA per layer) as
inlined PNGs, and the per-layer table. Every number comes from
:func:`tinydeploy.report.layers.report_dict` / :func:`~tinydeploy.report.layers.layer_rows`
and :func:`tinydeploy.report.tiled.report_dict`; the figures are theirs too.

The page needs nothing else: inline CSS, no scripts, no fonts, images as ``data:`` URIs.
The same compilation gives the same bytes (PNG without time stamps, no wall times). Every
string that comes from the model (graph, layer and tensor names, notes) is escaped.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from tinydeploy.lowered import Lowered
from tinydeploy.report import layers, tiled
from tinydeploy.report.figures import figure_png

__all__ = ["render_html", "write_html"]

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
       sans-serif; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; color: #1d2329;
       background: #fff; line-height: 1.4; }
h1 { font-size: 1.5em; margin-bottom: .2em; word-break: break-all; }
h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #d0d7de;
     padding-bottom: .2em; }
.sub { color: #57606a; margin-top: 0; }
.grid { display: flex; flex-wrap: wrap; gap: 1em 2em; align-items: flex-start; }
table { border-collapse: collapse; font-size: .85em; }
th, td { padding: .25em .6em; border-bottom: 1px solid #eaeef2; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; position: sticky; top: 0; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.kv th { position: static; font-weight: 600; white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid #d0d7de; }
tbody tr:nth-child(even) { background: #fafbfc; }
td.name { word-break: break-all; max-width: 22em; }
tr.untiled td { color: #6e7781; }
.scroll { overflow-x: auto; }
.modeled { background: #fff4d6; border: 1px solid #e3b341; border-radius: 3px;
           padding: 0 .35em; font-size: .8em; font-weight: 600; color: #7a4f00; }
.measured { background: #ddf4e4; border: 1px solid #4ac26b; border-radius: 3px;
            padding: 0 .35em; font-size: .8em; font-weight: 600; color: #116329; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
figcaption { color: #57606a; font-size: .85em; }
.note { color: #57606a; font-size: .85em; }
footer { margin-top: 2em; color: #6e7781; font-size: .8em; }
"""

_MODELED = '<span class="modeled">MODELED</span>'
_MEASURED = '<span class="measured">MEASURED</span>'


def _e(x) -> str:
    """Escaped text (every model string goes through here)."""
    return html.escape("" if x is None else str(x), quote=True)


def _n(x, fmt: str = ",") -> str:
    return "" if x is None else format(x, fmt)


def _shape(s) -> str:
    return "x".join(map(str, s))


def _img(fig, alt: str, caption: str) -> str:
    """A figure as an inlined PNG (``caption`` is HTML, ``alt`` plain text)."""
    data = base64.b64encode(figure_png(fig)).decode("ascii")
    return (f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{caption}</figcaption></figure>")


def _kv(title: str, rows: list[tuple[str, str]]) -> str:
    """A two-column table; keys and values are HTML already (escape before)."""
    body = "".join(f'<tr><th>{k}</th><td class="n">{v}</td></tr>' for k, v in rows)
    return f'<div><h3>{title}</h3><table class="kv">{body}</table></div>'


def _table(head: list[tuple[str, bool]], rows: list[tuple[str, list[str]]],
           total: list[str] | None) -> str:
    """``head``: (HTML title, numeric); ``rows``: (tr class, cells as HTML)."""
    th = "".join(f'<th class="n">{h}</th>' if num else f"<th>{h}</th>" for h, num in head)

    def td(i: int, num: bool, cell: str) -> str:
        cls = "n" if num else "name" if i == 1 else ""
        return f'<td class="{cls}">{cell}</td>' if cls else f"<td>{cell}</td>"

    def tr(cls: str, cells: list[str]) -> str:
        tds = "".join(td(i, num, c) for i, ((_, num), c) in enumerate(zip(head, cells)))
        return f'<tr class="{cls}">{tds}</tr>' if cls else f"<tr>{tds}</tr>"

    body = "".join(tr(cls, cells) for cls, cells in rows)
    foot = f"<tfoot>{tr('total', total)}</tfoot>" if total else ""
    return (f'<div class="scroll"><table><thead><tr>{th}</tr></thead>'
            f"<tbody>{body}</tbody>{foot}</table></div>")


def _header(low: Lowered, d: dict) -> str:
    c = d["compiled"]
    title = low.graph.name or d["model"] or "model"
    parts = [f"<h1>tinydeploy report: {_e(title)}</h1>",
             f'<p class="sub">model file {_e(d["model"] or "(none)")} &middot; kernels '
             f'{_e(c["kernels"])} &middot; target {_e(c["target"])} &middot; board '
             f'{_e(c["board"])} &middot; io layout {_e(c["io_layout"])}</p>']
    opts = [(_e(k), _e(", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v))
            for k, v in c["options"].items()]
    parts.append('<div class="grid">' + _kv("Compile options", opts))
    if d.get("dialect"):
        notes = "".join(f"<li>{_e(n)}</li>" for n in d.get("notes", []))
        parts.append(f"<div><h3>Dialect</h3><p>{_e(d['dialect'])} integer-deployable ONNX</p>"
                     + (f"<ul class='note'>{notes}</ul>" if notes else "") + "</div>")
    parts.append("</div>")
    return "\n".join(parts)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}x" if b else "-"


def _summary(low: Lowered, d: dict, td: dict | None, profile: dict | None) -> str:
    t = d["totals"]
    arena, wlb = t["arena_bytes"], t["arena_whole_tensor_lower_bound_bytes"]
    blocks = [_kv("Memory and work", [
        ("activation arena", f"{arena:,} B"),
        ("lower bound, whole tensors (layer-wise)", f"{wlb:,} B ({_ratio(arena, wlb)})"),
        ("lower bound, in-place windows", f"{t['arena_lower_bound_bytes']:,} B"),
        ("no reuse", f"{t['arena_naive_bytes']:,} B"),
        ("weights", f"{t['weight_bytes']:,} B"),
        ("MACs", f"{t['macs']:,}"),
        ("layers", f"{t['layers']:,}"),
        *([("state kept across calls (in the arena)", f"{t['state_bytes']:,} B")]
          if "state_bytes" in t else []),
    ])]
    if "training" in d:                  # a training step (ir/training.py)
        tr = d["training"]
        rc = tr.get("recompute")
        blocks.append(_kv("Training step", [
            ("trainable tensors (RAM, updated in place)",
             f"{len(tr['trainable'])}: {tr['trainable_bytes']:,} B"),
            ("frozen weights (const)", f"{tr['frozen_weight_bytes']:,} B"),
            ("activations kept for the backward pass", f"{tr['kept_for_backward_bytes']:,} B"),
            ("arena in use: forward / backward",
             f"{tr['arena_forward_bytes']:,} / {tr['arena_backward_bytes']:,} B"),
            ("layers: inference / training",
             f"{tr['inference_layers']:,} / {tr['training_layers']:,}"),
            *([("recomputation: arena without / with",
                f"{rc['arena_without_bytes']:,} / {rc['arena_with_bytes']:,} B "
                f"({'applied' if rc['applied'] else 'not applied'}, "
                f"+{rc['extra_macs']:,} MACs)")] if rc else []),
        ]))
    if td is not None:
        p, tt = td["plan"], td["totals"]
        lv = [(_e(x["name"]), f"{x['used']:,} of {x['size']:,} B "
               f"({100 * x['used'] / x['size'] if x['size'] else 0:.1f}%)") for x in p["levels"]]
        lv += [("L2: arena", f"{p['arena_bytes']:,} B"),
               ("L2: resident constants", f"{p['resident_bytes']:,} B"),
               ("L2: staging", f"{p['stage_bytes']:,} B"),
               ("constants streamed from L3", f"{p['streamed_bytes']:,} B")]
        blocks.append(_kv(f"Memory levels on {_e(p['target'])}", lv))
        dma = tt["dma"]
        moved = dma.get("in_bytes", 0) + dma.get("out_bytes", 0)
        blocks.append(_kv("DMA (tiled layers)", [
            ("L2&rarr;L1", f"{dma.get('in_bytes', 0):,} B in {dma.get('in_transfers', 0):,} "
                           "transfers"),
            ("L1&rarr;L2", f"{dma.get('out_bytes', 0):,} B in "
                           f"{dma.get('out_transfers', 0):,} transfers"),
            ("L3&rarr;L2", f"{dma.get('l3_bytes', 0):,} B in {dma.get('l3_transfers', 0):,} "
                           "transfers"),
            ("L2&harr;L1 moved", f"{moved:,} B"),
            ("lower bound (every byte once)",
             f"{tt['dma_lower_bound']:,} B ({_ratio(moved, tt['dma_lower_bound'])})"),
            ("tiled layers / tiles", f"{tt['tiled_layers']:,} / {tt['tiles']:,}"),
        ]))
        blocks.append(_kv(f"Performance {_MODELED}", [
            ("cycles, tiled layers", f"{tt['cycles']:,.0f}"),
            ("&nbsp;&nbsp;compute", f"{tt['compute_cycles']:,.0f}"),
            ("&nbsp;&nbsp;L2&harr;L1 DMA", f"{tt['dma_cycles']:,.0f}"),
            ("&nbsp;&nbsp;L3 streaming", f"{tt['l3_cycles']:,.0f}"),
            ("inferences/s", f"{tt['fps']:,.1f} at {p['frequency_mhz']:g} MHz"),
            ("MAC/cycle", f"{tt['macs_per_cycle']:.2f} ({p['cores']} cores)"),
        ]))
    if profile is not None:
        pt = profile["totals"]
        ipm = pt.get("instructions_per_mac")
        blocks.append(_kv(f"Instructions {_MEASURED} on QEMU rv32imc", [
            ("whole run", f"{pt['run_instructions']:,}"),
            ("sum of layers", f"{pt['layer_instructions']:,}"),
            ("instructions/MAC", "-" if ipm is None else f"{ipm:.2f}"),
            ("runs averaged", _e(profile.get("runs", ""))),
        ]))
    out = '<h2>Summary</h2><div class="grid">' + "".join(blocks) + "</div>"
    if td is not None:
        out += (f'<p class="note">{_MODELED} figures come from the tiling cost model '
                "(tiling/cost.py, parameters cited in the target file), not from a "
                "measurement. Untiled ops (reshape, softmax, ...) run from L2 and have none."
                "</p>")
    return out


def _figures(low: Lowered, td: dict | None) -> str:
    name = low.graph.name
    figs = [_img(layers.memory_figure(low), f"{name}: activation memory over time",
                 "Activation memory over time: arena bytes live during each layer, against "
                 "the arena and the whole-tensor lower bound.")]
    if td is None:
        figs.append(_img(layers.macs_figure(low), f"{name}: MACs per layer", "MACs per layer."))
    else:
        figs.append(_img(tiled.report_figure(low), f"{name}: modeled cycles and L1 per layer",
                         f"{_MODELED} cycles per tiled layer (total, compute, L2&harr;L1 DMA, "
                         "L3 streaming) and L1 bytes used per tiled layer against the L1 "
                         "size."))
        figs.append(_img(tiled.dma_figure(low), f"{name}: DMA per layer",
                         "DMA bytes per tiled layer and direction, with the layer's "
                         "L2&harr;L1 lower bound (every byte moved once)."))
    return "<h2>Plots</h2>" + "".join(figs)


def _profile_by_index(profile: dict | None) -> dict[int, dict]:
    return {} if profile is None else {r["index"]: r for r in profile["layers"]}


def _layer_table(low: Lowered, d: dict, td: dict | None, profile: dict | None) -> str:
    prof = _profile_by_index(profile)
    head: list[tuple[str, bool]] = [("#", True), ("layer", False), ("op", False),
                                    ("in", False), ("out", False), ("MACs", True),
                                    ("weights B", True)]
    if td is None:
        head += [("act B", True), ("arena offset", True)]
    else:
        head += [("arena offset", True), ("tile hxwxc order", False), ("tiles", True),
                 ("chunks", True), ("L1 B", True), ("L2&rarr;L1 B", True),
                 ("L1&rarr;L2 B", True), ("L3&rarr;L2 B", True),
                 (f"compute cyc {_MODELED}", True), (f"DMA cyc {_MODELED}", True),
                 (f"total cyc {_MODELED}", True), ("MAC/cyc", True)]
    if profile is not None:
        head += [(f"instructions {_MEASURED}", True), ("instr/MAC", True)]

    tlayers = td["layers"] if td is not None else [None] * len(d["layers"])
    rows = []
    for r, lay in zip(d["layers"], tlayers):
        cells = [str(r["index"]), _e(r["name"]), _e(r["kind"]),
                 _e(" ".join(_shape(s) for s in r["inputs"])), _e(_shape(r["output"])),
                 _n(r["macs"]), _n(r["weight_bytes"])]
        cls = ""
        if td is None:
            cells += [_n(r["activation_bytes"]), _n(r["arena_offset"])]
        elif lay.get("tiled") is False:
            cls = "untiled"
            cells += [_n(r["arena_offset"]), "untiled (L2)"] + [""] * 10
        else:
            t, m, c = lay["tile"], lay["dma"], lay["cycles"]
            cells += [_n(r["arena_offset"]), _e(f"{t['h']}x{t['w']}x{t['c']} {lay['order']}"),
                      _n(lay["tiles"]), _n(len(lay["chunks"])), _n(lay["l1_bytes"]),
                      _n(m["in_bytes"]), _n(m["out_bytes"]), _n(m["l3_bytes"]),
                      _n(c["compute"], ",.0f"), _n(c["dma"], ",.0f"), _n(c["total"], ",.0f"),
                      _n(lay["macs_per_cycle"], ".2f")]
        if profile is not None:
            p = prof.get(r["index"])
            ipm = None if p is None else p.get("instructions_per_mac")
            cells += ["" if p is None else _n(p["instructions"]),
                      "" if ipm is None else f"{ipm:.2f}"]
        rows.append((cls, cells))

    t = d["totals"]
    total = ["", "total", "", "", "", _n(t["macs"]), _n(t["weight_bytes"])]
    if td is None:
        total += ["", ""]
    else:
        tt = td["totals"]
        dma = tt["dma"]
        total += ["", "", _n(tt["tiles"]), "", "", _n(dma.get("in_bytes", 0)),
                  _n(dma.get("out_bytes", 0)), _n(dma.get("l3_bytes", 0)),
                  _n(tt["compute_cycles"], ",.0f"), _n(tt["dma_cycles"], ",.0f"),
                  _n(tt["cycles"], ",.0f"), _n(tt["macs_per_cycle"], ".2f")]
    if profile is not None:
        pt = profile["totals"]
        total += [_n(pt["layer_instructions"]),
                  f"{pt['layer_instructions'] / pt['macs']:.2f}" if pt.get("macs") else ""]
    note = ("<p class='note'>weights B: constant inputs of the layer; arena offset: where the "
            "output lives in the activation arena" +
            (" (L2)" if td is not None else "; act B: activation inputs plus output") + ".</p>")
    return "<h2>Layers</h2>" + _table(head, rows, total) + note


def render_html(low: Lowered, profile: dict | None = None) -> str:
    """The page as a string (see :func:`write_html`)."""
    d = layers.report_dict(low)
    td = tiled.report_dict(low) if low.tiled is not None else None
    title = low.graph.name or d["model"] or "model"
    body = "\n".join([_header(low, d), _summary(low, d, td, profile), _figures(low, td),
                      _layer_table(low, d, td, profile),
                      "<footer>Generated by tinydeploy. Self-contained: no external "
                      "resources.</footer>"])
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>tinydeploy report: {_e(title)}</title>\n<style>{_CSS}</style>\n"
            f"</head>\n<body>\n{body}\n</body>\n</html>\n")


def write_html(low: Lowered, path: str | Path, profile: dict | None = None) -> None:
    """Write one self-contained HTML report of ``low`` to ``path``.

    ``profile``: the dict of :func:`tinydeploy.check.rv32.profile` for the same project;
    adds the measured instructions per layer. The same input gives the same bytes.
    """
    page = render_html(low, profile)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(page)
