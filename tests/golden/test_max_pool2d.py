"""max_pool2d golden vs TFLite Micro's MAX_POOL_2D (int8)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from tests.golden._movement_cases import pool_case
from tests.graphs import act, one_op
from tests.tflite_writer import graph_to_tflite, run_tflm
from tinydeploy.errors import UnsupportedError
from tinydeploy.quant.execute import prepare_all, run_graph


def assert_matches_tflm(g, inputs):
    want = run_tflm(graph_to_tflite(g), inputs)[0]
    got = run_graph(g, inputs)[g.outputs[0]]
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want.reshape(got.shape))


@settings(max_examples=40, deadline=None)
@given(pool_case("max_pool2d", paddings=("same", "valid", "explicit")))
def test_max_pool2d_matches_tflm_same_valid_and_explicit_pads(case):
    assert_matches_tflm(*case)


def test_max_pool2d_padding_never_wins_over_negative_inputs():
    x = act("x", (1, 3, 3, 1), 0.125, 10)
    g = one_op("max_pool2d", [x], act("y", (1, 3, 3, 1), 0.125, 10), kernel=(3, 3),
               stride=(1, 1), pads=(1, 1, 1, 1), act="none")
    inp = np.full((1, 3, 3, 1), -100, dtype=np.int8)
    assert_matches_tflm(g, [inp])
    assert np.all(run_graph(g, [inp])["y"] == -100)


def test_max_pool2d_window_entirely_in_padding_is_unsupported():
    g = one_op("max_pool2d", [act("x", (1, 2, 2, 1))], act("y", (1, 3, 3, 1)), name="mp",
               kernel=(1, 1), stride=(1, 1), pads=(1, 1, 0, 0), act="none")
    with pytest.raises(UnsupportedError, match="mp"):
        prepare_all(g)
