"""Gradients of the float32 avg_pool2d and max_pool2d (NHWC; kernels
td_avg_pool2d_grad_f32, td_max_pool2d_grad_f32; op kinds ir/ops/backward.py).

Geometry as the forward (conv.py prepare_pool): window (oy, ox) covers input rows oy*sh -
pad_t + [0, kh) and columns ox*sw - pad_l + [0, kw), of which only those inside the input
count; no window lies wholly in the padding.

avg_pool2d_grad, gather form: dx[n, iy, ix, c] = sum from 0.0f over ky (increasing), kx
(increasing) of dy[n, oy, ox, c] / (float)count(oy, ox) for the windows (oy, ox) =
((iy + pad_t - ky) / sh, (ix + pad_l - kx) / sw) (exact quotients inside dy), count the
forward's divisor: kh*kw with count_include_pad, else the window's rows inside the input
times its columns inside the input. An input no window holds gets 0.0f.

max_pool2d_grad, scatter form: dx = 0.0f; for each window (n, oy, ox, c) in increasing
order (c innermost), dx[n, iy*, ix*, c] += dy[n, oy, ox, c] at the window's first maximum
(iy*, ix*): the forward's visit, row by row, taking an element when it is the first
inside the input or greater than the kept one (so ties keep the first, a NaN never
replaces, a NaN first element stays). Each input element's sum runs over its windows in
increasing (oy, ox) order from 0.0f.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden.float32._common import F32, all_f32, require
from tinydeploy.quant.golden.float32.backward import int_tuple, no_act
from tinydeploy.quant.golden.float32.conv import PoolGeometryF32, _out_size


@dataclass(frozen=True, eq=False)
class AvgPoolGradF32Args(PoolGeometryF32):
    C_FUNC = "td_avg_pool2d_grad_f32"

    count_pad: int = 0


@dataclass(frozen=True, eq=False)
class MaxPoolGradF32Args(PoolGeometryF32):
    C_FUNC = "td_max_pool2d_grad_f32"


def pool_grad_args(op: Op, x_shape, y_shape) -> dict:
    """The geometry of a pool gradient from the forward input and output (dy) shapes."""
    require(len(x_shape) == 4 and len(y_shape) == 4, op,
            f"NHWC forward input {list(x_shape)} and dy {list(y_shape)}")
    require(min(int(d) for d in x_shape) >= 1 and min(int(d) for d in y_shape) >= 1, op,
            "empty tensors")
    no_act(op)
    require("kernel" in op.attrs, op, "no kernel attribute")
    kh, kw = int_tuple(op, "kernel", (1, 1))
    sh, sw = int_tuple(op, "stride", (1, 1))
    require(int_tuple(op, "dilation", (1, 1)) == (1, 1), op, "dilated pools are not supported")
    pt, pl, pb, pr = int_tuple(op, "pads", (0, 0, 0, 0))
    require(min(sh, sw, kh, kw) >= 1 and min(pt, pl, pb, pr) >= 0, op,
            "strides and kernel sizes >= 1, pads >= 0")
    oh = _out_size(int(x_shape[1]), kh, sh, 1, pt, pb)
    ow = _out_size(int(x_shape[2]), kw, sw, 1, pl, pr)
    require(tuple(y_shape) == (x_shape[0], oh, ow, x_shape[3]), op,
            f"dy {list(y_shape)} does not match the forward geometry of input "
            f"{list(x_shape)} ({oh} x {ow} outputs, the channels kept)")
    require(pt < kh and pl < kw and (oh - 1) * sh - pt < x_shape[1] and
            (ow - 1) * sw - pl < x_shape[2], op, "a window lies wholly in the padding")
    return dict(n=int(x_shape[0]), h=int(x_shape[1]), w=int(x_shape[2]), c=int(x_shape[3]),
                out_h=oh, out_w=ow, kh=kh, kw=kw, sh=sh, sw=sw, pad_t=pt, pad_l=pl)


def prepare_avg(g: Graph, op: Op) -> AvgPoolGradF32Args:
    dy, dx = all_f32(g, op)
    geo = pool_grad_args(op, dx.shape, dy.shape)
    cp = op.attrs.get("count_include_pad", False)
    require(isinstance(cp, (bool, np.bool_, int, np.integer)), op,
            f"count_include_pad = {cp!r} is not a flag")
    return AvgPoolGradF32Args(**geo, count_pad=int(bool(cp)))


def prepare_max(g: Graph, op: Op) -> MaxPoolGradF32Args:
    dy, x, dx = all_f32(g, op)
    require(x.shape == dx.shape, op, f"x {list(x.shape)} and dx {list(dx.shape)} differ")
    return MaxPoolGradF32Args(**pool_grad_args(op, x.shape, dy.shape))


def _inside(size: int, out: int, k: int, s: int, pad: int) -> np.ndarray:
    """Elements of each window inside the input along one axis."""
    lo = np.arange(out) * s - pad
    return np.minimum(lo + k, size) - np.maximum(lo, 0)


def run_avg(p: AvgPoolGradF32Args, dy: np.ndarray) -> np.ndarray:
    d = np.asarray(dy, dtype=F32).reshape(p.n, p.out_h, p.out_w, p.c)
    if p.count_pad:
        count = np.full((p.out_h, p.out_w), p.kh * p.kw, dtype=np.int64)
    else:
        count = _inside(p.h, p.out_h, p.kh, p.sh, p.pad_t)[:, None] * \
            _inside(p.w, p.out_w, p.kw, p.sw, p.pad_l)[None, :]
    q = (d / count.astype(F32)[None, :, :, None]).astype(F32)
    acc = np.zeros((p.n, p.h, p.w, p.c), dtype=F32)
    for ky in range(p.kh):
        ty = np.arange(p.h) + p.pad_t - ky
        vy = (ty >= 0) & (ty % p.sh == 0) & (ty // p.sh < p.out_h)
        oy = np.where(vy, ty // p.sh, 0)
        for kx in range(p.kw):
            tx = np.arange(p.w) + p.pad_l - kx
            vx = (tx >= 0) & (tx % p.sw == 0) & (tx // p.sw < p.out_w)
            ox = np.where(vx, tx // p.sw, 0)
            valid = (vy[:, None] & vx[None, :])[None, :, :, None]
            acc = np.where(valid, acc + q[:, oy][:, :, ox], acc)
    return acc.reshape(-1)


def run_max(p: MaxPoolGradF32Args, dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    d = np.asarray(dy, dtype=F32).reshape(p.n, p.out_h, p.out_w, p.c)
    xv = np.asarray(x, dtype=F32).reshape(p.n, p.h, p.w, p.c)
    shape = (p.n, p.out_h, p.out_w, p.c)
    best = np.zeros(shape, dtype=F32)
    pos = np.full(shape, -1, dtype=np.int64)             # iy * w + ix of the first max
    for ky in range(p.kh):
        iy = np.arange(p.out_h) * p.sh - p.pad_t + ky
        for kx in range(p.kw):
            ix = np.arange(p.out_w) * p.sw - p.pad_l + kx
            inside = ((iy >= 0) & (iy < p.h))[:, None] & ((ix >= 0) & (ix < p.w))[None, :]
            v = xv[:, np.clip(iy, 0, p.h - 1)][:, :, np.clip(ix, 0, p.w - 1)]
            take = inside[None, :, :, None] & ((pos < 0) | (v > best))
            best = np.where(take, v, best)
            pos = np.where(take, (iy[:, None] * p.w + ix[None, :])[None, :, :, None], pos)
    assert (pos >= 0).all()                      # prepare: no window wholly in the padding
    acc = np.zeros((p.n, p.h * p.w, p.c), dtype=F32)
    b, c = np.arange(p.n)[:, None], np.arange(p.c)[None, :]
    for oy in range(p.out_h):
        for ox in range(p.out_w):
            at = pos[:, oy, ox, :]                       # [n, c]: distinct (b, c) pairs
            acc[b, at, c] = acc[b, at, c] + d[:, oy, ox, :]
    return acc.reshape(-1)


register("avg_pool2d_grad", prepare_avg, run_avg, AvgPoolGradF32Args)
register("max_pool2d_grad", prepare_max, run_max, MaxPoolGradF32Args)
