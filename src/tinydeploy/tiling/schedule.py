"""The tiled execution a :class:`Tiling` stands for: tiles in order, DMA, L1 buffers.

This module is the contract with the code generator. A tiled layer runs as follows:

1. At layer start, the per-channel parameter arrays (int32 bias if present, Q31
   multiplier, shift; ``LayerGeometry.param_bytes``) are copied whole into L1, one DMA
   transfer per array, and stay there for the whole layer.
2. Tiles run in loop order (``Tiling.order``: ``"hwc"`` = rows, columns outer, channels
   innermost; ``"chw"`` = channels outermost). Each operand - input (and the second input
   of add/mul), weights, output - has its own L1 buffer with one slot if it is loaded
   (resp. stored) only once in the layer, else two slots (double buffering).
3. An operand's tile is DMA'd in (one transfer per operand, a 3-D strided copy of the
   clipped input span, or of the weight rows of the channel tile) when the tile is the
   first or when *the tile index it depends on* differs from the previous tile's (DORY's
   rule): the input depends on (h, w) - and on c for channel-wise/grouped ops - the
   weights on c only. Consecutive tiles that share an operand tile reuse its slot. Its
   slot toggles on every new load (not on every tile).
4. Every tile's output is stored once (one transfer) - no input-channel tiling, so no
   partial sums.
5. A batched matmul (``LayerGeometry.batches``) runs steps 2-4 once per batch (its own A,
   B and output; a batch starts with empty slots); the parameters load once.

L1 layouts (all dense, C order): input tile ``[rows, cols, chans]`` of ``Tile.inp``
(the kernel call gets ``in_h/in_w/in_c`` = that box, ``pad_top/pad_left`` =
``Tile.pad[:2]``, output size = ``Tile.out``); weights ``[t_c, KH, KW, Cin/groups]`` (conv),
``[KH, KW, t_c]`` (depthwise), ``[t_c, Cin]`` (fully-connected); output tile
``[rows, cols, t_c]``, stored into ``out[h0:h1, w0:w1, c0:c1]``; params buffer: the arrays
back to back in the order bias, multiplier, shift, each ``out_c`` int32 (a tile uses
entries ``[c0, c1)``; with the requant of integer graphs fused in: ``mul``, ``add``,
``div`` as int64 then the int32 bias, and the params buffer first in L1 so the int64
arrays are 8-byte aligned). Fully-connected maps rows (all leading dims) to ``h``, ``w`` = 1;
add/mul see their tensors as ``[prod(leading dims), W, C]``. Buffer offsets and slot
sizes are :func:`l1_buffers` (``TileSolution.buffers``).

:func:`count_dma` counts bytes and transfers by walking exactly this schedule, so a DMA
counter in the generated code must agree with it byte for byte.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Iterator

from tinydeploy.tiling.problem import ALIGN, LayerGeometry, Tiling, align_up, scratch_bytes

Range = tuple[int, int]


@dataclass(frozen=True)
class DimTile:
    """One tile along one dimension: output ``[o0, o1)``, clipped input ``[i0, i1)`` and
    the kernel padding before/after it (zero for channels)."""

    o0: int
    o1: int
    i0: int
    i1: int
    pad_before: int = 0
    pad_after: int = 0


def dim_tiles(geom: LayerGeometry, dim: str, t: int) -> list[DimTile]:
    """The tiles of size ``t`` along ``dim`` (``h``, ``w`` or ``c``), in order."""
    extent = geom.extent(dim)
    out = []
    for o0 in range(0, extent, t):
        o1 = min(o0 + t, extent)
        if dim == "c":
            out.append(DimTile(o0, o1, *geom.input_channels(o0, o1)))
        else:
            out.append(DimTile(o0, o1, *geom.input_span(dim, o0, o1)))
    return out


@dataclass(frozen=True)
class Tile:
    """One step of the tiled layer. Ranges are ``[start, stop)`` in the whole tensors."""

    index: int
    idx: tuple[int, int, int]     # tile index along h, w, c
    out: tuple[Range, Range, Range]
    inp: tuple[Range, Range, Range]
    pad: tuple[int, int, int, int]   # top, left, bottom, right for this tile's kernel call
    load_input: bool
    load_weight: bool

    @property
    def out_elems(self) -> int:
        (a, b), (c, d), (e, f) = self.out
        return (b - a) * (d - c) * (f - e)

    @property
    def in_elems(self) -> int:
        (a, b), (c, d), (e, f) = self.inp
        return (b - a) * (d - c) * (f - e)

    @property
    def channels(self) -> int:
        return self.out[2][1] - self.out[2][0]


def iter_tiles(geom: LayerGeometry, tiling: Tiling) -> Iterator[Tile]:
    """Every tile of the layer in execution order, with the DMA-reload flags."""
    hs, ws, cs = (dim_tiles(geom, d, tiling.size(d)) for d in ("h", "w", "c"))
    if tiling.order == "hwc":
        steps = ((i, j, k) for i, j, k in itertools.product(range(len(hs)), range(len(ws)),
                                                              range(len(cs))))
    elif tiling.order == "chw":
        steps = ((i, j, k) for k, i, j in itertools.product(range(len(cs)), range(len(hs)),
                                                              range(len(ws))))
    else:
        raise ValueError(f"unknown loop order {tiling.order!r}")
    prev = None
    for n, (i, j, k) in enumerate(steps):
        h, w, c = hs[i], ws[j], cs[k]
        in_key = (i, j, k) if geom.input_depends_on_c else (i, j)
        load_in = prev is None or in_key != prev[0]
        load_w = prev is None or k != prev[1]
        prev = (in_key, k)
        yield Tile(n, (i, j, k), ((h.o0, h.o1), (w.o0, w.o1), (c.o0, c.o1)),
                   ((h.i0, h.i1), (w.i0, w.i1), (c.i0, c.i1)),
                   (h.pad_before, w.pad_before, h.pad_after, w.pad_after), load_in, load_w)


@dataclass(frozen=True)
class DmaCount:
    """Bytes and transfers between L1 and the next level for one layer (both directions)."""

    input_bytes: int          # activation inputs, halo re-reads included (add: both inputs)
    weight_bytes: int
    param_bytes: int          # bias + requant arrays, once per layer
    output_bytes: int
    input_transfers: int
    weight_transfers: int
    param_transfers: int
    output_transfers: int

    @property
    def in_bytes(self) -> int:
        return self.input_bytes + self.weight_bytes + self.param_bytes

    @property
    def out_bytes(self) -> int:
        return self.output_bytes

    @property
    def transfers(self) -> int:
        return (self.input_transfers + self.weight_transfers + self.param_transfers
                + self.output_transfers)


def count_dma(geom: LayerGeometry, tiling: Tiling) -> DmaCount:
    """Exact DMA traffic of the schedule described in the module docstring."""
    ib = wb = ob = it = wt = ot = 0
    for tile in iter_tiles(geom, tiling):
        if tile.load_input:
            ib += geom.n_inputs * tile.in_elems
            it += geom.n_inputs
        if tile.load_weight and geom.weight_bytes_per_oc:
            wb += tile.channels * geom.weight_bytes_per_oc
            wt += 1
        ob += tile.out_elems
        ot += 1
    pb = geom.out_c * sum(geom.param_bytes)
    n = geom.batches               # the tiles run once per batch, the parameters load once
    return DmaCount(n * ib, n * wb, pb, n * ob, n * it, n * wt, len(geom.param_bytes), n * ot)


@dataclass(frozen=True)
class L1Buffer:
    """A buffer in L1: ``slots`` slots of ``bytes`` each, slot ``s`` at ``offset + s*bytes``."""

    name: str        # input, input_b, weight, params, output, scratch
    bytes: int       # one slot, a multiple of ALIGN
    slots: int
    offset: int

    @property
    def total(self) -> int:
        return self.bytes * self.slots


def l1_buffers(geom: LayerGeometry, tiling: Tiling, cores: int, im2col: bool
               ) -> tuple[L1Buffer, ...]:
    """The L1 layout of the tiled layer: buffers back to back from offset 0."""
    in_max = w_max = out_max = rows_max = 0
    in_loads = w_loads = stores = 0
    for tile in iter_tiles(geom, tiling):
        in_max = max(in_max, tile.in_elems)
        rows_max = max(rows_max, tile.inp[0][1] - tile.inp[0][0])
        w_max = max(w_max, tile.channels * geom.weight_bytes_per_oc)
        out_max = max(out_max, tile.out_elems)
        in_loads += tile.load_input
        w_loads += tile.load_weight
        stores += 1
    sizes = [("input", in_max, in_loads)]
    params = ("params", geom.out_c * sum(geom.param_bytes), 1)
    if 8 in geom.param_bytes:      # int64 requant arrays: first, at L1's (aligned) base
        sizes.insert(0, params)
    if geom.n_inputs == 2:
        sizes.append(("input_b", in_max, in_loads))
    if geom.weight_bytes_per_oc:
        sizes.append(("weight", w_max, w_loads))
    if geom.param_bytes and 8 not in geom.param_bytes:
        sizes.append(params)
    sizes.append(("output", out_max, stores))
    scratch = scratch_bytes(geom, rows_max, cores, im2col)
    if scratch:
        sizes.append(("scratch", scratch, 1))
    out, offset = [], 0
    for name, nbytes, uses in sizes:
        slot = align_up(nbytes, ALIGN)
        slots = 1 if uses <= 1 else 2
        out.append(L1Buffer(name, slot, slots, offset))
        offset += slot * slots
    return tuple(out)


def l1_bytes(buffers: tuple[L1Buffer, ...]) -> int:
    return sum(b.total for b in buffers)
