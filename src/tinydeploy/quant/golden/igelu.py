"""igelu: the I-BERT integer GELU of Deeploy (``iGELU``), elementwise, int8 -> int32:

    L = sign(x) * (one - (min(|x|, -b) + b)^2)
    y = x * ((one + L) >> 1)

on the source values x (stored + ``x_offset``), as quantlib's ``PACTIntegerGELU`` and
Deeploy's ``GELU_s8_s32``. With a ``requant`` after it, :mod:`.fused_requant` makes it one
kernel with an int8 output (``td_igelu_s8_rq``, Deeploy's ``RequantizediGELU``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register, require_same_size
from tinydeploy.quant.golden._integer import dtypes, offset, require


@dataclass(frozen=True, eq=False)
class IGeluS32Args(KernelArgs):
    C_FUNC = "td_igelu_s8_s32"

    size: int
    channels: int             # last axis (a fused requant's arrays have this length)
    x_offset: int             # -zero point of the input
    b: int                    # < 0
    one: int


def prepare(g: Graph, op: Op) -> IGeluS32Args:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    dtypes(op, x, ("int8",), "input")
    dtypes(op, y, ("int32",), "output")
    b, one = int(op.attrs["b"]), int(op.attrs["one"])
    require(-2**15 < b <= 0 and 0 <= one < 2**30, op, f"b = {b}, one = {one} out of range")
    require(256 * (one + b * b + abs(one)) < 2**31, op, "the product can exceed int32")
    return IGeluS32Args(x.size, int(x.shape[-1]) if x.shape else 1, offset(x), b, one)


def run(a: IGeluS32Args, x: np.ndarray) -> np.ndarray:
    v = x.astype(np.int64) + a.x_offset
    d = np.minimum(np.abs(v), -a.b) + a.b
    big_l = np.sign(v) * (a.one - d * d)
    return (v * ((a.one + big_l) >> 1)).astype(np.int32).reshape(-1)


register("igelu", prepare, run, IGeluS32Args)
