"""Schedule a training step's parameter updates (:mod:`tinydeploy.ir.training`).

In C each update writes the parameter's new value over the parameter itself, so it must
run after every other op that reads the parameter (a backward op may read a weight after
that weight's own gradient is known, e.g. dX = dY W). This pass moves each update op to
just after the last such reader (as early as that allows, so its gradient dies early) and
checks that the in-place write is safe: the update is an elementwise op of the
parameter's shape whose first input is the parameter, and nothing reads the new value
before the update has run.
"""

from __future__ import annotations

from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph
from tinydeploy.ir.training import training

IN_PLACE_KINDS = ("sub", "add")      # element i read before element i is written


def schedule_updates(g: Graph) -> Graph:
    step = training(g)
    if step is None or not step.updates:
        return g
    ops = list(g.ops)
    src = g.source or None
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
        readers = [i for i, o in enumerate(ops) if p in o.inputs and i != at]
        last = max(readers, default=at)
        if last > at:
            ops.pop(at)
            ops.insert(last, op)          # just after the last other reader
            at = last
        early = [o.name for o in ops[:at] if u in o.inputs]
        if early:
            raise TinyDeployError(f"layer '{early[0]}' reads the new value of '{p}' before "
                                  "its update", file=src)
    return Graph(g.name, dict(g.tensors), ops, list(g.inputs), list(g.outputs), g.source,
                 dict(g.meta))
