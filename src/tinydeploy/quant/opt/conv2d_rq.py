"""td_conv2d_rq_opt: the optimized convolution of integer-deployable graphs (kernels/opt/
td_conv2d_rq_opt.h) - the fused conv + requant kernels (int8 input, int8 or int16 output)
and the raw int32 conv, on the blocks of the TFLite kernel (``conv2d.py``: same plan and
packing) with int8 weights and the requantization of ``_pulp_rq.py``."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from tinydeploy.quant.golden import requant as _rq
from tinydeploy.quant.golden._accumulate import Conv2dS32Args
from tinydeploy.quant.golden.fused_requant import FUSED
from tinydeploy.quant.opt import conv2d_rq_direct, register
from tinydeploy.quant.opt._pulp_rq import descriptors, rq32_words, rq64_words
from tinydeploy.quant.opt._tflite_rq import LANE_LIMIT, wrap32, x_max
from tinydeploy.quant.opt.conv2d import RQ32, RQ32H, Conv2dOptArgs, geometry, pack

ESIZE = {_rq.RequantArgs: 1, _rq.RequantS16Args: 2}
RQ32_MODE = {1: RQ32, 2: RQ32H}         # the fast epilogue per output size


class Conv2dRqOptArgs(Conv2dOptArgs):
    C_FUNC: ClassVar[str] = "td_conv2d_rq_opt"


def make(a, consts, cores: int = 1, lean: bool = False) \
        -> Conv2dRqOptArgs | conv2d_rq_direct.Conv2dRqDirectOptArgs | None:
    acc, rq = (a.acc, a.rq) if hasattr(a, "rq") else (a, None)
    w = consts[1]
    if w is None or type(acc) is not Conv2dS32Args:
        return None                     # a constant-free or int16-input conv: reference
    direct = conv2d_rq_direct.make(acc, rq, consts, cores)
    if direct is not None:
        return direct                   # few output channels: no staging
    b = consts[2] if len(consts) > 2 and consts[2] is not None else None
    w = np.asarray(w, dtype=np.int64).reshape(acc.out_c, acc.k_h, acc.k_w, -1)
    bias = np.zeros(acc.out_c, np.int64) if b is None else np.asarray(b, np.int64)
    w, bias, rq = _mirrored(w, bias, rq)
    flat = w.reshape(acc.out_c, -1)
    s, neg, sum_abs = flat.sum(axis=1), (flat < 0).sum(axis=1), np.abs(flat).sum(axis=1)
    bound = np.abs(bias) + sum_abs * x_max(acc.input_offset)
    desc, layer = descriptors(rq, bound, fit64=rq is not None and ESIZE[type(rq)] == 1)
    words = [[wrap32(int(bias[c] + acc.input_offset * s[c] + neg[c])),
              wrap32(int(bias[c] + (acc.input_offset - 129) * s[c])), *desc[c], 0]
             for c in range(acc.out_c)]
    esize = ESIZE[type(rq)] if rq is not None else 4
    ok32, words64 = [False] * acc.out_c, [None] * acc.out_c
    for c in range(acc.out_c if esize in RQ32_MODE else 0):    # TD_CV_RQ32 / RQ64 channels
        lo, hi, zp = int(rq.clip_lo), int(rq.clip_hi), int(rq.out_offset)
        q64 = rq64_words(desc[c], lo, hi, zp, int(bound[c])) if esize == 1 else None
        if q64 is not None:
            words64[c] = words[c][:2] + q64 + [0]
        q = rq32_words(desc[c], lo, hi, zp, int(bound[c]),
                       int(bias[c] + (acc.input_offset - 129) * s[c]))
        if q is not None:
            ok32[c] = True
            words[c][5], words[c][9], words[c][10], words[c][11] = q
    lane_ok = list(sum_abs < LANE_LIMIT)
    packed = pack(acc, w, words, [True] * acc.out_c, lane_ok, cores, lean, rq_mode=True,
                  rq32=(ok32, RQ32_MODE.get(esize, 0), words64))
    wts8 = packed.pop("wts")
    zp = int(rq.out_offset) if rq is not None else 0
    return Conv2dRqOptArgs(**geometry(acc), output_offset=zp, act_min=-128, act_max=127,
                           **packed, wts=np.zeros(1, np.int64), kind=1,
                           esize=esize, **layer,
                           wts8=wts8, cores=cores)


def _mirrored(w: np.ndarray, bias: np.ndarray, rq):
    """The channels whose requantization decreases (mul * mul2 < 0) mirrored: weights,
    bias and mul negated give the same outputs (acc * mul is unchanged) from an increasing
    form, whose clamp thresholds the fast epilogue takes (weights of -128 stay)."""
    if rq is None:
        return w, bias, rq
    n = w.shape[0]
    mul = np.resize(np.asarray(rq.mul, np.int64).ravel(), n)
    flip = ((mul * np.sign(int(rq.mul2)) < 0) & (w.reshape(n, -1).min(axis=1) > -128)
            & (bias > -2**31))
    if not flip.any():
        return w, bias, rq
    sign = np.where(flip, -1, 1)
    return (w * sign[:, None, None, None], bias * sign,
            dataclasses.replace(rq, mul=mul * sign, add=np.resize(np.asarray(rq.add), n),
                                div=np.resize(np.asarray(rq.div), n)))


register(Conv2dS32Args, make)
for (_acc, _rqt), _cls in FUSED.items():
    if _acc is Conv2dS32Args:
        register(_cls, make)
