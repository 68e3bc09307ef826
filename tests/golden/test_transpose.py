"""transpose golden vs TFLite Micro's TRANSPOSE (int8, up to 5-D) and numpy (uint8, 6-D)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from tests.golden._movement_cases import transpose_case
from tests.graphs import act, one_op
from tests.tflite_writer import graph_to_tflite, run_tflm
from tinydeploy.errors import UnsupportedError
from tinydeploy.quant.execute import prepare_all, run_graph


@settings(max_examples=40, deadline=None)
@given(transpose_case(max_rank=5))
def test_transpose_matches_tflm(case):
    g, inputs = case
    want = run_tflm(graph_to_tflite(g), inputs)[0]
    got = run_graph(g, inputs)["y"]
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want.reshape(got.shape))


@settings(max_examples=25, deadline=None)
@given(transpose_case(max_rank=6, dtype="uint8"))
def test_transpose_uint8_up_to_6d_matches_numpy(case):
    g, (x,) = case
    got = run_graph(g, [x])["y"]
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, x.transpose(g.ops[0].attrs["perm"]))


def test_transpose_nchw_to_nhwc_matches_numpy():
    g = one_op("transpose", [act("x", (2, 3, 4, 5))], act("y", (2, 4, 5, 3)), perm=(0, 2, 3, 1))
    x = np.arange(120, dtype=np.int64).astype(np.int8).reshape(2, 3, 4, 5)
    np.testing.assert_array_equal(run_graph(g, [x])["y"], x.transpose(0, 2, 3, 1))


def test_transpose_invalid_perm_is_unsupported():
    g = one_op("transpose", [act("x", (2, 3))], act("y", (3, 2)), name="tr", perm=(1, 1))
    with pytest.raises(UnsupportedError, match="tr"):
        prepare_all(g)
