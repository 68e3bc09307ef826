"""16x8 conv and fully connected at the edges of TFLite's 64-bit requantization, vs
TFLite Micro: full-scale inputs and weights over many taps, int64 biases near 2^40,
multipliers from the largest left shift (7) to tiny ones, every rounding tie of the
16-bit multiplier (m >= 0x7FFF0000 reduces to 0x7FFF)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cases_16x8 import s16
from tests.golden.test_add import assert_matches_tflm
from tests.graphs import const, one_op


def fc(in_f: int, out_scale: float, w_scale: float, bias_mag: int, seed: int):
    rng = np.random.default_rng(seed)
    w = rng.choice([-127, 127, -1, 0, 1], size=(6, in_f)).astype(np.int8)
    b = const("b", rng.integers(-bias_mag, bias_mag, 6, endpoint=True).astype(np.int64))
    g = one_op("fully_connected", [s16("x", (3, in_f), 1e-3),
                                   const("w", w, scale=np.full(6, w_scale), zp=0, axis=0), b],
               s16("y", (3, 6), out_scale), act="none")
    x = rng.choice([-32768, 32767, 0, 1, -1], size=(3, in_f)).astype(np.int16)
    return g, x


@pytest.mark.parametrize("in_f,out_scale,w_scale,bias_mag", [
    (4096, 1e-3, 0.9, 2**40),            # |acc| ~ 2^34 + 2^40
    (64, 1.4e-5, 0.9, 2**20),            # multiplier ~ 64: the largest left shift, 7
    (4096, 100.0, 0.01, 2**30),          # multiplier ~ 1e-7: right shift of 23 and more
    (257, 0.0301, 0.0301, 0),            # multiplier ~ 1e-3 * 0.0301 / 0.0301
    (1, 1e-3, 2**-10 * 0.99999994, 5),   # a Q31 multiplier at the top of [2^30, 2^31)
])
def test_fully_connected_16x8_extremes_match_tflm(in_f, out_scale, w_scale, bias_mag):
    g, x = fc(in_f, out_scale, w_scale, bias_mag, seed=in_f)
    assert_matches_tflm(g, [x])


def test_conv_16x8_many_taps_full_scale_matches_tflm():
    rng = np.random.default_rng(1)
    w = rng.choice([-127, 127], size=(4, 5, 5, 64)).astype(np.int8)
    g = one_op("conv2d", [s16("x", (1, 7, 7, 64), 2e-4),
                          const("w", w, scale=rng.uniform(0.5, 1.0, 4), zp=0, axis=0),
                          const("b", np.array([2**38, -2**38, 7, 0], np.int64))],
               s16("y", (1, 7, 7, 4), 0.5), stride=(1, 1), dilation=(1, 1),
               pads=(2, 2, 2, 2), act="relu6")
    x = rng.choice([-32768, 32767], size=(1, 7, 7, 64)).astype(np.int16)
    assert_matches_tflm(g, [x])
