"""What TFLite Micro runs and its own example/integration models use, built here with the
test writer (never read from TFLM's files): QUANTIZE between int8/int16 and int32, an int8
softmax with TFLite's int16 output (scale 1/65536, zero point -32768), TRANSPOSE_CONV whose
output-shape input is a graph input (TFLM never reads it), and a 1-D bias whose per-channel
quantization names a dimension it does not have (old converters wrote the conv's 3). Each:
TFLite Micro == golden == C (ASan/UBSan) on seeded full-range inputs."""

from __future__ import annotations

import numpy as np
import pytest

from tests.signal.common import check_three_ways
from tests.tflite_writer import TFLiteBuilder
from tinydeploy.ir.graph import QuantParams

pytestmark = pytest.mark.cc

Q = QuantParams.make


def _full_range(rng, dtype: str, shape) -> np.ndarray:
    info = np.iinfo(dtype)
    x = rng.integers(int(info.min), int(info.max) + 1, shape, dtype=np.int64).astype(dtype)
    x.flat[:2] = (info.min, info.max)
    return x


@pytest.mark.parametrize("src,dst,s_in,s_out,zp_in,zp_out", [
    ("int8", "int32", 0.05, 0.0001, -3, 0),
    ("int16", "int32", 0.002, 0.00003, 0, 0),
    ("int32", "int16", 0.0001, 0.003, 0, 0),      # a scale-down
    ("int32", "int16", 0.004, 0.0001, 0, 0),      # a left shift: int32 wraps as in TFLM
    ("int32", "int8", 0.0003, 0.05, 0, 7)])
def test_quantize_between_int8_int16_and_int32(tmp_path, src, dst, s_in, s_out, zp_in, zp_out):
    w = TFLiteBuilder()
    x = w.tensor("x", (3, 17), src, Q(s_in, zp_in))
    y = w.tensor("y", (3, 17), dst, Q(s_out, zp_out))
    w.op("QUANTIZE", [x], [y])
    rng = np.random.default_rng(len(src) + len(dst))
    calls = [[_full_range(rng, src, (3, 17))] for _ in range(3)]
    # values whose results span the output range (full-range int32 inputs saturate)
    k = rng.integers(-100, 100, (3, 17)) * (np.iinfo(dst).max // 100)
    mid = np.clip(np.round(k * s_out / s_in), *[int(v) for v in
                                                (np.iinfo(src).min, np.iinfo(src).max)])
    calls.append([mid.astype(src)])
    out = check_three_ways(tmp_path, w.finish([x], [y]), calls)
    assert max(len(np.unique(o[0])) for o in out) > 10


def test_int8_softmax_with_int16_output(tmp_path):
    w = TFLiteBuilder()
    x = w.tensor("x", (4, 12), "int8", Q(0.07, 2))
    y = w.tensor("y", (4, 12), "int16", Q(1 / 65536, -32768))
    w.op("SOFTMAX", [x], [y], ("SoftmaxOptions", {"Beta": 1.0}))
    rng = np.random.default_rng(3)
    calls = [[_full_range(rng, "int8", (4, 12))], [rng.integers(-5, 5, (4, 12)).astype(np.int8)],
             [np.full((4, 12), -128, np.int8)]]
    out = check_three_ways(tmp_path, w.finish([x], [y]), calls)
    assert out[2][0].min() > -32768          # equal logits: every entry 1/12, not flushed


def test_transpose_conv_with_a_runtime_output_shape_input(tmp_path):
    """TFLM never reads TRANSPOSE_CONV's output shape (the output tensor decides); TFLM's
    SEANet tests feed it as a graph input. It is accepted and ignored as TFLM ignores it."""
    w = TFLiteBuilder()
    rng = np.random.default_rng(5)
    shape = w.tensor("out_shape", (4,), "int32")
    wt = w.tensor("w", (6, 3, 4, 5), "int8", Q(np.full(6, 0.01), np.zeros(6, np.int64), 0),
                  data=rng.integers(-127, 128, (6, 3, 4, 5)))
    x = w.tensor("x", (1, 1, 5, 5), "int16", Q(0.001, 0))
    b = w.tensor("b", (6,), "int64", data=rng.integers(-5000, 5000, 6))
    y = w.tensor("y", (1, 3, 8, 6), "int16", Q(0.004, 0))
    w.op("TRANSPOSE_CONV", [shape, wt, x, b], [y],
         ("TransposeConvOptions", {"Padding": 1, "StrideH": 1, "StrideW": 1}))
    calls = [[np.array([1, 3, 8, 6], np.int32), _full_range(rng, "int16", (1, 1, 5, 5))],
             [np.array([9, 9, 9, 9], np.int32), _full_range(rng, "int16", (1, 1, 5, 5))]]
    check_three_ways(tmp_path, w.finish([shape, x], [y]), calls)


def test_one_d_bias_with_the_convs_quantized_dimension(tmp_path):
    """A depthwise bias [C] whose per-channel scales say quantized_dimension 3 (as old
    converters wrote: person_detect) is the bias of channel c at index c."""
    w = TFLiteBuilder()
    rng = np.random.default_rng(6)
    sw = rng.uniform(0.005, 0.02, 8)
    x = w.tensor("x", (1, 6, 6, 8), "int8", Q(0.05, -10))
    wt = w.tensor("w", (1, 3, 3, 8), "int8", Q(sw, np.zeros(8, np.int64), 3),
                  data=rng.integers(-127, 128, (1, 3, 3, 8)))
    b = w.tensor("b", (8,), "int32", Q(sw * 0.05, np.zeros(8, np.int64), 3),
                 data=rng.integers(-3000, 3000, 8))
    y = w.tensor("y", (1, 6, 6, 8), "int8", Q(0.08, 3))
    w.op("DEPTHWISE_CONV_2D", [x, wt, b], [y],
         ("DepthwiseConv2DOptions", {"Padding": 0, "StrideH": 1, "StrideW": 1,
                                     "DepthMultiplier": 1, "DilationHFactor": 1,
                                     "DilationWFactor": 1}))
    calls = [[_full_range(rng, "int8", (1, 6, 6, 8))] for _ in range(2)]
    check_three_ways(tmp_path, w.finish([x], [y]), calls)
