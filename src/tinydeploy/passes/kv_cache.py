"""KV caches of a language model's one-step graph, moved into memory the network owns.

A one-step graph (Deeploy's microLlama) takes each layer's key/value cache as an input,
concatenates the step's new rows to it along the time axis and returns the result as an
output. :func:`find_caches` recognises that by what the graph computes - a graph input
that is the first operand of a ``concat`` whose result is a graph output, the other
operand being rows computed from the step's inputs - never by names.

:func:`to_state` rewrites the graph for a decode loop: the cache becomes a *state tensor*
(``graph.meta["state"]``) with room for ``capacity`` tokens along its time axis, held in
the arena across calls; the concat becomes ``kv_append`` (the new rows written at the
current length, no copy of the cache); the products that read the concatenated value
read the state tensor in its first rows (``a_rows``/``b_rows`` of ``matmul``); the cache
input and output leave the graph's interface.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op, Tensor


@dataclass(frozen=True)
class Cache:
    input: str               # graph input: the cache so far
    output: str              # graph output: the cache with the step's rows
    value: str               # the concat's result (what the attention reads)
    op: str                  # the concat op
    axis: int                # time axis
    length: int              # tokens in the input cache
    rows: int                # new rows per step


def _alias_chain(g: Graph, name: str) -> tuple[list[Op], str | None]:
    """The reshape ops from ``name`` to a graph output (and that output), if any."""
    chain, cur = [], name
    while cur not in g.outputs:
        nxt = [op for op in g.consumers(cur) if op.kind == "reshape"]
        if len(nxt) != 1:
            return [], None
        chain.append(nxt[0])
        cur = nxt[0].outputs[0]
    return chain, cur


def find_caches(g: Graph) -> list[Cache]:
    out = []
    for op in g.ops:
        if op.kind != "concat" or len(op.inputs) != 2 or op.inputs[0] not in g.inputs:
            continue
        c, r, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
        axis = int(op.attrs["axis"]) % len(y.shape)
        _, o = _alias_chain(g, y.name)
        if o is None or g.t(o).size != y.size or c.dtype != y.dtype:
            continue
        out.append(Cache(c.name, o, y.name, op.name, axis, int(c.shape[axis]),
                         int(r.shape[axis])))
    return out


def to_state(g: Graph, caches: list[Cache], capacity: int) -> Graph:
    """``g`` with every cache held as state (see the module doc)."""
    tensors, ops = dict(g.tensors), []
    rename: dict[str, str] = {}
    drop: set[str] = set()
    state = []
    for k, c in enumerate(caches):
        y = g.t(c.value)
        if c.length + c.rows > capacity:
            raise UnsupportedError(f"KV cache '{c.input}': {c.length} + {c.rows} tokens "
                                   f"exceed the context of {capacity}", node=c.op)
        shape = list(y.shape)
        shape[c.axis] = capacity
        s = f"kv{k}"
        while s in tensors:
            s += "_"
        tensors[s] = Tensor(s, tuple(shape), y.dtype, y.quant)
        rename[c.value] = s
        state.append(s)
        chain, _ = _alias_chain(g, c.value)
        drop.update(op.name for op in chain)
    by_value = {c.value: c for c in caches}
    for op in g.ops:
        if op.name in drop:
            continue
        c = next((x for x in caches if x.op == op.name), None)
        if c is not None:
            ops.append(Op("kv_append", op.name, (op.inputs[1],), (rename[c.value],),
                          {"axis": c.axis, "at": c.length}))
            continue
        hit = [n for n in op.inputs if n in rename]
        if hit:
            ops.append(_reader(g, op, hit, by_value, rename))
        else:
            ops.append(op)
    inputs = [n for n in g.inputs if n not in {c.input for c in caches}]
    outputs = [n for n in g.outputs if n not in {c.output for c in caches}]
    meta = dict(g.meta)
    meta["state"] = state
    meta["kv_caches"] = [{"state": s, "input": c.input, "output": c.output, "axis": c.axis,
                          "capacity": capacity, "rows": c.rows}
                         for s, c in zip(state, caches)]
    return Graph(g.name, tensors, ops, inputs, outputs, g.source, meta)


def _reader(g: Graph, op: Op, hit: list[str], by_value: dict, rename: dict) -> Op:
    """An op reading a concatenated cache, reading the state tensor's first rows."""
    if op.kind != "matmul":
        raise UnsupportedError(f"the KV cache '{hit[0]}' feeds a {op.kind}: only matrix "
                               "products may read a cache held across calls", node=op.name)
    attrs = dict(op.attrs)
    for role, name in zip(("a", "b"), op.inputs[:2]):
        if name in by_value:
            c = by_value[name]
            t = g.t(name)
            if c.axis != len(t.shape) - 2:
                raise UnsupportedError(f"the KV cache '{name}' grows along axis {c.axis}, "
                                       "not the rows of the product's operand", node=op.name)
            attrs[f"{role}_rows"] = int(t.shape[c.axis])
    return op.with_(inputs=tuple(rename.get(n, n) for n in op.inputs), attrs=attrs)
