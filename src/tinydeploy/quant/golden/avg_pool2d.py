"""avg_pool2d (int8): mean of the valid window elements, rounded half away from zero.

TFLite's integer AveragePool sums the window elements that lie inside the input (padding
is neither read nor counted), then divides by that count ``n`` with C truncating division
after adding ``n / 2`` toward the sign of the sum:
``(sum > 0 ? sum + n/2 : sum - n/2) / n``, then clamps to the activation range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._pool_common import PoolArgs, pool_windows, prepare_pool


@dataclass(frozen=True, eq=False)
class AvgPool2dArgs(PoolArgs):
    C_FUNC = "td_avg_pool2d_s8"


def prepare(g: Graph, op: Op) -> AvgPool2dArgs:
    return prepare_pool(g, op, AvgPool2dArgs)


def rounded_div(acc: np.ndarray, n: int) -> np.ndarray:
    """``(acc > 0 ? acc + n/2 : acc - n/2) / n`` with C (toward zero) division."""
    half = n // 2
    pos = (acc + half) // n                 # acc > 0: numerator positive, floor == trunc
    neg = -((-acc + half) // n)             # acc <= 0: negate to divide a non-negative
    return np.where(acc > 0, pos, neg)


def run(a: AvgPool2dArgs, x: np.ndarray) -> np.ndarray:
    out = np.empty((a.batches, a.out_h, a.out_w, a.channels), dtype=np.int64)
    for oy, ox, win in pool_windows(a, x):
        acc = win.astype(np.int64).sum(axis=(1, 2))
        count = win.shape[1] * win.shape[2]
        out[:, oy, ox, :] = rounded_div(acc, count)
    return np.clip(out, a.act_min, a.act_max).astype(np.int8)


register("avg_pool2d", prepare, run, AvgPool2dArgs)
