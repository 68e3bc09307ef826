"""concat golden vs TFLite Micro's CONCATENATION (int8, shared quantization)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from tests.golden._movement_cases import concat_case
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
@given(concat_case())
def test_concat_matches_tflm(case):
    assert_matches_tflm(*case)


def test_concat_channels_equals_numpy_concatenate():
    a, b = act("a", (1, 2, 2, 3), 0.125, 4), act("b", (1, 2, 2, 1), 0.125, 4)
    g = one_op("concat", [a, b], act("y", (1, 2, 2, 4), 0.125, 4), axis=3)
    rng = np.random.default_rng(1)
    xa = rng.integers(-128, 128, a.shape).astype(np.int8)
    xb = rng.integers(-128, 128, b.shape).astype(np.int8)
    np.testing.assert_array_equal(run_graph(g, [xa, xb])["y"], np.concatenate([xa, xb], 3))


@pytest.mark.parametrize("scale,zp", [(0.25, 4), (0.125, 5)])
def test_concat_input_quantization_differing_from_output_is_unsupported(scale, zp):
    a, b = act("a", (1, 2), 0.125, 4), act("b", (1, 2), scale, zp)
    g = one_op("concat", [a, b], act("y", (1, 4), 0.125, 4), name="cat3", axis=1)
    with pytest.raises(UnsupportedError, match="node 'cat3'.*'b'"):
        prepare_all(g)
