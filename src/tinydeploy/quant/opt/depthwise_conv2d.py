"""td_depthwise_conv2d_s8_opt: the optimized depthwise convolution's args
(kernels/opt/td_depthwise_conv2d_s8_opt.h): int8 weights per channel [c][k_h * k_w], and
per channel the start value (bias + input offset * sum(w)), the requantization mode and
its constants (``_tflite_rq.py``). Scratch: a ring of staged input rows per core; each
visit of a channel computes ``rows`` output rows (about VISIT_PIXELS pixels: its setup
is paid once per visit), one row when the layer sits at the arena's peak (``lean``).

Integer graphs (make_rq): a channel whose requantization falls as its accumulator grows
is negated (weights, bias, multiplier: the same outputs), so it gets clamp thresholds;
int8 channels then take mode 2 - (acc * M + B) >> S in int32 with the zero point in B,
from the channel's exact form (_pulp_rq.descriptors) or fitted to the stored byte - and
the 3x3 loop computes them inline (two pixels per step where it can: c_config's
TD_DW_PAIR_STEPS).

NCHW layers (``planar``, make_nchw; passes/nchw_edges.py puts a depthwise between a
graph's NCHW edges there): the same loops with pixel step 1 over staged rows that hold
each channel's row after the other; a visit stages its rows in order (no ring), so the
3x3 pixel pairs reach the three rows from one pointer (TD_DW_PLANE_ROWS), and a uint8
input is moved to int8 while staged.
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
from tinydeploy.quant.golden.depthwise_nchw import DepthwiseNchwArgs
from tinydeploy.quant.golden.fused_requant import FUSED
from tinydeploy.quant.opt._pulp_rq import (DIV, I32_MAX, I32_MIN, S32, _feasible_m,
                                          _fittable, _slope, descriptors, level_starts)
from tinydeploy.quant.opt import OptArgs, python_field, register
from tinydeploy.quant.opt._inplace import margin_by_rows
from tinydeploy.quant.opt._tflite_rq import CH, requant_words, wrap32, x_max

VISIT_PIXELS = 24        # output pixels per visit of a channel aimed at
VISIT_PLANAR = 128       # the same for NCHW layers (their rows: a channel's own bytes)
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
    planar: int = 0                      # 0 NHWC; NCHW input and output: 1 int8, 2 uint8
    px_in: int = 1                       # staged bytes from one pixel to the next
    ch_in: int = 1                       # staged bytes from one channel to the next
    px_out: int = 1                      # output elements from one pixel to the next
    ch_out: int = 1                      # output elements from one channel to the next
    row_out: int = 1                     # output elements from one row to the next
    cores: int = python_field(1)         # the team it was made for (not in the struct)

    def scratch_size(self) -> int:
        return self.scratch_bytes

    def parallel_units(self) -> int:
        return -(-self.out_h // self.rows) * self.batches

    def inplace_margin(self) -> int | None:
        """For one core and for the team, whichever is larger (one plan serves both);
        NCHW layers read the caller's buffers, never in place."""
        if self.planar:
            return None
        return max(margin_by_rows(self.batches, self.in_h, self.in_w, self.in_c, self.out_h,
                                  self.out_w, self.out_c, self.stride_h, self.pad_top,
                                  self.span, self.rows * k, k == 1, item=self.esize)
                   for k in {1, self.cores})

    def c_config(self) -> dict[str, tuple[int, ...]]:
        d = self.px_in * self.dilation_w
        k3 = self.k_h == 3 and self.k_w == 3
        fast3 = k3 and d < 1024
        chan = np.asarray(self.chan).reshape(-1, CH)
        modes = set(chan[:, 1].tolist())
        pairs = fast3 and 2 in modes and self.stride_w == 1 and self.dilation_w == 1 and \
            self.depth_multiplier == 1 and 3 * d < 2048       # (the mode-2 pixel pairs)
        # NCHW pairs from one pointer (dw_row3s_<row_bytes>): rows at immediate offsets
        plane = pairs and self.planar and self.dilation_h == 1 and 2 * self.row_bytes + 3 < 2048
        conf = {"TD_DW_TAP_STEPS": (d,) if fast3 and not pairs else (),
                "TD_DW_PAIR_STEPS": (d,) if pairs and not plane else (),
                "TD_DW_PLANE_ROWS": (self.row_bytes,) if plane else ()}
        if k3:                                    # integer-graph forms of the 3x3 loop
            conf["TD_DW_RQ_FORMS"] = tuple(
                m for m in (3, 4) if m in modes or m == 3 and 2 in modes and self.esize != 1)
        conf["TD_DW_PATHS"] = tuple(sorted(self._paths(k3, fast3, chan)))
        return conf

    def _paths(self, k3: bool, fast3: bool, chan: np.ndarray) -> set[int]:
        """TD_DW_PATHS (td_opt_dw_impl.h) of this layer, as dw_rows and DW_ROW3 choose:
        visits of ``rows`` output rows and one of the remainder (out_h % rows) whatever the
        cores (each core's rows start at a multiple of ``rows``); only the tap-step
        instances (fast3) take the channels-inner visits of fewer than 4 pixels, and only
        for an integer-graph layer of depth multiplier 1."""
        modes = set(chan[:, 1].tolist())
        paths = {10 + m for m in modes} | ({5, 6} if self.planar == 2 else
                                            {5} if self.planar else set())
        few = fast3 and self.depth_multiplier == 1 and int(chan[0, 1]) >= 2 and \
            not self.planar and \
            min(self.rows, self.out_h % self.rows or self.rows) * self.out_w < 4
        if not k3 or 1 in modes:       # the general loop: other windows, TFLite's reference
            paths.add(1)
        if k3 and not fast3:
            paths.add(2)
        if few:
            paths.add(3)
            if modes - {2}:
                paths.add(4)
        # td_opt_rq_any: modes 3 and 4 in the general loop or dw_channel_any, mode 3 in the
        # 3x3 loop (mode 4 there: its own inline division)
        calls = chan[(chan[:, 1] == 3) | ((chan[:, 1] == 4) & (1 in paths or 4 in paths))]
        paths |= {30 + int(f) for f in set(calls[:, 2].tolist())}
        return paths


def make(a: DepthwiseConv2dArgs, consts, cores: int = 1, lean: bool = False,
         planar: int = 0) -> DepthwiseConv2dOptArgs | None:
    """``planar``: the layer reads and writes NCHW (passes/nchw_edges.py; 2: a uint8
    input, its top bit flipped while staged): a staged row holds each channel's row
    padded, channel after channel at ch_in bytes (a multiple of 4), one pixel per byte."""
    w = consts[1]
    if w is None:
        return None
    b = consts[2] if len(consts) > 2 and consts[2] is not None else None
    w = np.asarray(w, dtype=np.int64).reshape(a.k_h * a.k_w, a.out_c).T     # [c][taps]
    span = (a.k_h - 1) * a.dilation_h + 1
    visit = VISIT_PLANAR if planar else VISIT_PIXELS
    rows = 1 if lean else max(1, min(a.out_h, -(-visit // a.out_w)))
    while rows > 1 and (rows - 1) * a.stride_h + span > MAX_RING:
        rows -= 1
    ring = (rows - 1) * a.stride_h + span
    if ring > MAX_RING:
        return None
    reach = (a.out_w - 1) * a.stride_w + (a.k_w - 1) * a.dilation_w + 1
    wpad = a.pad_left + a.in_w + max(0, reach - a.pad_left - a.in_w)
    px_in = 1 if planar else a.in_c
    lead = -(a.pad_left * px_in) % 4        # TD_DW_LEAD: input columns word-aligned
    ch_in = -(-wpad // 4) * 4 if planar else 1
    staged = (a.in_c - 1) * ch_in + wpad if planar else wpad * a.in_c
    row_bytes = -(-(lead + staged) // 4) * 4
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
        span, rows, ring, wpad, row_bytes, (ring + (0 if planar else 1)) * row_bytes,
        np.array(chan, dtype=np.int64), w.ravel(), planar=planar, px_in=px_in, ch_in=ch_in,
        px_out=1 if planar else a.out_c, ch_out=a.out_h * a.out_w if planar else 1,
        row_out=a.out_w if planar else a.out_w * a.out_c, cores=cores)


register(DepthwiseConv2dArgs, make)


class DepthwiseConv2dRqOptArgs(DepthwiseConv2dOptArgs):
    C_FUNC: ClassVar[str] = "td_depthwise_conv2d_rq_opt"


def make_rq(a, consts, cores: int = 1, lean: bool = False, planar: int = 0):
    """The integer-graph depthwise (fused requant to int8/int16, or raw int32 sums);
    ``planar`` as make."""
    acc, rq = (a.acc, a.rq) if hasattr(a, "rq") else (a, None)
    if type(acc) is not DepthwiseConv2dS32Args or consts[1] is None:
        return None
    w = np.asarray(consts[1], dtype=np.int64).reshape(acc.k_h * acc.k_w, acc.out_c).T
    b = consts[2] if len(consts) > 2 and consts[2] is not None else None
    bias = np.zeros(acc.out_c, dtype=np.int64) if b is None else np.asarray(b, dtype=np.int64)
    if rq is not None:
        w, bias, rq = _non_decreasing(w, bias, rq)
    base = make(_as_tflite(acc), [consts[0], w.T, bias], cores, lean, planar)
    if base is None:
        return None
    bound = np.abs(bias) + np.abs(w).sum(axis=1) * x_max(acc.input_offset)
    desc, layer = descriptors(rq, bound)
    int8 = rq is not None and ESIZE[type(rq)] == 1
    chan = []
    for c in range(acc.out_c):
        # inline: 2 S32 with thresholds, zero point folded (int8), 4 DIV (int8); 3 any
        # form (a call)
        # (mode 2 needs 2 bound + 1 < 2^31: the pixel pairs' sign test, _pair_words)
        d, fold = list(desc[c]), int8 and 2 * int(bound[c]) + 1 < 1 << 31
        folded = fold and _fold_offset(d, int(rq.out_offset), int(rq.clip_lo),
                                       int(rq.clip_hi))
        if fold and not folded and (f := _fit_folded(rq, c, int(bound[c]))) is not None:
            d, folded = f, True
        mode = 2 if folded else 4 if d[0] == DIV and int8 else 3
        start = wrap32(int(bias[c]) + acc.input_offset * int(w[c].sum()))
        words = [start, mode, *d, 0]
        if mode == 2:
            words[9:12] = _pair_words(d, start, int(bound[c]))
        chan += words
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    fields.update(chan=np.array(chan, dtype=np.int64), output_offset=(
        int(rq.out_offset) if rq is not None else 0), act_min=-128, act_max=127,
        esize=ESIZE[type(rq)] if rq is not None else 4, **layer)
    return DepthwiseConv2dRqOptArgs(**fields)


def _pair_words(d: list[int], start: int, bound: int) -> list[int]:
    """Chan words 9..11 of a mode-2 channel for the pixel pairs, whose sums leave out the
    start value (DW_RQ_PUT0): B + start * M, tl' - start and th' - tl', with the thresholds
    moved into [-bound, bound + 1] - on every accumulator |acc| <= bound, acc < tl' exactly
    when acc < tl, and acc >= th' exactly when acc >= th (given acc >= tl) - so that
    acc - tl' fits int32 (2 bound + 1 < 2^31) and its sign picks the clamp."""
    tl = min(max(d[5], -bound), bound + 1)
    th = min(max(d[6], tl), bound + 1)
    return [wrap32(d[2] + start * d[1]), wrap32(tl - start), th - tl]


def _non_decreasing(w: np.ndarray, bias: np.ndarray, rq):
    """Weights [c][taps], bias and requantization with every channel whose requantization
    falls as its accumulator grows (mul * mul2 < 0) negated: weights, bias and mul, so the
    accumulator is -acc and every product acc * mul, hence every rounding and the output,
    is the same (float32 rounding is symmetric). Such a channel then has clamp thresholds
    like the others (td_opt_rq.h takes them for non-decreasing channels). A channel with
    a weight of -128 (no int8 negation) or an int32-extreme bias stays as it is."""
    n = w.shape[0]
    mul = np.array([int(np.ravel(rq.mul)[c % np.size(rq.mul)]) for c in range(n)], np.int64)
    neg = ((mul * np.sign(int(rq.mul2))) < 0) & (w.min(axis=1) > -128) & \
        (np.abs(bias) < (1 << 31) - 1)
    if not neg.any():
        return w, bias, rq
    sign = np.where(neg, -1, 1).astype(np.int64)
    return w * sign[:, None], bias * sign, dataclasses.replace(rq, mul=mul * sign)


def _fold_offset(d: list[int], off: int, lo: int, hi: int) -> bool:
    """Descriptor words d ([form, M, B_lo, B_hi, S, tl, th, ...]) of an int8 channel: for a
    TD_RQ_S32 form with thresholds (M >= 0, tl <= th), add the zero point to B
    (B + off * 2^S) and say True when (acc * M + B) >> S then gives the stored byte for
    every accumulator between the thresholds: there the values are lo + 1 .. hi - 1 before
    the zero point, so the shifted sum must stay within int32 with it."""
    if d[0] != S32 or d[1] < 0 or d[5] > d[6]:      # (the kernel's one compare: tl <= th)
        return False
    s = d[4]
    b = (d[2] & 0xFFFFFFFF) + (d[3] << 32)
    if ((lo + 1 + off) << s) < -(1 << 31) or ((hi + off) << s) > (1 << 31):
        return False
    nb = b + (off << s)
    if not -(1 << 31) <= nb < (1 << 31):
        return False
    d[2], d[3] = wrap32(nb), -1 if nb < 0 else 0
    return True


def _fit_folded(rq, c: int, bound: int) -> list[int] | None:
    """Mode-2 descriptor words of an int8 channel that has no int32 form as such (a divisor
    that is no power of two, float32 rounding, a product too wide), fitted to the stored
    byte itself: its levels lo + 1 .. hi (zero point included) start at the accumulators
    the reference gives (_pulp_rq.level_starts), and an int32 (acc * M + B) >> S that puts
    the first and the last accumulator of every level in that level equals the reference
    on every accumulator between the clamp thresholds (both are non-decreasing), as
    _pulp_rq.fit argues; counting the zero point in the levels centres them on zero, which
    leaves S one bit more than the unsigned levels 0..255 would. None: no such form."""
    if _slope(rq, c) < 0 or not _fittable(rq, c, bound):
        return None
    off = int(rq.out_offset)
    lo, hi = int(rq.clip_lo) + off, int(rq.clip_hi) + off
    t = [int(v) for v in level_starts(rq, [c], [bound])[0]]
    tl, th = t[0], t[-1]
    if tl < I32_MIN or th > I32_MAX or tl > th:
        return None
    runs = [(lo + 1 + j, t[j], t[j + 1] - 1) for j in range(len(t) - 1) if t[j] < t[j + 1]]
    if not runs:
        return [S32, 0, 0, 0, 0, tl, th, 0, 0]
    top = 30          # values of the runs lie in [(lo + 1) 2^S, hi 2^S): within int32
    while top > 0 and ((lo + 1) << top < I32_MIN or hi << top > 1 << 31):
        top -= 1
    for sh in range(top, max(-1, top - 3), -1):
        one = 1 << sh
        got = _feasible_m([(k * one, a) for k, a, _ in runs],
                          [((k + 1) * one - 1, b) for k, _, b in runs], I32_MAX)
        if got is None:
            continue
        m, b = got
        ends = [r[1] * m + b for r in runs] + [r[2] * m + b for r in runs]
        if I32_MIN <= min(ends) and max(ends) <= I32_MAX:      # (B itself may wrap)
            return [S32, m, wrap32(b), wrap32(b >> 32), sh, tl, th, 0, 0]
    return None


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


def make_nchw(a: DepthwiseNchwArgs, consts, cores: int = 1, lean: bool = False):
    """An NCHW layer (passes/nchw_edges.py): its NHWC op's maker, planar."""
    maker = {DepthwiseConv2dArgs: make}.get(type(a.inner), make_rq)
    return maker(a.inner, consts, cores, lean, planar=1 + a.flip)


register(DepthwiseNchwArgs, make_nchw)
