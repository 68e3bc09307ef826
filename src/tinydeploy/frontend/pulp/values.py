"""What an ONNX value of an integer-deployable graph is, while the importer walks it.

- :class:`IntVal`: the value is an integer IR tensor (an activation in NHWC, or a raw
  int32 accumulator), with its per-channel value range in the *source* domain (the
  integers the graph holds; the IR tensor stores them plus its zero point).
- :class:`Chain`: an elementwise computation on one or two IntVals that has not been
  lowered yet: Mul/Add/Div/Floor/Cast/Clip/RequantShift nodes. Its exact value is kept
  as a rational affine form ``(sum_i x_i * coef_i + add) / den`` per channel, plus the
  rounding and clamp applied after it, plus the node-by-node trace (for float32 rounding
  analysis and exhaustive checks, see :mod:`.chains`).

Per-channel arrays are numpy object arrays of Python ints (no overflow), of length C or 1
(broadcast). The channel axis is ONNX axis 1 for every rank >= 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from math import gcd

import numpy as np


def ints(values) -> np.ndarray:
    """A 1-D object array of Python ints."""
    a = np.atleast_1d(np.asarray(values, dtype=object)).ravel()
    return np.array([int(v) for v in a], dtype=object)


def bcast(*arrays: np.ndarray) -> list[np.ndarray]:
    """Broadcast per-channel arrays of length C or 1 to a common length."""
    n = max(a.size for a in arrays)
    return [a if a.size == n else np.repeat(a, n) for a in arrays]


def floor_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = bcast(a, b)
    return np.array([x // y for x, y in zip(a, b)], dtype=object)


def trunc_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = bcast(a, b)
    return np.array([(abs(x) // y) * (1 if x >= 0 else -1) for x, y in zip(a, b)],
                    dtype=object)


@dataclass(frozen=True, eq=False)
class IntVal:
    """An ONNX value held by an integer IR tensor.

    ``pads``: zero padding (top, left, bottom, right) a Pad node asked for and that is
    not applied yet (a following Conv folds it into its own padding).
    """

    ir: str
    shape: tuple[int, ...]
    lo: np.ndarray
    hi: np.ndarray
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)

    @property
    def channels(self) -> int:
        return self.shape[1] if len(self.shape) >= 2 else 1


@dataclass(frozen=True, eq=False)
class Step:
    """One elementwise node of a chain, for the float32 analysis and exhaustive checks.

    ``kind``: mul, add, div (exact rational), floor, trunc, clip, cast_float, cast_int,
    leaf (a term), sum (two subchains added). ``bits``: significand bits of the float
    type the node computes in (24 float32, 53 float64), None for integer types.
    ``form``: the exact affine form (coefs per term, add, den) right after this step.
    """

    kind: str
    node: str
    const: tuple = ()
    bits: int | None = None
    form: tuple = ()
    children: tuple = ()


@dataclass(frozen=True, eq=False)
class Chain:
    """A pending elementwise computation; see the module doc.

    ``rounding``: None while the value is still the exact rational form (phase A);
    "floor"/"trunc"/"none" once a Floor, integer cast or integer Div made it an integer
    (phase B: only clamps and casts may follow). ``clip``: (lo, hi) per channel, applied
    after the rounding. ``trace``: the last :class:`Step` (it links to the earlier ones).
    """

    shape: tuple[int, ...]
    terms: tuple[IntVal, ...]
    coefs: tuple[np.ndarray, ...]
    add: np.ndarray
    den: np.ndarray
    bits: int | None
    trace: Step
    rounding: str | None = None
    clip: tuple[np.ndarray, np.ndarray] | None = None
    pending_clip: tuple[np.ndarray, np.ndarray] | None = field(default=None)

    @property
    def channels(self) -> int:
        return self.shape[1] if len(self.shape) >= 2 else 1

    def form(self) -> tuple:
        return (self.coefs, self.add, self.den)

    def with_(self, **kw) -> "Chain":
        return replace(self, **kw)

    def pre_range(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel range of the exact pre-rounding value's numerator."""
        return affine_range(self.terms, self.coefs, self.add)


def leaf(v: IntVal, node: str, bits: int | None) -> Chain:
    one, zero = ints([1]), ints([0])
    step = Step("leaf", node, (0,), bits, ((v,), (one,), zero, one))
    return Chain(v.shape, (v,), (one,), zero, one, bits, step)


def affine_range(terms, coefs, add) -> tuple[np.ndarray, np.ndarray]:
    """Range of sum_i x_i * coef_i + add over the terms' ranges, per channel."""
    lo, hi = bcast(add, add)
    for t, c in zip(terms, coefs):
        tl, th, c2 = bcast(t.lo, t.hi, c)
        a, b = tl * c2, th * c2
        mn = np.array([min(x, y) for x, y in zip(a, b)], dtype=object)
        mx = np.array([max(x, y) for x, y in zip(a, b)], dtype=object)
        lo, mn = bcast(lo, mn)
        hi, mx = bcast(hi, mx)
        lo, hi = lo + mn, hi + mx
    return lo, hi


def reduce_form(coefs, add, den) -> tuple:
    """Divide numerator and denominator of each channel by their gcd (same value)."""
    arrays = bcast(*coefs, add, den)
    out = [np.empty(arrays[0].size, dtype=object) for _ in arrays]
    for i in range(arrays[0].size):
        g = 0
        for a in arrays:
            g = gcd(g, int(a[i]))
        g = max(g, 1)
        for o, a in zip(out, arrays):
            o[i] = int(a[i]) // g
    return tuple(out[:-2]), out[-2], out[-1]


def compact(a: np.ndarray) -> np.ndarray:
    """Length 1 when all channels agree (per-tensor), else unchanged."""
    return a[:1] if a.size > 1 and all(v == a[0] for v in a) else a
