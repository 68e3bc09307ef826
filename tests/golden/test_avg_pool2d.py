"""avg_pool2d golden vs TFLite Micro's AVERAGE_POOL_2D (int8)."""

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
@given(pool_case("avg_pool2d"))
def test_avg_pool2d_matches_tflm_same_and_valid(case):
    assert_matches_tflm(*case)


@pytest.mark.parametrize("values", [[-1, -2], [1, 2], [-3, 0], [3, 0], [-128, -127],
                                    [127, 126], [-5, 4], [5, -4]])
def test_avg_pool2d_rounds_halves_away_from_zero_like_tflm(values):
    x = act("x", (1, 1, 2, 1), 0.125, 0)
    g = one_op("avg_pool2d", [x], act("y", (1, 1, 1, 1), 0.125, 0), kernel=(1, 2),
               stride=(1, 1), pads=(0, 0, 0, 0), act="none")
    inp = np.array(values, dtype=np.int8).reshape(1, 1, 2, 1)
    assert_matches_tflm(g, [inp])
    expect = int(np.sign(sum(values)) * np.floor(abs(sum(values)) / 2 + 0.5))
    assert run_graph(g, [inp])["y"].item() == expect


def test_avg_pool2d_same_padding_divides_by_valid_count_only():
    # 3x3 window at the corner of a SAME-padded 4x4 input covers 2x2 real pixels.
    x = act("x", (1, 4, 4, 1), 0.125, 0)
    g = one_op("avg_pool2d", [x], act("y", (1, 2, 2, 1), 0.125, 0), kernel=(3, 3),
               stride=(2, 2), pads=(0, 0, 1, 1), act="none")
    inp = np.full((1, 4, 4, 1), 100, dtype=np.int8)
    assert_matches_tflm(g, [inp])
    assert np.all(run_graph(g, [inp])["y"] == 100)


def test_avg_pool2d_different_in_out_quantization_is_unsupported():
    x, y = act("x", (1, 4, 4, 2), 0.125, 0), act("y", (1, 2, 2, 2), 0.25, 0)
    g = one_op("avg_pool2d", [x], y, name="pool7", kernel=(2, 2), stride=(2, 2),
               pads=(0, 0, 0, 0), act="none")
    with pytest.raises(UnsupportedError, match="pool7"):
        prepare_all(g)
