"""kissfft v130 in fixed point (``FIXED_POINT=16`` and ``32``), as TFLite Micro builds it for
its signal library (``signal/src/kiss_fft_wrappers/kiss_fft_int16`` / ``_int32``, patched
kissfft 1.3.0): the tables it computes at init and the integer arithmetic of its real FFT,
in numpy.

Arithmetic (``_kiss_fft_guts.h``), with B = 16 or 32: values are intB (``kiss_fft_scalar``);
a product is int(2B) and ``sround(x) = (intB)((x + 2^(B-2)) >> (B-1))``; ``C_MUL`` rounds
each of the two sums of products once; ``C_FIXDIV(c, p)`` multiplies both parts by
``SAMP_MAX / p`` (integer division, ``SAMP_MAX = 2^(B-1) - 1``) with ``sround``; sums are
computed in C ``int`` and stored back to intB (wrapping modulo 2^B, as the C's conversions
and, for B = 32, its int additions do on two's-complement targets); ``HALF_OF(x) = x >> 1``
(arithmetic) of the C int sum (for B = 16 the unwrapped 17-bit sum).

Tables (``kiss_fft_alloc``, ``kiss_fftr_alloc``): twiddle ``i`` of the ``n``-point complex
FFT is ``floor(0.5 + SAMP_MAX * cos(phase))`` (and sin) with ``phase = -2 * pi * i / n`` in
double; the real FFT's ``n / 2`` super twiddles use ``phase = -pi * ((i + 1) / n + 0.5)``.
The factorization (``kf_factor``) takes 4s, then 2s, then odd numbers up to
``floor(sqrt(n))``, then the rest. TFLM's patch makes the temporary buffer of the generic
(radix > 5) butterfly a null pointer, so only radices 2, 3, 4 and 5 run there
(:func:`factors` reports the others; the caller refuses them).

Structure (``kf_work``): the input is read in mixed-radix digit-reversed order
(:func:`permutation`), then stage by stage from the last factor to the first each block
of ``p * m`` outputs is recombined by the radix-``p`` butterfly with twiddle stride
``fstride`` (the product of the earlier radices) - the recursion's order, stage by stage.
"""

from __future__ import annotations

import math

import numpy as np


class Fixed:
    """kissfft's fixed-point width: FIXED_POINT=16 (int16 values, int32 products) or 32
    (int32 values, int64 products)."""

    def __init__(self, bits: int):
        self.bits, self.frac, self.max = bits, bits - 1, (1 << (bits - 1)) - 1
        self.dtype = np.int16 if bits == 16 else np.int32

    def w(self, x):
        """The store to kiss_fft_scalar (and an int32 sum): modulo 2^bits."""
        h = 1 << (self.bits - 1)
        return ((np.asarray(x, np.int64) + h) & ((h << 1) - 1)) - h

    def sround(self, x):
        return self.w((np.asarray(x, np.int64) + (1 << (self.frac - 1))) >> self.frac)

    @staticmethod
    def half(x):
        """HALF_OF of a C int sum: the sum wraps at 32 bits (only int32 values reach it)."""
        return ((np.asarray(x, np.int64) + 2**31) % 2**32 - 2**31) >> 1


F16, F32 = Fixed(16), Fixed(32)


def factors(n: int) -> list[tuple[int, int]]:
    """kissfft's ``kf_factor``: (radix p, remaining length m) per stage, p * m = previous m."""
    out, p = [], 4
    floor_sqrt = math.floor(math.sqrt(float(n)))
    while True:
        while n % p:
            p = {4: 2, 2: 3}.get(p, p + 2)
            if p > floor_sqrt:
                p = n
        n //= p
        out.append((p, n))
        if n <= 1:
            return out


def _table(phases, f: Fixed) -> np.ndarray:
    out = np.zeros((len(phases), 2), np.int64)
    for i, phase in enumerate(phases):
        out[i] = (math.floor(.5 + f.max * math.cos(phase)),
                  math.floor(.5 + f.max * math.sin(phase)))
    return out.astype(f.dtype)


def twiddles(n: int, f: Fixed = F16) -> np.ndarray:
    """[n, 2] (re, im): kiss_fft_alloc's forward twiddles."""
    pi = 3.141592653589793238462643383279502884197169399375105820974944
    return _table([-2 * pi * i / n for i in range(n)], f)


def super_twiddles(ncfft: int, f: Fixed = F16) -> np.ndarray:
    """[ncfft // 2, 2]: kiss_fftr_alloc's twiddles of the real FFT's split."""
    return _table([-3.14159265358979323846264338327 * (float(i + 1) / ncfft + .5)
                   for i in range(ncfft // 2)], f)


def permutation(stages: list[tuple[int, int]]) -> np.ndarray:
    """Input index of each output position before the butterflies (kf_work's leaves)."""
    n = stages[0][0] * stages[0][1]
    idx = np.zeros(n, np.int64)
    r = np.arange(n, dtype=np.int64)
    stride = 1
    for p, m in stages:
        idx += (r // m) * stride
        r = r % m
        stride *= p
    return idx


class _Ops:
    """The complex macros and butterflies on (re, im) pairs of int64 arrays."""

    def __init__(self, f: Fixed):
        self.f = f

    def fixdiv(self, c, p: int):
        k = self.f.max // p
        return self.f.sround(c[0] * k), self.f.sround(c[1] * k)

    def mul(self, a, b):
        s = self.f.sround
        return s(a[0] * b[0] - a[1] * b[1]), s(a[0] * b[1] + a[1] * b[0])

    def add(self, a, b):
        return self.f.w(a[0] + b[0]), self.f.w(a[1] + b[1])

    def sub(self, a, b):
        return self.f.w(a[0] - b[0]), self.f.w(a[1] - b[1])

    def bfly2(self, f, tw):
        f0, f1 = self.fixdiv(f[0], 2), self.fixdiv(f[1], 2)
        t = self.mul(f1, tw[1])
        return [self.add(f0, t), self.sub(f0, t)]

    def bfly3(self, f, tw, epi3):
        w, half = self.f.w, self.f.half
        f0, f1, f2 = (self.fixdiv(v, 3) for v in f)
        s1, s2 = self.mul(f1, tw[1]), self.mul(f2, tw[2])
        s3, s0 = self.add(s1, s2), self.sub(s1, s2)
        o1 = (w(f0[0] - half(s3[0])), w(f0[1] - half(s3[1])))
        s0 = (self.f.sround(s0[0] * epi3[1]), self.f.sround(s0[1] * epi3[1]))
        o0 = self.add(f0, s3)
        o2 = (w(o1[0] + s0[1]), w(o1[1] - s0[0]))
        o1 = (w(o1[0] - s0[1]), w(o1[1] + s0[0]))
        return [o0, o1, o2]

    def bfly4(self, f, tw):
        w = self.f.w
        f0, f1, f2, f3 = (self.fixdiv(v, 4) for v in f)
        s0, s1, s2 = self.mul(f1, tw[1]), self.mul(f2, tw[2]), self.mul(f3, tw[3])
        s5 = self.sub(f0, s1)
        f0 = self.add(f0, s1)
        s3, s4 = self.add(s0, s2), self.sub(s0, s2)
        o2 = self.sub(f0, s3)
        o0 = self.add(f0, s3)
        o1 = (w(s5[0] + s4[1]), w(s5[1] - s4[0]))
        o3 = (w(s5[0] - s4[1]), w(s5[1] + s4[0]))
        return [o0, o1, o2, o3]

    def bfly5(self, f, tw, ya, yb):
        w, sr = self.f.w, self.f.sround
        f = [self.fixdiv(v, 5) for v in f]
        s0 = f[0]
        s1, s2, s3, s4 = (self.mul(f[q], tw[q]) for q in range(1, 5))
        s7, s10 = self.add(s1, s4), self.sub(s1, s4)
        s8, s9 = self.add(s2, s3), self.sub(s2, s3)
        o0 = (w(s0[0] + s7[0] + s8[0]), w(s0[1] + s7[1] + s8[1]))
        s5 = (w(s0[0] + sr(s7[0] * ya[0]) + sr(s8[0] * yb[0])),
              w(s0[1] + sr(s7[1] * ya[0]) + sr(s8[1] * yb[0])))
        s6 = (w(sr(s10[1] * ya[1]) + sr(s9[1] * yb[1])),
              w(-sr(s10[0] * ya[1]) - sr(s9[0] * yb[1])))
        s11 = (w(s0[0] + sr(s7[0] * yb[0]) + sr(s8[0] * ya[0])),
               w(s0[1] + sr(s7[1] * yb[0]) + sr(s8[1] * ya[0])))
        s12 = (w(-sr(s10[1] * yb[1]) + sr(s9[1] * ya[1])),
               w(sr(s10[0] * yb[1]) - sr(s9[0] * ya[1])))
        return [o0, self.sub(s5, s6), self.add(s11, s12), self.sub(s11, s12),
                self.add(s5, s6)]


def complex_fft(re: np.ndarray, im: np.ndarray, stages: list[tuple[int, int]],
                tw: np.ndarray, f: Fixed = F16) -> tuple[np.ndarray, np.ndarray]:
    """kiss_fft (forward) of frames ``re + i im`` ([frames, n] values) -> (re, im)."""
    ops = _Ops(f)
    frames, n = re.shape
    perm = permutation(stages)
    d = [np.asarray(re, np.int64)[:, perm], np.asarray(im, np.int64)[:, perm]]
    twr, twi = tw[:, 0].astype(np.int64), tw[:, 1].astype(np.int64)
    fstrides = np.cumprod([1] + [p for p, _ in stages[:-1]])
    for (p, m), fs in reversed(list(zip(stages, fstrides))):
        fs = int(fs)
        blk = [v.reshape(frames, fs, p, m) for v in d]
        x = [(blk[0][:, :, q, :], blk[1][:, :, q, :]) for q in range(p)]
        k = np.arange(m)
        tws = [(twr[q * k * fs], twi[q * k * fs]) for q in range(p)]
        if p == 2:
            o = ops.bfly2(x, tws)
        elif p == 3:
            o = ops.bfly3(x, tws, (twr[fs * m], twi[fs * m]))
        elif p == 4:
            o = ops.bfly4(x, tws)
        elif p == 5:
            o = ops.bfly5(x, tws, (twr[fs * m], twi[fs * m]),
                          (twr[2 * fs * m], twi[2 * fs * m]))
        else:
            raise ValueError(f"kissfft radix {p}: TFLite Micro's build cannot run it")
        d = [np.stack([o[q][c] for q in range(p)], axis=2).reshape(frames, n)
             for c in (0, 1)]
    return d[0], d[1]


def rfft(x: np.ndarray, fft_length: int, stages: list[tuple[int, int]], tw: np.ndarray,
         stw: np.ndarray, f: Fixed = F16) -> np.ndarray:
    """kiss_fftr of frames [frames, fft_length] -> [frames, fft_length / 2 + 1, 2]."""
    ops, w, half = _Ops(f), f.w, f.half
    ncfft = fft_length // 2
    x = np.asarray(x, np.int64).reshape(-1, ncfft, 2)
    tr, ti = complex_fft(x[:, :, 0], x[:, :, 1], stages, tw, f)
    frames = x.shape[0]
    out = np.zeros((frames, ncfft + 1, 2), np.int64)
    dc = ops.fixdiv((tr[:, 0], ti[:, 0]), 2)
    out[:, 0, 0] = w(dc[0] + dc[1])
    out[:, ncfft, 0] = w(dc[0] - dc[1])
    k = np.arange(1, ncfft // 2 + 1)
    if k.size:
        fpk = ops.fixdiv((tr[:, k], ti[:, k]), 2)
        fpnk = ops.fixdiv((tr[:, ncfft - k], w(-ti[:, ncfft - k])), 2)
        f1k, f2k = ops.add(fpk, fpnk), ops.sub(fpk, fpnk)
        t = ops.mul(f2k, (stw[k - 1, 0].astype(np.int64), stw[k - 1, 1].astype(np.int64)))
        out[:, k, 0] = w(half(f1k[0] + t[0]))
        out[:, k, 1] = w(half(f1k[1] + t[1]))
        out[:, ncfft - k, 0] = w(half(f1k[0] - t[0]))     # written after bin k: at
        out[:, ncfft - k, 1] = w(half(t[1] - f1k[1]))     # k = ncfft / 2 it wins
    return out.astype(f.dtype)
