"""Static offset planning for buffers with known lifetimes (no graph in sight).

A :class:`Buffer` is ``size`` bytes live from op ``first`` to op ``last`` (inclusive).
Two buffers whose lifetimes share an op must not share bytes, with one exception: a
buffer with ``inplace_of=A`` may start ``inplace_margin`` bytes below ``A``'s offset
(0: the same offset) when ``A`` dies at the op that creates it (``A.last == first``);
that is how an elementwise op writes over its input, and how a convolution or pool
whose kernel walks output pixels in order writes its output over the input rows it has
finished reading (the margin keeps the not-yet-read rows intact). A :class:`Plan` gives every buffer an aligned byte offset into one arena; ``peak``
is the arena size (the highest ``offset + size``).

Algorithm of :func:`plan_greedy` (TFLite Micro's ``GreedyMemoryPlanner``, extended):

1. Order the buffers by one key (largest first, ties broken by name so it is
   deterministic).
2. Place them one by one. A buffer whose legal in-place partner is already placed first
   tries the partner's offset. Otherwise collect the placed buffers whose lifetimes
   overlap it, walk the gaps between them in offset order and choose one: the first gap
   that fits (TFLM's rule) or the smallest gap that fits (best fit); if none fits, go
   just above the highest of them.
3. Repeat for several orders - size, lifetime length, first use, size x lifetime, last
   first use first (builds in-place chains upwards) - and
   both gap rules, and keep the plan with the lowest peak (first one on ties).
   Then all of it again placing each in-place chain as one rigid piece (a chain of
   windowed ops each writing at a margin below its input otherwise gets split wherever
   its next member would need a negative offset); the lower peak wins.
4. If that peak is above :func:`lower_bound`, search orders locally: move one buffer
   (often one that ends at the peak) earlier, re-place, keep the move unless the peak
   rises; a seeded generator and a fixed budget keep it deterministic and bounded. Orders
   are worth searching because first fit in the order of any legal plan's offsets puts
   every buffer at or below its offset there, so some order reaches the optimum.

This is a heuristic, not optimal: the exact problem (dynamic storage allocation) is
NP-hard, a greedy order can leave a gap too small for a later large buffer, and the
search may miss the good order (or the lower bound may be unreachable, e.g. with
alignment padding). On the MLPerf Tiny models it meets the lower bound; on random
chain-like graphs of 40-80 buffers it ends within a few percent of it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Iterable

__all__ = ["Buffer", "Plan", "plan_naive", "plan_greedy", "lower_bound", "need_by_op",
           "inplace_pairs", "check_plan"]


@dataclass(frozen=True)
class Buffer:
    """``size`` bytes live from op index ``first`` to ``last`` inclusive, ``align``-aligned.

    ``inplace_of`` names a buffer this one may start on top of, ``inplace_margin`` bytes
    below its offset, when that buffer's last op is this one's first op; otherwise the
    hint is ignored.
    """

    name: str
    size: int
    first: int
    last: int
    align: int = 4
    inplace_of: str | None = None
    inplace_margin: int = 0

    def __post_init__(self):
        assert self.size >= 0 and self.align >= 1 and self.inplace_margin >= 0, self
        assert 0 <= self.first <= self.last, self

    def overlaps_in_time(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class Plan:
    """Byte offset of each buffer in one arena of ``peak`` bytes."""

    offsets: dict[str, int]
    peak: int


def _align_up(x: int, a: int) -> int:
    return -(-x // a) * a


def inplace_pairs(buffers: Iterable[Buffer]) -> dict[str, str]:
    """The in-place hints that are legal: ``{buffer: partner}``.

    Legal means the partner exists, is another buffer, and dies at the op where this one is
    created. A partner is given to at most one buffer (the first in list order), since two
    buffers born on top of it at once would overlap each other.
    """
    by_name = {b.name: b for b in buffers}
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    for b in by_name.values():
        a = by_name.get(b.inplace_of) if b.inplace_of else None
        if a is None or a.name == b.name or a.name in taken or a.last != b.first:
            continue
        pairs[b.name] = a.name
        taken.add(a.name)
    return pairs


def lower_bound(buffers: Iterable[Buffer]) -> int:
    """Max over op index of the bytes that must be live there (:func:`need_by_op`).
    Alignment padding is not counted, so no plan can have a lower peak."""
    return max(need_by_op(buffers).values(), default=0)


def need_by_op(buffers: Iterable[Buffer]) -> dict[int, int]:
    """Op index (where a buffer starts or ends) -> the bytes that must be live there: the
    sum of the live sizes, less the bytes each legal in-place pair meeting at that op may
    share (the only pairs allowed to share bytes)."""
    buffers = list(buffers)
    by_name = {b.name: b for b in buffers}
    pairs = inplace_pairs(buffers)
    need = {}
    for t in sorted({b.first for b in buffers} | {b.last for b in buffers}):
        live = sum(b.size for b in buffers if b.first <= t <= b.last)
        shared = sum(_shared_bytes(by_name[b], by_name[a])
                     for b, a in pairs.items() if by_name[b].first == t)
        need[t] = live - shared
    return need


def _shared_bytes(b: Buffer, a: Buffer) -> int:
    """Bytes ``b`` placed at its legal in-place spot shares with its partner ``a``."""
    return max(0, min(b.size - b.inplace_margin, a.size))


def _pair_delta(b: Buffer, c: Buffer, pairs: dict[str, str]) -> int | None:
    """Required ``offset(b) - offset(c)`` if b and c are a legal in-place pair, else None."""
    if pairs.get(b.name) == c.name:
        return -b.inplace_margin
    if pairs.get(c.name) == b.name:
        return c.inplace_margin
    return None


def plan_naive(buffers: Iterable[Buffer]) -> Plan:
    """Every buffer gets its own bytes, stacked in list order: the no-reuse baseline."""
    offsets: dict[str, int] = {}
    end = 0
    for b in buffers:
        offsets[b.name] = _align_up(end, b.align)
        end = offsets[b.name] + b.size
    return Plan(offsets, end)


def _conflict(b: Buffer, ob: int, c: Buffer, oc: int, pairs: dict[str, str]) -> bool:
    """True when ``b`` at ``ob`` and ``c`` at ``oc`` may not coexist."""
    if not b.overlaps_in_time(c) or b.size == 0 or c.size == 0:
        return False
    delta = _pair_delta(b, c, pairs)
    if delta is not None and ob - oc == delta:
        return False
    return ob < oc + c.size and oc < ob + b.size


def _gap_offset(b: Buffer, busy: list[tuple[int, int]], best_fit: bool) -> int:
    """Offset for ``b`` among the occupied ``(start, end)`` intervals, sorted by start."""
    choice, choice_room = None, None
    cursor = 0
    for start, end in busy + [(None, None)]:
        off = _align_up(cursor, b.align)
        if start is None:
            return off if choice is None else choice
        room = start - off
        if room >= b.size:
            if not best_fit:
                return off
            if choice_room is None or room < choice_room:
                choice, choice_room = off, room
        cursor = max(cursor, end)
    raise AssertionError("unreachable")


def _place(order: list[Buffer], pairs: dict[str, str], best_fit: bool) -> Plan:
    partners: dict[str, list[str]] = {}
    for b, a in pairs.items():
        partners.setdefault(b, []).append(a)
        partners.setdefault(a, []).append(b)
    by_name = {b.name: b for b in order}
    offsets: dict[str, int] = {}
    placed: list[Buffer] = []
    for b in order:
        overlapping = [c for c in placed if c.overlaps_in_time(b) and c.size and b.size]
        off = None
        for p in partners.get(b.name, []):
            if p not in offsets:
                continue
            cand = offsets[p] + _pair_delta(b, by_name[p], pairs)
            if cand >= 0 and cand % b.align == 0 and not any(
                    _conflict(b, cand, c, offsets[c.name], pairs) for c in overlapping):
                off = cand
                break
        if off is None:
            busy = sorted((offsets[c.name], offsets[c.name] + c.size) for c in overlapping)
            off = _gap_offset(b, busy, best_fit)
        offsets[b.name] = off
        placed.append(b)
    peak = max((offsets[b.name] + b.size for b in order), default=0)
    return Plan(offsets, peak)


def _chains(buffers: list[Buffer], pairs: dict[str, str]) -> dict[str, dict[str, int]]:
    """Each buffer's in-place chain (its connected component over the legal pairs) as
    member -> offset relative to the chain's lowest member, when the chain can be laid
    out at those offsets (no two members live together overlap except as pairs); buffers
    of no such chain map to themselves alone."""
    by_name = {b.name: b for b in buffers}
    adj: dict[str, list[tuple[str, int]]] = {}
    for b, a in pairs.items():                 # off(b) = off(a) - margin(b)
        m = by_name[b].inplace_margin
        adj.setdefault(a, []).append((b, -m))
        adj.setdefault(b, []).append((a, m))
    out: dict[str, dict[str, int]] = {}
    for b in buffers:
        if b.name in out:
            continue
        rel, todo = {b.name: 0}, [b.name]
        while todo:
            x = todo.pop()
            for y, d in adj.get(x, ()):
                if y not in rel:
                    rel[y] = rel[x] + d
                    todo.append(y)
        low = min(rel.values())
        rel = {k: v - low for k, v in rel.items()}
        members = [by_name[k] for k in rel]
        ok = all(not _conflict(x, rel[x.name], y, rel[y.name], pairs)
                 for i, x in enumerate(members) for y in members[i + 1:])
        for k in rel:
            out[k] = rel if ok else {k: 0}
    return out


def _place_chains(order: list[Buffer], pairs: dict[str, str], best_fit: bool) -> Plan:
    """Like :func:`_place`, but an in-place chain is placed as one rigid piece when its
    first member comes up in the order: the lowest offset (first fit; ``best_fit`` is
    not used) where no member conflicts with the buffers placed so far."""
    del best_fit
    chains = _chains(order, pairs)
    by_name = {b.name: b for b in order}
    offsets: dict[str, int] = {}
    placed: list[Buffer] = []
    for b in order:
        if b.name in offsets:
            continue
        rel = chains[b.name]
        members = [by_name[k] for k in rel]
        step = max(m.align for m in members)
        near = [(m, c) for m in members for c in placed
                if c.overlaps_in_time(m) and c.size and m.size]
        cands = sorted({0} | {_align_up(max(0, offsets[c.name] + c.size - rel[m.name]), step)
                              for m, c in near})
        for base in cands:
            if all((base + rel[m.name]) % m.align == 0 for m in members) and not any(
                    _conflict(m, base + rel[m.name], c, offsets[c.name], pairs)
                    for m, c in near):
                break
        else:                                 # unreachable: above everything always fits
            base = _align_up(max((offsets[c.name] + c.size for c in placed), default=0), step)
        for m in members:
            offsets[m.name] = base + rel[m.name]
        placed += members
    peak = max((offsets[b.name] + b.size for b in order), default=0)
    return Plan(offsets, peak)


ORDERS: dict[str, Callable[[Buffer], tuple]] = {
    "size": lambda b: (-b.size, b.first, b.name),
    "lifetime": lambda b: (-(b.last - b.first), -b.size, b.name),
    "first_use": lambda b: (b.first, -b.size, b.name),
    "size_x_lifetime": lambda b: (-b.size * (b.last - b.first + 1), -b.size, b.name),
    # last first: an in-place chain whose members each start below their partner (windowed
    # ops writing over their input at a margin) is then built upwards from offset 0
    "reverse_first_use": lambda b: (-b.first, -b.size, b.name),
}


def _local_search(order: list[Buffer], pairs: dict[str, str], best_fit: bool, best: Plan,
                  target: int, budget: int, placer=None) -> Plan:
    """Move one buffer to another place in the order; keep moves that do not raise the peak.

    Any legal placement is reproduced (or beaten) by first fit in the order of its offsets,
    so searching orders can reach the optimum; a seeded generator keeps it deterministic.
    Stops at ``target`` (the lower bound) or after ``budget`` tries.
    """
    rng = random.Random(0)
    for _ in range(budget):
        if best.peak <= target or len(order) < 2:
            break
        cand = list(order)
        top = [i for i, b in enumerate(order) if best.offsets[b.name] + b.size == best.peak]
        i = rng.choice(top) if rng.random() < 0.5 else rng.randrange(len(cand))
        cand.insert(rng.randrange(i + 1), cand.pop(i))      # earlier: placed lower
        plan = (placer or _place)(cand, pairs, best_fit)
        if plan.peak <= best.peak:
            order, best = cand, plan
    return best


def plan_greedy(buffers: Iterable[Buffer], budget: int = 1000) -> Plan:
    """Best greedy placement over :data:`ORDERS` x {first fit, best fit}, then local search.

    ``budget`` bounds the local-search tries (0 disables it); none are spent when a fixed
    order already meets :func:`lower_bound`. Never worse than :func:`plan_naive`.
    Deterministic: the same buffers, in any list order, give the same plan.
    """
    buffers = sorted(buffers, key=lambda b: b.name)
    assert len({b.name for b in buffers}) == len(buffers), "buffer names must be unique"
    if not buffers:
        return Plan({}, 0)
    pairs = inplace_pairs(buffers)
    target = lower_bound(buffers)
    results = []
    for placer in (_place, _place_chains):   # buffer by buffer; in-place chains rigid
        runs = []
        for key in ORDERS.values():
            order = sorted(buffers, key=key)
            for best_fit in (False, True):
                runs.append((placer(order, pairs, best_fit), order, best_fit))
        best, order, best_fit = min(runs, key=lambda r: r[0].peak)   # first on ties
        results.append(_local_search(order, pairs, best_fit, best, target, budget, placer))
        if results[-1].peak <= target:
            break
    best = min(results, key=lambda p: p.peak)
    naive = plan_naive(buffers)          # padding luck could in theory favour stacking
    return naive if naive.peak < best.peak else best


def check_plan(buffers: Iterable[Buffer], plan: Plan) -> None:
    """Raise AssertionError if ``plan`` is not a legal placement of ``buffers``."""
    buffers = list(buffers)
    pairs = inplace_pairs(buffers)
    for b in buffers:
        off = plan.offsets[b.name]
        assert off >= 0 and off % b.align == 0, f"{b.name} at {off} not {b.align}-aligned"
        assert off + b.size <= plan.peak, f"{b.name} ends past the peak {plan.peak}"
    for i, b in enumerate(buffers):
        for c in buffers[i + 1:]:
            assert not _conflict(b, plan.offsets[b.name], c, plan.offsets[c.name], pairs), \
                f"{b.name} and {c.name} are live together and overlap"
