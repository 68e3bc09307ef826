"""How a tile's work is shared by the cores: a mirror of runtime/tiled/td_split.h.

The C header is the implementation; this module says the same thing in Python so the
code generator can pick the split dimension and tests can check the C against it for
every core count (the two must agree part for part).
"""

from __future__ import annotations

from typing import NamedTuple

from tinydeploy.tiling.cost import par_dim
from tinydeploy.tiling.problem import LayerGeometry

ROWS, CHANNELS = 0, 1      # TD_SPLIT_ROWS, TD_SPLIT_CHANNELS


class Part(NamedTuple):
    """A tile-local output box ``[r0, r1) x [w0, w1) x [c0, c1)`` one core computes."""

    r0: int
    r1: int
    w0: int
    w1: int
    c0: int
    c1: int


def core_range(n: int, cores: int, core: int) -> tuple[int, int]:
    """Units ``[lo, hi)`` of ``n`` for ``core``: ``ceil(n / cores)`` each, in core order."""
    chunk = -(-n // cores)
    lo = min(core * chunk, n)
    return lo, min(lo + chunk, n)


def core_parts(split: int, rows: int, cols: int, chans: int, c_step: int, cores: int,
               core: int) -> list[Part]:
    """The parts ``core`` computes of a ``rows x cols x chans`` output tile (td_core_parts)."""
    if split == ROWS:
        lo, hi = core_range(rows, cores, core)
        return [Part(lo, hi, 0, cols, 0, chans)] if lo < hi else []
    lo, hi = core_range(chans // c_step, cores, core)
    if lo >= hi:
        return []
    c0, c1 = lo * c_step, hi * c_step
    if (c0, c1) == (0, chans):
        return [Part(0, rows, 0, cols, c0, c1)]
    return [Part(r, r + 1, w, w + 1, c0, c1) for r in range(rows) for w in range(cols)]


def split_dim(geom: LayerGeometry, cores: int) -> int:
    """The dimension a layer's tiles are split along across the cores.

    The cost model's choice (:func:`tiling.cost.par_dim`: rows for conv, pointwise and
    elementwise when there are at least as many output rows as cores, else channels;
    channels for depthwise, pooling and fully-connected), except where the reference
    kernels cannot compute a channel range of a tile: depthwise, pooling and grouped
    convolutions read their input with the tile's channel count as the pixel stride, so
    a subset of channels cannot be handed to them - those split rows. (The optimized
    PULP kernels the cost model describes split channels; on the host only the result is
    checked, and it does not depend on the split.)
    """
    if geom.kernel_class in ("depthwise", "pool"):
        return ROWS
    if geom.kernel_class == "conv" and geom.groups > 1:
        return ROWS
    return ROWS if par_dim(geom, cores) == "h" else CHANNELS
