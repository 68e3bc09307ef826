"""Turn an evaluated chain into one integer requantization, or explain why it cannot be.

The exact value of a chain is ``round((sum_i x_i * coef_i + add) / den)`` then clamped
(:mod:`.chains`). The source graph may compute parts of it in float32; where an
intermediate can exceed what float32 holds exactly (2**24), its rounding may change
results, and the reduction must reproduce it:

1. no float step can round -> the exact integer form is the graph's semantics;
2. only ``x*mul`` and ``+add`` before the division round (what NEMO/QuantLab exports do
   with large multipliers) -> the requant op emulates those two float32 roundings;
3. otherwise, when the inputs' reachable domain is small (pools, residual adds), every
   input is evaluated with numpy's float32 arithmetic and compared with the integer form;
4. otherwise the chain does not reduce: error naming the node, the value and the reason.

Every reduction is also checked on sampled inputs against the node-by-node float
evaluation (:mod:`.evaluate`), so a reduction bug surfaces as an error, not wrong C.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.frontend.pulp import evaluate as ev
from tinydeploy.frontend.pulp.chains import describe
from tinydeploy.frontend.pulp.values import (Chain, IntVal, Step, affine_range, bcast,
                                             compact, ints)

EXHAUSTIVE_LIMIT = 1 << 22
LIMIT = 2**62                  # |intermediate| bound of the int64 requant kernel


@dataclass(frozen=True, eq=False)
class Reduced:
    """One requantization: ``clip(round(((x*mul [+rnd]) + add [+rnd]) * mul2 / div))``.

    Multi-term chains (residual adds) keep ``coefs`` per term and mul = 1. ``lo``/``hi``:
    per-channel range of the result (what its IR type is derived from).
    """

    terms: tuple[IntVal, ...]
    coefs: tuple[np.ndarray, ...]
    mul: np.ndarray
    add: np.ndarray
    mul2: int
    div: np.ndarray
    fp32: int
    rounding: str
    clip: tuple[np.ndarray, np.ndarray] | None
    lo: np.ndarray
    hi: np.ndarray
    notes: list[str] = field(default_factory=list)

    def is_identity(self) -> bool:
        """A single term passed through unchanged (the clamp, if any, cuts nothing)."""
        t = self.terms[0]
        same = (list(zip(*bcast(self.lo, t.lo))), list(zip(*bcast(self.hi, t.hi))))
        return (len(self.terms) == 1 and all(c == 1 for c in self.coefs[0])
                and all(m == 1 for m in self.mul) and all(a == 0 for a in self.add)
                and self.mul2 == 1 and all(d == 1 for d in self.div)
                and all(a == b for a, b in same[0]) and all(a == b for a, b in same[1]))


def _round(num: np.ndarray, den: np.ndarray, mode: str) -> np.ndarray:
    n, d = bcast(num, den)
    if mode == "floor" or mode == "none":
        return np.array([a // b for a, b in zip(n, d)], dtype=object)
    return np.array([(abs(a) // b) * (1 if a >= 0 else -1) for a, b in zip(n, d)],
                    dtype=object)


def _range(ch: Chain, mode: str) -> tuple[np.ndarray, np.ndarray]:
    nlo, nhi = affine_range(ch.terms, ch.coefs, ch.add)
    lo, hi = _round(nlo, ch.den, mode), _round(nhi, ch.den, mode)
    if ch.clip is not None:
        lo, clo, hi, chi = bcast(lo, ch.clip[0], hi, ch.clip[1])
        lo = np.array([min(max(a, b), c) for a, b, c in zip(lo, clo, chi)], dtype=object)
        hi = np.array([max(min(a, c), b) for a, b, c in zip(hi, clo, chi)], dtype=object)
    return compact(lo), compact(hi)


def _fits_kernel(r: Reduced, ch: Chain) -> Reduced:
    """``r`` if the int64 requant kernel can compute it: its constants and intermediates
    (x*mul, + add, * mul2) stay below 2**62 (what ``quant/golden/requant.py`` demands);
    else an error naming the chain's node (e.g. a huge or tiny multiplier from the file)."""
    worst = 0
    for t, c in zip(r.terms, r.coefs):
        lo, hi, cc, m = bcast(t.lo, t.hi, c, r.mul)
        worst += max(max(abs(int(a)), abs(int(b))) * abs(int(k)) * abs(int(n))
                     for a, b, k, n in zip(lo, hi, cc, m))
    worst = (worst + max(abs(int(a)) for a in r.add)) * abs(int(r.mul2))
    big = max(abs(int(v)) for v in (*r.mul, *r.add, *r.div, r.mul2))
    if max(worst, big) >= LIMIT:
        raise UnsupportedError(f"the requantization {describe(ch)} needs integers up to "
                               f"{float(max(worst, big)):.3g}, beyond the int64 range of the "
                               "kernel (2**62)", node=ch.trace.node)
    return r


def _not_integer(ch: Chain, consumer: str) -> UnsupportedError:
    return UnsupportedError(
        f"the value {describe(ch)} is not an integer where {consumer} needs one: no Floor, "
        "float -> int Cast or integer Div makes it one, so it does not reduce to an integer "
        "requantization", node=ch.trace.node)


def reduce_chain(ch: Chain, consumer: str) -> Reduced:
    """The requantization computing ``ch`` exactly as the source graph does (see doc)."""
    if ch.pending_clip is not None:
        raise UnsupportedError(f"Clip of the non-integer value {describe(ch)} is not followed "
                               "by a Floor or integer Cast", node=ch.trace.node)
    mode = ch.rounding
    if mode is None:
        if not all(d == 1 for d in ch.den):
            raise _not_integer(ch, consumer)
        mode = "none"
    lo, hi = _range(ch, mode)
    risky = find_risks(ch, lo, hi)
    exact = Reduced(ch.terms, ch.coefs, ints([1]), ch.add, 1, ch.den, 0,
                    "floor" if mode == "none" else mode, ch.clip, lo, hi)
    if len(ch.terms) == 1:
        exact = _fold_single(exact)
    if not risky:
        ev.check_samples(ch, _fits_kernel(exact, ch))
        return exact
    emul = _stage1(ch, risky, exact)
    if emul is not None:
        ev.check_samples(ch, emul)
        return emul
    bad = ev.exhaustive(ch, exact, EXHAUSTIVE_LIMIT)
    where = ", ".join(sorted({f"'{s.node}'" for s in risky}))
    if bad is None:
        exact.notes.append(f"float rounding in {where} proven harmless on every reachable "
                           "input")
        return _fits_kernel(exact, ch)
    raise UnsupportedError(_why(ch, risky, bad), node=risky[0].node)


def _why(ch: Chain, risky: list[Step], bad) -> str:
    s = risky[0]
    lo, hi = _step_range(s)
    what = (f"{s.kind} in float (values up to {float(max(abs(lo), abs(hi))):.4g}, beyond "
            f"the {s.bits}-bit significand)")
    head = (f"the chain computes {describe(ch)}, but its {what} is rounded, and that "
            "rounding only reduces to integer arithmetic for x*mul and +add before the "
            "division")
    if bad == "too large":
        return head + "; its input domain is too large to prove the rounding harmless"
    x, graph, ours = bad
    return head + f"; e.g. input {x}: the graph gives {graph}, the integer form {ours}"


def _fold_single(r: Reduced) -> Reduced:
    """Single term: the coefficient becomes the requant multiplier."""
    return Reduced(r.terms, (ints([1]),), compact(r.coefs[0]), r.add, 1, r.div, 0,
                   r.rounding, r.clip, r.lo, r.hi, r.notes)


def _step_range(s: Step) -> tuple[int, int]:
    terms, coefs, add, den = s.form
    nlo, nhi = affine_range(terms, coefs, add)
    d = [int(x) for x in den]
    return (min(Fraction(int(a), b) for a, b in zip(*bcast(nlo, ints(d)))),
            max(Fraction(int(a), b) for a, b in zip(*bcast(nhi, ints(d)))))


def _pow2(v: Fraction) -> bool:
    v = abs(v)
    return v != 0 and (v.numerator & (v.numerator - 1)) == 0 and \
        (v.denominator & (v.denominator - 1)) == 0


def _risky(s: Step, lo=None, hi=None) -> bool:
    """Can this float step's result differ from its exact value (float rounding)?"""
    if s.bits is None or s.kind in ("leaf", "floor", "trunc", "none", "clip", "cast_int"):
        return False
    if s.kind in ("mul", "div") and all(_pow2(Fraction(c)) for c in s.const):
        return False
    if s.kind == "cast_float" and s.children and s.children[0].bits is not None \
            and s.children[0].bits <= s.bits:
        return False                     # float -> same or wider float: exact
    terms, coefs, add, den = s.form
    if lo is None:
        nlo, nhi = affine_range(terms, coefs, add)
        m = max(max(abs(int(a)) for a in nlo), max(abs(int(a)) for a in nhi))
        dens_ok = all((int(d) & (int(d) - 1)) == 0 for d in den)
    else:
        m, dens_ok = max(max(abs(int(a)) for a in lo), max(abs(int(a)) for a in hi)), True
    return not (dens_ok and m <= (1 << s.bits))


def linear(ch: Chain) -> list[Step]:
    """The steps of a single-term chain, leaf first (a sum step makes it a tree: [])."""
    out, s = [], ch.trace
    while True:
        out.append(s)
        if s.kind == "leaf":
            return out[::-1]
        if len(s.children) != 1:
            return []
        s = s.children[0]


def find_risks(ch: Chain, lo, hi) -> list[Step]:
    """Float steps whose rounding may change the value (phase-B casts use the range)."""
    risky, seen = [], set()
    stack = [(ch.trace, None, True)]
    while stack:
        s, parent, after = stack.pop()
        if id(s) in seen:
            continue
        seen.add(id(s))
        if s.kind in ("floor", "trunc", "none"):
            after = False
        if after and s.kind == "cast_float":
            if _risky(s, lo, hi):
                risky.append(s)
        elif _risky(s) and not _absorbed(s, parent):
            risky.append(s)
        stack.extend((c, s, after) for c in s.children)
    return risky


def _absorbed(s: Step, parent: Step | None) -> bool:
    """A float division of an integer n by c, floored or truncated right away, equals the
    integer division when |n| < 2**bits: the float quotient's error is below 1/c then."""
    if s.kind != "div" or parent is None or parent.kind not in ("floor", "trunc"):
        return False
    if len(s.children) != 1:
        return False
    terms, coefs, add, den = s.children[0].form
    if any(int(d) != 1 for d in den):
        return False
    nlo, nhi = affine_range(terms, coefs, add)
    m = max(max(abs(int(a)) for a in nlo), max(abs(int(a)) for a in nhi))
    return m < (1 << s.bits)


def _stage1(ch: Chain, risky: list[Step], exact: Reduced) -> Reduced | None:
    """Emulate float32 rounding of x*k and/or +l (the first one or two steps)."""
    steps = linear(ch)
    if not steps or any(s.bits not in (None, 24) for s in risky):
        return None
    rounding = next((i for i, s in enumerate(steps) if s.kind in ("floor", "trunc", "none")),
                    len(steps))
    pre = [s for s in steps[1:rounding]
           if not (s.kind in ("cast_float", "cast_int") and s not in risky)]
    k, l, flags, i = [Fraction(1)], [Fraction(0)], 0, 0
    kinds = [s.kind for s in pre[:2]]
    if kinds[:1] == ["mul"]:
        k, i, flags = list(pre[0].const), 1, (1 if pre[0] in risky else 0)
        if kinds[1:2] == ["add"]:
            l, i = list(pre[1].const), 2
            flags |= 2 if pre[1] in risky else 0
    elif kinds[:1] == ["add"] and pre[0] not in risky:
        l, i = list(pre[0].const), 1
        if kinds[1:2] == ["mul"]:
            k, i = list(pre[1].const), 2
            l = [a * b for a, b in zip(*bcast(np.array(l, object), np.array(k, object)))]
            flags = 2 if pre[1] in risky else 0
    elif kinds[:1] == ["add"]:
        l, i, flags = list(pre[0].const), 1, 2
    post = [Fraction(1)]
    for s in pre[i:]:
        if s in risky or s.kind not in ("mul", "div", "idiv_trunc", "idiv_floor"):
            return None
        c = [Fraction(v) if s.kind == "mul" else 1 / Fraction(v) for v in s.const]
        post = [a * b for a, b in zip(*bcast(np.array(post, object), np.array(c, object)))]
    if not flags or any(r not in pre[:i] for r in risky):
        return None
    if any(Fraction(v).denominator != 1 for v in (*k, *l)):
        return None
    nums = {p.numerator for p in post}
    if len(nums) != 1:
        return None
    r = Reduced(exact.terms, (ints([1]),), compact(ints([int(v) for v in k])),
                compact(ints([int(v) for v in l])), nums.pop(),
                compact(ints([p.denominator for p in post])), flags, exact.rounding,
                exact.clip, exact.lo, exact.hi)
    lo, hi = ev.endpoint_range(_fits_kernel(r, ch))
    return Reduced(r.terms, r.coefs, r.mul, r.add, r.mul2, r.div, r.fp32, r.rounding, r.clip,
                   lo, hi,
                   [f"float32 rounding of {' and '.join(sorted({str(s.node) for s in risky}))} "
                    "reproduced exactly"])
