"""avg_pool2d and max_pool2d (16x8): TFLite's integer pooling on int16 values
(kernels ``td_avg_pool2d_s16``, ``td_max_pool2d_s16``): the int8 arithmetic
(:mod:`tinydeploy.quant.golden.avg_pool2d`, ``max_pool2d``), int32 window sums, int16
clamp bounds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden._pool_common import (PoolArgs, check_windows, pool_attrs,
                                                  pool_windows)
from tinydeploy.quant.golden.avg_pool2d import rounded_div
from tinydeploy.quant.golden.int16._common import int16_io, require_int16
from tinydeploy.quant.requant import activation_range

MAX_WINDOW = 65535     # an int32 sum of this many int16 values cannot overflow


@dataclass(frozen=True, eq=False)
class AvgPool2dS16Args(PoolArgs):
    C_FUNC = "td_avg_pool2d_s16"


@dataclass(frozen=True, eq=False)
class MaxPool2dS16Args(PoolArgs):
    C_FUNC = "td_max_pool2d_s16"


def _prepare(g: Graph, op: Op, cls: type) -> PoolArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    require_int16(op, x, y)
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise UnsupportedError(f"{op.kind} needs 4-D NHWC tensors", node=op.name)
    if abs(x.quant.s - y.quant.s) > 1e-6:
        raise UnsupportedError(f"{op.kind} input and output quantization differ "
                               "(pooling does not rescale)", node=op.name)
    (kh, kw), (sh, sw), (top, left) = pool_attrs(op)
    if kh * kw > MAX_WINDOW:
        raise UnsupportedError(f"{op.kind}: a {kh}x{kw} window overflows the int32 sum of "
                               "int16 values", node=op.name)
    n, in_h, in_w, c = x.shape
    _, out_h, out_w, _ = y.shape
    check_windows(op, (kh, kw), (sh, sw), (top, left), (in_h, in_w), (out_h, out_w))
    lo, hi = activation_range(op.attrs.get("act", "none"), y.quant.s, 0, "int16")
    return cls(n, in_h, in_w, c, out_h, out_w, kh, kw, sh, sw, top, left, lo, hi)


def run_avg(a: AvgPool2dS16Args, x: np.ndarray) -> np.ndarray:
    out = np.empty((a.batches, a.out_h, a.out_w, a.channels), dtype=np.int64)
    for oy, ox, win in pool_windows(a, x):
        acc = win.astype(np.int64).sum(axis=(1, 2))
        out[:, oy, ox, :] = rounded_div(acc, win.shape[1] * win.shape[2])
    return np.clip(out, a.act_min, a.act_max).astype(np.int16)


def run_max(a: MaxPool2dS16Args, x: np.ndarray) -> np.ndarray:
    out = np.empty((a.batches, a.out_h, a.out_w, a.channels), dtype=np.int64)
    for oy, ox, win in pool_windows(a, x):
        out[:, oy, ox, :] = win.max(axis=(1, 2))
    return np.clip(out, a.act_min, a.act_max).astype(np.int16)


register_variant("avg_pool2d", int16_io, lambda g, op: _prepare(g, op, AvgPool2dS16Args),
                 run_avg, AvgPool2dS16Args)
register_variant("max_pool2d", int16_io, lambda g, op: _prepare(g, op, MaxPool2dS16Args),
                 run_max, MaxPool2dS16Args)
