"""quantize golden vs TFLite Micro: float32 -> int8, requantization, standalone RELU/RELU6.

IR ``quantize`` with ``act`` is written as TFLite's RELU / RELU6 op (tests/tflite_writer.py),
so those cases check the activation semantics against TFLite Micro's own kernels.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.golden.test_add import assert_matches_tflm, f32
from tests.graphs import act, one_op, random_input
from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, QuantParams, Tensor
from tinydeploy.quant.execute import prepare_all, run_graph

SHAPE = (4, 64)
ZP_RANGE = {"int8": (-128, 127), "uint8": (0, 255)}


def quantize_graph(src: str, dst: str, in_q=(0.1, 0), out_q=(0.1, 0), act_fn="none",
                   shape=SHAPE, prefix="") -> Graph:
    x = act(prefix + "x", shape, f32(in_q[0]), in_q[1], src)
    y = act(prefix + "y", shape, f32(out_q[0]), out_q[1], dst)
    attrs = {} if act_fn == "none" else {"act": act_fn}
    return one_op("quantize", [x], y, name=prefix + "quantize", **attrs)


def float_inputs(rng: np.random.Generator, scale: float, zp: int) -> np.ndarray:
    """Random reals around the int8 range, exact .5 ties of x / scale, zeros and -0."""
    n = SHAPE[0] * SHAPE[1]
    x = rng.normal(0.0, 80.0 * scale, size=n).astype(np.float32)
    ties = (np.arange(-140, 140, dtype=np.float32) + np.float32(0.5)) * np.float32(scale)
    x[:n // 2] = ties[rng.integers(0, ties.size, n // 2)]
    x[:4] = [0.0, -0.0, (127.5 - zp) * scale, (-128.5 - zp) * scale]
    return x.reshape(SHAPE)


def quant_draw(dtype: str):
    lo, hi = ZP_RANGE[dtype]
    return st.tuples(st.floats(-9, 2).map(lambda e: 2.0**e), st.integers(lo, hi))


@settings(max_examples=40, deadline=None)
@given(out_q=quant_draw("int8"), seed=st.integers(0, 2**31))
def test_quantize_float32_to_int8_matches_tflm(out_q, seed):
    g = quantize_graph("float32", "int8", out_q=out_q)
    x = float_inputs(np.random.default_rng(seed), f32(out_q[0]), out_q[1])
    assert_matches_tflm(g, [x])


@settings(max_examples=40, deadline=None)
@given(pair=st.sampled_from([("int8", "int8"), ("int8", "uint8"), ("uint8", "int8")]),
       data=st.data(), seed=st.integers(0, 2**31))
def test_requantize_random_scales_match_tflm(pair, data, seed):
    src, dst = pair
    g = quantize_graph(src, dst, data.draw(quant_draw(src)), data.draw(quant_draw(dst)))
    assert_matches_tflm(g, [random_input(np.random.default_rng(seed), g.t("x"))])


@pytest.mark.parametrize("src,dst,zp_in,zp_out", [("int8", "uint8", 5, 133),
                                                  ("uint8", "int8", 128, 0),
                                                  ("int8", "int8", -3, 40)])
def test_requantize_same_scale_zero_point_shift_matches_tflm(src, dst, zp_in, zp_out):
    """Same scale: TFLite's int8 <-> uint8 "xor 0x80" fast path is the general formula."""
    g = quantize_graph(src, dst, (0.05, zp_in), (0.05, zp_out))
    assert prepare_all(g)["quantize"].multiplier == 1 << 30
    x = np.arange(256).astype(np.uint8).view(np.dtype(src)).reshape(4, 64)
    assert_matches_tflm(g, [x])


@settings(max_examples=30, deadline=None)
@given(in_q=quant_draw("int8"), out_q=quant_draw("int8"), seed=st.integers(0, 2**31))
def test_standalone_relu_as_requantize_matches_tflm_relu(in_q, out_q, seed):
    g = quantize_graph("int8", "int8", in_q, out_q, act_fn="relu")
    assert_matches_tflm(g, [random_input(np.random.default_rng(seed), g.t("x"))])


@settings(max_examples=30, deadline=None)
@given(q=quant_draw("int8"), seed=st.integers(0, 2**31))
def test_standalone_relu6_same_quantization_matches_tflm_relu6(q, seed):
    g = quantize_graph("int8", "int8", q, q, act_fn="relu6")
    assert_matches_tflm(g, [random_input(np.random.default_rng(seed), g.t("x"))])


def test_relu_uses_float32_scale_quotient_like_tflm():
    """RELU's multiplier comes from float32(s_in / s_out), QUANTIZE's from the double ratio."""
    g_relu = quantize_graph("int8", "int8", (0.3, 0), (0.7, 0), act_fn="relu")
    g_plain = quantize_graph("int8", "int8", (0.3, 0), (0.7, 0))
    m_relu = prepare_all(g_relu)["quantize"].multiplier
    m_plain = prepare_all(g_plain)["quantize"].multiplier
    assert m_relu != m_plain and abs(m_relu - m_plain) < 2**8


def test_relu_n1_to_1_clamps_to_minus_one_one():
    """Not a TFLite Micro kernel: checked against the real-valued definition."""
    g = quantize_graph("int8", "int8", (0.02, 3), (0.01, -5), act_fn="relu_n1_to_1")
    x = np.arange(-128, 128, dtype=np.int8).reshape(4, 64)
    y = run_graph(g, [x])["y"].astype(int)
    real = np.clip(0.02 * (x.astype(int) - 3), -1.0, 1.0)
    np.testing.assert_array_equal(y, np.clip(np.round(real / f32(0.01)) - 5, -105, 95))


@pytest.mark.parametrize("src,dst,act_fn", [("float32", "uint8", "none"),
                                            ("float32", "int8", "relu"),
                                            ("int8", "uint8", "relu"),
                                            ("int16", "uint8", "none"),
                                            ("int8", "float32", "none")])
def test_quantize_unsupported_dtypes_are_error(src, dst, act_fn):
    x = Tensor("x", SHAPE, src, None if src == "float32" else QuantParams.make(0.1, 0))
    y = Tensor("y", SHAPE, dst, None if dst == "float32" else QuantParams.make(0.1, 0))
    g = one_op("quantize", [x], y, act=act_fn)
    with pytest.raises(UnsupportedError, match="node 'op0'"):
        prepare_all(g)


def test_quantize_per_channel_output_is_error():
    x = act("x", (2, 3), 0.1, 0)
    y = Tensor("y", (2, 3), "int8", QuantParams.make([0.1, 0.2, 0.3], 0, axis=1))
    with pytest.raises(UnsupportedError, match="per-tensor"):
        prepare_all(one_op("quantize", [x], y))
