"""Which tensors live in which memory level (data for the per-level memory planner).

Assumptions (DORY-like, documented because codegen relies on them):

- Flat target (one level): activations and constants share that level.
- Tiled target: L1 (level 0) holds only the tiles of the running layer. All activations
  live in the arena of the *home* level (level 1, L2); the arena must fit there -
  activations are not tiled from L3. Constants (weights, biases) stay resident in L2
  when arena + all constants fit. Otherwise, with an L3, the largest layers' constants
  move to L3 one layer at a time (largest first, ties in op order) until arena +
  resident constants + one stream buffer (as large as the largest streamed layer's
  constants) fit L2; before such a layer runs, its constants are copied L3 -> L2 into
  the stream buffer (one transfer, not overlapped: :func:`cost.l3_stream_q`).
- Per-channel requant arrays of the kernel argument structs are small and not counted.
- A constant used by several ops belongs to its first consumer.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph
from tinydeploy.memory import MemoryPlan
from tinydeploy.targets import Target


@dataclass(frozen=True)
class Placement:
    """Tensor -> memory level, and the bytes that placement uses per level."""

    home: str                        # level of the activation arena
    levels: dict[str, str]           # tensor name -> level name (activations, constants)
    arena_bytes: int
    resident_bytes: int              # constants resident in the home level
    streamed_bytes: dict[str, int]   # op name -> its constants' bytes, streamed from L3
    stream_buffer_bytes: int         # home-level buffer for streamed constants
    used: dict[str, int]             # level name -> bytes placed there


def _op_constants(g: Graph) -> dict[str, dict[str, int]]:
    """op name -> {constant tensor: bytes}, each constant under its first consumer."""
    seen: set[str] = set()
    out: dict[str, dict[str, int]] = {}
    for op in g.ops:
        consts = {}
        for n in op.inputs:
            if n and g.t(n).is_const and n not in seen:
                seen.add(n)
                consts[n] = g.t(n).nbytes
        out[op.name] = consts
    return out


def _stream(order: list[tuple[str, int]], arena: int, total: int, size: int
            ) -> dict[str, int] | None:
    streamed: dict[str, int] = {}
    resident = total
    for name, nbytes in order:
        streamed[name] = nbytes
        resident -= nbytes
        if arena + resident + max(streamed.values()) <= size:
            return streamed
    return None


def place_levels(g: Graph, target: Target, memory_plan: MemoryPlan) -> Placement:
    """Place ``g``'s activations and constants in ``target``'s levels (see module doc).

    Raises TinyDeployError when the model cannot be placed.
    """
    consts = _op_constants(g)
    total = sum(sum(c.values()) for c in consts.values())
    arena = memory_plan.arena_bytes
    home = target.memory[0] if target.flat else target.memory[1]
    levels = {n: home.name for n in memory_plan.offsets}
    if arena > home.size:
        raise TinyDeployError(f"activations need {arena} bytes, more than {home.name} "
                              f"({home.size} bytes) of target '{target.name}'"
                              + ("" if target.flat else "; activations are not tiled from L3"))
    streamed: dict[str, int] = {}
    if arena + total > home.size:
        if len(target.memory) < 3:
            raise TinyDeployError(f"constants ({total} bytes) and activations ({arena} bytes) "
                                  f"do not fit {home.name} ({home.size} bytes) of target "
                                  f"'{target.name}', which has no outer level to stream from")
        idx = {op.name: i for i, op in enumerate(g.ops)}
        order = sorted(((name, sum(c.values())) for name, c in consts.items() if c),
                       key=lambda e: (-e[1], idx[e[0]]))
        got = _stream(order, arena, total, home.size)
        if got is None:
            biggest = order[0][1] if order else 0
            raise TinyDeployError(f"even streaming weights from L3, {home.name} "
                                  f"({home.size} bytes) cannot hold the activations "
                                  f"({arena} bytes) plus the largest layer's constants "
                                  f"({biggest} bytes)")
        streamed = got
    outer = target.memory[2].name if streamed else None
    for op_name, c in consts.items():
        for n in c:
            levels[n] = outer if op_name in streamed else home.name
    resident = total - sum(streamed.values())
    buffer = max(streamed.values(), default=0)
    used = {home.name: arena + resident + buffer}
    if streamed:
        used[outer] = sum(streamed.values())
        if used[outer] > target.memory[2].size:
            raise TinyDeployError(f"streamed constants ({used[outer]} bytes) do not fit "
                                  f"{outer} ({target.memory[2].size} bytes)")
    return Placement(home.name, levels, arena, resident, streamed, buffer, used)
