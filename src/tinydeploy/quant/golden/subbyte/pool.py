"""avg_pool2d and max_pool2d with packed sub-byte tensors (``td_{avg,max}_pool2d_sb``).

TFLite's int8 pooling (window clipped to the input, padding neither read nor counted;
average rounded half away from zero, see ``avg_pool2d.py``) on 2-, 4- or 8-bit inputs.
Pooling does not rescale: input and output share scale and zero point; the output may
have fewer bits than the input, in which case the result saturates to the output dtype's
range (the same clamp as the fused activation's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden._pool_common import PoolArgs, check_windows, pool_attrs, pool_windows
from tinydeploy.quant.golden.avg_pool2d import rounded_div
from tinydeploy.quant.golden.subbyte import _common as sb


@dataclass(frozen=True, eq=False)
class PoolSbArgs(PoolArgs):
    """The int8 pooling geometry plus the storage of input and output."""

    in_bits: int         # 2, 4 or 8
    in_signed: int       # 1: two's complement, 0: unsigned
    out_bits: int
    out_signed: int      # the output's dtype (the kernel stores the low out_bits bits)


@dataclass(frozen=True, eq=False)
class AvgPool2dSbArgs(PoolSbArgs):
    C_FUNC: ClassVar[str] = "td_avg_pool2d_sb"


@dataclass(frozen=True, eq=False)
class MaxPool2dSbArgs(PoolSbArgs):
    C_FUNC: ClassVar[str] = "td_max_pool2d_sb"


def _prepare(g: Graph, op: Op, args_type: type) -> PoolSbArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    in_bits, in_signed = sb.act_storage(op, x)
    out_bits, out_signed = sb.act_storage(op, y)
    if len(x.shape) != 4 or len(y.shape) != 4 or x.shape[::3] != y.shape[::3]:
        raise UnsupportedError(f"{op.kind} needs 4-D NHWC tensors with the same batch and "
                               f"channels, got {list(x.shape)} -> {list(y.shape)}",
                               node=op.name)
    if abs(x.quant.s - y.quant.s) > 1e-6 or x.quant.zp != y.quant.zp:
        raise UnsupportedError(f"{op.kind} input and output quantization differ "
                               "(pooling does not rescale)", node=op.name)
    (kh, kw), (sh, sw), (top, left) = pool_attrs(op)
    n, in_h, in_w, c = x.shape
    _, out_h, out_w, _ = y.shape
    check_windows(op, (kh, kw), (sh, sw), (top, left), (in_h, in_w), (out_h, out_w))
    lo, hi = sb.out_bounds(g, op)
    return args_type(n, in_h, in_w, c, out_h, out_w, kh, kw, sh, sw, top, left, lo, hi,
                     in_bits, in_signed, out_bits, out_signed)


def prepare_avg(g: Graph, op: Op) -> AvgPool2dSbArgs:
    return _prepare(g, op, AvgPool2dSbArgs)


def prepare_max(g: Graph, op: Op) -> MaxPool2dSbArgs:
    return _prepare(g, op, MaxPool2dSbArgs)


def run_avg(a: AvgPool2dSbArgs, x: np.ndarray) -> np.ndarray:
    out = np.empty((a.batches, a.out_h, a.out_w, a.channels), dtype=np.int64)
    for oy, ox, win in pool_windows(a, x):
        acc = win.astype(np.int64).sum(axis=(1, 2))
        out[:, oy, ox, :] = rounded_div(acc, win.shape[1] * win.shape[2])
    return np.clip(out, a.act_min, a.act_max).astype(np.int8 if a.out_signed else np.uint8)


def run_max(a: MaxPool2dSbArgs, x: np.ndarray) -> np.ndarray:
    out = np.empty((a.batches, a.out_h, a.out_w, a.channels), dtype=np.int64)
    for oy, ox, win in pool_windows(a, x):
        out[:, oy, ox, :] = win.astype(np.int64).max(axis=(1, 2))
    return np.clip(out, a.act_min, a.act_max).astype(np.int8 if a.out_signed else np.uint8)


register_variant("avg_pool2d", sb.touches_packed, prepare_avg, run_avg, AvgPool2dSbArgs)
register_variant("max_pool2d", sb.touches_packed, prepare_max, run_max, MaxPool2dSbArgs)
