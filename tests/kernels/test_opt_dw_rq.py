"""The integer-graph depthwise convolution's fast path (kernels/opt/td_opt_dw_impl.h,
args from quant/opt/depthwise_conv2d.py make_rq) vs the reference C kernel and the numpy
golden under ASan/UBSan: channels whose requantization falls as the accumulator grows
(mul * mul2 < 0, either sign of mul2) are negated at compile time (weights, bias,
multiplier) and take the inline TD_RQ_S32 loop with the zero point folded into B (or,
with a divisor that is no power of two or float32 rounding, an int32 form fitted to the
stored byte), next to channels that cannot be negated (a -128 weight) and forms that
keep their own arithmetic in the same layer; 3x3 (own tap-step loops, pixel pairs,
channels inner for visits of fewer than four pixels, the general loop) and other
windows, strides, a depth multiplier, int8 and int16 outputs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.kernels import opt_cases as oc
from tests.kernels import opt_program as op
from tinydeploy.quant.golden import _accumulate as acc_mod
from tinydeploy.quant.golden import requant as rq_mod
from tinydeploy.quant.golden.fused_requant import FUSED
from tinydeploy.quant.opt import MAKERS
from tinydeploy.quant.opt._pulp_rq import _reference_vec


SHAPES = [dict(h=7, w=5, cin=64), dict(h=6, w=7, cin=5), dict(h=9, w=8, cin=8, stride=(2, 2)),
          dict(h=5, w=6, cin=3, dm=2), dict(h=4, w=4, cin=32, pads=(0, 0, 0, 0)),
          dict(h=1, w=12, cin=6, k=(1, 5), pads=(0, 2, 0, 2)),
          dict(h=8, w=6, cin=12, stride=(2, 1), pads=(1, 0, 1, 2)),
          dict(h=6, w=6, cin=7, k=(3, 3), dilation=(2, 2), pads=(2, 2, 2, 2)),
          # fewer than 4 pixels per visit: channels inner
          dict(h=6, w=2, cin=16, stride=(2, 2)), dict(h=4, w=2, cin=64, stride=(2, 2)),
          dict(h=1, w=3, cin=32)]


def _case(rng, shape: dict, i: int) -> op.Case:
    """A dw_rq_case with, depending on i, weights in [-127, 127] (every channel can be
    negated), a negative mul2, a divisor that is no power of two, float32 rounding."""
    out = "int16" if i % 5 == 4 else "int8"
    kw = dict(pow2=i % 4 != 3, fp32=3 if i % 6 == 5 else 0, rounding=int(i % 7 == 6))
    c = oc.dw_rq_case(rng, out=out, cores=1 + i % 3, **shape, **kw)
    acc, rq = c.ref.acc, c.ref.rq
    x, wt, b = c.inputs
    if i % 2 == 0:
        wt = np.clip(wt, -127, 127).astype(np.int8)
    if i % 3 == 1:
        rq = dataclasses.replace(rq, mul2=-int(rng.choice([1, 3])))
    s = acc_mod.run_depthwise(acc, x, wt, b)
    return op.Case(FUSED[(type(acc), type(rq))](acc, rq), [x, wt, b],
                   rq_mod.run(rq, s).ravel(), cores=c.cores)


@pytest.mark.cc
def test_opt_depthwise_rq_negated_and_folded_channels_match(tmp_path):
    rng = np.random.default_rng(41)
    cases = [_case(rng, sh, i) for i, sh in enumerate(SHAPES * 6)]
    negated = fast = fitted = other = 0
    for c in cases:
        a = c.opt_args()
        assert type(a).__name__ == "DepthwiseConv2dRqOptArgs", type(a)
        ch = np.asarray(a.chan).reshape(-1, 12)
        ref_w = np.asarray(c.inputs[1], np.int64).reshape(-1, a.out_c).T.ravel()
        flipped = np.any((np.asarray(a.wts).reshape(a.out_c, -1) != ref_w.reshape(a.out_c, -1)),
                         axis=1)
        negated += int(np.sum(flipped & (ch[:, 1] == 2)))
        fast += int(np.sum(ch[:, 1] == 2))
        other += int(np.sum(ch[:, 1] != 2))
        div = np.asarray(c.ref.rq.div)
        if np.any(div & (div - 1)) or c.ref.rq.fp32:      # fitted to the stored byte
            fitted += int(np.sum(ch[:, 1] == 2))
    assert negated >= 50 and fast >= 300 and fitted >= 20 and other >= 50, \
        (negated, fast, fitted, other)
    rows = op.run_host(cases, tmp_path)
    for i, (c, row) in enumerate(zip(cases, rows)):
        assert row["ref_ok"], f"reference kernel, case {i}: {c.ref.acc}"
        assert row["opt_ok"], f"optimized kernel, case {i} ({c.cores} cores): {c.ref.acc}"


def _nemo_like_rq(rng, n: int):
    """NEMO's requantization: float32 rounding, an odd divisor near 2^19, mul2 > 1, either
    sign of mul, ReLU-like clamps, an int8 zero point."""
    return rq_mod.RequantArgs(
        size=n, channels=n, fp32=3, rounding=int(rng.integers(0, 2)), clip_lo=0,
        clip_hi=int(rng.choice([127, 255])), out_offset=-128, mul2=int(rng.integers(1, 4)),
        mul=rng.integers(-4000, 4000, n).astype(np.int64),
        add=rng.integers(-2**20, 2**20, n).astype(np.int64),
        div=np.full(n, int(rng.choice([2**19 - 1, 2**18 + 3, 1 << 19])), np.int64))


@pytest.mark.parametrize("seed", range(3))
def test_mode2_channels_equal_the_reference_on_every_accumulator(seed):
    """Every inline channel (negated, zero point folded, fitted to the stored byte) gives
    the reference's byte for every accumulator the layer can produce (the kernel's
    accumulator is -acc in a negated channel), as the C loops compute it: thresholds,
    then (acc * M + B) >> S in wrapping int32, or (the pixel pairs) the same from the sum
    without the channel's start value."""
    rng = np.random.default_rng(50 + seed)
    n = 24
    acc = acc_mod.DepthwiseConv2dS32Args(1, 5, 5, n, 5, 5, n, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0)
    w = rng.integers(-127, 128, (3, 3, n)).astype(np.int8)
    w[0, 0, :3] = -128                              # three channels cannot be negated
    b = rng.integers(-2**14, 2**14, n).astype(np.int32)
    rq = _nemo_like_rq(rng, n)
    a = MAKERS[FUSED[(type(acc), type(rq))]](FUSED[(type(acc), type(rq))](acc, rq),
                                             [None, w, b], 1)
    ch = np.asarray(a.chan, np.int64).reshape(-1, 12)
    wts = np.asarray(a.wts, np.int64).reshape(n, 9)
    ref_w = np.asarray(w, np.int64).reshape(9, n).T
    bound = np.abs(b.astype(np.int64)) + np.abs(ref_w).sum(axis=1) * 128
    off, lo, hi = int(rq.out_offset), int(rq.clip_lo), int(rq.clip_hi)
    checked = 0
    for c in np.flatnonzero(ch[:, 1] == 2):
        sign = -1 if np.any(wts[c] != ref_w[c]) else 1
        x = np.arange(-int(bound[c]), int(bound[c]) + 1, dtype=np.int64)
        m, bb, s, tl, th = (int(v) for v in ch[c, [3, 4, 6, 7, 8]])
        u = (x * m + bb) % 2**32
        v = np.where(u >= 2**31, u - 2**32, u) >> s
        got = np.where(x < tl, lo + off, np.where(x >= th, hi + off, v))
        want = np.clip(_reference_vec(sign * x, int(rq.mul[c]), int(rq.add[c]),
                                      int(rq.div[c]), int(rq.mul2), int(rq.fp32),
                                      int(rq.rounding)), lo, hi) + off
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, (c, int(x[bad[0]]), int(got[bad[0]]), int(want[bad[0]]))
        # the pixel pairs (DW_RQ_PUT0): the sum without the start value, words 9..11
        start, pb0, tl0, rng0 = (int(v) for v in ch[c, [0, 9, 10, 11]])
        s0 = (x - start) % 2**32
        d0 = (s0 - tl0) % 2**32
        u0 = (s0 * m + pb0) % 2**32
        v0 = np.where(u0 >= 2**31, u0 - 2**32, u0) >> s
        got0 = np.where(d0 < rng0 % 2**32, v0, np.where(d0 >= 2**31, lo + off, hi + off))
        bad = np.flatnonzero(got0 != want)
        assert bad.size == 0, (c, int(x[bad[0]]), int(got0[bad[0]]), int(want[bad[0]]))
        checked += 1
    assert checked >= n // 2, (checked, ch[:, 1])
