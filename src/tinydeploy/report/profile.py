"""The instruction profile of a QEMU rv32 run (:func:`tinydeploy.check.rv32.profile`) as a
table."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from tinydeploy.report.text import shown


def print_profile(prof: dict, console=None) -> None:
    console = console or Console()
    tab = Table(title=f"instructions on QEMU rv32imc: {Path(prof['model']).name} "
                      f"(mean of {prof['runs']} run{'s' if prof['runs'] != 1 else ''})")
    for col, just in (("#", "right"), ("layer", "left"), ("op", "left"), ("MACs", "right"),
                      ("instructions", "right"), ("instr/MAC", "right")):
        tab.add_column(col, justify=just)

    def ipm(x):
        return "" if x is None else f"{x:.2f}"

    for r in prof["layers"]:
        tab.add_row(str(r["index"]), shown(r["name"], 32), r["kind"], f"{r['macs']:,}",
                    f"{r['instructions']:,}", ipm(r["instructions_per_mac"]))
    t = prof["totals"]
    tab.add_section()
    tab.add_row("", "sum of layers", "", f"{t['macs']:,}", f"{t['layer_instructions']:,}",
                ipm(t["layer_instructions"] / t["macs"] if t["macs"] else None))
    tab.add_row("", "whole run", "", "", f"{t['run_instructions']:,}",
                ipm(t["instructions_per_mac"]))
    console.print(tab)
    if "harts" in t:
        _print_harts(prof, console)
    cats = ", ".join(f"{k} {ipm(c['instructions_per_mac']) or '-'}"
                     for k, c in sorted(t["by_category"].items()))
    console.print(f"instructions/MAC by layer type: {cats}  "
                  f"(probe cost {prof['probe']} instructions per layer, subtracted)")


def _print_harts(prof: dict, console) -> None:
    """The parallel build: instructions per hart per layer (measured in QEMU -smp, exact),
    the measured speedup next to the split's modeled one."""
    t = prof["totals"]
    tab = Table(title=f"{t['harts']} harts (qemu -smp {t['harts']}): instructions per hart, "
                      "measured; speedup = one-hart count / busiest hart")
    for col in ("#", "layer", "busiest hart", "least busy", "speedup measured",
                "speedup modeled"):
        tab.add_column(col, justify="left" if col == "layer" else "right")
    for r in prof["layers"]:
        per = r.get("hart_instructions") or [0]
        sm = r.get("speedup_measured")
        tab.add_row(str(r["index"]), shown(r["name"], 28), f"{max(per):,}", f"{min(per):,}",
                    "" if sm is None else f"{sm:.2f}x", f"{r['speedup_modeled']:.2f}x")
    console.print(tab)
    console.print("measured speedup by layer type: " + ", ".join(
        f"{k} {v:.2f}x" for k, v in sorted(t["speedup_by_category"].items()) if v))
