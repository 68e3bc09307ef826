"""reduce: integer sum over axes, or its mean rounded half up, of 8-bit source values:

    s = sum over the reduced axes of x (stored + x_offset)
    y = s                          (mode 0, ReduceSum)
    y = floor((2 * s + n) / (2 n)) (mode 1: floor(mean + 1/2), n elements per output;
                                    quantlib's IntegerMean, Deeploy's ReduceMean)

The kernel walks the kept dims in output order and, per output, the reduced dims, each
given as (size, input stride) pairs left-extended to :data:`MAX_DIMS`. Outputs are int32
(``td_reduce_s8_s32``) or int8 (``td_reduce_s8_s8``, when the range allows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._integer import MAX_DIMS, dtypes, offset, padded, require, zp

MODES = {"sum": 0, "mean": 1}


@dataclass(frozen=True, eq=False)
class ReduceS32Args(KernelArgs):
    C_FUNC = "td_reduce_s8_s32"

    count: int                # elements per output
    mode: int                 # 0 sum, 1 mean rounded half up
    x_offset: int             # -zero point of the input
    out_offset: int           # zero point of the output
    keep_dims: np.ndarray = array_field()     # [MAX_DIMS] kept sizes, leading 1s
    keep_strides: np.ndarray = array_field()  # [MAX_DIMS] their input strides
    red_dims: np.ndarray = array_field()      # [MAX_DIMS] reduced sizes, leading 1s
    red_strides: np.ndarray = array_field()   # [MAX_DIMS] their input strides


@dataclass(frozen=True, eq=False)
class ReduceS8Args(ReduceS32Args):
    C_FUNC = "td_reduce_s8_s8"


def prepare(g: Graph, op: Op) -> ReduceS32Args:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    dtypes(op, x, ("int8",), "input")
    dtypes(op, y, ("int8", "int32"), "output")
    nd = len(x.shape)
    axes = sorted({int(a) % nd for a in op.attrs["axes"]}) if nd else []
    require(0 < nd <= MAX_DIMS and axes, op, f"reduce over {op.attrs['axes']} of a {nd}-D "
            "input")
    strides = [int(np.prod(x.shape[d + 1:], dtype=np.int64)) for d in range(nd)]
    keep = [(x.shape[d], strides[d]) for d in range(nd) if d not in axes]
    red = [(x.shape[d], strides[d]) for d in axes]
    count = int(np.prod([d for d, _ in red]))
    require(y.size == x.size // count, op, f"output {list(y.shape)} does not hold the "
            f"{x.size // count} results")
    require(count * 256 < 2**31, op, f"{count} elements per sum can overflow int32")
    mode = MODES[op.attrs.get("mode", "sum")]
    require(y.dtype == "int32" or (mode == 1 and zp(y) == zp(x)), op,
            "an int8 output holds means of an input with the same zero point only")
    cls = ReduceS8Args if y.dtype == "int8" else ReduceS32Args
    return cls(count, mode, offset(x), zp(y), padded([d for d, _ in keep], 1),
               padded([s for _, s in keep], 0), padded([d for d, _ in red], 1),
               padded([s for _, s in red], 0))


def run(a: ReduceS32Args, x: np.ndarray) -> np.ndarray:
    flat = np.ascontiguousarray(x, dtype=np.int64).reshape(-1)
    shape = tuple(int(d) for d in (*a.keep_dims, *a.red_dims))
    strides = tuple(8 * int(s) for s in (*a.keep_strides, *a.red_strides))
    v = np.lib.stride_tricks.as_strided(flat, shape, strides) + a.x_offset
    s = v.reshape(int(np.prod(a.keep_dims)), a.count).sum(axis=1)
    if a.mode == 1:
        s = (2 * s + a.count) // (2 * a.count)
    dt = np.int8 if isinstance(a, ReduceS8Args) else np.int32
    return (s + a.out_offset).astype(dt)


register("reduce", prepare, run, ReduceS32Args)
