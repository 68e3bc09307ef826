"""Depth-first attention: multi-head attention computed head by head (and row block by
row block), so the score matrices of all heads never exist at once.

An attention is found by what the graph computes, not by names: a ``matmul`` (the scores
``Q K^T``) whose output goes, through a chain of row-local ops (requant, add/mul with a
broadcast operand such as a mask, softmaxes, norms, activations: each output row depends
only on the same row of its input, and each chain tensor has that one reader), into the
first operand of a second ``matmul`` (``P V``). Rows are the last axis but one; the
leading axes (batch, heads) are the blocks' index.

The rewrite replaces the pair and its chain by one block per output index (b, h) and row
range: ``slice`` ops cut the block's rows of Q and its head of K and V (from the input of
a ``transpose`` feeding the product, when that transpose has no other reader, and the
small slice is transposed instead: the whole transposed tensor disappears), the chain runs
on the block, and an ``insert`` writes the block's result into the output in place of the
previous block's (memory/lifetimes.py; the first block is padded to the whole shape), so
the output is written once. Every block op is
one of the original kinds on a sub-tensor: the numbers are those of the unsplit graph,
bit for bit (each output row of the chain depends only on its own rows of the inputs).

Ops that sat between the two products without depending on the chain (V's projection, the
mask's requant) move before the blocks. Whether the split is worth it is decided by the
memory plan (:func:`tinydeploy.compiler.lower` compares the arena with and without it and
records both in ``graph.meta["depth_first"]`` for the report). Decode graphs (KV caches as
state, ``a_rows``/``b_rows`` views) are left alone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np

from tinydeploy.ir.graph import Graph, Op, Tensor

ROW_LOCAL = ("requant", "add", "mul", "igelu", "ihardswish", "lut", "isoftmax", "itamax",
             "itapartialmax", "softmax_exp", "ilayernorm", "irmsnorm")


@dataclass(frozen=True)
class Attention:
    """Indices into ``g.ops`` of the scores product, its chain and the values product."""

    qk: int
    chain: tuple[int, ...]
    pv: int


def _readers(g: Graph) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, op in enumerate(g.ops):
        for n in dict.fromkeys(op.inputs):
            if n:
                out.setdefault(n, []).append(i)
    return out


def _plain_matmul(op: Op) -> bool:
    return op.kind == "matmul" and not {"a_rows", "b_rows"} & set(op.attrs) and \
        len(op.outputs) == 1


def _chain_step(g: Graph, op: Op, cur: str) -> bool:
    """``op`` is a row-local step of the chain reading ``cur`` (its shape unchanged)."""
    if op.kind not in ROW_LOCAL or len(op.outputs) != 1:
        return False
    y = g.t(op.outputs[0])
    if tuple(y.shape) != tuple(g.t(cur).shape):
        return False
    return op.inputs[0] == cur or (op.kind in ("add", "mul") and op.inputs[1] == cur)


def find(g: Graph) -> list[Attention]:
    """Every attention of ``g`` (module doc), in schedule order."""
    if g.meta.get("state"):
        return []
    readers, found = _readers(g), []
    for i, op in enumerate(g.ops):
        if not _plain_matmul(op) or len(g.t(op.outputs[0]).shape) < 3:
            continue
        cur, chain = op.outputs[0], []
        while cur not in g.outputs and len(readers.get(cur, [])) == 1:
            j = readers[cur][0]
            nxt = g.ops[j]
            if _plain_matmul(nxt) and nxt.inputs[0] == cur and \
                    not nxt.attrs.get("trans_a") and _shapes_ok(g, op, nxt):
                found.append(Attention(i, tuple(chain), j))
                break
            if not _chain_step(g, nxt, cur) or nxt.inputs.count(cur) != 1:
                break
            chain.append(j)
            cur = nxt.outputs[0]
    return found


def _shapes_ok(g: Graph, qk: Op, pv: Op) -> bool:
    s, o = g.t(qk.outputs[0]).shape, g.t(pv.outputs[0]).shape
    return len(s) == len(o) and tuple(s[:-1]) == tuple(o[:-1])


class _Block:
    """Builds the ops of one block: (output batch index, rows r0:r1)."""

    def __init__(self, g: Graph, att: Attention, index: tuple[int, ...], rows: range,
                 tag: str, shared: dict):
        self.g, self.att, self.index, self.r0, self.r1 = g, att, index, rows.start, rows.stop
        self.tag, self.new, self.dropped = tag, shared["tensors"], shared["dropped"]
        self.readers, self.cache = shared["readers"], shared["cache"]
        self.ops: list[Op] = []
        self.nb = len(index)

    def tensor(self, like: Tensor, shape, suffix: str, data=None) -> str:
        name = f"{like.name}@{self.tag}{suffix}"
        self.new[name] = Tensor(name, tuple(int(d) for d in shape), like.dtype, like.quant,
                                data)
        return name

    def region(self, shape, rows_axis: int | None, rank: int):
        """(starts, sizes) of this block in a tensor of ``shape`` right-aligned to a
        ``rank``-dim output whose rows are axis rank - 2 (``rows_axis``: the tensor's
        axis holding those rows, None when it holds none)."""
        lead = rank - len(shape)
        starts, sizes = [], []
        for d, n in enumerate(shape):
            big = d + lead
            if big < self.nb and n > 1:
                starts.append(self.index[big])
                sizes.append(1)
            elif d == rows_axis and n > 1:
                starts.append(self.r0)
                sizes.append(self.r1 - self.r0)
            else:
                starts.append(0)
                sizes.append(n)
        return starts, sizes

    def cut(self, name: str, rows_axis: int | None, rank: int, reader: int) -> str:
        """The block's part of tensor ``name`` (read by op ``reader``): the tensor itself
        when the block covers it, a sliced constant, or a slice op (of a transpose's input
        when the transpose feeds only this reader)."""
        t = self.g.t(name)
        starts, sizes = self.region(t.shape, rows_axis, rank)
        if list(sizes) == list(t.shape):
            return name
        key = (name, tuple(starts), tuple(sizes))
        if key not in self.cache:            # K and V of a head: once for its row blocks
            self.cache[key] = self._cut(name, t, starts, sizes, reader)
        return self.cache[key]

    def _cut(self, name: str, t: Tensor, starts, sizes, reader: int) -> str:
        if t.is_const:
            idx = tuple(slice(s, s + n) for s, n in zip(starts, sizes))
            return self.tensor(t, sizes, "", np.ascontiguousarray(t.data[idx]))
        prod = self.g.producer(name)
        if prod is not None and prod.kind == "transpose" and name not in self.g.outputs \
                and self.readers.get(name) == [reader]:
            return self._cut_transposed(prod, starts, sizes)
        out = self.tensor(t, sizes, "")
        self.ops.append(Op("slice", f"{name}@{self.tag}", (name,), (out,),
                           {"starts": tuple(starts), "steps": (1,) * len(starts)}))
        return out

    def _cut_transposed(self, tr: Op, starts, sizes) -> str:
        self.dropped.add(self.g.ops.index(tr))
        perm = [int(p) for p in tr.attrs["perm"]]
        x = self.g.t(tr.inputs[0])
        xs, xn = [0] * len(perm), list(x.shape)
        for d, p in enumerate(perm):
            xs[p], xn[p] = starts[d], sizes[d]
        part = self.tensor(x, xn, "")
        self.ops.append(Op("slice", f"{x.name}@{self.tag}", (x.name,), (part,),
                           {"starts": tuple(xs), "steps": (1,) * len(xs)}))
        y = self.g.t(tr.outputs[0])
        out = self.tensor(y, sizes, "")
        moved = [d for d in perm if xn[d] > 1]
        kind, attrs = ("reshape", {}) if moved == sorted(moved) else \
            ("transpose", {"perm": tuple(perm)})
        self.ops.append(Op(kind, f"{tr.name}@{self.tag}", (part,), (out,), attrs))
        return out

    def clone(self, op: Op, inputs, like: Tensor) -> str:
        """``op`` on the block: its output is the block's rows of ``like``."""
        shape = (1,) * self.nb + (self.r1 - self.r0, like.shape[-1])
        out = self.tensor(like, shape, "")
        attrs = dict(op.attrs)
        fused = attrs.get("requant")
        if fused is not None:               # the int32 sum inside a fused op: same block
            acc = fused.acc
            attrs["requant"] = replace(fused, acc=Tensor(f"{acc.name}@{self.tag}", shape,
                                                         acc.dtype, acc.quant))
        self.ops.append(op.with_(name=f"{op.name}@{self.tag}", inputs=tuple(inputs),
                                 outputs=(out,), attrs=attrs))
        return out

    def _rows_axis(self, name: str, rank: int) -> int | None:
        """The axis holding the output's rows in a tensor right-aligned to it."""
        d = len(self.g.t(name).shape) - 2
        return d if d >= 0 else None

    def build(self) -> str:
        """The block's ops (in ``self.ops``); returns the block's result tensor."""
        g, att = self.g, self.att
        qk, pv = g.ops[att.qk], g.ops[att.pv]
        scores = g.t(qk.outputs[0])
        rank = len(scores.shape)
        a = g.t(qk.inputs[0])
        a_rows = len(a.shape) - (1 if qk.attrs.get("trans_a") else 2)
        ins = [self.cut(qk.inputs[0], a_rows, rank, att.qk),
               self.cut(qk.inputs[1], None, rank, att.qk)]
        ins += [self.cut(n, self._rows_axis(n, rank), rank, att.qk) if n else n
                for n in qk.inputs[2:]]
        cur, prev = self.clone(qk, ins, scores), qk.outputs[0]
        for j in att.chain:
            op = g.ops[j]
            ins = [cur if n == prev else
                   self.cut(n, self._rows_axis(n, rank), rank, j) if n else n
                   for n in op.inputs]
            prev = op.outputs[0]
            cur = self.clone(op, ins, g.t(prev))
        ins = [cur, self.cut(pv.inputs[1], None, rank, att.pv)]
        ins += [self.cut(n, self._rows_axis(n, rank), rank, att.pv) if n else n
                for n in pv.inputs[2:]]
        return self.clone(pv, ins, g.t(pv.outputs[0]))


def _blocks(shape, rows: int) -> list[tuple[tuple[int, ...], range]]:
    """(batch index, row range) of every block of an output of ``shape``."""
    m = shape[-2]
    spans = [range(r, min(r + rows, m)) for r in range(0, m, rows)]
    return [(idx, r) for idx in itertools.product(*(range(n) for n in shape[:-2]))
            for r in spans]


def split(g: Graph, rows: int | None = None) -> Graph:
    """``g`` with every attention computed block by block: one block per head (output
    batch index) and per ``rows`` rows (None: all rows)."""
    atts = find(g)
    shared = {"tensors": {}, "dropped": set(), "readers": _readers(g), "cache": {}}
    replaced: dict[int, list[Op]] = {}
    for n_att, att in enumerate(atts):
        pv = g.ops[att.pv]
        out = g.t(pv.outputs[0])
        blocks = _blocks(g.t(g.ops[att.qk].outputs[0]).shape, rows or out.shape[-2])
        if len(blocks) < 2:
            continue
        ops, base = [], ""
        for k, (index, span) in enumerate(blocks):
            b = _Block(g, att, index, span, f"df{n_att}.{k}", shared)
            res = b.build()
            dst = out.name if k == len(blocks) - 1 else f"{out.name}@df{n_att}.{k}.acc"
            if dst != out.name:
                shared["tensors"][dst] = Tensor(dst, out.shape, out.dtype, out.quant)
            starts = (*index, span.start, 0)
            if base:
                b.ops.append(Op("insert", f"{pv.name}@{b.tag}.insert", (base, res), (dst,),
                                {"starts": starts}))
            else:                            # the first block, padded to the whole shape
                pads = tuple((s, n - s - m) for s, n, m in
                             zip(starts, out.shape, shared["tensors"][res].shape))
                b.ops.append(Op("pad", f"{pv.name}@{b.tag}.pad", (res,), (dst,),
                                {"pads": pads, "value": 0}))
            ops += b.ops
            base = dst
        replaced[att.pv] = ops
    if not replaced:
        return g
    gone = {i for att in atts if att.pv in replaced for i in (att.qk, *att.chain)}
    gone |= shared["dropped"]
    ops = []
    for i, op in enumerate(g.ops):
        if i in replaced:
            ops += replaced[i]
        elif i not in gone:
            ops.append(op)
    dead = {n for i in gone for n in g.ops[i].outputs}
    tensors = {n: t for n, t in g.tensors.items() if n not in dead}
    tensors.update(shared["tensors"])
    return type(g)(g.name, tensors, ops, list(g.inputs), list(g.outputs), g.source,
                   dict(g.meta))


MAX_BLOCKS = 64          # blocks per attention: code size grows with them


def choose(g: Graph, arena) -> Graph:
    """``g`` or its depth-first form, whichever ``arena(graph)`` (the planned arena
    bytes) finds smaller: per head, or per head and quarter/half of the rows where that
    is smaller still. Records ``meta["depth_first"]`` = {attentions, without, with,
    applied, rows} (``with``: the best split's arena, even when not applied)."""
    atts = find(g)
    if not atts:
        return g
    m = max(g.t(g.ops[a.qk].outputs[0]).shape[-2] for a in atts)
    heads = max(int(np.prod(g.t(g.ops[a.qk].outputs[0]).shape[:-2])) for a in atts)
    without, best, best_bytes, best_rows = arena(g), None, None, None
    for rows in sorted({m, -(-m // 2), -(-m // 4)}, reverse=True):
        if heads * -(-m // rows) > MAX_BLOCKS:
            continue
        h = split(g, rows)
        if h is g:
            continue
        b = arena(h)
        if best_bytes is None or b < best_bytes:
            best, best_bytes, best_rows = h, b, rows
    if best is None:
        return g
    applied = best_bytes < without
    out = best if applied else g
    out.meta["depth_first"] = {"attentions": len(atts), "without": without,
                               "with": best_bytes, "applied": applied,
                               "rows": None if best_rows == m else best_rows}
    return out
