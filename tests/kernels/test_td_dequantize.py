"""td_dequantize_{s8,u8}_f32 (C, under ASan/UBSan) vs the numpy golden, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from tests.golden.test_dequantize import dequantize_graph
from tests.kernels.test_td_add import assert_c_matches

pytestmark = pytest.mark.cc


def test_td_dequantize_int8_and_uint8_many_scales_match_golden_bitwise():
    rng = np.random.default_rng(71)
    graphs = []
    for i in range(10):
        dtype = "int8" if i % 2 else "uint8"
        lo, hi = (-128, 128) if dtype == "int8" else (0, 256)
        scale = float(np.float32(2.0 ** rng.uniform(-24, 12)))
        if i == 0:
            scale = float(np.nextafter(np.float32(0.1), np.float32(1.0)))   # full mantissa
        graphs.append(dequantize_graph(dtype, scale, int(rng.integers(lo, hi)), prefix=f"d{i}_"))
    assert_c_matches(graphs, seed=72)
