"""Handlers of data movement in integer graphs: Transpose, Reshape, Flatten, Squeeze,
Unsqueeze, Identity, Concat, Slice, Gather, Pad.

A Transpose moves no byte here (the value records the new order, :func:`permuted`); a
reshape is a view of the source order. Concat drops empty (zero-size) inputs - an empty
KV cache - and stores its inputs alike first (same dtype and zero point).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_ops import axis_of, pad_amounts, reshape_target
from tinydeploy.frontend.onnx_facts import attrs, opt
from tinydeploy.frontend.pulp.integer.params import exact_ints
from tinydeploy.frontend.pulp.integer.values import Builder, TVal, permuted, storage


def transpose(b: Builder, node) -> None:
    v = b.val(node.input[0])
    rank = len(v.shape)
    perm = tuple(int(p) for p in attrs(node).get("perm", range(rank - 1, -1, -1)))
    if sorted(perm) != list(range(rank)):
        raise b.error(f"perm {list(perm)} is not a permutation of {rank} axes",
                      TinyDeployError)
    if v.empty:
        b.vals[node.output[0]] = replace(v, shape=tuple(v.shape[p] for p in perm))
        return
    b.vals[node.output[0]] = permuted(v, perm)


def reshape(b: Builder, node) -> None:
    v = b.val(node.input[0])
    if v.empty:
        raise b.error("an empty (zero-size) value can only be concatenated")
    shape = reshape_target(b, node, v.shape)
    b.vals[node.output[0]] = b.reshaped(v, tuple(shape), base=node.output[0])


def identity(b: Builder, node) -> None:
    b.vals[node.output[0]] = b.val(node.input[0])


def concat(b: Builder, node) -> None:
    vals = [b.val(n) for n in node.input if n]
    rank = len(vals[0].shape)
    axis = axis_of(b, attrs(node).get("axis", 0), rank)
    for v in vals:
        if len(v.shape) != rank or any(v.shape[d] != vals[0].shape[d]
                                       for d in range(rank) if d != axis):
            raise b.error(f"Concat of {[list(x.shape) for x in vals]} on axis {axis}")
    full = [b.applied(v) for v in vals if not v.empty]
    if not full:
        raise b.error("Concat of empty values only")
    lo, hi = min(v.lo for v in full), max(v.hi for v in full)
    if len(full) == 1:
        b.vals[node.output[0]] = full[0]
        return
    dtype, zp = storage(lo, hi)
    irs = [b.restored(b.contiguous(v), dtype, zp) for v in full]
    shape = list(full[0].shape)
    shape[axis] = sum(v.shape[axis] for v in full)
    if dtype == "int8":
        y = b.tensor(node.output[0], shape, dtype, zp)
        b.op("concat", [v.ir for v in irs], [y], axis=axis)
    else:                                         # 16/32-bit: pairwise (td_concat2_any)
        y, done = irs[0].ir, list(irs[0].shape)
        for k, v in enumerate(irs[1:]):
            done[axis] += v.shape[axis]
            z = b.tensor(node.output[0] if k == len(irs) - 2 else f"{node.output[0]}_{k}",
                         done, dtype, zp)
            b.op("concat", [y, v.ir], [z], name=z, axis=axis)
            y = z
    b.vals[node.output[0]] = TVal(y, tuple(shape), lo, hi)


def _slice_params(b: Builder, node, rank: int):
    a = attrs(node)
    if b.opset < 10 and "starts" in a:
        starts, ends = list(a["starts"]), list(a["ends"])
        axes = list(a.get("axes", range(len(starts))))
        steps = [1] * len(starts)
    else:
        def get(i, what, default=None):
            if opt(node, i):
                return exact_ints(b, b.const_of(node.input[i], what), what).reshape(-1).tolist()
            return default
        starts, ends = get(1, "starts"), get(2, "ends")
        axes = get(3, "axes", list(range(len(starts))))
        steps = get(4, "steps", [1] * len(starts))
    if not (len(starts) == len(ends) == len(axes) == len(steps)):
        raise b.error("starts, ends, axes and steps differ in length", TinyDeployError)
    return starts, ends, [axis_of(b, x, rank, "axes") for x in axes], steps


def slice_(b: Builder, node) -> None:
    v = b.contiguous(b.val(node.input[0]))
    rank = len(v.shape)
    start, step = [0] * rank, [1] * rank
    shape = list(v.shape)
    for s0, e0, ax, st in zip(*_slice_params(b, node, rank)):
        n = v.shape[ax]
        if st == 0:
            raise b.error("Slice step 0", TinyDeployError)
        r = range(n)[slice(int(s0), int(e0), int(st))]          # ONNX clamps like Python
        if len(r) == 0:
            raise b.error(f"Slice selects nothing on axis {ax}")
        start[ax], step[ax], shape[ax] = r.start, r.step, len(r)
    if shape == list(v.shape) and all(s == 1 for s in step):
        b.vals[node.output[0]] = v
        return
    t = b.t(v.ir)
    y = b.tensor(node.output[0], shape, t.dtype, t.quant.zp)
    b.op("slice", [v.ir], [y], starts=tuple(start), steps=tuple(step))
    b.vals[node.output[0]] = TVal(y, tuple(shape), v.lo, v.hi)


def gather(b: Builder, node) -> None:
    v = b.contiguous(b.val(node.input[0]))
    rank = len(v.shape)
    axis = axis_of(b, attrs(node).get("axis", 0), rank)
    idx = exact_ints(b, b.const_of(node.input[1], "indices"), "indices")
    n = v.shape[axis]
    if idx.size == 0 or idx.min() < -n or idx.max() >= n:
        raise b.error(f"indices outside [-{n}, {n})", TinyDeployError)
    idx = np.where(idx < 0, idx + n, idx)
    shape = tuple(v.shape[:axis]) + tuple(idx.shape) + tuple(v.shape[axis + 1:])
    t = b.t(v.ir)
    y = b.tensor(node.output[0], shape or (1,), t.dtype, t.quant.zp)
    b.op("gather", [v.ir], [y], axis=axis, indices=tuple(int(i) for i in idx.reshape(-1)))
    b.vals[node.output[0]] = TVal(y, shape or (1,), v.lo, v.hi)


def pad(b: Builder, node) -> None:
    v = b.contiguous(b.val(node.input[0]))
    rank = len(v.shape)
    pads = pad_amounts(b, node, rank)
    value = attrs(node).get("value", 0.0)
    if opt(node, 2):
        value = b.const_of(node.input[2], "constant_value")
    value = int(exact_ints(b, np.asarray(value).reshape(-1)[:1], "pad value")[0]) \
        if np.asarray(value).size else 0
    before, after = pads[:rank], pads[rank:]
    if any(p < 0 for p in pads):                    # cropping: a slice first
        start = [max(-p, 0) for p in before]
        shape = [n - max(-p, 0) - max(-q, 0) for n, p, q in zip(v.shape, before, after)]
        t = b.t(v.ir)
        y = b.tensor(f"{node.output[0]}_crop", shape, t.dtype, t.quant.zp)
        b.op("slice", [v.ir], [y], starts=tuple(start), steps=(1,) * rank)
        v = TVal(y, tuple(shape), v.lo, v.hi)
        before, after = [max(p, 0) for p in before], [max(q, 0) for q in after]
    lo, hi = min(v.lo, value), max(v.hi, value)
    dtype, zp = storage(lo, hi)
    v = b.restored(v, dtype, zp)
    shape = [n + p + q for n, p, q in zip(v.shape, before, after)]
    y = b.tensor(node.output[0], shape, dtype, zp)
    b.op("pad", [v.ir], [y], pads=tuple(zip(before, after)), value=value)
    b.vals[node.output[0]] = TVal(y, tuple(shape), lo, hi)


HANDLERS = {"Transpose": transpose, "Reshape": reshape, "Flatten": reshape,
            "Squeeze": reshape, "Unsqueeze": reshape, "Identity": identity,
            "Concat": concat, "Slice": slice_, "Gather": gather, "Pad": pad}
