"""ihardswish: Deeploy's integer hard-swish (``iHardswish``), elementwise, int8 -> int32:

    y = x * (clip(x + three, 0, six) * one_over_six)

on the source values x (stored + ``x_offset``), as quantlib's ``PACTIntegerHardswish``.
With a ``requant`` after it, :mod:`.fused_requant` makes it one kernel with an int8
output (``td_ihardswish_s8_rq``, Deeploy's ``RequantizediHardswish``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register, require_same_size
from tinydeploy.quant.golden._integer import dtypes, offset, require


@dataclass(frozen=True, eq=False)
class IHardswishS32Args(KernelArgs):
    C_FUNC = "td_ihardswish_s8_s32"

    size: int
    channels: int             # last axis (a fused requant's arrays have this length)
    x_offset: int             # -zero point of the input
    one_over_six: int
    three: int
    six: int                  # >= 0


def prepare(g: Graph, op: Op) -> IHardswishS32Args:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    dtypes(op, x, ("int8",), "input")
    dtypes(op, y, ("int32",), "output")
    a = {k: int(op.attrs[k]) for k in ("one_over_six", "three", "six")}
    require(a["six"] >= 0 and abs(a["three"]) < 2**20, op, "six must be >= 0")
    require(256 * a["six"] * abs(a["one_over_six"]) < 2**31, op,
            "x * six * one_over_six can exceed int32")
    return IHardswishS32Args(x.size, int(x.shape[-1]) if x.shape else 1, offset(x), **a)


def run(a: IHardswishS32Args, x: np.ndarray) -> np.ndarray:
    v = x.astype(np.int64) + a.x_offset
    t = np.clip(v + a.three, 0, a.six) * a.one_over_six
    return (v * t).astype(np.int32).reshape(-1)


register("ihardswish", prepare, run, IHardswishS32Args)
