"""slice: a strided view of a tensor copied out, elements of any integer type.

    y[i_0, .., i_n] = x[starts_0 + i_0 * steps_0, .., starts_n + i_n * steps_n]

(ONNX Slice with its ends resolved into the output shape; steps may be negative). The
kernel (``td_strided_copy_any``) walks the output in row-major order and reads element
``offset + sum(i_d * in_strides[d])`` of the input, ``elem_bytes`` bytes each; the same
kernel copies a transpose of 16/32-bit elements (:mod:`.transpose_any`), whose strides
are a permutation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._integer import ELEM_BYTES, MAX_DIMS, dtypes, padded, require, zp

MOVABLE = ("int8", "uint8", "int16", "int32")


@dataclass(frozen=True, eq=False)
class StridedCopyArgs(KernelArgs):
    C_FUNC = "td_strided_copy_any"

    elem_bytes: int           # 1, 2 or 4
    in_offset: int            # element index of y[0, .., 0] in x
    in_size: int              # elements of x (the kernel reads only inside it)
    out_shape: np.ndarray = array_field()     # [MAX_DIMS] leading 1s
    in_strides: np.ndarray = array_field()    # [MAX_DIMS] element strides (may be < 0)


def row_strides(shape) -> list[int]:
    return [int(np.prod(shape[d + 1:], dtype=np.int64)) for d in range(len(shape))]


def check_copy(op: Op, x, y) -> None:
    dtypes(op, x, MOVABLE, "input")
    require(x.dtype == y.dtype and zp(x) == zp(y), op,
            f"'{x.name}' ({x.dtype}, zero point {zp(x)}) and '{y.name}' ({y.dtype}, zero "
            f"point {zp(y)}) differ: a copy cannot convert")
    require(len(x.shape) <= MAX_DIMS, op, f"more than {MAX_DIMS} dims")


def prepare(g: Graph, op: Op) -> StridedCopyArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    check_copy(op, x, y)
    starts = [int(v) for v in op.attrs["starts"]]
    steps = [int(v) for v in op.attrs["steps"]]
    require(len(starts) == len(steps) == len(x.shape) == len(y.shape), op,
            "one start and step per axis")
    for d, (s0, st, n_in, n_out) in enumerate(zip(starts, steps, x.shape, y.shape)):
        last = s0 + (n_out - 1) * st
        require(st != 0 and 0 <= s0 < n_in and 0 <= last < n_in, op,
                f"axis {d}: start {s0}, step {st}, {n_out} elements leave [0, {n_in})")
    rs = row_strides(x.shape)
    off = sum(s0 * r for s0, r in zip(starts, rs))
    return StridedCopyArgs(ELEM_BYTES[x.dtype], off, x.size, padded(y.shape, 1),
                           padded([st * r for st, r in zip(steps, rs)], 0))


def run(a: StridedCopyArgs, x: np.ndarray) -> np.ndarray:
    flat = np.ascontiguousarray(x).reshape(-1)
    idx = np.full(tuple(int(d) for d in a.out_shape), a.in_offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(a.out_shape, a.in_strides)):
        shape = [1] * MAX_DIMS
        shape[d] = int(n)
        idx = idx + (np.arange(int(n), dtype=np.int64) * int(s)).reshape(shape)
    return flat[idx.reshape(-1)]


register("slice", prepare, run, StridedCopyArgs)
