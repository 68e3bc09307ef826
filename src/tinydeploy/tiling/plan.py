"""Everything a tiled target decides before code is written: levels, chunks, tilings.

:func:`plan_tiled` places the graph in the target's memory levels and tiles every
tileable layer (a :class:`TiledLayer` per op); the code generator (:mod:`.tiled`) writes
exactly this plan, and the report and the validator read their numbers from it.

Memory levels (per-level plan):

- L1 holds the tiles of the running layer (:mod:`tinydeploy.tiling`).
- L2 (the home level) holds the activation arena - planned without in-place sliding,
  which is only valid for sequential untiled kernels - the resident constants and, when
  weights stream from L3, one staging buffer.
- Which constants stream from L3 is :func:`tinydeploy.tiling.placement.place_levels`'s
  choice (largest layers first, whole layers; the layer's weights and bias are copied
  L3 -> L2 into the staging buffer before it runs). When even that cannot fit - a single
  layer's constants larger than what L2 has left, as for MobileNetV1-1.0's last layers on
  GAP8 - layers stream in *chunks* of output channels (DORY's L3 weight tiling): each
  chunk copies its channels' weights and bias into the staging buffer and runs as a
  sub-layer with its own L1 tiling over those output channels, reading the whole input
  again. :func:`_chunked_streaming` picks the layers to stream (largest first) and the
  staging size with the smallest modeled streaming cost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tinydeploy.tiling.split import split_dim
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph
from tinydeploy.memory import MemoryPlan
from tinydeploy.targets import Target
from tinydeploy.tiling import TileSolution, geometry, place_levels, solve_layer, tileable
from tinydeploy.tiling.cost import Q
from tinydeploy.tiling.problem import LayerGeometry

MAX_CHUNKS = 4096


@dataclass(frozen=True)
class Chunk:
    """Output channels ``[c0, c1)`` of a layer, tiled on their own.

    ``solution`` tiles the chunk's sub-layer (:func:`chunk_geometry`); ``l3_bytes`` and
    ``l3_transfers`` are the constants copied L3 -> L2 before it (0: resident in L2)."""

    c0: int
    c1: int
    solution: TileSolution
    l3_bytes: int = 0
    l3_transfers: int = 0


@dataclass(frozen=True)
class TiledLayer:
    """One tiled op: its chunks (one unless streamed in pieces) and totals over them."""

    op: str
    index: int
    kind: str
    geometry: LayerGeometry
    split: int                       # tiled_split.ROWS / CHANNELS
    cores: int
    l1_size: int
    chunks: tuple[Chunk, ...]

    def _sum(self, f) -> int:
        return sum(f(c) for c in self.chunks)

    @property
    def tiles(self) -> int:
        return self._sum(lambda c: c.solution.total_tiles)

    @property
    def l1_bytes(self) -> int:
        return max(c.solution.l1_bytes for c in self.chunks)

    @property
    def dma(self) -> dict[str, int]:
        """Bytes and transfers per direction, as the HAL counts them."""
        return {
            "in_bytes": self._sum(lambda c: c.solution.dma.in_bytes),
            "in_transfers": self._sum(lambda c: c.solution.dma.transfers
                                      - c.solution.dma.output_transfers),
            "out_bytes": self._sum(lambda c: c.solution.dma.out_bytes),
            "out_transfers": self._sum(lambda c: c.solution.dma.output_transfers),
            "l3_bytes": self._sum(lambda c: c.l3_bytes),
            "l3_transfers": self._sum(lambda c: c.l3_transfers),
        }

    @property
    def dma_lower_bound(self) -> int:
        """L2 <-> L1 bytes if every input, weight, parameter and output byte moved once."""
        g = self.geometry
        return (g.batches * (g.n_inputs * g.in_h * g.in_w * g.in_c
                             + g.out_c * g.weight_bytes_per_oc + g.out_h * g.out_w * g.out_c)
                + g.out_c * sum(g.param_bytes))

    @property
    def cycles(self) -> dict[str, float]:
        costs = [c.solution.cost for c in self.chunks]
        return {"compute": sum(c.compute_cycles for c in costs),
                "dma": sum(c.dma_cycles for c in costs),
                "exposed": sum(c.exposed_cycles for c in costs),
                "l3": sum(c.l3_cycles for c in costs),
                "total": sum(c.total_q for c in costs) / Q}

    @property
    def macs(self) -> int:
        return self.geometry.macs

    def to_dict(self) -> dict:
        first = self.chunks[0].solution
        cyc = self.cycles
        return {"index": self.index, "name": self.op, "kind": self.kind,
                "chunks": [[c.c0, c.c1] for c in self.chunks], "order": first.tiling.order,
                "tile": first.tile_sizes, "n_tiles": first.n_tiles, "tiles": self.tiles,
                "split": "rows" if self.split == 0 else "channels", "cores": self.cores,
                "l1_bytes": self.l1_bytes, "l1_size": self.l1_size, "dma": self.dma,
                "dma_lower_bound": self.dma_lower_bound, "cycles": cyc, "macs": self.macs,
                "macs_per_cycle": self.macs / cyc["total"] if cyc["total"] else 0.0,
                "status": sorted({c.solution.status for c in self.chunks})}


@dataclass(frozen=True)
class TiledPlan:
    """The per-level plan of a graph on a tiled target."""

    target: Target
    layers: dict[str, TiledLayer]     # op name -> tiled layer (untiled ops are absent)
    arena_bytes: int
    resident_bytes: int               # constants resident in L2
    stage_bytes: int                  # the L2 staging buffer for streamed constants
    streamed_bytes: int               # constants living in L3
    chunked: bool                     # some layer streams in several chunks

    @property
    def used(self) -> dict[str, int]:
        """Bytes placed in each level (L1: the largest layer's tiles)."""
        mem = self.target.memory
        out = {mem[0].name: max((t.l1_bytes for t in self.layers.values()), default=0),
               mem[1].name: self.arena_bytes + self.resident_bytes + self.stage_bytes}
        if self.streamed_bytes:
            out[mem[2].name] = self.streamed_bytes
        return out

    def to_dict(self) -> dict:
        """Plain data (manifest.json, report JSON): per level and per layer."""
        t = self.target
        return {"target": t.name, "cores": t.cores, "frequency_mhz": t.frequency_mhz,
                "levels": [{"name": m.name, "size": m.size,
                            "used": self.used.get(m.name, 0)} for m in t.memory],
                "arena_bytes": self.arena_bytes, "resident_bytes": self.resident_bytes,
                "stage_bytes": self.stage_bytes, "streamed_bytes": self.streamed_bytes,
                "chunked": self.chunked,
                "layers": [lay.to_dict() for lay in sorted(self.layers.values(),
                                                           key=lambda x: x.index)]}


def chunk_geometry(geom: LayerGeometry, c0: int, c1: int) -> LayerGeometry:
    """The sub-layer computing output channels ``[c0, c1)`` (whole groups)."""
    ch = c1 - c0
    if geom.groups > 1:
        groups = ch // geom.c_step
        return replace(geom, out_c=ch, in_c=groups * (geom.in_c // geom.groups),
                       groups=groups, group_channels=geom.c_step if groups == 1 else 1)
    return replace(geom, out_c=ch)


def runs_tiled(g: Graph, op) -> bool:
    """Tileable (:func:`tinydeploy.tiling.tileable`) with the int8 kernels the tiled
    runtime calls: int8 weights, int32 bias (sub-byte variants run untiled from L2)."""
    if not tileable(g, op):
        return False
    want = {1: "int8", 2: "int32"}
    return all(g.t(n).dtype == want.get(i, g.t(n).dtype)
               for i, n in enumerate(op.inputs) if n and g.t(n).is_const)


def _op_constants(g: Graph) -> dict[str, int]:
    """op name -> bytes of the constants it owns (each constant under its first consumer)."""
    seen: set[str] = set()
    out: dict[str, int] = {}
    for op in g.ops:
        for n in op.inputs:
            if n and g.t(n).is_const and n not in seen:
                seen.add(n)
                out[op.name] = out.get(op.name, 0) + g.t(n).nbytes
    return out


def _per_channel_bytes(g: Graph, op) -> int:
    geom = geometry(g, op)
    return geom.weight_bytes_per_oc + (4 if len(op.inputs) > 2 and op.inputs[2] else 0)


def _chunk_channels(g: Graph, op, stage: int) -> int:
    """Output channels per chunk (whole groups) whose constants fit ``stage`` bytes."""
    geom = geometry(g, op)
    unit = geom.c_step * _per_channel_bytes(g, op)
    units = max(0, stage // unit)
    total = geom.out_c // geom.c_step
    if units == 0:
        return 0
    n = -(-total // units)
    return -(-total // n) * geom.c_step          # balanced chunks


def _streaming_cost(g: Graph, ops: list, stage: int, target: Target) -> float | None:
    """Modeled cycles of streaming ``ops`` in chunks through ``stage`` bytes (None: no fit)."""
    l1, l2 = target.memory[0], target.memory[1]
    cost = 0.0
    for op in ops:
        ch = _chunk_channels(g, op, stage)
        if ch == 0:
            return None
        geom = geometry(g, op)
        n = -(-geom.out_c // ch)
        if n > MAX_CHUNKS:
            return None
        reread = (n - 1) * geom.n_inputs * geom.in_h * geom.in_w * geom.in_c
        cost += 2 * n * l2.dma_setup + reread / l1.bandwidth
    return cost


def _chunked_streaming(g: Graph, target: Target, arena: int) -> tuple[dict[str, int], int]:
    """(op name -> chunk channels, staging bytes) for streaming in chunks (module doc)."""
    consts = _op_constants(g)
    total = sum(consts.values())
    size = target.memory[1].size
    index = {op.name: i for i, op in enumerate(g.ops)}
    order = sorted(consts, key=lambda n: (-consts[n], index[n]))
    ops = {op.name: op for op in g.ops}
    best = None
    for k in range(1, len(order) + 1):
        streamed = order[:k]
        if any(not runs_tiled(g, ops[n]) or not geometry(g, ops[n]).weight_bytes_per_oc
               for n in streamed):
            break
        stage = size - arena - (total - sum(consts[n] for n in streamed))
        if stage <= 0:
            continue
        l3_bytes = sum(consts[n] for n in streamed)
        extra = _streaming_cost(g, [ops[n] for n in streamed], stage, target)
        if extra is None:
            continue
        cost = l3_bytes / target.memory[1].bandwidth + extra
        if best is None or cost < best[0]:
            best = (cost, streamed, stage)
    if best is None:
        raise TinyDeployError(f"even streaming weights from {target.memory[2].name} in chunks "
                              f"of output channels, {target.memory[1].name} "
                              f"({size} bytes) cannot hold the activations ({arena} bytes) "
                              "and a chunk of one layer's constants")
    _, streamed, stage = best
    return {n: _chunk_channels(g, ops[n], stage) for n in streamed}, stage


def _streaming(g: Graph, target: Target, memory: MemoryPlan
               ) -> tuple[dict[str, int], int, int, bool]:
    """(op -> chunk channels (0: whole layer), stage bytes, L3 bytes, chunked)."""
    consts = _op_constants(g)
    try:
        p = place_levels(g, target, memory)
        whole = {n: 0 for n in p.streamed_bytes}
        stage = max((_stage_bytes(g, n, None) for n in whole), default=0)
        return whole, stage, sum(p.streamed_bytes.values()), False
    except TinyDeployError:
        mem = target.memory
        if len(mem) < 3 or memory.arena_bytes > mem[1].size:
            raise
    chunks, stage = _chunked_streaming(g, target, memory.arena_bytes)
    l3 = sum(consts[n] for n in chunks)
    if l3 > target.memory[2].size:
        raise TinyDeployError(f"streamed constants ({l3} bytes) do not fit "
                              f"{target.memory[2].name} ({target.memory[2].size} bytes)")
    return chunks, stage, l3, True


def _stage_bytes(g: Graph, op_name: str, channels: int | None) -> int:
    """Staging bytes of ``channels`` output channels of an op (None: all of them): the
    bias (int32, first, so it stays aligned) then the weights."""
    op = next(o for o in g.ops if o.name == op_name)
    ch = geometry(g, op).out_c if not channels else channels
    return ch * _per_channel_bytes(g, op)


def _layer(g: Graph, index: int, target: Target, chunk_ch: int | None, cache: dict
           ) -> TiledLayer:
    """Tile op ``index`` (``chunk_ch``: None resident, 0 streamed whole, else chunked)."""
    op = g.ops[index]
    geom = geometry(g, op)
    has_bias = len(op.inputs) > 2 and bool(op.inputs[2])
    step = chunk_ch or geom.out_c
    chunks = []
    for c0 in range(0, geom.out_c, step):
        c1 = min(c0 + step, geom.out_c)
        sub = chunk_geometry(geom, c0, c1)
        l3 = 0 if chunk_ch is None else (c1 - c0) * (geom.weight_bytes_per_oc
                                                      + (4 if has_bias else 0))
        key = (replace(sub, name=""), l3, target)
        if key not in cache:
            cache[key] = solve_layer(sub, target, l3_weight_bytes=l3)
        sol = replace(cache[key], op=op.name, geometry=sub)
        chunks.append(Chunk(c0, c1, sol, l3, 0 if chunk_ch is None else 1 + has_bias))
    return TiledLayer(op.name, index, op.kind, geom, split_dim(geom, target.cores),
                      target.cores, target.memory[0].size, tuple(chunks))


def plan_tiled(g: Graph, target: Target, memory: MemoryPlan,
               layer_targets: dict[str, Target] | None = None,
               untiled: frozenset[str] = frozenset()) -> TiledPlan:
    """Place ``g`` (lowered, ``memory`` planned without sliding) and tile its layers.

    ``layer_targets`` overrides the target of single ops (tests: random L1 sizes and core
    counts per layer in one build). Ops named in ``untiled`` run from L2 (a decode loop's
    layers whose arguments follow the context length: a tile table is fixed). Raises
    TinyDeployError when a layer cannot be tiled into L1 (naming the layer and the L1 it
    needs) or the model cannot be placed.
    """
    if target.flat:
        raise ValueError("plan_tiled needs a target with more than one memory level")
    streamed, stage, l3, chunked = _streaming(g, target, memory)
    consts = _op_constants(g)
    layers: dict[str, TiledLayer] = {}
    cache: dict = {}
    for i, op in enumerate(g.ops):
        if not runs_tiled(g, op) or op.name in untiled:
            if op.name in streamed:
                raise TinyDeployError(f"layer '{op.name}' ({op.kind}) would stream its "
                                      "constants from L3 but is not tiled")
            continue
        t = (layer_targets or {}).get(op.name, target)
        layers[op.name] = _layer(g, i, t, streamed.get(op.name), cache)
    if chunked:
        stage = max(_stage_bytes(g, n, ch) for n, ch in streamed.items())
    resident = sum(consts.values()) - l3
    return TiledPlan(target, layers, memory.arena_bytes, resident, stage, l3, chunked)
