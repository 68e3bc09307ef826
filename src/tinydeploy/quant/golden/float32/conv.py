"""conv2d, depthwise_conv2d, avg_pool2d, max_pool2d (float32), NHWC (kernels
td_conv2d_f32, td_pool2d_f32).

Convolution: per output, a float32 sum from 0.0f over the taps (ky, kx, ci: ci
innermost) inside the input, then + bias, then the fused activation. ``conv2d`` weights
are OHWI [C_out, KH, KW, C_in / groups] (attr ``groups``, default 1); depthwise weights
[KH, KW, C_out] (one input channel per output channel: depth multiplier 1 only). Pools:
max from the first element inside the input, average = float32 sum of the elements
inside the input / their count (attr ``count_include_pad``: / KH*KW).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden.float32._common import (F32, act_code, all_f32, apply_act,
                                                     is_f32, require)


@dataclass(frozen=True, eq=False)
class ConvGeometryF32(KernelArgs):
    """The geometry of a float conv (also the args of its gradients, backward_conv.py)."""

    n: int
    h: int
    w: int
    c_in: int
    out_h: int
    out_w: int
    c_out: int
    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    pad_t: int
    pad_l: int
    groups: int
    w_so: int
    w_sky: int
    w_skx: int
    w_si: int
    w_size: int


@dataclass(frozen=True, eq=False)
class ConvF32Args(ConvGeometryF32):
    C_FUNC = "td_conv2d_f32"

    act: int


@dataclass(frozen=True, eq=False)
class PoolGeometryF32(KernelArgs):
    """The window geometry of a float pool (also its gradients', backward_pool.py)."""

    n: int
    h: int
    w: int
    c: int
    out_h: int
    out_w: int
    kh: int
    kw: int
    sh: int
    sw: int
    pad_t: int
    pad_l: int


@dataclass(frozen=True, eq=False)
class PoolF32Args(PoolGeometryF32):
    C_FUNC = "td_pool2d_f32"

    mode: int
    count_pad: int
    act: int


def _out_size(size, k, s, d, p0, p1) -> int:
    return (size + p0 + p1 - d * (k - 1) - 1) // s + 1


def _geometry(op: Op, x, y, kh, kw):
    require(len(x.shape) == 4 and len(y.shape) == 4, op, "NHWC input and output")
    sh, sw = (int(v) for v in op.attrs.get("stride", (1, 1)))
    dh, dw = (int(v) for v in op.attrs.get("dilation", (1, 1)))
    pt, pl, pb, pr = (int(v) for v in op.attrs.get("pads", (0, 0, 0, 0)))
    require(min(sh, sw, dh, dw, kh, kw) >= 1 and min(pt, pl, pb, pr) >= 0, op,
            "strides, dilations and kernel sizes >= 1, pads >= 0")
    oh = _out_size(x.shape[1], kh, sh, dh, pt, pb)
    ow = _out_size(x.shape[2], kw, sw, dw, pl, pr)
    require((y.shape[0], y.shape[1], y.shape[2]) == (x.shape[0], oh, ow), op,
            f"output {list(y.shape)} does not match the geometry ({oh} x {ow})")
    return sh, sw, dh, dw, pt, pl


def prepare_conv(g: Graph, op: Op) -> ConvF32Args:
    ts = all_f32(g, op)
    x, w, y = ts[0], ts[1], ts[-1]
    c_out = y.shape[3]
    if op.kind == "depthwise_conv2d":
        require(len(w.shape) == 3 and w.shape[2] == c_out == x.shape[3], op,
                "depthwise weights [KH, KW, C] with one output channel per input channel")
        kh, kw = w.shape[0], w.shape[1]
        groups, ws = c_out, (1, kw * c_out, c_out, 0)
    else:
        groups = int(op.attrs.get("groups", 1))
        require(len(w.shape) == 4 and w.shape[0] == c_out and groups >= 1 and
                x.shape[3] % groups == 0 and c_out % groups == 0 and
                w.shape[3] * groups == x.shape[3], op,
                f"weights {list(w.shape)} do not fit {x.shape[3]} -> {c_out} channels in "
                f"{groups} groups")
        kh, kw = w.shape[1], w.shape[2]
        cg = w.shape[3]
        ws = (kh * kw * cg, kw * cg, cg, 1)
    if len(op.inputs) > 2 and op.inputs[2]:
        require(g.t(op.inputs[2]).size == c_out, op, "one bias per output channel")
    sh, sw, dh, dw, pt, pl = _geometry(op, x, y, kh, kw)
    return ConvF32Args(x.shape[0], x.shape[1], x.shape[2], x.shape[3], y.shape[1],
                       y.shape[2], c_out, kh, kw, sh, sw, dh, dw, pt, pl, groups, *ws,
                       w.size, act_code(op))


def _padded_input(p, x: np.ndarray, fill) -> np.ndarray:
    x = np.asarray(x, dtype=F32).reshape(p.n, p.h, p.w, -1)
    big_h = p.pad_t + p.h + p.kh * getattr(p, "dh", 1) + p.out_h * p.sh
    big_w = p.pad_l + p.w + p.kw * getattr(p, "dw", 1) + p.out_w * p.sw
    xp = np.full((p.n, big_h, big_w, x.shape[3]), fill, dtype=F32)
    xp[:, p.pad_t:p.pad_t + p.h, p.pad_l:p.pad_l + p.w] = x
    return xp


def run_conv(p: ConvF32Args, x: np.ndarray, w: np.ndarray, bias=None) -> np.ndarray:
    xp = _padded_input(p, x, F32(0))
    wf = np.ascontiguousarray(w, dtype=F32).reshape(-1)
    cin_g, cout_g = p.c_in // p.groups, p.c_out // p.groups
    o = np.arange(p.c_out)
    acc = np.zeros((p.n, p.out_h, p.out_w, p.c_out), dtype=F32)
    ys = slice(0, p.out_h * p.sh, p.sh)
    xs = slice(0, p.out_w * p.sw, p.sw)
    for ky in range(p.kh):
        for kx in range(p.kw):
            win = xp[:, ky * p.dh:, kx * p.dw:][:, ys, xs]
            for ci in range(cin_g):
                chan = (o // cout_g) * cin_g + ci
                wv = wf[o * p.w_so + ky * p.w_sky + kx * p.w_skx + ci * p.w_si]
                acc = acc + win[..., chan] * wv
    if bias is not None:
        acc = acc + np.asarray(bias, dtype=F32).reshape(-1)
    return apply_act(acc.reshape(-1), p.act)


def prepare_pool(g: Graph, op: Op) -> PoolF32Args:
    x, y = all_f32(g, op, 1)
    kh, kw = (int(v) for v in op.attrs["kernel"])
    sh, sw, _, _, pt, pl = _geometry(op, x, y, kh, kw)
    require(y.shape[3] == x.shape[3], op, "pools keep the channels")
    require(pt < kh and pl < kw and (y.shape[1] - 1) * sh - pt < x.shape[1] and
            (y.shape[2] - 1) * sw - pl < x.shape[2], op, "a window lies wholly in the padding")
    return PoolF32Args(x.shape[0], x.shape[1], x.shape[2], x.shape[3], y.shape[1],
                       y.shape[2], kh, kw, sh, sw, pt, pl,
                       0 if op.kind == "max_pool2d" else 1,
                       int(bool(op.attrs.get("count_include_pad", False))), act_code(op))


def run_pool(p: PoolF32Args, x: np.ndarray) -> np.ndarray:
    nan = F32(np.nan)                  # marks the padding (never an input value here)
    xp = _padded_input(p, x, nan)
    mask = np.zeros(xp.shape[:3] + (1,), dtype=bool)
    mask[:, p.pad_t:p.pad_t + p.h, p.pad_l:p.pad_l + p.w] = True
    ys = slice(0, p.out_h * p.sh, p.sh)
    xs = slice(0, p.out_w * p.sw, p.sw)
    acc = np.zeros((p.n, p.out_h, p.out_w, p.c), dtype=F32)
    count = np.zeros((p.n, p.out_h, p.out_w, 1), dtype=np.int64)
    for ky in range(p.kh):
        for kx in range(p.kw):
            v = xp[:, ky:, kx:][:, ys, xs]
            inside = mask[:, ky:, kx:][:, ys, xs]
            if p.mode == 0:
                take = inside & ((count == 0) | (v > acc))
                acc = np.where(take, v, acc)
            else:
                acc = np.where(inside, acc + np.where(inside, v, F32(0)), acc)
            count = count + inside
    if p.mode == 1:
        div = np.full_like(count, p.kh * p.kw) if p.count_pad else count
        acc = acc / div.astype(F32)
    return apply_act(acc.astype(F32).reshape(-1), p.act)


register_variant("conv2d", is_f32, prepare_conv, run_conv, ConvF32Args)
register_variant("depthwise_conv2d", is_f32, prepare_conv, run_conv, ConvF32Args)
register_variant("avg_pool2d", is_f32, prepare_pool, run_pool, PoolF32Args)
register_variant("max_pool2d", is_f32, prepare_pool, run_pool, PoolF32Args)
