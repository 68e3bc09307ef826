"""Fuse each raw accumulator op into the ``requant`` that consumes it.

Integer-deployable graphs (NEMO, QuantLab, Deeploy) lower to conv2d / depthwise_conv2d /
fully_connected / add / sum_pool2d ops with an int32 output, each followed by a
``requant`` to int8/int16. The int32 tensor is a real activation of 4 bytes per element
(QuantLab's DVS CNN needs 640 KiB of arena for one, more than GAP8's L2). Where it feeds
exactly one ``requant`` and nothing else (and is no graph output), the pair becomes one
op of the accumulator's kind that writes the requantized values directly
(:mod:`tinydeploy.quant.golden.fused_requant`); the int32 tensor disappears from the graph,
so the memory planner never sees it.

The fused op takes the accumulator's place in the schedule, is named
``<accumulator>+<requant>`` (the report shows both), and keeps what the pair was in
``attrs["requant"]``. A pair without a fused kernel (e.g. requant to int32, packed
weights) is left as it is.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op, Tensor
from tinydeploy.quant.golden import conv_nchw, depthwise_nchw, golden
from tinydeploy.quant.golden.fused_requant import KINDS, FusedRequant, accumulate, prepare

# the int32 sums of layers reading or writing NCHW (passes/nchw_edges.py), per args type
NCHW = {depthwise_nchw.DepthwiseNchwArgs: depthwise_nchw.accumulate,
        conv_nchw.ConvNchwArgs: conv_nchw.accumulate}


def _uses(g: Graph) -> dict[str, list[int]]:
    """Tensor name -> indices of the ops reading it (once per op)."""
    out: dict[str, list[int]] = {}
    for i, op in enumerate(g.ops):
        for n in dict.fromkeys(op.inputs):
            if n:
                out.setdefault(n, []).append(i)
    return out


def _fused(g: Graph, op: Op, uses: dict[str, list[int]]) -> tuple[Op, int] | None:
    """(the fused op, index of the requant it absorbs), or None if ``op`` stays."""
    if op.kind not in KINDS or "requant" in op.attrs or len(op.outputs) != 1:
        return None
    acc = op.outputs[0]
    readers = uses.get(acc, [])
    if g.t(acc).dtype != "int32" or acc in g.outputs or len(readers) != 1:
        return None
    rq = g.ops[readers[0]]
    if rq.kind != "requant" or rq.inputs != (acc,):
        return None
    fused = op.with_(name=f"{op.name}+{rq.name}", outputs=rq.outputs,
                     attrs={**op.attrs,
                            "requant": FusedRequant(op.name, g.t(acc), rq.name,
                                                    dict(rq.attrs))})
    try:
        prepare(g, fused)             # only pairs a fused kernel implements
    except UnsupportedError:
        return None
    return fused, readers[0]


def fuse_requant(g: Graph) -> Graph:
    """``g`` with every fusable (accumulator, requant) pair as one op (module doc)."""
    uses = _uses(g)
    replaced: dict[int, Op] = {}
    absorbed: set[int] = set()
    for i, op in enumerate(g.ops):
        hit = _fused(g, op, uses)
        if hit is not None:
            replaced[i], j = hit
            absorbed.add(j)
    if not replaced:
        return g
    dead = {g.ops[i].outputs[0] for i in replaced}
    ops = [replaced.get(i, op) for i, op in enumerate(g.ops) if i not in absorbed]
    tensors = {n: t for n, t in g.tensors.items() if n not in dead}
    return type(g)(g.name, tensors, ops, list(g.inputs), list(g.outputs), g.source,
                   dict(g.meta))


def with_accumulators(g: Graph, values: dict[str, np.ndarray], args: dict | None = None,
                      labeled: bool = True) -> tuple[Graph, dict[str, np.ndarray]]:
    """``values`` (tensor name -> array, e.g. a C run's per-layer dumps) with, just before
    each fused op's output, the int32 accumulator the op computes internally: the golden
    accumulator of the op's inputs as given in ``values``. Deeploy's golden activations
    list these sums; the C never stores them. With ``labeled`` the entry's name says where
    it comes from, else it is the accumulator's own (source model) name; the returned graph
    view knows it as a tensor (for layouts and zero points).
    """
    tensors = dict(g.tensors)
    out: dict[str, np.ndarray] = {}
    fused = {op.outputs[0]: op for op in g.ops if "requant" in op.attrs}
    for name, v in values.items():
        op = fused.get(name)
        if op is not None and all(not n or n in values or g.t(n).is_const for n in op.inputs):
            f: FusedRequant = op.attrs["requant"]
            ins = [None if not n else g.t(n).data if g.t(n).is_const
                   else np.asarray(values[n]).reshape(g.t(n).shape) for n in op.inputs]
            label = (f"{f.acc.name} (int32 sum inside fused {op.name}, numpy golden)"
                     if labeled else f.acc.name)
            tensors[label] = Tensor(label, f.acc.shape, "int32", f.acc.quant)
            a = args[op.name] if args is not None else golden(op.kind).prepare(g, op)
            acc = NCHW[type(a)](a, *ins) if type(a) in NCHW else \
                accumulate(op.kind, a, *ins)     # (NCHW: passes/nchw_edges.py)
            out[label] = acc.reshape(f.acc.shape)
        out[name] = v
    view = type(g)(g.name, tensors, g.ops, list(g.inputs), list(g.outputs), g.source, g.meta)
    return view, out
