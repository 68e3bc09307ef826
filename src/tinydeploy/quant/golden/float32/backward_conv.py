"""Gradients of the float32 conv2d and depthwise_conv2d (NHWC; kernels
td_conv2d_grad_input_f32, td_conv2d_grad_weight_f32; op kinds ir/ops/backward.py).

Geometry as the forward (conv.py): forward output (oy, ox) of channel co in group g = co /
cout_g reads input (oy*sh - pad_t + ky*dh, ox*sw - pad_l + kx*dw) channel g*cin_g + ci
with weight [co, ky, kx, ci] (OHWI; depthwise weights [KH, KW, C]: groups = C, cin_g =
cout_g = 1). The weights are addressed through strides (w_so, w_sky, w_skx, w_si) as
td_conv2d_f32 does, so one kernel serves both layouts.

grad_input, gather form: dx[n, iy, ix, ci] = sum from 0.0f over ky (increasing), kx
(increasing), then the cout_g output channels co of ci's group (increasing, innermost)
of dy[n, oy, ox, co] * w[co, ky, kx, ci % cin_g], for the taps with (iy + pad_t - ky*dh)
and (ix + pad_l - kx*dw) non-negative multiples of the strides whose quotients oy, ox
lie inside dy. An input no tap reads gets 0.0f.

grad_weight: dw[co, ky, kx, ci] = sum from 0.0f over n, oy, ox (increasing, ox
innermost) of dy[n, oy, ox, co] * x[n, iy, ix, g*cin_g + ci] over the taps (iy, ix)
inside x (taps in the padding are skipped, not multiplied by 0).

Products are float32 products rounded before each float32 addition (no FMA).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden.float32._common import F32, all_f32, require
from tinydeploy.quant.golden.float32.backward import int_attr, int_tuple, no_act
from tinydeploy.quant.golden.float32.conv import ConvGeometryF32, _out_size


@dataclass(frozen=True, eq=False)
class ConvGradInputF32Args(ConvGeometryF32):
    C_FUNC = "td_conv2d_grad_input_f32"


@dataclass(frozen=True, eq=False)
class ConvGradWeightF32Args(ConvGeometryF32):
    C_FUNC = "td_conv2d_grad_weight_f32"


def conv_grad_args(op: Op, x_shape, w_shape, y_shape, cls):
    """The args of a conv gradient from the forward input, weight and output shapes."""
    require(len(x_shape) == 4 and len(y_shape) == 4, op,
            f"NHWC forward input {list(x_shape)} and dy {list(y_shape)}")
    no_act(op)
    c_in, c_out = int(x_shape[3]), int(y_shape[3])
    if op.kind.startswith("depthwise_conv2d"):
        dm = int_attr(op, "depth_multiplier", 1)
        require(dm == 1, op, f"depth_multiplier {dm}: only 1 is supported")
        require(len(w_shape) == 3 and w_shape[2] == c_out == c_in, op,
                f"depthwise weights {list(w_shape)} must be [KH, KW, C] with C = "
                f"{c_in} input and {c_out} dy channels")
        kh, kw = int(w_shape[0]), int(w_shape[1])
        groups, ws = c_out, (1, kw * c_out, c_out, 0)
    else:
        groups = int_attr(op, "groups", 1)
        require(len(w_shape) == 4 and groups >= 1 and w_shape[0] == c_out and
                c_in % groups == 0 and c_out % groups == 0 and
                w_shape[3] * groups == c_in, op,
                f"weights {list(w_shape)} do not fit {c_in} -> {c_out} channels in "
                f"{groups} groups")
        kh, kw, cg = int(w_shape[1]), int(w_shape[2]), int(w_shape[3])
        ws = (kh * kw * cg, kw * cg, cg, 1)
    sh, sw = int_tuple(op, "stride", (1, 1))
    dh, dw = int_tuple(op, "dilation", (1, 1))
    pt, pl, pb, pr = int_tuple(op, "pads", (0, 0, 0, 0))
    require(min(sh, sw, dh, dw, kh, kw) >= 1 and min(pt, pl, pb, pr) >= 0, op,
            "strides, dilations and kernel sizes >= 1, pads >= 0")
    require(min(int(d) for d in x_shape) >= 1 and min(int(d) for d in y_shape) >= 1, op,
            "empty tensors")
    oh = _out_size(int(x_shape[1]), kh, sh, dh, pt, pb)
    ow = _out_size(int(x_shape[2]), kw, sw, dw, pl, pr)
    require((y_shape[0], y_shape[1], y_shape[2]) == (x_shape[0], oh, ow), op,
            f"dy {list(y_shape)} does not match the forward geometry of input "
            f"{list(x_shape)} ({oh} x {ow} outputs)")
    return cls(int(x_shape[0]), int(x_shape[1]), int(x_shape[2]), c_in, oh, ow, c_out,
               kh, kw, sh, sw, dh, dw, pt, pl, groups, *ws, int(np.prod(w_shape)))


def prepare_input(g: Graph, op: Op) -> ConvGradInputF32Args:
    dy, w, dx = all_f32(g, op)
    return conv_grad_args(op, dx.shape, w.shape, dy.shape, ConvGradInputF32Args)


def prepare_weight(g: Graph, op: Op) -> ConvGradWeightF32Args:
    dy, x, dw = all_f32(g, op)
    return conv_grad_args(op, x.shape, dw.shape, dy.shape, ConvGradWeightF32Args)


def _taps(size: int, out: int, k: int, s: int, d: int, pad: int):
    """Per kernel tap k: (valid [size], index [size]) of the output each input position's
    tap reads from (gather form)."""
    pos = np.arange(size)
    for q in range(k):
        t = pos + pad - q * d
        ok = (t >= 0) & (t % s == 0) & (t // s < out)
        yield ok, np.where(ok, t // s, 0)


def run_input(p: ConvGeometryF32, dy: np.ndarray, w: np.ndarray) -> np.ndarray:
    d = np.asarray(dy, dtype=F32).reshape(p.n, p.out_h, p.out_w, p.c_out)
    wf = np.ascontiguousarray(w, dtype=F32).reshape(-1)
    cin_g, cout_g = p.c_in // p.groups, p.c_out // p.groups
    ci = np.arange(p.c_in)
    grp, cl = ci // cin_g, ci % cin_g
    acc = np.zeros((p.n, p.h, p.w, p.c_in), dtype=F32)
    for ky, (vy, oy) in enumerate(_taps(p.h, p.out_h, p.kh, p.sh, p.dh, p.pad_t)):
        for kx, (vx, ox) in enumerate(_taps(p.w, p.out_w, p.kw, p.sw, p.dw, p.pad_l)):
            valid = (vy[:, None] & vx[None, :])[None, :, :, None]
            dg = d[:, oy][:, :, ox]                              # [n, h, w, c_out]
            for j in range(cout_g):
                co = grp * cout_g + j
                wv = wf[co * p.w_so + ky * p.w_sky + kx * p.w_skx + cl * p.w_si]
                acc = np.where(valid, acc + dg[..., co] * wv, acc)
    return acc.reshape(-1)


def run_weight(p: ConvGeometryF32, dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    d = np.asarray(dy, dtype=F32).reshape(p.n, p.out_h, p.out_w, p.c_out)
    xv = np.asarray(x, dtype=F32).reshape(p.n, p.h, p.w, p.c_in)
    cin_g, cout_g = p.c_in // p.groups, p.c_out // p.groups
    co, cl = np.arange(p.c_out)[:, None], np.arange(cin_g)[None, :]
    chan = (co // cout_g) * cin_g + cl                           # [c_out, cin_g]
    iy = np.arange(p.out_h)[:, None] * p.sh - p.pad_t + np.arange(p.kh)[None, :] * p.dh
    ix = np.arange(p.out_w)[:, None] * p.sw - p.pad_l + np.arange(p.kw)[None, :] * p.dw
    in_y, in_x = (iy >= 0) & (iy < p.h), (ix >= 0) & (ix < p.w)
    iy, ix = np.clip(iy, 0, p.h - 1), np.clip(ix, 0, p.w - 1)
    acc = np.zeros((p.c_out, p.kh, p.kw, cin_g), dtype=F32)
    for b in range(p.n):
        for oy in range(p.out_h):
            for ox in range(p.out_w):
                mask = (in_y[oy][:, None] & in_x[ox][None, :])[None, :, :, None]
                patch = xv[b][iy[oy][:, None], ix[ox][None, :]]  # [kh, kw, c_in]
                pv = np.moveaxis(patch[:, :, chan], 2, 0)        # [c_out, kh, kw, cin_g]
                acc = np.where(mask, acc + d[b, oy, ox][:, None, None, None] * pv, acc)
    out = np.zeros(p.w_size, dtype=F32)
    o, ky, kx, c = np.meshgrid(np.arange(p.c_out), np.arange(p.kh), np.arange(p.kw),
                               np.arange(cin_g), indexing="ij")
    out[o * p.w_so + ky * p.w_sky + kx * p.w_skx + c * p.w_si] = acc
    return out


for _kind in ("conv2d", "depthwise_conv2d"):
    register(f"{_kind}_grad_input", prepare_input, run_input, ConvGradInputF32Args)
    register(f"{_kind}_grad_weight", prepare_weight, run_weight, ConvGradWeightF32Args)
