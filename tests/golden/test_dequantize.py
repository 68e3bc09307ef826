"""dequantize golden vs TFLite Micro: bit-identical float32 outputs for int8 and uint8."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.golden.test_add import assert_matches_tflm, f32
from tests.graphs import act, one_op
from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph
from tinydeploy.quant.execute import prepare_all, run_graph


def dequantize_graph(dtype: str, scale: float, zp: int, prefix: str = "") -> Graph:
    x = act(prefix + "x", (2, 128), f32(scale), zp, dtype)
    return one_op("dequantize", [x], act(prefix + "y", (2, 128), dtype="float32"),
                  name=prefix + "dequantize")


def all_values(dtype: str) -> np.ndarray:
    return np.arange(256).astype(np.uint8).view(np.dtype(dtype)).reshape(2, 128)


@settings(max_examples=40, deadline=None)
@given(dtype=st.sampled_from(["int8", "uint8"]), log2_scale=st.floats(-20, 10),
       zp=st.integers(0, 255))
def test_dequantize_all_values_random_quantization_match_tflm_bitwise(dtype, log2_scale, zp):
    zp = zp - 128 if dtype == "int8" else zp
    g = dequantize_graph(dtype, 2.0**log2_scale, zp)
    assert_matches_tflm(g, [all_values(dtype)])


def test_dequantize_float32_scale_with_full_mantissa_matches_tflm():
    """A scale using all 24 mantissa bits: the product needs 33 bits, then rounds once."""
    scale = float(np.nextafter(np.float32(0.1), np.float32(1.0)))
    for dtype, zp in (("int8", -128), ("int8", 127), ("uint8", 0), ("uint8", 255)):
        assert_matches_tflm(dequantize_graph(dtype, scale, zp), [all_values(dtype)])


def test_dequantize_zero_point_maps_to_zero():
    y = run_graph(dequantize_graph("int8", 0.37, 11), [np.full((2, 128), 11, np.int8)])["y"]
    assert y.dtype == np.float32 and np.all(y == 0.0)


def test_dequantize_to_int8_output_is_error():
    g = one_op("dequantize", [act("x", (4,), 0.1, 0)], act("y", (4,), 0.1, 0))
    with pytest.raises(UnsupportedError, match="node 'op0'.*float32"):
        prepare_all(g)
