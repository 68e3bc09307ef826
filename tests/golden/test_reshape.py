"""reshape golden vs TFLite Micro's RESHAPE and numpy; no kernel (prepare gives None)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from tests.golden._movement_cases import reshape_case
from tests.graphs import act, one_op
from tests.tflite_writer import graph_to_tflite, run_tflm
from tinydeploy.errors import UnsupportedError
from tinydeploy.quant.execute import prepare_all, run_graph


@settings(max_examples=30, deadline=None)
@given(reshape_case())
def test_reshape_matches_tflm_and_numpy(case):
    g, (x,) = case
    got = run_graph(g, [x])["y"]
    want = run_tflm(graph_to_tflite(g), [x])[0]
    np.testing.assert_array_equal(got, want.reshape(got.shape))
    np.testing.assert_array_equal(got, x.reshape(g.t("y").shape))


def test_reshape_prepare_returns_no_kernel_args():
    g = one_op("reshape", [act("x", (1, 2, 3))], act("y", (6,)))
    assert prepare_all(g) == {"op0": None}


def test_reshape_changing_element_count_is_unsupported():
    g = one_op("reshape", [act("x", (1, 2, 3))], act("y", (5,)), name="rs")
    with pytest.raises(UnsupportedError, match="rs"):
        prepare_all(g)
