"""What makes a graph a training step: ``graph.meta["train"]``.

A training graph updates some of its constants in place: each *update* pairs a trainable
parameter ``P`` (a constant tensor: its initial value) with the tensor ``U`` of its new
value (an op's output, e.g. ``P - lr * grad``). In C the parameter lives in RAM
(a non-const array initialised from ``P``'s data), ``U`` is written over it, and every op
that reads ``P`` reads its current value; parameters that are not updated stay ``const``
(flash). The numpy golden reads ``P``'s data and computes ``U`` like any tensor, so one
step of the golden equals one step in C.

``meta["train"]`` (JSON-like, kept by every pass):

- ``updates``: ``[[P, U], ...]`` in graph order;
- ``start`` (optional): the name of the first op of the training part. The ops before it
  are the model's inference (``<name>_run`` runs only them); the rest (loss, backward,
  updates) run in ``<name>_train_step``. Absent: the whole graph is one step (an ONNX
  Runtime training graph compiled as it is);
- ``labels`` (optional): the int64 label tensor the training part reads, given to
  ``<name>_train_step`` and not a graph input (the graph's inputs and outputs are then
  the inference's);
- ``loss`` (optional): the scalar float32 loss tensor ``<name>_loss()`` returns.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import numpy as np

from tinydeploy.errors import TinyDeployError


class Training(NamedTuple):
    updates: tuple[tuple[str, str], ...]
    start: int                 # index of the first training op (len(ops): no split)
    labels: str | None
    loss: str | None

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(p for p, _ in self.updates)

    @property
    def new_values(self) -> dict[str, str]:
        """U -> P: the tensor written over each parameter."""
        return {u: p for p, u in self.updates}


def training(g) -> Training | None:
    """The graph's training step (checked), or None for an inference graph."""
    meta = g.meta.get("train")
    if not meta:
        return None
    src = g.source or None
    updates = tuple((str(p), str(u)) for p, u in meta.get("updates", ()))
    produced = {n for op in g.ops for n in op.outputs}
    for p, u in updates:
        if p not in g.tensors or not g.t(p).is_const:
            raise TinyDeployError(f"trainable parameter '{p}' is not a constant", file=src)
        if u not in produced or g.t(u).shape != g.t(p).shape or g.t(u).dtype != g.t(p).dtype:
            raise TinyDeployError(f"the update '{u}' of parameter '{p}' is not an op output "
                                  "of its shape and dtype", file=src)
    if len({p for p, _ in updates}) != len(updates):
        raise TinyDeployError("a parameter is updated twice in one step", file=src)
    names = [op.name for op in g.ops]
    start = meta.get("start")
    if start is None:
        first = len(g.ops)
    elif start in names:
        first = names.index(start)
    else:
        raise TinyDeployError(f"the training part's first op '{start}' is not in the graph",
                              file=src)
    labels, loss = meta.get("labels"), meta.get("loss")
    for what, n in (("labels", labels), ("loss", loss)):
        if n is not None and n not in g.tensors:
            raise TinyDeployError(f"the {what} tensor '{n}' is not in the graph", file=src)
    return Training(updates, first, labels, loss)


def inference_ops(g) -> list:
    """The ops ``<name>_run`` runs: all, or those before the training part."""
    t = training(g)
    return list(g.ops) if t is None else list(g.ops[:t.start])


def with_values(g, values: dict):
    """``g`` with the constant data of some tensors replaced (a training graph's
    parameters after a step)."""
    tensors = dict(g.tensors)
    for n, v in values.items():
        t = tensors[n]
        tensors[n] = replace(t, data=np.ascontiguousarray(v, dtype=t.np_dtype).reshape(t.shape))
    return type(g)(g.name, tensors, list(g.ops), list(g.inputs), list(g.outputs), g.source,
                   dict(g.meta))


def steps_in_place(g) -> bool:
    """Whether every call of ``<name>_run`` is a step that updates the parameters (an ONNX
    Runtime training graph compiled as it is), so consecutive calls see new values."""
    t = training(g)
    return t is not None and t.start == len(g.ops) and bool(t.updates)
