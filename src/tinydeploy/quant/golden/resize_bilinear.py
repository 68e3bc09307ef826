"""resize_bilinear (int8): TFLite's integer RESIZE_BILINEAR (``ResizeBilinearInteger``).

Per output row ``y`` (columns likewise) the source position in 1/1024 units is
``y * scale`` (``+ scale / 2 - 512`` with half-pixel centers), ``scale = round(1024 *
in / out)`` (with align_corners: ``(in - 1) / (out - 1)``), its neighbours ``y0 =
max(pos / 1024, 0)`` and ``y1 = min(ceil(pos / 1024), in - 1)`` (C division), weight
``pos - 1024 y0``. Each output is the 4-point weighted sum (int64, weights in 1/2^20)
rounded half away from zero, as TFLite's double-rounding build does. These indices and
weights are precomputed per output row and column (the args); kernel
``td_resize_bilinear_s8``. TFLite Micro has no int16 RESIZE_BILINEAR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register


@dataclass(frozen=True, eq=False)
class ResizeBilinearArgs(KernelArgs):
    C_FUNC = "td_resize_bilinear_s8"
    batches: int
    in_h: int
    in_w: int
    channels: int
    out_h: int
    out_w: int
    y0: np.ndarray = array_field()     # [out_h] upper source row
    y1: np.ndarray = array_field()     # [out_h] lower source row
    wy: np.ndarray = array_field()     # [out_h] weight of y1 in 1/1024 (y0's: 1024 - wy)
    x0: np.ndarray = array_field()     # [out_w]
    x1: np.ndarray = array_field()     # [out_w]
    wx: np.ndarray = array_field()     # [out_w]


def _cdiv(a: int, b: int) -> int:
    """C (toward zero) division."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def interpolation(out: int, size: int, align: bool, half: bool):
    """(lower, upper, weight of upper in 1/1024) per output index, as TFLite's
    ComputeInterpolationValuesInteger."""
    scale = (((1 << 10) * (size - 1) + (out - 1) // 2) // (out - 1) if align and out > 1
             else ((1 << 10) * size + out // 2) // out)
    lo, hi, w = [], [], []
    for i in range(out):
        pos = i * scale + scale // 2 - (1 << 9) if half else i * scale
        a = max(_cdiv(pos, 1 << 10), 0)
        lo.append(a)
        hi.append(min(_cdiv(pos + (1 << 10) - 1, 1 << 10), size - 1))
        w.append(pos - (1 << 10) * a)
    return [np.array(v, dtype=np.int32) for v in (lo, hi, w)]


def prepare(g: Graph, op: Op) -> ResizeBilinearArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "int8" or y.dtype != "int8":
        raise UnsupportedError(f"resize_bilinear: {x.dtype} -> {y.dtype} (int8 only: TFLite "
                               "Micro has no int16 RESIZE_BILINEAR)", node=op.name)
    if len(x.shape) != 4 or len(y.shape) != 4 or x.shape[0] != y.shape[0] or \
            x.shape[3] != y.shape[3]:
        raise UnsupportedError(f"resize_bilinear: {list(x.shape)} -> {list(y.shape)}",
                               node=op.name)
    ac, hp = bool(op.attrs.get("align_corners")), bool(op.attrs.get("half_pixel_centers"))
    if ac and hp:
        raise UnsupportedError("resize_bilinear with both align_corners and "
                               "half_pixel_centers", node=op.name)
    n, ih, iw, c = x.shape
    ys = interpolation(y.shape[1], ih, ac, hp)
    xs = interpolation(y.shape[2], iw, ac, hp)
    return ResizeBilinearArgs(n, ih, iw, c, y.shape[1], y.shape[2], *ys, *xs)


def run(a: ResizeBilinearArgs, x: np.ndarray) -> np.ndarray:
    v = x.reshape(a.batches, a.in_h, a.in_w, a.channels).astype(np.int64)
    wy = np.asarray(a.wy, np.int64)[None, :, None, None]
    wx = np.asarray(a.wx, np.int64)[None, None, :, None]
    r0, r1 = v[:, a.y0], v[:, a.y1]
    acc = (r0[:, :, a.x0] * (1024 - wy) * (1024 - wx) + r1[:, :, a.x0] * wy * (1024 - wx)
           + r0[:, :, a.x1] * (1024 - wy) * wx + r1[:, :, a.x1] * wy * wx)
    r = np.where(acc > 0, acc + (1 << 19), acc - (1 << 19))
    q = np.where(r < 0, -((-r) >> 20), r >> 20)                  # C division by 2^20
    return ((q + 128) % 256 - 128).astype(np.int8)                # static_cast<int8_t>


register("resize_bilinear", prepare, run, ResizeBilinearArgs)
