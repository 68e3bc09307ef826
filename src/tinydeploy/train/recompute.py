"""Recomputation instead of storage in a training step (``tinydeploy train --recompute``).

Without it, every forward activation the backward pass reads stays in the arena from its
producer to its last backward reader. With it, only *checkpoints* stay (the graph input,
the logits the loss reads, and a chosen set of forward activations); every backward read
of another forward activation reads a recomputed copy instead:

- the forward ops are split into *segments* at the producers of the checkpoints;
- before the first backward op that reads a non-checkpoint activation of segment ``s``,
  the forward ops that produce it are cloned (same kind, same attributes, the same
  constants and checkpoints as inputs, recomputed copies for the rest), once per segment:
  a later backward read of the same segment reads the same copy (memoized), a read of
  another segment recomputes its own;
- the forward originals then die at their last forward reader, the copies live from
  their first to their last backward reader.

The clones compute the same kinds on the same values in the same order, so their outputs
are bit-identical to the forward's and the step's new parameters are byte-identical with
and without recomputation (tests/train/test_recompute.py). Recomputed ops read the
trainable parameters before their update (passes/train_updates.py puts every update after
the last reader of its parameter) and sit after ``meta["train"]["start"]``.

:func:`choose` keeps the best of a few checkpoint sets, each tried with both memo scopes
(per segment, and per backward op: a copy then lives during its one reader only): none
(nothing recomputed), every k-th forward layer, and a greedy descent that drops the
checkpoint whose recomputation lowers the arena most (ties: the live bytes summed over
the schedule), while it does; then checkpoints are put back while that saves MACs and
keeps the arena. Candidates are ranked by the planner's lower bound on the rewritten,
update-scheduled step (:func:`bound`, cheap); the best :data:`FINALISTS` and the step
without recomputation are planned in full (:func:`tinydeploy.memory.plan_graph`), and
the least arena wins (then the fewest recomputed MACs). Recomputation is applied only
when it lowers the planned arena. ``meta["train"]["recompute"]`` records ``{applied,
without, with, ops, macs, checkpoints, candidates}`` (``with``: the best candidate's
arena, even when not applied; ``ops``: the recomputed op names; ``macs``: the MACs they
add).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import replace

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.ir.ops import macs
from tinydeploy.ir.training import training
from tinydeploy.memory import buffers_for_graph, lower_bound, plan_graph
from tinydeploy.passes.train_updates import schedule_updates
from tinydeploy.train.builder import unique

MAX_TRIALS = 64         # candidates the greedy descent may measure (half as many more
FINALISTS = 3           # to put checkpoints back); the best few are planned in full
VIEW_KINDS = ("reshape",)


class Forward:
    """What the rewrite needs to know of a step's forward part."""

    def __init__(self, g: Graph):
        self.g = g
        self.start = training(g).start
        self.ops = g.ops[:self.start]
        self.prod = {n: j for j, op in enumerate(self.ops) for n in op.outputs}
        self.root: dict[str, str] = {}          # forward tensor -> its storage (views)
        for op in self.ops:
            for n in op.outputs:
                src = op.inputs[0] if op.kind in VIEW_KINDS else None
                self.root[n] = self.root.get(src, n) if src in self.prod else n
        late = {n for op in g.ops[self.start:] for n in op.inputs if n in self.prod}
        first = g.ops[self.start] if self.start < len(g.ops) else None
        # always stored: what the loss reads first (the logits) and the graph outputs
        self.forced = frozenset(self.root[n] for n in late if first is not None and
                                n in first.inputs) | frozenset(
            self.root[n] for n in g.outputs if n in self.root)
        self.kept = frozenset(self.root[n] for n in late)      # stored without recompute
        self.layers = [j for j, op in enumerate(self.ops) if op.kind not in VIEW_KINDS]

    def rewrite(self, checkpoints, per_reader: bool = False) -> tuple[Graph, list[str], int]:
        """The step where backward reads of forward activations outside ``checkpoints``
        (storage names; the forced ones are added) read recomputed copies, memoized per
        segment (``per_reader``: per backward op); also the recomputed op names and their
        MACs."""
        g, start = self.g, self.start
        ckpt = frozenset(checkpoints) | self.forced
        bounds = sorted(self.prod[r] for r in ckpt)
        tensors = dict(g.tensors)
        taken = {op.name for op in g.ops}
        ops: list[Op] = list(self.ops)
        memo: dict[tuple[int, str], str] = {}
        clones: list[str] = []

        def stored(n: str) -> bool:
            return not n or n not in self.prod or self.root[n] in ckpt

        def copy(s: int, n: str, pending: list[Op]) -> str:
            """``n``'s copy in scope ``s``: the forward ops it needs that the scope has
            not recomputed yet are cloned (in forward order) onto ``pending``."""
            need, todo = set(), [n]
            while todo:
                t = todo.pop()
                if stored(t) or (s, t) in memo or self.prod[t] in need:
                    continue
                need.add(self.prod[t])
                todo.extend(self.ops[self.prod[t]].inputs)
            for j in sorted(need):
                op = self.ops[j]
                ins = tuple(x if stored(x) else memo[(s, x)] for x in op.inputs)
                outs = []
                for o in op.outputs:
                    new = unique(f"{o}_recomputed", tensors)
                    tensors[new] = replace(g.t(o), name=new)
                    memo[(s, o)] = new
                    outs.append(new)
                name = unique(f"{op.name}_recompute", taken)
                taken.add(name)
                pending.append(Op(op.kind, name, ins, tuple(outs), dict(op.attrs)))
                clones.append(name)
            return memo[(s, n)]

        for i, op in enumerate(g.ops[start:]):
            pending: list[Op] = []
            ins = tuple(n if stored(n) else
                        copy(-1 - i if per_reader else
                             bisect_left(bounds, self.prod[self.root[n]]), n, pending)
                        for n in op.inputs)
            ops.extend(pending)
            ops.append(op if ins == op.inputs else replace(op, inputs=ins))
        h = Graph(g.name, tensors, ops, list(g.inputs), list(g.outputs), g.source,
                  dict(g.meta))
        cloned = set(clones)
        extra = sum(macs(h, o) for o in ops if o.name in cloned)
        return h, clones, extra


def bound(g: Graph, kernels: str = "ref") -> tuple[int, int]:
    """The search's measure of a step as it is lowered (updates scheduled, sliding
    windows of the ``kernels`` set): (the planner's lower bound on its arena, the bytes
    live summed over the ops). The greedy planner meets the bound on these graphs or
    nearly; the candidates kept are planned in full (:func:`planned`)."""
    bufs = buffers_for_graph(schedule_updates(g), 4, True, kernels).buffers
    return lower_bound(bufs), sum(b.size * (b.last - b.first + 1) for b in bufs)


def planned(g: Graph, kernels: str = "ref") -> int:
    """The arena bytes of the step as it is lowered (see :func:`bound`)."""
    return plan_graph(schedule_updates(g), sliding=True, kernels=kernels).arena_bytes


def _every(fw: Forward, k: int) -> frozenset:
    """Checkpoints at the outputs of every k-th forward layer."""
    return frozenset(fw.root[n] for i, j in enumerate(fw.layers) if (i + 1) % k == 0
                     for n in fw.ops[j].outputs)


def choose(g: Graph, kernels: str = "ref", measure=bound, plan=planned,
           max_trials: int = MAX_TRIALS) -> Graph:
    """``g`` or its rewrite with the checkpoints (of the candidates in the module doc)
    whose planned arena is least; records ``meta["train"]["recompute"]``. ``measure``
    ranks the candidates (``(bytes, area)``, see :func:`bound`), ``plan`` gives the
    arena of the best :data:`FINALISTS` and of the step without recomputation; both
    for the ``kernels`` set ("ref" or "opt": its sliding windows)."""
    fw = Forward(g)
    tried: dict[tuple[frozenset, bool], tuple] = {}

    def trial(ckpt: frozenset, per_reader: bool = False) -> tuple:
        ckpt = frozenset(ckpt) | fw.forced
        if fw.kept <= ckpt:                        # nothing to recompute
            per_reader = False
        if (ckpt, per_reader) not in tried:
            h, clones, extra = fw.rewrite(ckpt, per_reader) if not fw.kept <= ckpt else \
                (g, [], 0)
            tried[(ckpt, per_reader)] = (*measure(h, kernels), extra, h, clones)
        return tried[(ckpt, per_reader)]

    def best_of(sets, budget: int) -> tuple | None:
        """(bytes, area, macs, checkpoints) of the best of ``sets`` (both scopes) while
        fewer than ``budget`` candidates have been tried."""
        best = None
        for c in sets:
            for per_reader in (False, True):
                if len(tried) >= budget and (c | fw.forced, per_reader) not in tried:
                    continue
                nb, area, extra = trial(c, per_reader)[:3]
                if best is None or (nb, area) < best[:2]:
                    best = (nb, area, extra, c)
        return best

    none = fw.kept | fw.forced                     # everything stored: no recomputation
    trial(none)
    n = len(fw.layers)
    best_of([_every(fw, k) for k in sorted({2, 3, 4, max(2, round(math.sqrt(n))), n + 1})],
            max_trials)
    cur = none                                     # greedy: drop one checkpoint a round
    while len(tried) < max_trials:
        best = best_of([cur - {c} for c in sorted(cur - fw.forced)], max_trials)
        if best is None or best[:2] >= trial(cur)[:2]:
            break
        cur = best[3]

    def rank(key) -> tuple:
        return tried[key][0], tried[key][2], key[1], sorted(key[0])

    top = min(tried, key=rank)                     # put back what costs MACs for nothing
    budget = len(tried) + max_trials // 2
    while len(tried) < budget:
        back = [top[0] | {c} for c in sorted(fw.kept - top[0])]
        fits = [(ck, pr) for ck in back for pr in (False, True) if len(tried) < budget
                and trial(ck, pr)[0] <= tried[top][0] and trial(ck, pr)[2] < tried[top][2]]
        if not fits:
            break
        top = min(fits, key=rank)
    finalists = sorted(tried, key=rank)[:FINALISTS]
    without = plan(g, kernels)
    arenas = {k: plan(tried[k][3], kernels) if tried[k][4] else without
              for k in finalists}
    key = min(finalists, key=lambda k: (arenas[k], tried[k][2], k[1], sorted(k[0])))
    _, _, extra, h, clones = tried[key]
    applied = arenas[key] < without
    out = h if applied else g
    meta = dict(out.meta)
    meta["train"] = dict(meta["train"])
    meta["train"]["recompute"] = {
        "applied": applied, "without": without, "with": arenas[key],
        "ops": clones if applied else [], "macs": extra if applied else 0,
        "checkpoints": sorted(key[0] if applied else none), "candidates": len(tried)}
    return Graph(out.name, out.tensors, out.ops, out.inputs, out.outputs, out.source, meta)
