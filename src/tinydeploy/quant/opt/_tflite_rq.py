"""Per-channel constants of the optimized int8 kernels (TFLite double rounding).

The layout is ``td_opt_common.h``'s: TD_OPT_CH = 12 int32 words per channel,

    w0, w1, m4, c_pos, d_neg, sh, mult, shift, lo_l, hi_l, lo_h, hi_h

``w0, w1`` are the kernel's own (the convolution: ``hi_init``/``lo_adj``, the lane starts
with the bias and the input offset folded in; depthwise and fully connected: the start
value and the mode); ``m4, c_pos, d_neg, sh`` the fast requantization (td_opt_common.h,
trick 2) where it is exact; ``mult``/``shift`` the reference ``td_requant`` pair;
``lo_*``/``hi_*`` the clamp thresholds of the fast channels (:func:`clamp_thresholds`):
an accumulator below ``lo`` gives act_min, one at or above ``hi`` act_max, anything
between is requantized and stored without a clamp (``*_l``: the low lane of a pixel pair,
compared on its raw sum ``256 * S``; ``*_h``: the accumulator itself).
"""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.requant import multiply_by_quantized_multiplier

CH = 12                     # TD_OPT_CH
ACC_FAST = 1 << 29          # |acc| below this for the fast requantization
LANE_LIMIT = 32768          # sum |w| of a channel below this for the low lane
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


def wrap32(v: int) -> int:
    """``v`` modulo 2^32 as a signed int32 value (what uint32 arithmetic in C gives)."""
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= (1 << 31) else v


def fast_requant(mult: int, shift: int, zp: int, acc_bound: int) -> tuple[int, ...] | None:
    """(m4, c_pos, d_neg, sh) of td_opt_rq when it equals TFLite's requantization plus the
    zero point for every |acc| <= acc_bound, else None (td_opt_common.h, trick 2)."""
    if mult < (1 << 30) or shift > 0 or shift < -21 or acc_bound >= ACC_FAST:
        return None
    r = -shift
    half = 1 << r if r > 0 else 0
    return (wrap32(mult << 2), 1 + half + zp * (1 << (r + 1)), 2 if r > 0 else 0, r + 1)


def fast_requant_z(mult: int, shift: int, acc_bound: int) -> tuple[int, ...] | None:
    """(m4, c_pos, d_neg, sh) of td_opt_rq *without* the output offset (the kernel adds it
    after the shift: TD_CV_FASTZ blocks) when that equals TFLite's requantization for every
    |acc| <= acc_bound, else None. The constant no longer carries zp * 2^(r + 1), so right
    shifts up to 29 fit: |floor(acc * M / 2^30)| < 2^30 and c_pos <= 2^29 + 1."""
    if mult < (1 << 30) or shift > 0 or shift < -29 or acc_bound >= ACC_FAST:
        return None
    r = -shift
    return (wrap32(mult << 2), 1 + (1 << r if r > 0 else 0), 2 if r > 0 else 0, r + 1)


def clamp_thresholds(mult, shift, zp: int, act_min: int, act_max: int, bound
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Per channel (L, H): the least accumulator in [-bound, bound] whose requantized value
    plus ``zp`` exceeds act_min, and the least that reaches act_max (bound + 1 if none).
    For a right shift the requantization is monotonic in the accumulator, so
    ``acc < L`` <=> the output is act_min and ``acc >= H`` <=> it is act_max; between them
    no clamp is needed. Exact (binary search on the golden's integer arithmetic)."""
    mult = np.asarray(mult, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    bound = np.asarray(bound, dtype=np.int64)

    def least(pred):
        lo, hi = -bound, bound + 1
        while np.any(lo < hi):
            mid = (lo + hi) // 2
            ok = pred(multiply_by_quantized_multiplier(mid, mult, shift) + zp)
            hi = np.where((lo < hi) & ok, mid, hi)
            lo = np.where((lo < hi) & ~ok, mid + 1, lo)
        return lo

    return least(lambda v: v > act_min), least(lambda v: v >= act_max)


def requant_words(mult, shift, zp: int, act_min: int, act_max: int, bound
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(fast[c], words[c][2:12]) of every channel: the fast requantization and its clamp
    thresholds where exact (accumulators within ``bound[c]``), else zeros with the
    reference pair (then ``fast`` is False and the thresholds never decide)."""
    n = len(np.atleast_1d(mult))
    fast = np.zeros(n, dtype=bool)
    words = np.zeros((n, CH - 2), dtype=np.int64)
    lo, hi = clamp_thresholds(mult, shift, zp, act_min, act_max, bound)
    for c in range(n):
        m, s = int(np.atleast_1d(mult)[c]), int(np.atleast_1d(shift)[c])
        k = fast_requant(m, s, zp, int(np.atleast_1d(bound)[c]))
        fast[c] = k is not None
        rq = k if k is not None else (0, 0, 0, 1)
        th = (int(lo[c]), int(hi[c])) if k is not None else (I32_MIN, I32_MAX)
        words[c] = [*rq, m, s, 0, 0, *th]
    return fast, words


def requant_words_z(mult, shift, zp: int, act_min: int, act_max: int, bound
                    ) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`requant_words` for TD_CV_FASTZ blocks: (fastz[c], words[c][2:12]) with the
    constants of :func:`fast_requant_z` (the output offset added after the shift) and the
    same clamp thresholds (they include the offset: they come from the golden)."""
    n = len(np.atleast_1d(mult))
    fastz = np.zeros(n, dtype=bool)
    words = np.zeros((n, CH - 2), dtype=np.int64)
    lo, hi = clamp_thresholds(mult, shift, zp, act_min, act_max, bound)
    for c in range(n):
        m, s = int(np.atleast_1d(mult)[c]), int(np.atleast_1d(shift)[c])
        k = fast_requant_z(m, s, int(np.atleast_1d(bound)[c]))
        fastz[c] = k is not None
        rq = k if k is not None else (0, 0, 0, 1)
        th = (int(lo[c]), int(hi[c])) if k is not None else (I32_MIN, I32_MAX)
        words[c] = [*rq, m, s, 0, 0, *th]
    return fastz, words


def constant_words(mult: int, shift: int, zp: int, act_min: int, act_max: int, acc: int,
                   zo: int) -> list[int] | None:
    """words[2:12] of a channel whose accumulator is always ``acc`` (all its weights zero:
    VWW's dead channels, bias ~2^30, right shifts up to 31): td_opt_rq with m4 = 0, sh = 1
    gives (acc + c_pos) >> 1 = v - zo for c_pos = 2 (v - zo) - acc, v its one output (from
    the golden); no threshold ever decides. ``zo``: the offset the kernel adds after the
    shift (0 in a TD_CV_FAST block, zp in a TD_CV_FASTZ one). None if |acc| is too close
    to 2^31 for c_pos to fit."""
    if abs(acc) >= I32_MAX - 1024:
        return None
    v = int(multiply_by_quantized_multiplier(np.int64(acc), np.int64(mult), np.int64(shift)))
    v = min(max(v + zp, act_min), act_max)
    return [0, 2 * (v - zo) - acc, 0, 1, mult, shift, 0, 0, I32_MIN, I32_MAX]


def lane_thresholds(lo: int, hi: int, lo_adj: int) -> tuple[int, int]:
    """The thresholds (L, H) on an accumulator as thresholds on a low lane's raw sum
    ``256 * S`` with ``acc = S + lo_adj`` (unwrapped), clamped to int32 (the raw sums are
    multiples of 256 inside int32, so the clamped comparison decides the same)."""
    def conv(t: int) -> int:
        return min(max(256 * (t - lo_adj), I32_MIN), I32_MAX)

    return conv(lo), conv(hi)


def x_max(input_offset: int) -> int:
    """Largest |x + input_offset| over int8 x."""
    return max(abs(-128 + input_offset), abs(127 + input_offset))
