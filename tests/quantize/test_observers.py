"""Calibration observers and quantization parameters on synthetic distributions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinydeploy.quantize.observers import (TensorStats, affine_params, fake_quant, mse_range,
                                           observe, quantize_weights, weight_scales)


def _stats(x: np.ndarray, chunks: int = 4, seed: int = 0) -> TensorStats:
    s = TensorStats(seed)
    for part in np.array_split(x, chunks):
        s.update(part)
    return s


def _mse(x, lo, hi, bits=8):
    scale, zp = affine_params(lo, hi, bits)
    return float(np.mean((fake_quant(x, scale, zp, bits) - x) ** 2))


def test_minmax_is_the_exact_range_over_all_batches():
    x = np.random.default_rng(0).normal(0, 1, 100_000)
    assert observe(_stats(x), "minmax") == (x.min(), x.max())


def test_percentile_clips_a_single_outlier():
    x = np.random.default_rng(1).normal(0, 1, 200_000)
    x[123] = 1000.0
    lo, hi = observe(_stats(x), "percentile")
    assert -5.0 < lo < -3.0 and 3.0 < hi < 5.0        # 99.99 % of N(0, 1) is ~3.7 sigma


def test_percentile_never_widens_the_minmax_range():
    x = np.random.default_rng(2).uniform(-1, 3, 5000)
    lo, hi = observe(_stats(x), "percentile")
    assert x.min() <= lo and hi <= x.max()


@pytest.mark.parametrize("dist", ["laplace", "student", "normal"])
@pytest.mark.parametrize("bits", [8, 4])
def test_mse_range_has_no_more_error_than_minmax(dist, bits):
    rng = np.random.default_rng(3)
    x = {"laplace": rng.laplace(0, 1, 50_000), "student": rng.standard_t(3, 50_000),
         "normal": rng.normal(0, 1, 50_000)}[dist]
    lo, hi = observe(_stats(x), "mse", bits)
    assert _mse(x, lo, hi, bits) <= _mse(x, x.min(), x.max(), bits)
    if bits == 4 and dist != "normal":   # coarse grid, heavy tails: clipping pays off
        assert hi < 0.5 * x.max()
        assert _mse(x, lo, hi, bits) < 0.5 * _mse(x, x.min(), x.max(), bits)


def test_mse_keeps_the_range_of_a_uniform_distribution():
    x = np.random.default_rng(4).uniform(0, 6, 50_000)
    lo, hi = mse_range(x, x.min(), x.max())
    assert hi > 0.95 * x.max()


def test_relu_output_range_gives_zero_point_at_the_bottom():
    scale, zp = affine_params(0.0, 5.1)
    assert zp == -128 and scale == pytest.approx(5.1 / 255, rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(lo=st.floats(-100, 100), width=st.floats(1e-3, 200), bits=st.sampled_from([2, 4, 8]))
def test_affine_params_represent_zero_exactly_and_cover_the_range(lo, width, bits):
    hi = lo + width
    scale, zp = affine_params(lo, hi, bits)
    qmin, qmax = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    assert qmin <= zp <= qmax and scale == float(np.float32(scale)) and scale > 0
    assert fake_quant(np.array([0.0]), scale, zp, bits)[0] == 0.0
    # the covered range reaches both ends within one step
    assert scale * (qmin - zp) <= min(lo, 0.0) + scale
    assert scale * (qmax - zp) >= max(hi, 0.0) - scale


def test_stats_subsample_is_deterministic_and_bounded():
    x = np.random.default_rng(5).normal(0, 1, (40, 100_000))
    a, b = TensorStats(7), TensorStats(7)
    for row in x:
        a.update(row)
        b.update(row)
    assert np.array_equal(a.samples, b.samples)
    assert a.samples.size <= 1 << 18 and a.count == x.size


def test_weight_scales_are_per_channel_symmetric():
    w = np.zeros((3, 2, 2, 4), np.float32)
    w[0, 0, 0, 0], w[1, 1, 1, 1], w[2] = -2.54, 1.27, 0.0
    s = weight_scales(w, 0)
    assert s[0] == np.float32(0.02) and s[1] == np.float32(0.01)
    assert s[2] == np.float32(0.015)      # an all-zero channel: mean of the others
    q = quantize_weights(w, s, 0)
    assert q[0, 0, 0, 0] == -127 and q[1, 1, 1, 1] == 127 and not q[2].any()


def test_depthwise_weights_use_the_last_axis():
    w = np.random.default_rng(6).normal(0, 1, (3, 3, 5)).astype(np.float32)
    s = weight_scales(w, 2)
    assert np.allclose(s, np.abs(w).max(axis=(0, 1)) / 127, rtol=1e-6)
    assert np.abs(quantize_weights(w, s, 2)).max() == 127


def test_sub_byte_weights_fit_their_width():
    w = np.random.default_rng(7).standard_t(3, (8, 27)).astype(np.float32)
    for bits in (2, 4):
        q = quantize_weights(w, weight_scales(w, 0, bits, mse=True), 0, bits)
        assert np.abs(q).max() <= (1 << (bits - 1)) - 1
