"""Replay a graph's schedule in one byte arena to prove a memory plan never clobbers data.

Every op first checks that each activation input still holds the bytes its producer
wrote, then writes a fresh pattern (unique per tensor) to its output - the order an
elementwise in-place kernel reads and writes in. A reshape writes nothing when aliased
(its bytes are its input's) and copies otherwise. Graph outputs are checked after the
last op. No goldens are needed: only bytes and lifetimes matter here.
"""

from __future__ import annotations

import zlib

import numpy as np

from tinydeploy.ir.graph import Graph
from tinydeploy.memory import MemoryPlan


def _pattern(name: str, nbytes: int) -> bytes:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return rng.integers(0, 256, size=nbytes, dtype=np.uint8).tobytes()


def replay(g: Graph, plan: MemoryPlan) -> None:
    """Raise AssertionError naming the op and tensor whose bytes were overwritten."""
    arena = bytearray(plan.arena_bytes)
    expect: dict[str, bytes] = {}

    def write(name: str, data: bytes) -> None:
        off = plan.offsets[name]
        assert off + len(data) <= len(arena), f"{name} ends past the arena"
        arena[off:off + len(data)] = data
        expect[name] = data

    def check(name: str, where: str) -> None:
        off, data = plan.offsets[name], expect[name]
        assert bytes(arena[off:off + len(data)]) == data, f"{where}: {name} was clobbered"

    for n in g.inputs:
        write(n, _pattern(n, g.t(n).nbytes))
    for op in g.ops:
        ins = [n for n in op.inputs if n and not g.t(n).is_const]
        for n in ins:
            check(n, op.name)
        for out in op.outputs:
            if op.kind == "reshape" and ins:
                write(out, expect[ins[0]])
            else:
                write(out, _pattern(out, g.t(out).nbytes))
    for n in g.outputs:
        check(n, "graph output")
