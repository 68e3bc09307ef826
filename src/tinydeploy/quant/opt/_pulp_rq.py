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


def descriptors(rq, bound) -> tuple[list[list[int]], dict]:
    """Per channel [mode, M, B_lo, B_hi, S, tl, th, gi, G] (words 2..10 of TD_OPT_CH) for the
    RequantArgs ``rq`` (None: raw int32 sums) and accumulator bounds ``bound[c]``, and the
    layer's fields (rq_lo, rq_hi, rq_fp32, rq_rounding, rq_mul2, gmul, gadd, gdiv)."""
    n = len(bound)
    if rq is None:
        return [[RAW, 0, 0, 0, 0, I32_MIN, I32_MAX, 0, 0]] * n, dict(
            rq_lo=0, rq_hi=0, rq_fp32=0, rq_rounding=0, rq_mul2=0,
            gmul=np.zeros(1, np.int64), gadd=np.zeros(1, np.int64), gdiv=np.ones(1, np.int64))
    words, gmul, gadd, gdiv = [], [], [], []
    for c in range(n):
        mul, add, div = (int(v[c % len(v)]) for v in (rq.mul, rq.add, rq.div))
        mode, rest = channel(mul, add, div, int(rq.mul2), int(rq.fp32), int(rq.rounding),
                             int(rq.clip_lo), int(rq.clip_hi), int(bound[c]))
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


def _wrap(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= (1 << 31) else v
