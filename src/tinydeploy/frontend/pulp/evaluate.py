"""Evaluate a chain node by node exactly as the source graph does, to check a reduction.

:func:`graph_values` replays the chain's trace with numpy in the nodes' own element types
(float32 arithmetic rounds like onnxruntime's, int64 Div truncates like it); the
:class:`~.reduce.Reduced` form is evaluated with integers. :func:`check_samples` compares
both on each channel's range ends and random inputs; :func:`exhaustive` on every
reachable input (used to prove float rounding harmless where no analysis does).
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.pulp.values import Chain, Step, bcast
from tinydeploy.quant.golden.requant import round_f32

FLOAT_DTYPES = {24: np.float32, 53: np.float64, 11: np.float16}
SAMPLES = 600


def _const(s: Step, ch: int, dtype):
    c = s.const[ch] if len(s.const) > 1 else s.const[0]
    return dtype(float(c)) if dtype is not np.int64 else np.int64(int(c))


def _dtype(bits):
    return np.int64 if bits is None else FLOAT_DTYPES[bits]


def _apply(s: Step, v: np.ndarray, ch: int) -> np.ndarray:
    dt = _dtype(s.bits)
    k = s.kind
    if k in ("floor", "trunc") and s.bits is not None:
        return np.floor(v) if k == "floor" else np.trunc(v)
    if k in ("floor", "trunc", "none", "cast_int") and s.bits is None:
        return np.trunc(v).astype(np.int64) if v.dtype.kind == "f" else v
    if k == "none":
        return v
    if k == "clip":
        lo, hi = s.const
        return np.clip(v, dt(-np.inf if lo is None else lo) if dt is not np.int64 else
                       (np.iinfo(np.int64).min if lo is None else int(lo)),
                       dt(np.inf if hi is None else hi) if dt is not np.int64 else
                       (np.iinfo(np.int64).max if hi is None else int(hi)))
    if k == "cast_float":
        return v.astype(dt)
    c = _const(s, ch, dt)
    if k == "mul":
        return (v * c).astype(dt)
    if k == "add":
        return (v + c).astype(dt)
    if k == "idiv_trunc":                      # ONNX/onnxruntime integer Div: toward zero
        q = np.abs(v) // abs(c)
        return np.where((v < 0) != (c < 0), -q, q)
    if k == "idiv_floor":
        return v // c
    if k == "div":
        return (v / c).astype(dt)
    raise AssertionError(f"cannot evaluate step {k}")


def graph_values(top: Step, xs: dict[int, np.ndarray], ch: int) -> np.ndarray:
    """The chain's value on inputs ``xs`` (IntVal id -> int64 array), channel ``ch``."""
    memo: dict[int, np.ndarray] = {}

    def go(s: Step) -> np.ndarray:
        if id(s) in memo:
            return memo[id(s)]
        if s.kind == "leaf":
            v = xs[id(s.form[0][0])].astype(_dtype(s.bits))
        elif s.kind == "sum":
            a, b = go(s.children[0]), go(s.children[1])
            v = (a + b if s.const[0] > 0 else a - b).astype(_dtype(s.bits))
        else:
            v = _apply(s, go(s.children[0]), ch)
        memo[id(s)] = v
        return v

    with np.errstate(all="ignore"):
        return go(top)


def _pick(a: np.ndarray, ch: int) -> int:
    return int(a[ch] if a.size > 1 else a[0])


def reduced_values(r, xs: list[np.ndarray], ch: int) -> np.ndarray:
    """The integer form on term inputs ``xs`` (int64 arrays) for channel ``ch``."""
    big = any(abs(int(x)) >= 2**40 for x in (*r.mul, *r.add, *r.div, r.mul2)) or \
        any(abs(int(c)) >= 2**30 for c in np.concatenate(r.coefs))
    dt = object if big else np.int64
    s = np.zeros(xs[0].shape, dtype=dt)
    for x, c in zip(xs, r.coefs):
        s = s + x.astype(dt) * _pick(c, ch)
    s = s * _pick(r.mul, ch)
    if r.fp32 & 1:
        s = round_f32(s).astype(dt)
    s = s + _pick(r.add, ch)
    if r.fp32 & 2:
        s = round_f32(s).astype(dt)
    s, d = s * r.mul2, _pick(r.div, ch)
    q = s // d
    if r.rounding == "trunc":
        q = np.where((s < 0) & (q * d != s), q + 1, q)
    if r.clip is not None:
        q = np.clip(q, _pick(r.clip[0], ch), _pick(r.clip[1], ch))
    return q


def _compare(ch_: Chain, r, xs: list[np.ndarray], c: int):
    got = graph_values(ch_.trace, {id(t): x for t, x in zip(ch_.terms, xs)}, c)
    want = reduced_values(r, xs, c)
    with np.errstate(over="ignore"):     # beyond float range: inf, which then differs
        ok = np.asarray(got == want.astype(got.dtype) if got.dtype.kind == "f"
                        else got == want)
    if ok.all():
        return None
    i = int(np.flatnonzero(~ok.ravel())[0])
    inp = ", ".join(str(int(x.ravel()[i])) for x in xs)
    return f"x = {inp} (channel {c})", got.ravel()[i], int(want.ravel()[i])


def _grid(terms, c: int, limit: int | None, rng=None) -> list[np.ndarray] | None:
    ranges = [(_pick(t.lo, c), _pick(t.hi, c)) for t in terms]
    if rng is not None:
        cols = [np.concatenate([[lo, hi, 0 if lo <= 0 <= hi else lo],
                                rng.integers(lo, hi, size=SAMPLES, endpoint=True)])
                for lo, hi in ranges]
        return [np.asarray(col, dtype=np.int64) for col in cols]
    size = 1
    for lo, hi in ranges:
        size *= hi - lo + 1
    if size > limit:
        return None
    axes = [np.arange(lo, hi + 1, dtype=np.int64) for lo, hi in ranges]
    return [g.ravel() for g in np.meshgrid(*axes, indexing="ij")]


def exhaustive(ch_: Chain, r, limit: int):
    """None if ``r`` equals the graph on every reachable input; "too large" if there are
    more than ``limit`` inputs in total; else (input, graph value, integer value)."""
    total = 0
    for c in range(ch_.channels):
        n = 1
        for t in ch_.terms:
            n *= _pick(t.hi, c) - _pick(t.lo, c) + 1
        total += n
    if total > limit:
        return "too large"
    for c in range(ch_.channels):
        bad = _compare(ch_, r, _grid(ch_.terms, c, limit), c)
        if bad is not None:
            return bad
    return None


def check_samples(ch_: Chain, r) -> None:
    """Compare the reduction with the graph on sampled inputs; raise on a difference."""
    rng = np.random.default_rng(0)
    for c in range(min(ch_.channels, 512)):
        bad = _compare(ch_, r, _grid(ch_.terms, c, None, rng), c)
        if bad is not None:
            x, graph, ours = bad
            raise TinyDeployError(f"internal error: the chain's integer reduction differs "
                                  f"from the graph at {x}: graph {graph}, reduction {ours}",
                                  node=ch_.trace.node)


def endpoint_range(r) -> tuple[np.ndarray, np.ndarray]:
    """Range of a single-term requant: it is monotonic in x, so the range ends give it."""
    t = r.terms[0]
    lo, hi, *_ = bcast(t.lo, t.hi, r.mul, r.add, r.div)
    los, his = [], []
    for c in range(lo.size):
        v = reduced_values(r, [np.array([int(lo[c]), int(hi[c])], dtype=np.int64)], c)
        los.append(int(min(v)))
        his.append(int(max(v)))
    return np.array(los, dtype=object), np.array(his, dtype=object)
