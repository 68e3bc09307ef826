"""Integer helpers of the signal goldens (``signal_*.py``), bit-exact with TFLite Micro's
signal library as built by GCC/Clang on a host (``signal/src/msb_*.cc``,
``square_root_*.cc``); the C twins are ``runtime/kernels/td_signal_common.h``.

- :func:`msb32` / :func:`msb64`: the number of significant bits of x (1 + the index of
  its highest set bit); 0 gives 32 / 64 (TFLM's ``__GNUC__`` branch special-cases it so).
- :func:`sqrt32` / :func:`sqrt64`: TFLM's bitwise square root rounded to nearest
  (``r = isqrt(x)``, then ``r + 1`` when ``x - r^2 > r``), saturating at 0xFFFF /
  0xFFFFFFFF; ``sqrt64`` of a value below 2^32 is ``sqrt32``.

All take numpy arrays (or scalars) and work elementwise; results are uint32 arrays (msb)
or uint16 / uint32 arrays (sqrt).
"""

from __future__ import annotations

import numpy as np


def _bit_length(v: np.ndarray) -> np.ndarray:
    """Number of significant bits of each uint64 value (0 for 0)."""
    v = np.asarray(v, np.uint64)
    n = np.zeros(v.shape, np.uint32)
    for s in (32, 16, 8, 4, 2, 1):
        hi = (v >> np.uint64(s)) != 0
        n = np.where(hi, n + np.uint32(s), n)
        v = np.where(hi, v >> np.uint64(s), v)
    return np.where(v != 0, n + np.uint32(1), n).astype(np.uint32)


def msb32(x) -> np.ndarray:
    v = np.asarray(x).astype(np.uint32)
    return np.where(v == 0, np.uint32(32), _bit_length(v)).astype(np.uint32)


def msb64(x) -> np.ndarray:
    v = np.asarray(x).astype(np.uint64)
    return np.where(v == 0, np.uint32(64), _bit_length(v)).astype(np.uint32)


def _isqrt(v: np.ndarray) -> np.ndarray:
    """floor(sqrt(v)) of uint64 values, exact (float estimate, then corrected)."""
    v = np.asarray(v, np.uint64)
    r = np.floor(np.sqrt(v.astype(np.float64))).astype(np.uint64)
    r = np.minimum(r, np.uint64(0xFFFFFFFF))
    # the float estimate is off by at most one either way: fix it with exact products
    for _ in range(2):
        r = np.where(r * r > v, r - np.uint64(1), r)                  # r <= 2^32 - 1: no wrap
        r1 = r + np.uint64(1)
        ok = (r1 <= np.uint64(0xFFFFFFFF)) & (r1 * r1 <= v)
        r = np.where(ok, r1, r)
    return r


def _round_sqrt(v: np.ndarray, top: int) -> np.ndarray:
    r = _isqrt(v)
    up = ((v - r * r) > r) & (r != np.uint64(top))
    return np.where(up, r + np.uint64(1), r)


def sqrt32(x) -> np.ndarray:
    v = np.asarray(x).astype(np.uint32).astype(np.uint64)
    return _round_sqrt(v, 0xFFFF).astype(np.uint16)


def sqrt64(x) -> np.ndarray:
    v = np.asarray(x).astype(np.uint64)
    small = (v >> np.uint64(32)) == 0
    r = np.where(small, _round_sqrt(np.where(small, v, 0), 0xFFFF),
                 _round_sqrt(v, 0xFFFFFFFF))
    return r.astype(np.uint32)
