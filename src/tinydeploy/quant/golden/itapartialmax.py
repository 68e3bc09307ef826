"""itapartialmax: ITA's streaming shift softmax (Deeploy ``ITAPartialMax_s8``), row by row
over the last axis, in groups of ``group_width`` columns (the row length a multiple):

    stage 1, per group g:  M_g = max(M_{g-1}, max of the group)     (M_0 = -128)
                           P = (P >> d) + sum over the group of (256 >> ((M_g - x + 16) >> 5))
                           with d = (M_g - M_{g-1} + 16) >> 5 where the max grew, else 0
    stage 2:               y = (127 * 256 / P) >> ((M - x + 16) >> 5)      in [0, 127]

as the C kernel states it (its output scale is 127, not 255, "until sumdot is fixed"),
on the stored int8 values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register, require_same_size
from tinydeploy.quant.golden._integer import dtypes, require, rows, zp


@dataclass(frozen=True, eq=False)
class ITAPartialMaxArgs(KernelArgs):
    C_FUNC = "td_itapartialmax_s8"

    rows: int
    length: int               # row length (last axis)
    group_width: int          # columns per group (divides length)
    out_offset: int           # zero point of the output


def prepare(g: Graph, op: Op) -> ITAPartialMaxArgs:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    dtypes(op, x, ("int8",), "input")
    dtypes(op, y, ("int8",), "output")
    require(zp(x) == 0, op, "the input must hold signed values (zero point 0)")
    require(int(op.attrs.get("n_levels", 256)) == 256, op, "n_levels must be 256")
    n_rows, length = rows(x)
    gw = int(op.attrs["group_width"])
    require(gw >= 1 and length % gw == 0, op, f"group width {gw} does not divide the row "
            f"length {length}")
    require(length <= 2**23, op, "rows longer than 2^23")
    require(zp(y) + 127 <= 127, op, "the output [0, 127] + zero point must fit int8")
    return ITAPartialMaxArgs(n_rows, length, gw, zp(y))


def run(a: ITAPartialMaxArgs, x: np.ndarray) -> np.ndarray:
    v = x.astype(np.int64).reshape(a.rows, a.length)
    out = np.empty_like(v)
    for r in range(a.rows):
        big, part = -128, 0
        for g0 in range(0, a.length, a.group_width):
            grp = v[r, g0:g0 + a.group_width]
            cur = int(grp.max())
            d = (cur - big + 16) >> 5 if cur > big else 0
            big = max(big, cur)
            part = (part >> d) + int((256 >> ((big - grp + 16) >> 5)).sum())
        inv = (127 * 256) // part
        out[r] = inv >> ((big - v[r] + 16) >> 5)
    return (out + a.out_offset).astype(np.int8).reshape(-1)


register("itapartialmax", prepare, run, ITAPartialMaxArgs)
