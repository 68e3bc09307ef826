"""Reports of a compilation: per-layer tables, memory over time, tiles, DMA and modeled
cycles (tiled targets), as text, JSON, plots and one self-contained HTML page.

Every function takes the :class:`~tinydeploy.lowered.Lowered` of a compilation (a fresh
one, or a compiled project's, restored by :func:`tinydeploy.load_project`), so a report
shows what was compiled: kernel set, target, arena.
"""

from __future__ import annotations

from tinydeploy.lowered import Lowered
from tinydeploy.report import layers, tiled
from tinydeploy.report.html import write_html

__all__ = ["plot_report", "print_report", "report_dict", "write_html"]


def report_dict(low: Lowered) -> dict:
    """JSON-ready: layers, totals, what it was compiled with; ``tiled`` for tiled targets."""
    d = layers.report_dict(low)
    if low.tiled is not None:
        d["tiled"] = tiled.report_dict(low)
    return d


def print_report(low: Lowered, console=None) -> None:
    """The per-layer table (tiled targets: tiles, L1, DMA and modeled cycles instead)."""
    (tiled if low.tiled is not None else layers).print_report(low, console)


def plot_report(low: Lowered, path: str) -> None:
    """Memory over time and MACs per layer (tiled: modeled cycles and L1 per layer)."""
    (tiled if low.tiled is not None else layers).plot_report(low, path)
