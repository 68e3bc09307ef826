"""Symbolic evaluation of requantization chains (Mul/Add/Sub/Div/Floor/Cast/Clip/...).

Each function takes a :class:`~.values.Chain` and one node's constant and returns the
chain after that node, keeping the value *exact*: a rational affine form of the integer
inputs. Nothing here matches node sequences; any order of these nodes is evaluated, and
:func:`tinydeploy.frontend.pulp.reduce.reduce_chain` then turns the result into one
integer requantization (or explains why it cannot).

Phases: while ``rounding`` is None the value is exact; a Floor, a float -> int Cast or
an integer Div rounds it (phase B), after which only clamps and casts may follow. An
arithmetic node on a phase-B value makes the caller materialize it first (a requant op)
and start a new chain, so a graph with several roundings in a row becomes several ops.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.frontend.pulp.values import (Chain, Step, bcast, compact, ints, reduce_form)

FLOAT_BITS = {"float": 24, "double": 53, "float16": 11}
LIMIT = 2**62                  # |value| bound of the int64 requant kernel


def per_channel(const: np.ndarray, shape: tuple[int, ...], node: str) -> np.ndarray:
    """A constant broadcast against a value of ONNX ``shape``, as per-channel Fractions.

    Raises unless the constant varies along the channel axis (1) only and does not widen
    the value's shape.
    """
    c = np.asarray(const)
    if c.dtype.kind not in "biuf" or c.size == 0:
        raise UnsupportedError(f"constant of type {c.dtype} and shape {list(c.shape)} is not "
                               "a number per channel", node=node)
    if c.ndim > len(shape):
        raise UnsupportedError(f"constant of shape {list(c.shape)} has more dimensions than "
                               f"the value {list(shape)}", node=node)
    c = c.reshape((1,) * (len(shape) - c.ndim) + c.shape)
    for ax, (n, m) in enumerate(zip(c.shape, shape)):
        if n not in (1, m):
            raise UnsupportedError(f"constant of shape {list(np.asarray(const).shape)} does "
                                   f"not broadcast to {list(shape)}", node=node)
        if n > 1 and ax != 1 and not np.all(c == c.take([0], axis=ax)):
            raise UnsupportedError(f"constant varies along axis {ax}, not only along the "
                                   "channels: not a per-channel requantization", node=node)
    if len(shape) >= 2 and c.shape[1] > 1:
        ch = np.moveaxis(c, 1, 0).reshape(c.shape[1], -1)[:, 0]
    else:
        ch = c.reshape(-1)[:1]
    if not all(np.isfinite(float(v)) for v in np.asarray(ch).ravel()):
        raise UnsupportedError("non-finite constant", node=node)
    big = [float(v) for v in np.asarray(ch).ravel() if abs(float(v)) >= LIMIT]
    if big:
        raise UnsupportedError(f"constant value {big[0]:g} is beyond the int64 range of "
                               "integer requantization (2**62)", node=node)
    out = np.array([Fraction(int(v)) if float(v).is_integer() else Fraction(float(v))
                    for v in np.asarray(ch).ravel()], dtype=object)
    return compact(out)


def _split(fr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fractions -> (numerators, positive denominators) as int object arrays."""
    return (ints([f.numerator for f in fr]), ints([f.denominator for f in fr]))


def _push(ch: Chain, kind: str, node: str, const=(), step_bits=None, children=None,
          **changes) -> Chain:
    new = ch.with_(**changes)
    form = (new.terms, new.coefs, new.add, new.den)
    step = Step(kind, node, tuple(const), step_bits, form,
                children if children is not None else (ch.trace,))
    return new.with_(trace=step)


def _phase_a(ch: Chain, node: str, what: str) -> None:
    if ch.rounding is not None:
        raise AssertionError(f"{node}: {what} on a rounded chain must be materialized first")
    if ch.pending_clip is not None:
        raise UnsupportedError(f"{what} after a Clip of a non-integer value (the clamp "
                               "only commutes with the rounding that should follow it)",
                               node=node)


def scale(ch: Chain, p: np.ndarray, q: np.ndarray, kind: str, node: str, const) -> Chain:
    """Multiply the exact value by p/q (per channel, q > 0)."""
    _phase_a(ch, node, kind.capitalize())
    coefs = tuple(bcast(c, p)[0] * bcast(c, p)[1] for c in ch.coefs)
    add, den = bcast(ch.add, p)[0] * bcast(ch.add, p)[1], bcast(ch.den, q)[0] * bcast(ch.den, q)[1]
    coefs, add, den = reduce_form(coefs, add, den)
    return _push(ch, kind, node, const, ch.bits, coefs=tuple(compact(c) for c in coefs),
                 add=compact(add), den=compact(den))


def mul(ch: Chain, c: np.ndarray, node: str) -> Chain:
    """``x * c``; in an integer domain c must be an integer."""
    p, q = _split(c)
    if ch.bits is None and any(v != 1 for v in q):
        raise UnsupportedError("integer Mul by a non-integer constant", node=node)
    return scale(ch, p, q, "mul", node, c)


def div(ch: Chain, c: np.ndarray, node: str, rounding: str = "trunc") -> Chain:
    """Float: exact quotient. Integer domain: division rounded toward zero (ONNX Div on
    integers, as onnxruntime computes it) or, for RequantShift, toward minus infinity."""
    if any(v == 0 for v in c):
        raise UnsupportedError("Div by zero", node=node)
    if ch.bits is not None:
        inv = np.array([1 / v for v in c], dtype=object)
        p, q = _split(inv)
        return scale(ch, p, q, "div", node, c)
    p, q = _split(c)
    if any(v != 1 for v in q):
        raise UnsupportedError("integer Div by a non-integer constant", node=node)
    if rounding == "floor" and any(v < 0 for v in p):
        raise UnsupportedError("flooring division by a negative constant", node=node)
    _phase_a(ch, node, "Div")
    sign = ints([1 if v > 0 else -1 for v in p])
    out = scale(ch, sign * 1, ints([abs(v) for v in p]), "idiv_" + rounding, node, c)
    return _push(out, rounding, node, (), None, rounding=rounding)


def add(ch: Chain, c: np.ndarray, node: str) -> Chain:
    _phase_a(ch, node, "Add")
    p, q = _split(c)
    if ch.bits is None and any(v != 1 for v in q):
        raise UnsupportedError("integer Add of a non-integer constant", node=node)
    coefs = tuple(bcast(x, q)[0] * bcast(x, q)[1] for x in ch.coefs)
    a, qq, pp, d = bcast(ch.add, q, p, ch.den)
    coefs, addv, den = reduce_form(coefs, a * qq + pp * d, d * qq)
    return _push(ch, "add", node, c, ch.bits, coefs=tuple(compact(x) for x in coefs),
                 add=compact(addv), den=compact(den))


def negate(ch: Chain, node: str) -> Chain:
    return scale(ch, ints([-1]), ints([1]), "mul", node, (Fraction(-1),))


def combine(a: Chain, b: Chain, node: str, sign: int = 1) -> Chain:
    """``a + b`` (or ``a - b``) of two exact chains: one chain over both sets of terms."""
    for ch in (a, b):
        _phase_a(ch, node, "Add of two values")
    if a.bits != b.bits:
        raise UnsupportedError("Add of values of different element types", node=node)
    da, db = bcast(a.den, b.den)
    den = np.array([x * y for x, y in zip(da, db)], dtype=object)
    ca = tuple(bcast(c, db)[0] * bcast(c, db)[1] for c in a.coefs)
    cb = tuple(bcast(c, da)[0] * bcast(c, da)[1] * sign for c in b.coefs)
    ad = bcast(a.add, db)[0] * bcast(a.add, db)[1] + sign * (bcast(b.add, da)[0]
                                                            * bcast(b.add, da)[1])
    terms, coefs = list(a.terms), list(ca)
    for t, c in zip(b.terms, cb):
        if any(t is u for u in terms):
            i = next(i for i, u in enumerate(terms) if u is t)
            x, y = bcast(coefs[i], c)
            coefs[i] = x + y
        else:
            terms.append(t)
            coefs.append(c)
    coefs, ad, den = reduce_form(tuple(coefs), ad, den)
    shape = a.shape if len(a.shape) >= len(b.shape) else b.shape
    new = Chain(shape, tuple(terms), tuple(compact(c) for c in coefs), compact(ad),
                compact(den), a.bits, a.trace)
    return _push(new, "sum", node, (sign,), a.bits, children=(a.trace, b.trace))


def round_to_int(ch: Chain, mode: str, node: str) -> Chain:
    """Floor (``mode`` floor) or a float -> int cast (``trunc``)."""
    if ch.rounding is not None:
        return ch                                    # already an integer
    out = _push(ch, mode, node, (), ch.bits, rounding=mode)
    if ch.pending_clip is not None:
        out = out.with_(clip=ch.pending_clip, pending_clip=None)
    return out


def _clip_bound(v, node: str, side: int):
    """A Clip bound from the file: None when it bounds nothing an int64 value can reach
    (-inf, -3.4e38 below; +inf above), an error when NaN or when it would clamp every
    value to something beyond int64."""
    if v is None:
        return None
    if v != v:
        raise UnsupportedError("Clip bound is NaN", node=node)
    if v * side >= LIMIT:
        return None
    if abs(v) >= LIMIT:
        raise UnsupportedError(f"Clip to {float(v):g} clamps every value beyond the int64 "
                               "range", node=node)
    return v


def integral(ch: Chain) -> bool:
    return ch.rounding is not None or all(d == 1 for d in ch.den)


def clip(ch: Chain, lo, hi, node: str) -> Chain:
    """Clamp to integer bounds (``None`` = unbounded); float bounds are rounded inward."""
    lo, hi = _clip_bound(lo, node, -1), _clip_bound(hi, node, 1)
    lo_i = None if lo is None or lo == -np.inf else math.ceil(lo)
    hi_i = None if hi is None or hi == np.inf else math.floor(hi)
    big = 2**80
    new = (ints([-big if lo_i is None else lo_i]), ints([big if hi_i is None else hi_i]))
    if ch.rounding is None and not integral(ch):
        if lo_i != lo or hi_i != hi:
            raise UnsupportedError(f"Clip of a non-integer value to non-integer bounds "
                                   f"[{lo}, {hi}]", node=node)
        old = ch.pending_clip
        return _push(ch, "clip", node, (lo, hi), ch.bits,
                     pending_clip=new if old is None else _meet(old, new))
    if ch.rounding is None:
        ch = _push(ch, "none", node, (), ch.bits, rounding="none")
    return _push(ch, "clip", node, (lo, hi), ch.bits,
                 clip=new if ch.clip is None else _meet(ch.clip, new))


def _meet(a, b):
    lo = np.array([max(x, y) for x, y in zip(*bcast(a[0], b[0]))], dtype=object)
    hi = np.array([min(x, y) for x, y in zip(*bcast(a[1], b[1]))], dtype=object)
    return compact(lo), compact(hi)


def cast(ch: Chain, to: str, node: str) -> Chain:
    """ONNX Cast: to an integer type rounds toward zero; to a float type may round."""
    if to in FLOAT_BITS:
        return _push(ch, "cast_float", node, (to,), FLOAT_BITS[to], bits=FLOAT_BITS[to])
    if ch.bits is None:
        return _push(ch, "cast_int", node, (to,), None)
    out = ch if integral(ch) else round_to_int(ch, "trunc", node)
    return _push(out, "cast_int", node, (to,), None, bits=None)


def describe(ch: Chain) -> str:
    """The chain's exact value for messages, e.g. ``floor((x*54 + 3) / 2097151)``."""
    names = "xyzw"
    parts = []
    for i, c in enumerate(ch.coefs):
        parts.append(f"{names[i]}*{_show(c)}")
    num = " + ".join(parts)
    if any(a != 0 for a in ch.add):
        num += f" + {_show(ch.add)}"
    val = num if all(d == 1 for d in ch.den) else f"({num}) / {_show(ch.den)}"
    if ch.rounding in ("floor", "trunc"):
        val = f"{ch.rounding}({val})"
    if ch.clip is not None:
        val = f"clip({val}, {_show(ch.clip[0])}, {_show(ch.clip[1])})"
    return val


def _show(a: np.ndarray) -> str:
    a = compact(np.asarray(a, dtype=object))
    if a.size == 1:
        return str(a[0])
    return f"[{a[0]}, {a[1]}, ...]" if a.size > 2 else f"[{a[0]}, {a[1]}]"
