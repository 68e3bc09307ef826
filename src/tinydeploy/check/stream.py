"""The reference of a project compiled with ``--stream`` (passes/streaming.py): the
reference interpreter runs the model as its file gives it, on the whole sequence, so
the records (one time step each) are laid side by side along each input's time axis,
the first ``L`` of them (``L``: the model's sequence length; later positions zero), and
the reference's output at step ``t`` is compared with the C program's ``t``-th call. The
network is causal, so what follows step ``t`` does not change its output; steps past
``L`` have no whole-sequence reference (the golden, which carries the histories as the C
program does, still checks every step)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from tinydeploy.frontend import load_model
from tinydeploy.ir.graph import Graph
from tinydeploy.lowered import Lowered


def stream_reference(low: Lowered, model: str, records: list,
                     reference: Callable[[Graph, str, list], tuple[str, list]]
                     ) -> tuple[str, list[list[np.ndarray]]]:
    """(reference name, outputs per record) for the first ``min(len(records), L)``
    records; ``reference(graph, model, records)`` runs the model's own reference on
    records of the sequence graph ``graph``."""
    info = low.graph.meta["stream"]
    seq = load_model(model, **low.options.frontend())
    n = min(len(records), int(info["length"]))
    if n == 0:
        return "the whole-sequence model", []
    rec = []
    for k, name in enumerate(seq.inputs):
        t, axis = seq.t(name), info["input_axes"][name]
        step = tuple(1 if j == axis else d for j, d in enumerate(t.shape))
        full = np.zeros(t.shape, t.np_dtype)
        at = [slice(None)] * len(t.shape)
        at[axis] = slice(0, n)
        full[tuple(at)] = np.concatenate([np.asarray(r[k]).reshape(step) for r in records[:n]],
                                         axis=axis)
        rec.append(full)
    name, outs = reference(seq, model, [rec])
    if not outs:
        return name, []
    ys = [np.asarray(y).reshape(seq.t(o).shape) for y, o in zip(outs[0], seq.outputs)]
    axes = [info["output_axes"][o] for o in seq.outputs]
    steps = [[np.take(y, [s], axis=a) for y, a in zip(ys, axes)] for s in range(n)]
    return f"{name} (the whole sequence, first {n} steps)", steps
