"""Tiling: split each layer so its working set fits L1, chosen by CP-SAT on a cost model.

Pipeline: :func:`problem.geometry` (IR op -> :class:`LayerGeometry`) ->
:func:`solver.solve_layer` (CP-SAT over candidate tile sizes and loop orders) ->
:class:`TileSolution` (L1 layout, exact DMA counts from :mod:`schedule`, modeled cycles
from :mod:`cost`). :func:`tile_graph` does it for every tileable op of a lowered graph;
:func:`placement.place_levels` says which tensors live in which memory level.
"""

from __future__ import annotations

from dataclasses import replace

from tinydeploy.ir.graph import Graph
from tinydeploy.targets import Target
from tinydeploy.tiling.cost import Q, Cost, layer_cost
from tinydeploy.tiling.placement import Placement, place_levels
from tinydeploy.tiling.problem import LayerGeometry, Tiling, geometry, tileable
from tinydeploy.tiling.schedule import DmaCount, L1Buffer, Tile, count_dma, iter_tiles
from tinydeploy.tiling.solution import TileSolution
from tinydeploy.tiling.solver import min_footprint, solve_layer

__all__ = ["LayerGeometry", "Tiling", "TileSolution", "Tile", "DmaCount", "L1Buffer", "Cost",
           "Placement", "Q", "geometry", "tileable", "iter_tiles", "count_dma", "layer_cost",
           "solve_layer", "min_footprint", "tile_graph", "place_levels"]


def tile_graph(g: Graph, target: Target, placement: Placement | None = None
               ) -> dict[str, TileSolution]:
    """Tile every tileable op of the lowered graph ``g`` (op name -> solution).

    Ops that are not tileable (reshape, softmax, broadcasting add, ...) are absent: they
    run untiled on data in L2. With a ``placement``, layers whose weights stream from L3
    include that transfer in their modeled cycles. Layers of identical geometry (repeated
    blocks) are solved once.
    """
    out: dict[str, TileSolution] = {}
    seen: dict[tuple, TileSolution] = {}
    for op in g.ops:
        if not tileable(g, op):
            continue
        geom = geometry(g, op)
        l3 = placement.streamed_bytes.get(op.name, 0) if placement else 0
        key = (replace(geom, name=""), l3)
        if key not in seen:
            seen[key] = solve_layer(geom, target, l3_weight_bytes=l3)
        sol = seen[key]
        out[op.name] = replace(sol, op=op.name, geometry=geom)
    return out
