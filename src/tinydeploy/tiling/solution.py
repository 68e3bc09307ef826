"""The tiler's answer for one layer: what codegen and the report need, frozen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from tinydeploy.targets import Target
from tinydeploy.tiling.cost import Cost, layer_cost
from tinydeploy.tiling.problem import LayerGeometry, Tiling, full_tiling, n_tiles
from tinydeploy.tiling.schedule import (DmaCount, L1Buffer, Tile, count_dma, iter_tiles,
                                        l1_buffers, l1_bytes)


@dataclass(frozen=True)
class TileSolution:
    """A tiled layer: tile sizes, L1 layout, exact DMA traffic and modeled cycles.

    ``tiling`` holds the output tile sizes along h, w, c and the loop order; ``tiles()``
    walks the schedule (see :mod:`tinydeploy.tiling.schedule` for the execution contract).
    ``buffers`` is the L1 layout from offset 0 (``l1_bytes`` in total, of ``l1_size``).
    ``dma`` counts L1 <-> L2 bytes and transfers exactly; ``l3_weight_bytes`` are weights
    streamed L3 -> L2 before the layer (see :func:`placement.place_levels`).
    ``status``: "optimal" (CP-SAT proved it), "feasible" (time limit hit, best found),
    or "untiled" (flat target: the layer runs in place, no DMA).
    """

    op: str
    kind: str
    geometry: LayerGeometry
    tiling: Tiling
    buffers: tuple[L1Buffer, ...]
    l1_bytes: int
    l1_size: int
    dma: DmaCount
    cost: Cost
    status: str
    l3_weight_bytes: int = 0

    @property
    def tile_sizes(self) -> dict[str, int]:
        return {"h": self.tiling.h, "w": self.tiling.w, "c": self.tiling.c}

    @property
    def n_tiles(self) -> dict[str, int]:
        g = self.geometry
        return {d: n_tiles(g.extent(d), self.tiling.size(d)) for d in ("h", "w", "c")}

    @property
    def total_tiles(self) -> int:
        n = self.n_tiles
        return n["h"] * n["w"] * n["c"]

    @property
    def macs(self) -> int:
        return self.geometry.macs

    @property
    def macs_per_cycle(self) -> float:
        return self.macs / self.cost.total_cycles if self.cost.total_q else 0.0

    @property
    def dma_lower_bound(self) -> int:
        """Bytes if every input, weight, parameter and output byte moved exactly once.

        A tiled layer moves more (halo re-reads, reloads); it can move less only when
        some input positions are never read (e.g. a stride that skips the last rows)."""
        g = self.geometry
        return (g.batches * (g.n_inputs * g.in_h * g.in_w * g.in_c
                             + g.out_c * g.weight_bytes_per_oc + g.out_h * g.out_w * g.out_c)
                + g.out_c * sum(g.param_bytes))

    def buffer(self, name: str) -> L1Buffer | None:
        return next((b for b in self.buffers if b.name == name), None)

    def tiles(self) -> Iterator[Tile]:
        return iter_tiles(self.geometry, self.tiling)

    def to_dict(self) -> dict:
        """Plain data for JSON reports."""
        d = self.dma
        return {
            "op": self.op, "kind": self.kind, "status": self.status,
            "order": self.tiling.order, "tile": self.tile_sizes, "n_tiles": self.n_tiles,
            "l1_bytes": self.l1_bytes, "l1_size": self.l1_size,
            "buffers": [{"name": b.name, "bytes": b.bytes, "slots": b.slots,
                         "offset": b.offset} for b in self.buffers],
            "dma_in_bytes": d.in_bytes, "dma_out_bytes": d.out_bytes,
            "dma_input_bytes": d.input_bytes, "dma_weight_bytes": d.weight_bytes,
            "dma_param_bytes": d.param_bytes, "dma_transfers": d.transfers,
            "dma_lower_bound": self.dma_lower_bound,
            "l3_weight_bytes": self.l3_weight_bytes,
            "compute_cycles": self.cost.compute_cycles, "dma_cycles": self.cost.dma_cycles,
            "exposed_cycles": self.cost.exposed_cycles, "l3_cycles": self.cost.l3_cycles,
            "total_cycles": self.cost.total_cycles, "macs": self.macs,
            "macs_per_cycle": self.macs_per_cycle,
        }


def make_solution(geom: LayerGeometry, tiling: Tiling, target: Target, status: str,
                  l3_weight_bytes: int = 0) -> TileSolution:
    """Evaluate ``tiling`` exactly (walking its tiles) into a :class:`TileSolution`."""
    k = target.kernels
    bufs = () if target.flat else l1_buffers(geom, tiling, target.cores, k.im2col)
    dma = count_dma(geom, tiling) if not target.flat else DmaCount(0, 0, 0, 0, 0, 0, 0, 0)
    return TileSolution(geom.name, geom.kind, geom, tiling, bufs, l1_bytes(bufs),
                        target.memory[0].size, dma,
                        layer_cost(geom, tiling, target, l3_weight_bytes), status,
                        l3_weight_bytes)


def untiled_solution(geom: LayerGeometry, target: Target) -> TileSolution:
    """A flat target: one tile, in place, no DMA."""
    return make_solution(geom, full_tiling(geom), target, "untiled")
