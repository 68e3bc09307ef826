"""pad golden vs TFLite Micro's PAD (int8, pad value = output zero point)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from tests.golden._movement_cases import pad_case
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
@given(pad_case(max_rank=4))
def test_pad_matches_tflm(case):
    assert_matches_tflm(*case)


def test_pad_fills_with_output_zero_point_and_keeps_input_bytes():
    x = act("x", (1, 2, 2, 1), 0.125, -7)
    g = one_op("pad", [x], act("y", (1, 4, 3, 1), 0.125, -7),
               pads=((0, 0), (1, 1), (0, 1), (0, 0)))
    inp = np.array([1, 2, 3, 4], dtype=np.int8).reshape(1, 2, 2, 1)
    assert_matches_tflm(g, [inp])
    want = np.pad(inp, ((0, 0), (1, 1), (0, 1), (0, 0)), constant_values=-7)
    np.testing.assert_array_equal(run_graph(g, [inp])["y"], want)


def test_pad_negative_amount_is_unsupported():
    g = one_op("pad", [act("x", (1, 4))], act("y", (1, 3)), name="crop1",
               pads=((0, 0), (0, -1)))
    with pytest.raises(UnsupportedError, match="crop1"):
        prepare_all(g)
