"""fully_connected golden vs TFLite Micro: identical int8 outputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.golden.test_conv2d import ACTS, bias_tensor, assert_matches_tflm, rand_quant
from tests.graphs import act, const, one_op
from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph
from tinydeploy.quant.execute import prepare_all, run_graph


def fc_graph(rng: np.random.Generator, n=1, cin=16, cout=8, per_channel=False, bias=True,
             act_fn="none", w_zp=0, prefix="") -> Graph:
    """A one-op fully-connected graph: x [n, cin], weights [cout, cin]."""
    q = rand_quant(rng, cin, cout, per_channel, bias)
    wd = rng.integers(-127, 128, size=(cout, cin)).astype(np.int8)
    x = act(prefix + "x", (n, cin), q["in_s"], q["in_zp"])
    wt = const(prefix + "w", wd, scale=q["w_s"], zp=w_zp, axis=0 if per_channel else None)
    y = act(prefix + "y", (n, cout), q["out_s"], q["out_zp"])
    return one_op("fully_connected", [x, wt, bias_tensor(prefix + "b", q)], y,
                  name=prefix + "fc", act=act_fn)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), cin=st.integers(1, 64), cout=st.integers(1, 16),
       per_channel=st.booleans(), bias=st.booleans(), act_fn=st.sampled_from(ACTS),
       seed=st.integers(0, 2**31))
def test_fully_connected_random_shapes_match_tflm(n, cin, cout, per_channel, bias, act_fn,
                                                  seed):
    g = fc_graph(np.random.default_rng(seed), n, cin, cout, per_channel, bias, act_fn)
    assert_matches_tflm(g, seed + 1)


@pytest.mark.parametrize("per_channel", [False, True])
def test_fully_connected_wide_640_to_128_matches_tflm(per_channel):
    g = fc_graph(np.random.default_rng(1), cin=640, cout=128, per_channel=per_channel,
                 act_fn="relu")
    assert_matches_tflm(g, 2)


def test_fully_connected_per_tensor_multiplier_tie_matches_tflm():
    """Scales where the float32 and double products of in_scale * w_scale give multipliers
    that requantize acc = -37972 to -85 and -84: TFLM must agree with the golden."""
    i_s, w_s, o_s = 0.031034596264362335, 0.002340407809242606, 0.03264032304286957
    g = one_op("fully_connected", [act("x", (1, 1), i_s, 0),
                                   const("w", np.array([[1]], dtype=np.int8), scale=w_s),
                                   const("b", np.array([-37972], dtype=np.int32),
                                         scale=i_s * w_s)],
               act("y", (1, 1), o_s, 0))
    x = np.zeros((1, 1), dtype=np.int8)              # acc = bias
    assert_matches_tflm(g, 0, x)
    np.testing.assert_array_equal(run_graph(g, [x])["y"], [[-84]])


@pytest.mark.parametrize("out_scale", [0.19672131538391113, 0.14814814925193787])
def test_fully_connected_relu6_bound_divides_in_float32_matches_tflm(out_scale):
    """6 / out_scale is within float32 epsilon of x.5: TFLite's float32 division rounds up,
    a double division would round down. A large bias drives the output to the bound."""
    g = one_op("fully_connected", [act("x", (1, 1), 0.1, 0),
                                   const("w", np.array([[1]], dtype=np.int8), scale=0.1),
                                   const("b", np.array([100000], dtype=np.int32),
                                         scale=0.01)],
               act("y", (1, 1), out_scale, -128), act="relu6")
    assert_matches_tflm(g, 0)


@pytest.mark.parametrize("w_zp", [-128, -5, 9, 127])
def test_fully_connected_per_tensor_weight_zero_point_matches_tflm(w_zp):
    """TFLite's per-tensor FC applies weights_offset = -w_zp (conv kernels do not)."""
    g = fc_graph(np.random.default_rng(w_zp + 200), n=2, cin=20, cout=6, w_zp=w_zp)
    assert_matches_tflm(g, 5)


def test_fully_connected_per_channel_nonzero_weight_zero_point_is_error():
    g = fc_graph(np.random.default_rng(3), per_channel=True, w_zp=3)
    with pytest.raises(UnsupportedError, match="zero point"):
        prepare_all(g)


def test_fully_connected_per_tensor_weight_zero_point_is_subtracted():
    """w == w_zp (real 0) everywhere: every output is the bias alone, whatever x is."""
    rng = np.random.default_rng(4)
    g = fc_graph(rng, cin=12, cout=5, w_zp=-7)
    w = g.t("w")
    g.tensors["w"] = const("w", np.full(w.shape, -7, dtype=np.int8), scale=w.quant.s, zp=-7)
    x = g.t("x")
    a = run_graph(g, [rng.integers(-128, 128, x.shape).astype(np.int8)])["y"]
    b = run_graph(g, [rng.integers(-128, 128, x.shape).astype(np.int8)])["y"]
    np.testing.assert_array_equal(a, b)
