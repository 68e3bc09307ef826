"""Calibration observers: the real range ``[lo, hi]`` an activation tensor is quantized to.

A :class:`TensorStats` sees every calibration batch of one tensor and keeps the exact
minimum and maximum plus a seeded random subsample (at most :data:`MAX_SAMPLES` values),
so percentile and MSE searches cost the same for any amount of data and the same data
always gives the same ranges. Observers (all per tensor):

- ``minmax``: the exact range seen (TFLite's converter does this);
- ``percentile``: the ``PERCENTILE`` and ``100 - PERCENTILE`` percentiles (outliers clipped);
- ``mse``: the clipping range that minimizes the mean squared quantization error of the
  subsample (grid search over ranges shrunk from the min/max range toward the zero point).

Quantization parameters follow from a range: asymmetric over ``bits``, the range widened
to contain 0 (so that real 0, e.g. padding, is exact), scale rounded to float32.
"""

from __future__ import annotations

import numpy as np

MAX_SAMPLES = 1 << 18
PER_UPDATE = 1 << 15
PERCENTILE = 99.99
MSE_GRID = 64
OBSERVERS = ("minmax", "percentile", "mse")


class TensorStats:
    """Running min/max and a deterministic random subsample of one tensor's values."""

    def __init__(self, seed: int = 0):
        self.lo, self.hi = np.inf, -np.inf
        self.count = 0
        self._rng = np.random.default_rng(seed)
        self._parts: list[np.ndarray] = []
        self._kept = 0

    def update(self, x: np.ndarray) -> None:
        v = np.asarray(x, dtype=np.float64).ravel()
        if v.size == 0:
            return
        self.lo, self.hi = min(self.lo, float(v.min())), max(self.hi, float(v.max()))
        self.count += v.size
        if self._kept < MAX_SAMPLES:
            take = min(v.size, PER_UPDATE, MAX_SAMPLES - self._kept)
            idx = self._rng.choice(v.size, size=take, replace=False) if take < v.size else None
            self._parts.append(v if idx is None else v[idx])
            self._kept += take

    @property
    def samples(self) -> np.ndarray:
        return np.concatenate(self._parts) if self._parts else np.zeros(1)


def qrange(bits: int) -> tuple[int, int]:
    """Signed integer range of ``bits``-bit activations."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def affine_params(lo: float, hi: float, bits: int = 8) -> tuple[float, int]:
    """(float32 scale as float, zero point) covering [lo, hi] and 0 with ``bits`` bits."""
    qmin, qmax = qrange(bits)
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if not hi - lo > 1e-12:         # a constant-zero tensor: any positive scale works
        hi = lo + 1.0
    scale = float(np.float32((hi - lo) / (qmax - qmin)))
    zp = int(np.clip(np.round(qmin - lo / scale), qmin, qmax))
    return scale, zp


def fake_quant(x: np.ndarray, scale: float, zp: int, bits: int = 8) -> np.ndarray:
    """Quantize to the grid (round half away from zero, saturate) and back to reals."""
    qmin, qmax = qrange(bits)
    q = x / scale
    q = np.sign(q) * np.floor(np.abs(q) + 0.5) + zp
    return (np.clip(q, qmin, qmax) - zp) * scale


def observe(stats: TensorStats, observer: str, bits: int = 8) -> tuple[float, float]:
    """The range ``observer`` picks for a tensor."""
    if observer == "minmax":
        return stats.lo, stats.hi
    if observer == "percentile":
        s = stats.samples
        lo, hi = np.percentile(s, [100.0 - PERCENTILE, PERCENTILE])
        return max(float(lo), stats.lo), min(float(hi), stats.hi)
    if observer == "mse":
        return mse_range(stats.samples, stats.lo, stats.hi, bits)
    raise ValueError(f"unknown observer '{observer}' (one of {', '.join(OBSERVERS)})")


def mse_range(samples: np.ndarray, lo: float, hi: float, bits: int = 8
              ) -> tuple[float, float]:
    """Range in ``{(a * lo, a * hi)}`` (a in (0, 1]) with the least quantization MSE.

    Clipping trades rounding error of all values against saturation error of the few
    outside; the min/max range (a = 1) is a candidate, so the result is never worse on
    the samples.
    """
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    best, best_err = (lo, hi), np.inf
    for a in np.linspace(1.0, 0.05, MSE_GRID):
        scale, zp = affine_params(a * lo, a * hi, bits)
        err = float(np.mean((fake_quant(samples, scale, zp, bits) - samples) ** 2))
        if err < best_err:
            best, best_err = (a * lo, a * hi), err
    return best


def weight_scales(w: np.ndarray, axis: int, bits: int = 8, mse: bool = False) -> np.ndarray:
    """Per-channel symmetric scales (float32) of ``w`` along ``axis``.

    ``mse`` searches the clipping of each channel (worth it below 8 bits); an all-zero
    channel gets the mean scale of the others (its bias must stay representable).
    """
    qmax = (1 << (bits - 1)) - 1
    rows = np.moveaxis(np.asarray(w, np.float64), axis, 0).reshape(w.shape[axis], -1)
    amax = np.abs(rows).max(axis=1)
    if mse:
        amax = np.array([_mse_absmax(r, m, qmax) for r, m in zip(rows, amax)])
    nonzero = amax[amax > 0]
    fill = float(nonzero.mean()) if nonzero.size else float(qmax)
    amax = np.where(amax > 0, amax, fill)
    return (amax / qmax).astype(np.float32)


def _mse_absmax(row: np.ndarray, amax: float, qmax: int) -> float:
    best, best_err = amax, np.inf
    for a in np.linspace(1.0, 0.2, 33):
        s = a * amax / qmax if amax > 0 else 1.0
        q = np.clip(np.sign(row / s) * np.floor(np.abs(row / s) + 0.5), -qmax, qmax)
        err = float(np.sum((q * s - row) ** 2))
        if err < best_err:
            best, best_err = a * amax, err
    return best


def quantize_weights(w: np.ndarray, scales: np.ndarray, axis: int, bits: int = 8
                     ) -> np.ndarray:
    """Symmetric per-channel quantization (round half away from zero), as int8 codes."""
    qmax = (1 << (bits - 1)) - 1
    shape = [1] * w.ndim
    shape[axis] = -1
    r = np.asarray(w, np.float64) / scales.astype(np.float64).reshape(shape)
    q = np.sign(r) * np.floor(np.abs(r) + 0.5)
    return np.clip(q, -qmax, qmax).astype(np.int8)
