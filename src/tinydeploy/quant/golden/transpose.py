"""transpose (int8/uint8): output dim i = input dim perm[i]; a pure byte permutation.

The args give, for each output dim (left-extended to :data:`MAX_DIMS` with size 1), its
size and the stride of the matching input dim; the kernel walks the output in row-major
order and reads ``in[sum(i_d * in_strides[d])]``. uint8 tensors use ``td_transpose_u8``,
the same kernel over ``uint8_t`` (C will not pass a ``uint8_t *`` as ``int8_t *``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register

MAX_DIMS = 6


@dataclass(frozen=True, eq=False)
class TransposeArgs(KernelArgs):
    C_FUNC = "td_transpose_s8"

    out_shape: np.ndarray = array_field()     # [MAX_DIMS], leading 1s
    in_strides: np.ndarray = array_field()    # [MAX_DIMS] input stride of each output dim


@dataclass(frozen=True, eq=False)
class TransposeU8Args(TransposeArgs):
    C_FUNC = "td_transpose_u8"


def prepare(g: Graph, op: Op) -> TransposeArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != y.dtype or x.dtype not in ("int8", "uint8"):
        raise UnsupportedError(f"transpose supports int8/uint8 only, got {x.dtype} -> "
                               f"{y.dtype}", node=op.name)
    perm = [int(p) for p in op.attrs["perm"]]
    n = len(x.shape)
    if sorted(perm) != list(range(n)) or n > MAX_DIMS:
        raise UnsupportedError(f"transpose perm {perm} invalid for {n}-D input "
                               f"(at most {MAX_DIMS}-D)", node=op.name)
    out_shape = tuple(x.shape[p] for p in perm)
    if out_shape != tuple(y.shape):
        raise UnsupportedError(f"transpose output shape {y.shape} != {out_shape}",
                               node=op.name)
    strides = [int(np.prod(x.shape[d + 1:], dtype=np.int64)) for d in range(n)]
    pad = MAX_DIMS - n
    shape = np.array([1] * pad + list(out_shape), dtype=np.int32)
    in_strides = np.array([0] * pad + [strides[p] for p in perm], dtype=np.int32)
    cls = TransposeU8Args if x.dtype == "uint8" else TransposeArgs
    return cls(shape, in_strides)


def run(a: TransposeArgs, x: np.ndarray) -> np.ndarray:
    flat = np.ascontiguousarray(x).reshape(-1)
    strides = tuple(int(s) * flat.itemsize for s in a.in_strides)
    view = np.lib.stride_tricks.as_strided(flat, tuple(a.out_shape), strides, writeable=False)
    return view.copy()


register("transpose", prepare, run, TransposeArgs)
