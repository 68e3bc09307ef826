"""transpose_conv (int8, 16x8): TFLite's quantized TRANSPOSE_CONV
(``reference_integer_ops::TransposeConv``).

Every input pixel ``(iy, ix)`` adds ``w[oc, ky, kx, :] . x[iy, ix, :]`` to output pixel
``(iy * sh - top + ky, ix * sw - left + kx)`` when that lies inside the output. int8: the
input offset is added to x (the filter's zero point is ignored, as TFLite does; we require
it 0), the sums are int32, then ``+ bias`` (int32), ``MultiplyByQuantizedMultiplier`` per
channel, ``+ zp_out``, clamp. 16x8: no offsets, int64 sums and bias, TFLite's 64-bit
requantization (:func:`.int16._common.requant64`). Multipliers and clamp bounds are the
conv's (``PopulateConvolutionQuantizationParams``). Kernels ``td_transpose_conv_s8`` and
``td_transpose_conv_s16``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import _conv_common as cc
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden.int16 import _common as c16


@dataclass(frozen=True, eq=False)
class TransposeConvArgs(KernelArgs):
    C_FUNC: ClassVar[str] = "td_transpose_conv_s8"
    batches: int
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    k_h: int
    k_w: int
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    input_offset: int    # -input zero point (0 for int16)
    output_offset: int   # output zero point (0 for int16)
    act_min: int
    act_max: int
    out_mult: np.ndarray = array_field()    # [out_c] Q31 multipliers
    out_shift: np.ndarray = array_field()   # [out_c] shifts, > 0 = left


@dataclass(frozen=True, eq=False)
class TransposeConvS16Args(TransposeConvArgs):
    C_FUNC: ClassVar[str] = "td_transpose_conv_s16"


def prepare(g: Graph, op: Op) -> TransposeConvArgs:
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    wide = x.dtype == "int16"
    if wide:
        c16.require_int16(op, x, y)
        wd = c16.require_int8_weights(op, w)
    else:
        cc.require_int8(op, x, w, y)
        cc.require_symmetric_weights(op, w)
        wd = w.data.astype(np.int64) if w.is_const else None
    if len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4 or \
            w.shape[3] != x.shape[3] or w.shape[0] != y.shape[3] or x.shape[0] != y.shape[0]:
        raise UnsupportedError(f"transpose_conv: shapes x{list(x.shape)} w{list(w.shape)} "
                               f"y{list(y.shape)} do not match", node=op.name)
    n, in_h, in_w, in_c = x.shape
    c_out, kh, kw, _ = w.shape
    (sh, sw), (top, left) = (tuple(int(v) for v in op.attrs[k]) for k in ("stride", "pads"))
    if min(sh, sw) < 1 or min(top, left) < 0:
        raise UnsupportedError(f"transpose_conv: stride {(sh, sw)}, pads {(top, left)}",
                               node=op.name)
    # every output element sums at most ceil(k / s) taps per axis
    taps = -(-kh // sh) * -(-kw // sw) * in_c
    w_abs = (np.minimum(np.abs(wd).reshape(c_out, -1).sum(axis=1),
                        np.abs(wd).reshape(c_out, -1).max(axis=1) * taps)
             if wd is not None else np.full(c_out, 128 * taps))
    if wide:
        bias = c16.bias64(g, op, c_out)
        c16.check_acc64(op, w_abs, bias)
    else:
        bias = cc.bias_data(g, op, c_out)
        cc.check_accumulator(op, w_abs, -x.quant.zp, bias)
    mult, shift = cc.channel_multipliers(x.quant.s, cc.weight_scales(op, w, c_out, 0),
                                         y.quant.s)
    if wide:
        c16.check_shifts64(op, shift)
    act_min, act_max = cc.act_bounds(g, op)
    cls = TransposeConvS16Args if wide else TransposeConvArgs
    return cls(n, in_h, in_w, in_c, y.shape[1], y.shape[2], c_out, kh, kw, sh, sw, top, left,
               -x.quant.zp, y.quant.zp, act_min, act_max, mult, shift)


def sums(a: TransposeConvArgs, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The int64 sums of every output element (no bias)."""
    x = x.reshape(a.batches, a.in_h, a.in_w, a.in_c).astype(np.int64) + a.input_offset
    w = w.reshape(a.out_c, a.k_h, a.k_w, a.in_c).astype(np.int64)
    acc = np.zeros((a.batches, a.out_h, a.out_w, a.out_c), dtype=np.int64)
    iy, ix = np.arange(a.in_h), np.arange(a.in_w)
    for ky in range(a.k_h):
        oy = iy * a.stride_h - a.pad_top + ky
        ry = (oy >= 0) & (oy < a.out_h)
        for kx in range(a.k_w):
            ox = ix * a.stride_w - a.pad_left + kx
            rx = (ox >= 0) & (ox < a.out_w)
            contrib = x[:, ry][:, :, rx] @ w[:, ky, kx, :].T
            acc[:, oy[ry][:, None], ox[rx][None, :], :] += contrib
    return acc


def run(a: TransposeConvArgs, x: np.ndarray, w: np.ndarray, b: np.ndarray | None
        ) -> np.ndarray:
    acc = sums(a, x, w)
    if b is not None:
        acc += b.astype(np.int64).reshape(a.out_c)
    if isinstance(a, TransposeConvS16Args):
        return c16.clamp16(c16.requant64(acc, a.out_mult, a.out_shift), a.act_min, a.act_max)
    return cc.requantize(acc, a.out_mult, a.out_shift, a.output_offset, a.act_min, a.act_max)


register("transpose_conv", prepare, run, TransposeConvArgs)
