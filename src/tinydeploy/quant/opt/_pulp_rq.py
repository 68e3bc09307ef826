"""The requantization of integer-deployable graphs in its narrowest exact form, per
channel (runtime/kernels/opt/td_opt_rq.h).

The reference computes ``clamp(div_round(round_f32(round_f32(x*mul) + add) * mul2, div))``
in int64 with a division. Over the accumulators a channel can produce (``|x| <= bound``):

- float32 rounding is the identity below 2^24: a flag that cannot change a value there
  is dropped (the frontend sets it wherever it might for *some* layer input range);
- a power-of-two divisor is a shift (floor; rounding toward zero gives the same clamped
  value when the clamp's low end is >= 0);
- ``M = mul * mul2`` and ``B = add * mul2`` lose their common power of two with the shift,
  then ``(x*M + B) >> S`` is computed in int32 when it cannot overflow (TD_RQ_S32), else
  with one 64-bit product (TD_RQ_S64);
- otherwise, when the requantization is monotone (``mul * mul2 >= 0``: float32 rounding,
  any divisor, either rounding), the channel is *fitted*: its exact clamp thresholds and the
  accumulator at which each output level starts (binary search with the reference) are
  matched by ``(acc * M + B) >> S`` (TD_RQ_S32 when the levels fit int32 for the largest
  such S, else TD_RQ_S64): an affine form that starts every level where the reference does
  equals it on every accumulator between the thresholds (both are monotone), so the fit is
  exact by construction (:func:`fit`);
- anything else keeps the reference arithmetic (TD_RQ_GEN, int64 tables).
The clamp thresholds (monotonic for M >= 0) let a clamped output skip the arithmetic.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.golden.requant import divide, round_f32

S32, S64, GEN, RAW, F32G, DIV = 0, 1, 2, 3, 4, 5    # TD_RQ_*
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1
F32_EXACT = 1 << 24


def _v2(x: int) -> int:
    return (x & -x).bit_length() - 1


def _least(f, lo: int, hi: int) -> int:
    """The least a in [lo, hi] with f(a) true (hi when none below it), f monotone."""
    while lo < hi:
        mid = (lo + hi) // 2
        if f(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _f32_error(t_max: int) -> int:
    """Largest change float32 rounding makes to an integer of magnitude <= t_max."""
    return 0 if t_max < F32_EXACT else 1 << (t_max.bit_length() - 25)


def _guarded(mul, add, div, mul2, fp32, rounding, lo, hi, bound):
    """TD_RQ_F32G words, or None: the guard band G around quotient boundaries within
    which the float32 roundings can change the quotient."""
    if div <= 0 or div & (div - 1) or abs(mul) > I32_MAX:
        return None
    s = div.bit_length() - 1
    t1 = bound * abs(mul)
    e1 = _f32_error(t1) if fp32 & 1 else 0
    e2 = _f32_error(t1 + e1 + abs(add)) if fp32 & 2 else 0
    g = (e1 + e2) * abs(mul2)
    if 2 * g >= div or g > I32_MAX or s > 62:
        return None
    tl, th = I32_MIN, I32_MAX
    if mul * mul2 >= 0:
        def f(a):
            return _reference(a, mul, add, div, mul2, fp32, rounding)
        tl = max(I32_MIN, min(I32_MAX, _least(lambda a: f(a) > lo, -bound, bound + 1)))
        th = max(I32_MIN, min(I32_MAX, _least(lambda a: f(a) >= hi, -bound, bound + 1)))
    return F32G, [mul, add & 0xFFFFFFFF, add >> 32, s, tl, th, g]


def _by_reciprocal(mul, add, div, mul2, rounding, lo, hi, bound):
    """TD_RQ_DIV words, or None: n = x*M + B must stay within int32 and D below 2^31."""
    m, b = mul * mul2, add * mul2
    if bound * abs(m) + abs(b) > I32_MAX or div > I32_MAX or abs(m) > I32_MAX:
        return None
    tl, th = I32_MIN, I32_MAX
    if m >= 0:
        def f(a):
            n = a * m + b
            qq = -(-n // div) if rounding == 1 and n < 0 else n // div
            return qq
        tl = max(I32_MIN, min(I32_MAX, _least(lambda a: f(a) > lo, -bound, bound + 1)))
        th = max(I32_MIN, min(I32_MAX, _least(lambda a: f(a) >= hi, -bound, bound + 1)))
    return DIV, [m, b & 0xFFFFFFFF, div, 0, tl, th, (1 << 32) // div]


def _reference(x, mul, add, div, mul2, fp32, rounding) -> int:
    """The golden's requant of one accumulator (before the clamp)."""

    v = np.int64(x) * mul
    if fp32 & 1:
        v = round_f32(v)
    v = v + add
    if fp32 & 2:
        v = round_f32(v)
    return int(divide(np.asarray(v * mul2), np.asarray(div), rounding))


def channel(mul: int, add: int, div: int, mul2: int, fp32: int, rounding: int,
            lo: int, hi: int, bound: int) -> tuple[int, list[int]]:
    """(mode, [M, B_lo, B_hi, S, tl, th, G]) of one channel (GEN: zeros)."""
    gen = (GEN, [0, 0, 0, 0, I32_MIN, I32_MAX, 0])
    if (fp32 & 1 and bound * abs(mul) >= F32_EXACT) or \
            (fp32 & 2 and bound * abs(mul) + abs(add) >= F32_EXACT):
        return _guarded(mul, add, div, mul2, fp32, rounding, lo, hi, bound) or gen
    if div > 0 and div & (div - 1):
        return _by_reciprocal(mul, add, div, mul2, rounding, lo, hi, bound) or gen
    if div <= 0 or (rounding == 1 and lo < 0):
        return gen
    s = div.bit_length() - 1
    m, b = mul * mul2, add * mul2
    t = s if m == 0 else min(_v2(m), s)
    m, b, s = m >> t, b >> t, s - t
    if abs(m) > I32_MAX:
        return gen
    if bound * abs(m) + abs(b) <= I32_MAX and abs(b) <= I32_MAX and s <= 31:
        mode = S32
    elif s <= 62 and bound * abs(m) + abs(b) < (1 << 62):
        mode = S64
    else:
        return gen
    tl, th = I32_MIN, I32_MAX
    if m >= 0:
        def f(a):
            return (a * m + b) >> s
        tl = max(I32_MIN, min(I32_MAX, _least(lambda a: f(a) > lo, -bound, bound + 1)))
        th = max(I32_MIN, min(I32_MAX, _least(lambda a: f(a) >= hi, -bound, bound + 1)))
    return mode, [m, b & 0xFFFFFFFF, b >> 32, s, tl, th, 0]


def _reference_vec(a: np.ndarray, mul, add, div, mul2: int, fp32: int,
                   rounding: int) -> np.ndarray:
    """:func:`_reference` on int64 arrays (mul, add, div broadcast per row)."""
    v = a * mul
    if fp32 & 1:
        v = round_f32(v)
    v = v + add
    if fp32 & 2:
        v = round_f32(v)
    return divide(v * np.int64(mul2), div, rounding)


def level_starts(rq, chans: list[int], bound: list[int], sign=None) -> np.ndarray:
    """T[i, j]: the least a in [-bound, bound + 1] whose requantized value of accumulator
    sign[i] * a (before the clamp) is >= lo + 1 + j, for channel chans[i] (sign 1 for a
    non-decreasing channel, -1 for a non-increasing one, which is mirrored)."""
    lo, hi = int(rq.clip_lo), int(rq.clip_hi)
    col = np.asarray(chans)[:, None]

    def per(v):
        v = np.asarray(v, np.int64).ravel()
        return v[col % len(v)]

    mul, add, div = per(rq.mul), per(rq.add), per(rq.div)
    k = np.arange(lo + 1, hi + 1, dtype=np.int64)[None, :]
    b = np.asarray(bound, np.int64)[:, None]
    sg = np.ones((len(chans), 1), np.int64) if sign is None else \
        np.asarray(sign, np.int64)[:, None]
    left = np.broadcast_to(-b, (len(chans), hi - lo)).copy()
    right = np.broadcast_to(b + 1, left.shape).copy()
    while np.any(left < right):
        mid = (left + right) // 2
        up = _reference_vec(sg * mid, mul, add, div, int(rq.mul2), int(rq.fp32),
                            int(rq.rounding)) >= k
        live = left < right
        right = np.where(live & up, mid, right)
        left = np.where(live & ~up, mid + 1, left)
    return left


def _feasible_m(lows, highs, m_hi: int) -> tuple[int, int] | None:
    """(M, B) with 0 <= M <= m_hi and c - M*t <= B for every (c, t) in lows and
    B <= c - M*t for every (c, t) in highs, or None. h(M) = max over lows - min over highs
    is convex in M: bisect on the sign of its subgradient."""
    def h(m):
        lv = [c - m * t for c, t in lows]
        hv = [c - m * t for c, t in highs]
        lb, ub = max(lv), min(hv)
        lt = [-t for (c, t), v in zip(lows, lv) if v == lb]
        ut = [t for (c, t), v in zip(highs, hv) if v == ub]
        return lb, ub, min(lt) + min(ut), max(lt) + max(ut)

    left, right = 0, m_hi
    while left <= right:
        m = (left + right) // 2
        lb, ub, g_lo, g_hi = h(m)
        if lb <= ub:
            return m, lb
        if g_lo > 0:
            right = m - 1
        elif g_hi < 0:
            left = m + 1
        else:
            return None          # the minimum of h is positive: no M fits
    return None


def fit(starts, lo: int, hi: int, mirror_bound: int | None = None
        ) -> tuple[int, list[int]] | None:
    """(mode, [M, B_lo, B_hi, S, tl, th, 0]) of a monotone channel whose levels lo + 1 ..
    hi start at the accumulators ``starts`` (:func:`level_starts`), or None.

    Between the thresholds tl = starts[0] and th = starts[-1] the output is k on
    [starts[k - lo - 1], starts[k - lo]); (acc*M + B) >> S equals it there iff, on every
    such non-empty interval, k * 2^S <= first*M + B and last*M + B < (k + 1) * 2^S.
    ``mirror_bound``: the starts are of the mirrored channel (acc -> -acc, a
    non-increasing one) over [-bound, bound]: no thresholds (the C kernels take them for
    non-decreasing channels only), the form must then also reach lo below tl and hi from
    th on (the kernel clamps it), over the whole range, and M is negated."""
    t = [int(v) for v in starts]
    tl, th = t[0], t[-1]
    if th > I32_MAX or tl < I32_MIN:
        return None
    runs = [(lo + 1 + j, t[j], t[j + 1] - 1) for j in range(len(t) - 1) if t[j] < t[j + 1]]
    if mirror_bound is not None:
        if tl > -mirror_bound:
            runs.append((lo, -mirror_bound, tl - 1))
        if th <= mirror_bound:
            runs.append((hi, th, mirror_bound))
    if not runs:
        return S32, [0, 0, 0, 0, tl, th, 0]
    top = max(abs(lo), abs(hi) + 1)
    s32 = 31 - top.bit_length()                     # top * 2^S <= 2^31
    s64 = 61 - top.bit_length()
    # M <= I32_MAX: at most 2^30 / slope per 2^S (the slope: levels per accumulator step)
    span, levels = max(1, th - tl), max(1, len(t) - 1)
    room = (30 + (span // levels).bit_length() - 1 if span >= levels
            else 30 - (-(-levels // span) - 1).bit_length())
    tries = [(S32, min(s32, room + 1) - d) for d in range(2 if mirror_bound else 1)] + \
        [(S64, min(s64, room + 1) - d) for d in range(3)]
    for mode, s in tries:
        if s < 0:
            continue
        one = 1 << s
        got = _feasible_m([(k * one, a) for k, a, _ in runs if k > lo],
                          [((k + 1) * one - 1, b) for k, _, b in runs if k < hi], I32_MAX)
        if got is None:
            continue
        m, b = got
        ends = [r[1] * m + b for r in runs] + [r[2] * m + b for r in runs]
        if mode == S32 and not (I32_MIN <= min(ends) and max(ends) <= I32_MAX):
            continue
        if mode == S64 and (abs(b) >= 1 << 62 or max(map(abs, ends)) >= 1 << 62):
            continue
        if mirror_bound is not None:
            return mode, [-m, b & 0xFFFFFFFF, b >> 32, s, I32_MIN, I32_MAX, 0]
        return mode, [m, b & 0xFFFFFFFF, b >> 32, s, tl, th, 0]
    return None


def descriptors(rq, bound, fit64: bool = False) -> tuple[list[list[int]], dict]:
    """Per channel [mode, M, B_lo, B_hi, S, tl, th, gi, G] (words 2..10 of TD_OPT_CH) for the
    RequantArgs ``rq`` (None: raw int32 sums) and accumulator bounds ``bound[c]``, and the
    layer's fields (rq_lo, rq_hi, rq_fp32, rq_rounding, rq_mul2, gmul, gadd, gdiv).
    ``fit64``: a fit in int64 replaces a reciprocal division too (the convolution's
    TD_CV_RQ64 epilogue takes it, td_opt_cv_epi.h)."""
    n = len(bound)
    if rq is None:
        return [[RAW, 0, 0, 0, 0, I32_MIN, I32_MAX, 0, 0]] * n, dict(
            rq_lo=0, rq_hi=0, rq_fp32=0, rq_rounding=0, rq_mul2=0,
            gmul=np.zeros(1, np.int64), gadd=np.zeros(1, np.int64), gdiv=np.ones(1, np.int64))
    words, gmul, gadd, gdiv = [], [], [], []
    forms = [channel(*(int(v[c % len(v)]) for v in (rq.mul, rq.add, rq.div)), int(rq.mul2),
                     int(rq.fp32), int(rq.rounding), int(rq.clip_lo), int(rq.clip_hi),
                     int(bound[c])) for c in range(n)]
    todo = [c for c in range(n) if forms[c][0] != S32 and _fittable(rq, c, int(bound[c]))]
    if todo:
        sign = [-1 if _slope(rq, c) < 0 else 1 for c in todo]
        starts = level_starts(rq, todo, [int(bound[c]) for c in todo], sign)
        for c, sg, row in zip(todo, sign, starts):
            f = fit(row, int(rq.clip_lo), int(rq.clip_hi),
                    int(bound[c]) if sg < 0 else None)
            # (the reciprocal division costs about what one 64-bit product does, and the
            # depthwise kernel inlines it: it stays unless the fit is in int32)
            if f is not None and (f[0] == S32 or forms[c][0] != DIV or fit64):
                forms[c] = f
    for c in range(n):
        mul, add, div = (int(v[c % len(v)]) for v in (rq.mul, rq.add, rq.div))
        mode, rest = forms[c]
        gi = 0
        if mode in (GEN, F32G):                 # (F32G falls back to it near boundaries)
            gi = len(gmul)
            gmul.append(mul)
            gadd.append(add)
            gdiv.append(div)
        words.append([mode, *[_wrap(v) for v in rest[:6]], gi, rest[6]])
    return words, dict(rq_lo=int(rq.clip_lo), rq_hi=int(rq.clip_hi), rq_fp32=int(rq.fp32),
                       rq_rounding=int(rq.rounding), rq_mul2=int(rq.mul2),
                       gmul=np.array(gmul or [0], np.int64), gadd=np.array(gadd or [0], np.int64),
                       gdiv=np.array(gdiv or [1], np.int64))


def _slope(rq, c: int) -> int:
    return int(np.ravel(rq.mul)[c % np.size(rq.mul)]) * int(rq.mul2)


def _fittable(rq, c: int, bound: int) -> bool:
    """A channel whose reference stays inside int64 over the accumulator range (and with
    at most 2^16 output levels); monotone, as every requantization here is."""
    mul, add, div = (int(v[c % len(v)]) for v in (rq.mul, rq.add, rq.div))
    mul2 = int(rq.mul2)
    return (div > 0 and 0 < bound < I32_MAX
            and 0 < int(rq.clip_hi) - int(rq.clip_lo) <= 1 << 16
            and ((bound + 1) * abs(mul) + abs(add) + F32_EXACT) * max(1, abs(mul2)) < 1 << 62)


def _wrap(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= (1 << 31) else v


def rq32_words(d, lo: int, hi: int, off: int, bound: int, adj: int) -> list[int] | None:
    """The TD_CV_RQ32 words (d[5], d[9], d[10], d[11]: td_opt_cv_epi.h) of a conv channel
    with descriptor d (words 2..10 of :func:`descriptors`), accumulator bound ``bound``
    and low-lane start ``adj`` (a = s + adj, |s| < 2^23), or None when its form is not
    TD_RQ_S32 with exact thresholds: between them (the accumulators that reach the
    arithmetic) the value must need no clamp and stay in int32 with the offset folded."""
    mode, m, b_lo, b_hi, s, tl, th = (int(v) for v in d[:7])
    if mode != S32 or m < 0:
        return None
    b = (b_hi << 32) + (b_lo & 0xFFFFFFFF) + (off << s)
    first, last = max(tl, -bound), min(th, bound + 1) - 1
    if first <= last:
        if not (lo + off <= (first * m + b) >> s and (last * m + b) >> s <= hi + off):
            return None
        if first * m + b < I32_MIN or last * m + b > I32_MAX:
            return None
    lim = 1 << 30
    return [_wrap(b + adj * m), max(-lim, min(lim, tl - adj)), max(-lim, min(lim, th - adj)),
            _wrap(b)]


def rq64_words(d, lo: int, hi: int, off: int, bound: int) -> list[int] | None:
    """The words 2..10 of a conv channel for TD_CV_RQ64 (td_opt_cv_epi.h): its descriptor d
    (words 2..10 of :func:`descriptors`) in the form TD_RQ_S64 with S >= 32 (a TD_RQ_S32
    one scaled by 2^(32 - S) if M stays in int32: the same value) and exact thresholds (as
    :func:`rq32_words`: no clamp between them, the sum inside int64), B + offset * 2^S in
    words 9 and 10 (low, high); or None."""
    mode, m, b_lo, b_hi, s, tl, th = (int(v) for v in d[:7])
    b = (b_hi << 32) + (b_lo & 0xFFFFFFFF)
    if mode == S32 and s < 32 and m << (32 - s) <= I32_MAX:
        mode, m, b, s = S64, m << (32 - s), b << (32 - s), 32
    if mode != S64 or m < 0 or not 32 <= s <= 62:
        return None
    d = [S64, m, _wrap(b), _wrap(b >> 32), s, tl, th]
    b += off << s
    first, last = max(tl, -bound), min(th, bound + 1) - 1
    if first <= last:
        if not (lo + off <= (first * m + b) >> s and (last * m + b) >> s <= hi + off):
            return None
        if max(abs(first * m + b), abs(last * m + b)) >= 1 << 63:
            return None
    return d + [_wrap(b), _wrap(b >> 32)]
