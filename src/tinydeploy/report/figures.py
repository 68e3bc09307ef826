"""Matplotlib without a screen: one place that picks the file backend, makes and saves
figures (PNG/SVG files, or PNG bytes for the HTML report)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")            # files only: no display on build machines
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)


def new_figure(rows: int, size: tuple[float, float]):
    """A figure with ``rows`` axes stacked, sharing x; returns (fig, axes)."""
    fig, axes = plt.subplots(rows, 1, figsize=size, sharex=True, squeeze=False)
    return fig, tuple(axes[:, 0])


def save_figure(fig, path) -> None:
    """Write ``fig`` to ``path`` (format from the suffix) and free it."""
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def figure_png(fig) -> bytes:
    """``fig`` as PNG bytes (freed afterwards)."""
    buf = io.BytesIO()
    save_figure(fig, buf)
    return buf.getvalue()
