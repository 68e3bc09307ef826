"""Shared geometry of 2-D pooling (avg_pool2d, max_pool2d), as TFLite Micro does it.

TFLite's int8 pooling kernels place window ``(oy, ox)`` at input origin
``(oy * sh - pad_top, ox * sw - pad_left)`` and clip it to the input: padding elements are
never read and never counted. Only the top/left padding matter; the bottom/right ones are
implied by the output size. Pooling does not rescale, so the input and output must share
their quantization (TFLite Micro checks this in Prepare).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.requant import activation_range


@dataclass(frozen=True, eq=False)
class PoolArgs(KernelArgs):
    """NHWC pooling geometry and the fused activation's clamp bounds."""

    batches: int
    in_h: int
    in_w: int
    channels: int
    out_h: int
    out_w: int
    kernel_h: int
    kernel_w: int
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    act_min: int
    act_max: int


def window_range(o: int, stride: int, pad: int, kernel: int, size: int) -> tuple[int, int]:
    """Input index range [start, end) of output position ``o`` along one axis, clipped."""
    origin = o * stride - pad
    return max(0, origin), min(size, origin + kernel)


def pool_attrs(op: Op) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """(kernel, stride, (pad_top, pad_left)) of a pooling op: two values each (four pads)."""
    kernel = tuple(int(v) for v in op.attrs.get("kernel", ()))
    stride = tuple(int(v) for v in op.attrs.get("stride", (1, 1)))
    pads = tuple(int(v) for v in op.attrs.get("pads", (0, 0, 0, 0)))
    if (len(kernel), len(stride), len(pads)) != (2, 2, 4):
        raise UnsupportedError(f"{op.kind}: kernel {kernel}, stride {stride} and pads "
                               f"{pads} must have 2, 2 and 4 values", node=op.name)
    return kernel, stride, pads[:2]


def check_windows(op: Op, kernel, stride, pads_tl, in_hw, out_hw) -> None:
    """Positive kernel and stride, no negative padding, and no window entirely in the
    padding. Window origins grow with the output position, so only the first and the
    last window of each axis can miss the input (O(1) for any size)."""
    if min(*kernel, *stride) < 1 or min(pads_tl) < 0:
        raise UnsupportedError(f"{op.kind}: bad kernel {tuple(kernel)}, stride "
                               f"{tuple(stride)} or pads {tuple(pads_tl)}", node=op.name)
    for o_n, s, p, k, size in zip(out_hw, stride, pads_tl, kernel, in_hw):
        for o in (0, o_n - 1):
            lo, hi = window_range(o, s, p, k, size)
            if hi <= lo:
                raise UnsupportedError(f"{op.kind}: a pooling window lies entirely in the "
                                       "padding", node=op.name)


def prepare_pool(g: Graph, op: Op, args_type: type) -> PoolArgs:
    """Common ``prepare`` of both poolings (int8 NHWC, same in/out quantization)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "int8" or y.dtype != "int8":
        raise UnsupportedError(f"{op.kind} supports int8 only, got {x.dtype} -> {y.dtype}",
                               node=op.name)
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise UnsupportedError(f"{op.kind} needs 4-D NHWC tensors", node=op.name)
    if abs(x.quant.s - y.quant.s) > 1e-6 or x.quant.zp != y.quant.zp:
        raise UnsupportedError(f"{op.kind} input and output quantization differ "
                               "(pooling does not rescale)", node=op.name)
    (kh, kw), (sh, sw), (top, left) = pool_attrs(op)
    n, in_h, in_w, c = x.shape
    _, out_h, out_w, _ = y.shape
    check_windows(op, (kh, kw), (sh, sw), (top, left), (in_h, in_w), (out_h, out_w))
    lo, hi = activation_range(op.attrs.get("act", "none"), y.quant.s, y.quant.zp, y.dtype)
    return args_type(n, in_h, in_w, c, out_h, out_w, kh, kw, sh, sw, top, left, lo, hi)


def pool_windows(a: PoolArgs, x: np.ndarray):
    """Yield ``(oy, ox, window)`` with window the valid ``[N, h, w, C]`` input slice."""
    x = x.reshape(a.batches, a.in_h, a.in_w, a.channels)
    for oy in range(a.out_h):
        y0, y1 = window_range(oy, a.stride_h, a.pad_top, a.kernel_h, a.in_h)
        for ox in range(a.out_w):
            x0, x1 = window_range(ox, a.stride_w, a.pad_left, a.kernel_w, a.in_w)
            yield oy, ox, x[:, y0:y1, x0:x1, :]
