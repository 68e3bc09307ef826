"""td_depthwise_conv2d_s8_opt: the optimized depthwise convolution's args
(kernels/opt/td_depthwise_conv2d_s8_opt.h): int8 weights per channel [c][k_h * k_w], and
per channel the start value (bias + input offset * sum(w)), the requantization mode and
its constants (``_tflite_rq.py``). Scratch: a ring of staged input rows per core; each
visit of a channel computes ``rows`` output rows (about VISIT_PIXELS pixels: its setup
is paid once per visit), one row when the layer sits at the arena's peak (``lean``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.quant.args import array_field, scalar_field
import dataclasses

from tinydeploy.quant.golden import requant as _rq
from tinydeploy.quant.golden._accumulate import DepthwiseConv2dS32Args
from tinydeploy.quant.golden.depthwise_conv2d import DepthwiseConv2dArgs
from tinydeploy.quant.golden.fused_requant import FUSED
from tinydeploy.quant.opt._pulp_rq import DIV, S32, descriptors
from tinydeploy.quant.opt import OptArgs, python_field, register
from tinydeploy.quant.opt._inplace import margin_by_rows
from tinydeploy.quant.opt._tflite_rq import CH, requant_words, wrap32, x_max

VISIT_PIXELS = 24        # output pixels per visit of a channel aimed at
MAX_RING = 32            # TD_DW_RING


@dataclass(frozen=True, eq=False)
class DepthwiseConv2dOptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_depthwise_conv2d_s8_opt"
    batches: int
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    k_h: int
    k_w: int
    depth_multiplier: int
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_top: int
    pad_left: int
    input_offset: int
    output_offset: int
    act_min: int
    act_max: int
    span: int
    rows: int
    ring: int
    wpad: int
    row_bytes: int
    scratch_bytes: int
    chan: np.ndarray = array_field("int32_t")
    wts: np.ndarray = array_field("int8_t")
    esize: int = 1                       # integer graphs (below): see the header
    rq_lo: int = 0
    rq_hi: int = 0
    rq_fp32: int = 0
    rq_rounding: int = 0
    rq_mul2: int = scalar_field("int64_t", 0)
    gmul: np.ndarray = array_field("int64_t", (0,))
    gadd: np.ndarray = array_field("int64_t", (0,))
    gdiv: np.ndarray = array_field("int64_t", (1,))
    cores: int = python_field(1)         # the team it was made for (not in the struct)

    def scratch_size(self) -> int:
        return self.scratch_bytes

    def parallel_units(self) -> int:
        return -(-self.out_h // self.rows) * self.batches

    def inplace_margin(self) -> int | None:
        """For one core and for the team, whichever is larger (one plan serves both)."""
        return max(margin_by_rows(self.batches, self.in_h, self.in_w, self.in_c, self.out_h,
                                  self.out_w, self.out_c, self.stride_h, self.pad_top,
                                  self.span, self.rows * k, k == 1, item=self.esize)
                   for k in {1, self.cores})

    def c_config(self) -> dict[str, tuple[int, ...]]:
        d = self.in_c * self.dilation_w
        fast3 = self.k_h == 3 and self.k_w == 3 and d < 1024
        conf = {"TD_DW_TAP_STEPS": (d,) if fast3 else ()}
        if self.k_h == 3 and self.k_w == 3:       # integer-graph forms of the 3x3 loop
            modes = set(np.asarray(self.chan).reshape(-1, CH)[:, 1].tolist())
            conf["TD_DW_RQ_FORMS"] = tuple(
                m for m in (3, 4) if m in modes or m == 3 and 2 in modes and self.esize != 1)
        return conf


def make(a: DepthwiseConv2dArgs, consts, cores: int = 1,
         lean: bool = False) -> DepthwiseConv2dOptArgs | None:
    w = consts[1]
    if w is None:
        return None
    b = consts[2] if len(consts) > 2 and consts[2] is not None else None
    w = np.asarray(w, dtype=np.int64).reshape(a.k_h * a.k_w, a.out_c).T     # [c][taps]
    span = (a.k_h - 1) * a.dilation_h + 1
    rows = 1 if lean else max(1, min(a.out_h, -(-VISIT_PIXELS // a.out_w)))
    while rows > 1 and (rows - 1) * a.stride_h + span > MAX_RING:
        rows -= 1
    ring = (rows - 1) * a.stride_h + span
    if ring > MAX_RING:
        return None
    reach = (a.out_w - 1) * a.stride_w + (a.k_w - 1) * a.dilation_w + 1
    wpad = a.pad_left + a.in_w + max(0, reach - a.pad_left - a.in_w)
    row_bytes = -(-wpad * a.in_c // 4) * 4
    bias = np.zeros(a.out_c, dtype=np.int64) if b is None else np.asarray(b, dtype=np.int64)
    bound = np.abs(bias) + np.abs(w).sum(axis=1) * x_max(a.input_offset)
    fast, rq = requant_words(a.out_mult, a.out_shift, a.output_offset, a.act_min, a.act_max,
                             bound)
    chan = []
    for c in range(a.out_c):
        chan += [wrap32(int(bias[c]) + a.input_offset * int(w[c].sum())), int(not fast[c]),
                 *[int(v) for v in rq[c]]]
    return DepthwiseConv2dOptArgs(
        a.batches, a.in_h, a.in_w, a.in_c, a.out_h, a.out_w, a.out_c, a.k_h, a.k_w,
        a.depth_multiplier, a.stride_h, a.stride_w, a.dilation_h, a.dilation_w, a.pad_top,
        a.pad_left, a.input_offset, a.output_offset, a.act_min, a.act_max,
        span, rows, ring, wpad, row_bytes, (ring + 1) * row_bytes,
        np.array(chan, dtype=np.int64), w.ravel(), cores=cores)


register(DepthwiseConv2dArgs, make)


class DepthwiseConv2dRqOptArgs(DepthwiseConv2dOptArgs):
    C_FUNC: ClassVar[str] = "td_depthwise_conv2d_rq_opt"


def make_rq(a, consts, cores: int = 1, lean: bool = False):
    """The integer-graph depthwise (fused requant to int8/int16, or raw int32 sums)."""
    acc, rq = (a.acc, a.rq) if hasattr(a, "rq") else (a, None)
    if type(acc) is not DepthwiseConv2dS32Args or consts[1] is None:
        return None
    base = make(_as_tflite(acc), consts, cores, lean)
    if base is None:
        return None
    w = np.asarray(consts[1], dtype=np.int64).reshape(acc.k_h * acc.k_w, acc.out_c).T
    b = consts[2] if len(consts) > 2 and consts[2] is not None else None
    bias = np.zeros(acc.out_c, dtype=np.int64) if b is None else np.asarray(b, dtype=np.int64)
    bound = np.abs(bias) + np.abs(w).sum(axis=1) * x_max(acc.input_offset)
    desc, layer = descriptors(rq, bound)
    chan = []
    for c in range(acc.out_c):
        # inline: 2 S32 with thresholds, 4 DIV (int8 outputs); 3 any form (a call)
        mode = (2 if desc[c][0] == S32 and desc[c][1] >= 0 else
                4 if desc[c][0] == DIV and rq is not None and ESIZE[type(rq)] == 1 else 3)
        chan += [wrap32(int(bias[c]) + acc.input_offset * int(w[c].sum())), mode, *desc[c],
                 0]
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    fields.update(chan=np.array(chan, dtype=np.int64), output_offset=(
        int(rq.out_offset) if rq is not None else 0), act_min=-128, act_max=127,
        esize=ESIZE[type(rq)] if rq is not None else 4, **layer)
    return DepthwiseConv2dRqOptArgs(**fields)


def _as_tflite(acc) -> DepthwiseConv2dArgs:
    """The raw accumulator's geometry as a TFLite args (neutral requantization), for the
    plan that both share."""
    n = acc.out_c
    return DepthwiseConv2dArgs(acc.batches, acc.in_h, acc.in_w, acc.in_c, acc.out_h,
                               acc.out_w, acc.out_c, acc.k_h, acc.k_w, acc.depth_multiplier,
                               acc.stride_h, acc.stride_w, acc.dilation_h, acc.dilation_w,
                               acc.pad_top, acc.pad_left, acc.input_offset, 0, -128, 127,
                               np.full(n, 1 << 30, np.int64), np.zeros(n, np.int64))


ESIZE = {_rq.RequantArgs: 1, _rq.RequantS16Args: 2}
register(DepthwiseConv2dS32Args, make_rq)
for (_acc, _rqt), _cls in FUSED.items():
    if _acc is DepthwiseConv2dS32Args:
        register(_cls, make_rq)
