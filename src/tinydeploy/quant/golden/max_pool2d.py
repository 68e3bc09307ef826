"""max_pool2d (int8): maximum of the valid window elements, clamped to the activation.

Padding elements are never read (TFLite's integer MaxPool clips the window to the input),
so padding never wins the maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._pool_common import PoolArgs, pool_windows, prepare_pool


@dataclass(frozen=True, eq=False)
class MaxPool2dArgs(PoolArgs):
    C_FUNC = "td_max_pool2d_s8"


def prepare(g: Graph, op: Op) -> MaxPool2dArgs:
    return prepare_pool(g, op, MaxPool2dArgs)


def run(a: MaxPool2dArgs, x: np.ndarray) -> np.ndarray:
    out = np.empty((a.batches, a.out_h, a.out_w, a.channels), dtype=np.int64)
    for oy, ox, win in pool_windows(a, x):
        out[:, oy, ox, :] = win.max(axis=(1, 2))
    return np.clip(out, a.act_min, a.act_max).astype(np.int8)


register("max_pool2d", prepare, run, MaxPool2dArgs)
