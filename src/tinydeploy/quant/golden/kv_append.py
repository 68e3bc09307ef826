"""kv_append: the new key/value rows of one decode step written into a KV cache that lives
across calls (a state tensor of the graph, ``graph.meta["state"]``, with room for the
maximum context along ``axis``). Seen as [outer, capacity, row] (``row``: elements after
the axis), the op writes ``rows`` new rows at row ``at`` of every outer slice; the rows
before ``at`` are the ones earlier steps wrote and stay. No copy of the cache is made.

The arithmetic of a decode step is the one-step graph's (whose golden, evaluated at each
cache length, is the spec of every step); this op only says where the rows go, so its
``run`` takes the cache as it was before the step (``cache``) and returns it updated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._integer import ELEM_BYTES, require
from tinydeploy.quant.golden.slice import check_copy


@dataclass(frozen=True, eq=False)
class KvAppendArgs(KernelArgs):
    C_FUNC = "td_kv_append_any"

    elem_bytes: int           # 1, 2 or 4
    outer: int                # product of the dims before the time axis
    rows: int                 # new rows per step
    row: int                  # elements per row (product of the dims after the axis)
    capacity: int             # rows the cache holds
    at: int                   # first row written (tokens already cached)


def prepare(g: Graph, op: Op) -> KvAppendArgs:
    new, cache = g.t(op.inputs[0]), g.t(op.outputs[0])
    check_copy(op, new, cache)
    axis = int(op.attrs["axis"]) % len(cache.shape)
    require(len(new.shape) == len(cache.shape) and all(
        a == b for d, (a, b) in enumerate(zip(new.shape, cache.shape)) if d != axis), op,
        f"new rows {list(new.shape)} do not fit the cache {list(cache.shape)}")
    at, rows, cap = int(op.attrs["at"]), int(new.shape[axis]), int(cache.shape[axis])
    require(0 <= at and at + rows <= cap, op, f"rows {at}..{at + rows} beyond the "
            f"cache's {cap}")
    return KvAppendArgs(ELEM_BYTES[cache.dtype], int(np.prod(cache.shape[:axis])), rows,
                        int(np.prod(cache.shape[axis + 1:])), cap, at)


def run(a: KvAppendArgs, new: np.ndarray, cache: np.ndarray | None = None) -> np.ndarray:
    out = np.zeros(a.outer * a.capacity * a.row, new.dtype) if cache is None else \
        np.array(cache).reshape(-1).copy()
    view = out.reshape(a.outer, a.capacity, a.row)
    view[:, a.at:a.at + a.rows, :] = new.reshape(a.outer, a.rows, a.row)
    return out


register("kv_append", prepare, run, KvAppendArgs)
