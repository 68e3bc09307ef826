"""gather: ONNX Gather with constant indices, elements of any integer type.

The input is seen as [outer, axis, inner]; for each outer row the output takes the
``inner``-element blocks ``indices[0], indices[1], ..`` (each in [0, axis)). The kernel
(``td_gather_any``) copies ``inner * elem_bytes`` bytes per index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._integer import ELEM_BYTES, require
from tinydeploy.quant.golden.slice import check_copy


@dataclass(frozen=True, eq=False)
class GatherArgs(KernelArgs):
    C_FUNC = "td_gather_any"

    elem_bytes: int           # 1, 2 or 4
    outer: int                # product of the dims before the axis
    axis_len: int             # size of the gathered axis in the input
    inner: int                # elements per gathered block (product of the later dims)
    num_indices: int
    indices: np.ndarray = array_field()       # [num_indices], each in [0, axis_len)


def prepare(g: Graph, op: Op) -> GatherArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    check_copy(op, x, y)
    axis = int(op.attrs["axis"]) % max(len(x.shape), 1)
    idx = [int(i) for i in np.asarray(op.attrs["indices"]).ravel()]
    n = int(x.shape[axis])
    require(idx and all(0 <= i < n for i in idx), op, f"indices {idx[:8]} outside [0, {n})")
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    require(y.size == outer * len(idx) * inner, op, f"output {list(y.shape)} does not hold "
            "the gathered blocks")
    return GatherArgs(ELEM_BYTES[x.dtype], outer, n, inner, len(idx),
                      np.array(idx, dtype=np.int32))


def run(a: GatherArgs, x: np.ndarray) -> np.ndarray:
    v = np.ascontiguousarray(x).reshape(a.outer, a.axis_len, a.inner)
    return v[:, np.asarray(a.indices, dtype=np.int64), :].reshape(-1)


register("gather", prepare, run, GatherArgs)
