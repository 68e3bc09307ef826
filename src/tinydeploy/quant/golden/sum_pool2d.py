"""sum_pool2d: int32 window sums of an int8 (or int16) NHWC tensor, the integer part of an
average pool.

Integer-deployable graphs write an average pool as AveragePool followed by a
requantization that multiplies by the window size again; the frontend lowers that to this
sum and one ``requant``. ``out = sum (x + input_offset)`` over the window elements inside
the input (padding is never read, i.e. counts as 0 in the source domain), with
``input_offset = -zero point`` of x. Geometry as in :mod:`._pool_common`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._pool_common import PoolArgs, check_windows, pool_attrs, pool_windows


@dataclass(frozen=True, eq=False)
class SumPool2dArgs(PoolArgs):
    C_FUNC: ClassVar[str] = "td_sum_pool2d_s8_s32"
    input_offset: int = 0     # -input zero point


@dataclass(frozen=True, eq=False)
class SumPool2dS16Args(SumPool2dArgs):
    """int16 input (a TCN's residual sums); no fused requant kernel takes it."""
    C_FUNC: ClassVar[str] = "td_sum_pool2d_s16_s32"


def prepare(g: Graph, op: Op) -> SumPool2dArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype not in ("int8", "int16") or y.dtype != "int32" or len(x.shape) != 4 or \
            len(y.shape) != 4:
        raise UnsupportedError(f"sum_pool2d needs a 4-D int8 or int16 input and int32 "
                               f"output, got {x.dtype}{list(x.shape)} -> "
                               f"{y.dtype}{list(y.shape)}", node=op.name)
    (kh, kw), (sh, sw), (top, left) = pool_attrs(op)
    n, in_h, in_w, c = x.shape
    _, out_h, out_w, _ = y.shape
    check_windows(op, (kh, kw), (sh, sw), (top, left), (in_h, in_w), (out_h, out_w))
    zp = x.quant.zp if x.quant is not None else 0
    cls = SumPool2dS16Args if x.dtype == "int16" else SumPool2dArgs
    if cls is SumPool2dS16Args and kh * kw * (32768 + abs(zp)) > 2**31 - 1:
        raise UnsupportedError(f"sum_pool2d: a {kh}x{kw} window of int16 values may overflow "
                               "the int32 sum", node=op.name)
    return cls(n, in_h, in_w, c, out_h, out_w, kh, kw, sh, sw, top, left, -(2**31),
               2**31 - 1, -zp)


def run(a: SumPool2dArgs, x: np.ndarray) -> np.ndarray:
    out = np.empty((a.batches, a.out_h, a.out_w, a.channels), dtype=np.int64)
    for oy, ox, win in pool_windows(a, x):
        out[:, oy, ox, :] = (win.astype(np.int64) + a.input_offset).sum(axis=(1, 2))
    return out.astype(np.int32)


register("sum_pool2d", prepare, run, SumPool2dArgs)
