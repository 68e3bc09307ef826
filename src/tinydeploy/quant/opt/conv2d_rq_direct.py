"""td_conv2d_rq_direct_opt: the direct convolution of integer-deployable graphs with an
int8 input and few output channels (kernels/opt/td_conv2d_rq_direct_opt.h): the int8
twin of td_conv2d_s16_rq_opt (``conv2d_s16.py``: same args, packing and requantization),
reading the windows inside the input in place instead of staging every window as
td_conv2d_rq_opt does. With few output channels the staging is shared by few
multiply-adds and costs more than they do, so ``conv2d_rq.py`` takes this kernel when
its modeled cost is lower (:func:`make`)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from tinydeploy.quant.golden._accumulate import Conv2dS32Args
from tinydeploy.quant.golden.conv_nchw import ConvNchwArgs
from tinydeploy.quant.opt import register
from tinydeploy.quant.opt._tflite_rq import CH, x_max
from tinydeploy.quant.opt.conv2d_s16 import Conv2dS16RqOptArgs, blocks, build

MAX_OUT_C = 8           # beyond, the staged kernel shares its staging well enough
# NCHW pointwise layers: 4 x 4 blocks at ~2.7 instructions per MAC against the staged
# kernel's ~2.35 plus its staging and the input's transpose (~11 / out_c per MAC); on
# Deeploy's PW tests (17 and 32 channels) the NCHW kernel is faster or even, and it needs
# no copy of the input
NCHW_MAX_OUT_C = 32


class Conv2dRqDirectOptArgs(Conv2dS16RqOptArgs):
    C_FUNC: ClassVar[str] = "td_conv2d_rq_direct_opt"
    IN_SIZE: ClassVar[int] = 1


def modeled_cost(acc, inline: bool = True) -> float:
    """Instructions per MAC of the direct kernel (rv32imc gcc -O3). Per group of pixels the
    windows, the block calls and the stores; per block and kernel row their loop set-up;
    per turn of the inner loop (4 taps of 4 channels x 2 pixels, 2 of 8 x 2, 4 of 4 x 4)
    its loads and multiply-adds; the border windows staged row by row. The 4 x 4 block
    (at most 4 channels) was recalibrated when the windows of a group inside the input
    came without a call (one pointer, then sx apart), the block lost its accumulator
    set-up and its loop a spill, on nemo_eegnet_1xw (pointwise K = 100: 4,726
    instructions per group of 4 pixels; 1x3 x 4 channels, K = 12: 1,026): 486 per group,
    35 per kernel row, 168 per turn of 4 taps (88 for a pair, 46 for a single tap left),
    and 120 more per group when a channel's requantization is not inline (``inline``
    False: td_cvd_store's switch; its 1x3 layer with int64 channels: 1,149). The pair
    blocks (more channels) keep their calibration on deeploy_conv2d_rq and
    nemo_eegnet_1xw from before that change (their windows are cheaper now: the model is
    pessimistic there)."""
    n8, n4 = blocks(acc.out_c)
    k, rows, run = acc.k_h * acc.k_w * acc.in_c, acc.k_h, acc.k_w * acc.in_c
    if n8 == 0:                              # one block of 4 channels x 4 pixels
        quad = 486 + (0 if inline else 120) + rows * (
            35 + run // 4 * 168 + run % 4 // 2 * 88 + run % 2 * 46)
        quad += (1 - _inside_fraction(acc)) * 4 * rows * (20 + 3 * run)
        return quad / (4 * acc.out_c * k)
    pair = 300 + 40 * acc.out_c
    for r in [8] * n8 + [4] * n4:
        taps = 4 if r == 4 else 2
        pair += 100 + rows * (35 + run // taps * (92 if r == 4 else 87)
                              + run % taps * (25 if r == 4 else 45))
    pair += (1 - _inside_fraction(acc)) * 2 * rows * (20 + 3 * run)
    return pair / (2 * acc.out_c * k)


def staged_cost(acc) -> float:
    """Instructions per MAC of td_conv2d_rq_opt on a layer of out_c channels, as measured
    on the same layers: its GEMM, about 6 instructions per staged tap shared by the
    channels and about 86 per pixel."""
    k = acc.k_h * acc.k_w * acc.in_c
    return 2.9 + 6.0 / acc.out_c + 86.0 / (k * acc.out_c)


def _inside_fraction(acc) -> float:
    """The share of output pixels whose window lies inside the input (read in place)."""
    def inside(n_out, stride, pad, k, d, n_in):
        return sum(0 <= o * stride - pad and o * stride - pad + (k - 1) * d < n_in
                   for o in range(n_out))
    rows = inside(acc.out_h, acc.stride_h, acc.pad_top, acc.k_h, acc.dilation_h, acc.in_h)
    cols = inside(acc.out_w, acc.stride_w, acc.pad_left, acc.k_w, acc.dilation_w, acc.in_w)
    return rows * cols / (acc.out_h * acc.out_w) if acc.dilation_w == 1 else 0.0


def make(acc, rq, consts, cores: int) -> Conv2dRqDirectOptArgs | None:
    """This kernel's args for ``acc`` (+ ``rq``) when it applies (an int8 input, one group,
    at most MAX_OUT_C channels) and its modeled cost (with its store form: every channel
    inline, int8 outputs, or not) is clearly (5 %) below the staged kernel's, else None."""
    if consts[1] is None or type(acc) is not Conv2dS32Args or acc.groups != 1 \
            or acc.out_c > MAX_OUT_C or modeled_cost(acc) >= 0.95 * staged_cost(acc):
        return None
    args = build(Conv2dRqDirectOptArgs, acc, rq, consts, x_max(acc.input_offset), cores)
    inline = args.esize == 1 and bool(np.all(np.asarray(args.chan).reshape(-1, CH)[:, 1] == 1))
    if not inline and modeled_cost(acc, False) >= 0.95 * staged_cost(acc):
        return None
    return args


class Conv2dRqNchwOptArgs(Conv2dRqDirectOptArgs):
    """A pointwise layer reading an NCHW int8 input (td_conv2d_rq_nchw_s8_opt)."""
    C_FUNC: ClassVar[str] = "td_conv2d_rq_nchw_s8_opt"

    def inplace_margin(self) -> int | None:
        return None                     # (reads planes, writes pixels: never in place)

    def c_config(self) -> dict[str, tuple[int, ...]]:
        """TD_CVD_PATHS: its stores (the block is its own)."""
        paths = tuple(p for p in super().c_config()["TD_CVD_PATHS"] if p >= 4)
        return {"TD_CVD_PATHS": paths}


class Conv2dRqNchwU8OptArgs(Conv2dRqNchwOptArgs):
    """The same with a uint8 input (the int8 layer's zero-point flip folded)."""
    C_FUNC: ClassVar[str] = "td_conv2d_rq_nchw_u8_opt"


def make_nchw(a: ConvNchwArgs, consts, cores: int = 1, lean: bool = False) \
        -> Conv2dRqNchwOptArgs | None:
    """A pointwise conv reading its NCHW input (passes/nchw_edges.py), or None: one image,
    no padding, stride 1, at most NCHW_MAX_OUT_C output channels, in blocks of 4 channels x
    4 pixels (output pixels p..p+3 are the bytes x[k * H * W + p..p+3] of every plane k).
    A uint8 input x + 128 is summed as it is stored: each channel's start value (word 0)
    loses 128 * sum(w)."""
    inner = a.inner
    acc, rq = (inner.acc, inner.rq) if hasattr(inner, "rq") else (inner, None)
    if consts[1] is None or type(acc) is not Conv2dS32Args or acc.groups != 1 \
            or (acc.k_h, acc.k_w, acc.stride_h, acc.stride_w, acc.batches) != (1, 1, 1, 1, 1) \
            or (acc.out_h, acc.out_w) != (acc.in_h, acc.in_w) or acc.pad_top or acc.pad_left \
            or acc.out_c > NCHW_MAX_OUT_C:
        return None                     # (out == in: no padding at the bottom or right)
    cls = Conv2dRqNchwU8OptArgs if a.flip else Conv2dRqNchwOptArgs
    args = build(cls, acc, rq, consts, x_max(acc.input_offset), cores, quads=True)
    if a.flip:
        chan = np.asarray(args.chan, np.int64).reshape(-1, CH).copy()
        s = np.asarray(consts[1], np.int64).reshape(acc.out_c, -1).sum(axis=1)
        s = s[np.minimum(np.arange(len(chan)), acc.out_c - 1)]   # (padding: the last's)
        chan[:, 0] = (chan[:, 0] - 128 * s + 2**31) % 2**32 - 2**31      # (wrapped to int32)
        args = dataclasses.replace(args, chan=chan.ravel())
    return args


register(ConvNchwArgs, make_nchw)
