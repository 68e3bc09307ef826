"""itamax: ITA's shift softmax (Deeploy ``ITAMax``, quantlib ``PACTIntegerITAMax``), row by
row over the last axis, for 256 output levels (what ``ITAMax_s8`` implements):

    s = (max(x) - x + 16) >> 5            (x / 32 rounded: the input scale is 8 / 256)
    S = sum(256 >> s)
    y = ((n_levels - 1) * 256 / S) >> s   (integer division)  in [0, 255]

on the stored values (the zero point cancels in max(x) - x).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register, require_same_size
from tinydeploy.quant.golden._integer import dtypes, require, rows, zp


@dataclass(frozen=True, eq=False)
class ITAMaxArgs(KernelArgs):
    C_FUNC = "td_itamax_s8"

    rows: int
    length: int               # row length (last axis)
    out_offset: int           # zero point of the output


def prepare(g: Graph, op: Op) -> ITAMaxArgs:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    dtypes(op, x, ("int8",), "input")
    dtypes(op, y, ("int8",), "output")
    require(int(op.attrs.get("n_levels", 256)) == 256, op,
            f"n_levels {op.attrs.get('n_levels')} (ITAMax is defined for 256 levels)")
    require(zp(y) == -128, op, "the output [0, 255] needs zero point -128")
    n_rows, length = rows(x)
    require(length <= 2**23, op, "rows longer than 2^23")
    return ITAMaxArgs(n_rows, length, zp(y))


def shifts(x: np.ndarray, n_rows: int, length: int) -> np.ndarray:
    v = x.astype(np.int64).reshape(n_rows, length)
    return (v.max(axis=1, keepdims=True) - v + 16) >> 5


def run(a: ITAMaxArgs, x: np.ndarray) -> np.ndarray:
    s = shifts(x, a.rows, a.length)
    inv = (255 * 256) // (256 >> s).sum(axis=1, keepdims=True)
    return ((inv >> s) + a.out_offset).astype(np.int8).reshape(-1)


register("itamax", prepare, run, ITAMaxArgs)
