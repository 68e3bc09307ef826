"""insert: a block written into a tensor, elements of any integer type.

    y = base;  y[starts_0 + i_0, .., starts_n + i_n] = src[i_0, .., i_n]

Depth-first attention (passes/depth_first.py) assembles each head's and row block's
result into the whole output this way (the first block padded to the whole shape), every
insert running in place of the previous one (memory/lifetimes.py), so the output is
written once and no concatenation copies it. The kernel (``td_insert_any``) copies base
unless it already is the output, then walks src in row-major order and writes element
``offset + sum(i_d * out_strides[d])`` of the output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._integer import ELEM_BYTES, MAX_DIMS, padded, require
from tinydeploy.quant.golden.slice import check_copy, row_strides


@dataclass(frozen=True, eq=False)
class InsertArgs(KernelArgs):
    C_FUNC = "td_insert_any"

    elem_bytes: int           # 1, 2 or 4
    out_size: int             # elements of the output (and of base)
    offset: int               # element index of src[0, .., 0] in the output
    src_shape: np.ndarray = array_field()     # [MAX_DIMS] leading 1s
    out_strides: np.ndarray = array_field()   # [MAX_DIMS] output element strides


def prepare(g: Graph, op: Op) -> InsertArgs:
    base, src, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    check_copy(op, src, y)
    check_copy(op, base, y)
    require(tuple(base.shape) == tuple(y.shape), op,
            f"base {list(base.shape)} and output {list(y.shape)} differ in shape")
    starts = [int(v) for v in op.attrs["starts"]]
    require(len(starts) == len(src.shape) == len(y.shape), op, "one start per axis")
    for d, (s0, n, m) in enumerate(zip(starts, src.shape, y.shape)):
        require(0 <= s0 and s0 + n <= m, op, f"axis {d}: {n} elements from {s0} leave "
                                             f"[0, {m})")
    rs = row_strides(y.shape)
    return InsertArgs(ELEM_BYTES[y.dtype], y.size, sum(s * r for s, r in zip(starts, rs)),
                      padded(src.shape, 1), padded(rs, 0))


def run(a: InsertArgs, base: np.ndarray, src: np.ndarray) -> np.ndarray:
    src = np.asarray(src).reshape(-1)
    y = np.array(base, dtype=src.dtype).reshape(-1)
    idx = np.full(tuple(int(d) for d in a.src_shape), a.offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(a.src_shape, a.out_strides)):
        shape = [1] * MAX_DIMS
        shape[d] = int(n)
        idx = idx + (np.arange(int(n), dtype=np.int64) * int(s)).reshape(shape)
    y[idx.reshape(-1)] = src
    return y


register("insert", prepare, run, InsertArgs)
