"""The caller's output buffers as working memory until the network writes them.

A graph output kept in the caller's buffer (:func:`~tinydeploy.memory.lifetimes.edge_storages`)
holds nothing the network needs before the op that first writes it: those bytes are free
memory for the layers before. An autoencoder's float output (2,560 bytes for MLPerf Tiny's
AD) can hold the int8 copy of its float input and the int8 result its last layer
dequantizes, which the arena would otherwise keep.

:func:`borrow` moves buffers into an output's buffer when this lowers the arena's peak;
nothing else changes. The rules:

- only when a move can help: a buffer must be live at an op where the arena's need (the
  lower bound's live bytes) is at its maximum, fit in the output's bytes, ask for no more
  alignment than the output's C type guarantees (``float *``: 4) and die before the op that
  first writes the output; moves are kept if the arena's peak ends lower than without
  them (a move may leave it equal when the arena has several peaks), and at most
  :data:`TRIES` re-plans keep a compile bounded;
- scratch stays in the arena (kernels align it to 8); only tensors of 1-byte types or of
  the output's own type go there (C's aliasing rules for the caller's typed array);
- one exception to "die before": the int8/int16 input of the ``dequantize`` that writes a
  float output may sit at the output buffer's tail (:func:`_tail_offset`), since that
  kernel reads element i before writing element i, in increasing order - the last layer of
  a network quantized by ``tinydeploy quantize``;
- the buffers in one output buffer are placed like the arena (greedy planner).

The generated C addresses those tensors inside ``output`` (the header says so: the output
buffer is written during the call and must not overlap an input).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from tinydeploy.ir.graph import Graph
from tinydeploy.memory.lifetimes import SCRATCH, storage_map
from tinydeploy.memory.planner import Buffer, Plan, need_by_op, plan_greedy

TRIES = 8
MAX_ALIGN = 8


class Region(NamedTuple):
    output: str          # the graph output whose caller buffer it is
    size: int            # its bytes
    align: int           # what its C type guarantees
    first: int           # the op that first writes it: buffers must die before it
    tail: str | None     # a dequantize's input storage that may end at that op, at the tail
    elems: int           # that dequantize's elements
    step: int            # its growth per element: output minus input bytes


def regions(g: Graph, ext: dict[str, str],
            storages: dict[str, set[str]]) -> dict[str, Region]:
    """External output storages usable before their first write (``storages``: storage ->
    the dtypes of its tensors; a buffer goes in only with 1-byte or the output's dtype)."""
    root = storage_map(g)
    first: dict[str, int] = {}
    for i, op in enumerate(g.ops):
        for n in op.outputs:
            if n in root:
                first.setdefault(root[n], i)
    out = {}
    for s, name in ext.items():
        if name not in g.outputs or name in g.inputs or s not in first or first[s] == 0:
            continue
        t, op = g.t(name), g.ops[first[s]]
        tail, elems, step = None, 0, 0
        if op.kind == "dequantize" and len(op.outputs) == 1 and op.inputs[0] in root:
            x = g.t(op.inputs[0])
            if x.size == t.size and x.itemsize < t.itemsize and x.bits >= 8:
                tail, elems, step = root[op.inputs[0]], t.size, t.itemsize - x.itemsize
        out[s] = Region(name, t.nbytes, min(t.itemsize, MAX_ALIGN), first[s], tail, elems,
                        step)
    return out


def _tail_offset(r: Region, b: Buffer) -> int | None:
    """Where the dequantize's input (N elements of ``s`` bytes) may sit, or None: element
    i is read before output element i (``s + step`` bytes) is written, in increasing i; that
    write ends at (s + step) * (i + 1), the next unread input byte is at T + s * (i + 1),
    so T >= step * (N - 1) keeps every write below the unread input, and T <= step * N
    keeps the input inside the buffer."""
    n = r.elems
    if n <= 0 or b.size % n or b.size + r.step * n != r.size:
        return None
    at = r.step * n // b.align * b.align
    return at if at >= r.step * (n - 1) else None


def _fit(r: Region, held: list[Buffer]) -> dict[str, int] | None:
    """Offsets of ``held`` inside the region, or None if they do not fit."""
    tail = [b for b in held if b.last >= r.first]
    free = [b for b in held if b.last < r.first]
    plan = plan_greedy(free)
    if plan.peak > r.size:
        return None
    offs = dict(plan.offsets)
    for t in tail:
        at = _tail_offset(r, t)
        if at is None or any(c.overlaps_in_time(t) and offs[c.name] < at + t.size
                             and at < offs[c.name] + c.size for c in free):
            return None
        offs[t.name] = at
    return offs


def borrow(g: Graph, buffers: list[Buffer], plan: Plan, ext: dict[str, str],
           planner: Callable[[list[Buffer]], Plan], dtypes: dict[str, set[str]]
           ) -> tuple[list[Buffer], Plan, dict[str, tuple[str, int]]]:
    """(arena buffers, arena plan, storage -> (graph output, byte offset in its buffer)).
    ``dtypes``: storage -> the dtypes of its tensors."""
    space = regions(g, ext, dtypes)
    if not space or not buffers:
        return buffers, plan, {}
    arena, start = list(buffers), plan
    held: dict[str, list[Buffer]] = {s: [] for s in space}
    where: dict[str, tuple[str, int]] = {}
    tried: set[str] = set()

    def fits(b: Buffer, r: Region) -> bool:
        kinds = dtypes.get(b.name, set())
        typed = all(k in ("int8", "uint8") or k == g.t(r.output).dtype for k in kinds)
        alive = b.last < r.first or (b.name == r.tail and b.last == r.first)
        return typed and alive and b.size <= r.size and b.align <= r.align

    for _ in range(TRIES):
        need = need_by_op(arena)
        top = max(need.values(), default=0)
        hot = [t for t, v in need.items() if v == top]
        move = None
        for b in sorted((b for b in arena if b.name not in tried
                         and not b.name.startswith(SCRATCH)
                         and any(b.first <= t <= b.last for t in hot)),
                        key=lambda b: (-b.size, b.name)):
            for s, r in sorted(space.items()):
                offs = _fit(r, [*held[s], b]) if fits(b, r) else None
                if offs is not None:
                    move = (b, s, offs)
                    break
            if move:
                break
        if move is None:
            break
        b, s, offs = move
        tried.add(b.name)
        rest = [c for c in arena if c.name != b.name]
        trial = planner(rest)
        if trial.peak > plan.peak:
            continue
        arena, plan = rest, trial
        held[s].append(b)
        for c in held[s]:
            where[c.name] = (space[s].output, offs[c.name])
    if plan.peak >= start.peak:       # (several peaks may need several moves)
        return buffers, start, {}
    return arena, plan, where
