"""Schedule a training step's parameter updates (:mod:`tinydeploy.ir.training`).

In C each update writes the parameter's new value over the parameter itself, so it must
run after every other op that reads the parameter (a backward op may read a weight after
that weight's own gradient is known, e.g. dX = dY W). This pass moves each update op,
with the training ops that feed only it and read no parameter (SGD's ``lr * grad``, the
gradient's own op), to just after the last such reader or the last producer of what
they read, whichever is later: as early as that allows, so the gradient dies early (not
at the end of the step, where the reverse sweep appends the updates). It checks that
the in-place write is safe: the update is an elementwise op of the parameter's shape
whose first input is the parameter, and nothing reads the new value before the update
has run.
"""

from __future__ import annotations

from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.ir.training import training

IN_PLACE_KINDS = ("sub", "add")      # element i read before element i is written


def _feeders(ops: list[Op], at: int, start: int, pinned: set[str],
             params: set[str]) -> list[int]:
    """Indices of the update ``ops[at]`` and of the ops from ``start`` whose outputs only
    it (or another of them) reads and that read no trainable parameter (so that moving
    them cannot take a reader of a parameter past its update), ascending."""
    producer = {n: j for j, op in enumerate(ops) for n in op.outputs}
    readers: dict[str, set[int]] = {}
    for i, op in enumerate(ops):
        for n in op.inputs:
            readers.setdefault(n, set()).add(i)
    group, todo = {at}, [at]
    while todo:
        for n in ops[todo.pop()].inputs:
            j = producer.get(n, -1)
            if j < start or j in group:
                continue
            outs = ops[j].outputs
            if not set(outs) & pinned and not set(ops[j].inputs) & params and \
                    all(readers.get(o, set()) <= group for o in outs):
                group.add(j)
                todo.append(j)
    return sorted(group)


def schedule_updates(g: Graph) -> Graph:
    step = training(g)
    if step is None or not step.updates:
        return g
    ops = list(g.ops)
    src = g.source or None
    start = step.start if step.start < len(ops) else 0
    pinned = set(g.outputs) | {n for n in (step.loss, step.labels) if n}
    for p, u in step.updates:
        at = next(i for i, op in enumerate(ops) if u in op.outputs)
        op = ops[at]
        if op.kind not in IN_PLACE_KINDS or op.inputs[0] != p or len(op.outputs) != 1 or \
                any(g.t(n).shape != g.t(p).shape for n in op.inputs):
            raise TinyDeployError(f"layer '{op.name}': the update of '{p}' must be an "
                                  "elementwise sub/add of the parameter's shape with the "
                                  "parameter first (it is written in place)", file=src)
        if step.start < len(ops) and at < step.start:
            raise TinyDeployError(f"layer '{op.name}': the update of '{p}' runs before the "
                                  "training part", file=src)
        group = _feeders(ops, at, start if at >= start else at, pinned - {u},
                         set(step.params))
        moved = [ops[i] for i in group]
        rest = [o for i, o in enumerate(ops) if i not in set(group)]
        reads = {n for o in moved for n in o.inputs if n}
        after = [i for i, o in enumerate(rest) if p in o.inputs or set(o.outputs) & reads]
        pos = max(after, default=-1) + 1
        if step.start < len(ops):
            pos = max(pos, step.start)
        ops = rest[:pos] + moved + rest[pos:]
        at = pos + len(moved) - 1
        early = [o.name for o in ops[:at] if u in o.inputs]
        if early:
            raise TinyDeployError(f"layer '{early[0]}' reads the new value of '{p}' before "
                                  "its update", file=src)
    return Graph(g.name, dict(g.tensors), ops, list(g.inputs), list(g.outputs), g.source,
                 dict(g.meta))
