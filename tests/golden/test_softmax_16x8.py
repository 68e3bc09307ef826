"""int16 softmax golden vs TFLite Micro beyond the random cases: its lookup tables,
whole rows of every int16 value, long rows, and the refused output scale."""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np
import pytest

from tests.cases_16x8 import s16
from tests.golden.test_add import assert_matches_tflm
from tests.graphs import one_op
from tinydeploy.errors import UnsupportedError
from tinydeploy.quant.execute import prepare_all
from tinydeploy.quant.golden.int16 import luts


def test_exp_table_equals_one_built_with_the_c_librarys_expf():
    """The tables use the correctly rounded expf; glibc's (TFLite Micro's) gives the same."""
    path = ctypes.util.find_library("m")
    if path is None:
        pytest.skip("no C math library to compare with")
    libm = ctypes.CDLL(path)
    libm.expf.restype, libm.expf.argtypes = ctypes.c_float, [ctypes.c_float]
    f = np.float32
    ours = luts.softmax_luts()[0]
    theirs = luts.populate(lambda v: f(libm.expf(float(v))), f(10.0) / f(65535), 32767,
                           f(2.0) / f(65535), 0)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("scale", [1e-5, 3e-4, 2.0**-12, 0.01])
def test_softmax_16x8_rows_of_every_value_match_tflm(scale):
    g = one_op("softmax", [s16("x", (64, 1024), scale)], s16("y", (64, 1024), 1 / 32768),
               beta=1.0)
    x = np.arange(-32768, 32768, dtype=np.int64).reshape(64, 1024).astype(np.int16)
    x = np.ascontiguousarray(np.random.default_rng(0).permutation(x, axis=1))
    assert_matches_tflm(g, [x])


def test_softmax_16x8_long_rows_and_beta_match_tflm():
    rng = np.random.default_rng(1)
    for depth, beta in ((4000, 1.0), (257, 0.25), (3, 3.0)):
        g = one_op("softmax", [s16("x", (2, depth), 2e-4)], s16("y", (2, depth), 1 / 32768),
                   beta=beta)
        assert_matches_tflm(g, [rng.integers(-32768, 32768, (2, depth)).astype(np.int16)])


def test_softmax_16x8_other_output_scale_is_error():
    g = one_op("softmax", [s16("x", (4,), 1e-3)], s16("y", (4,), 1 / 256), beta=1.0)
    with pytest.raises(UnsupportedError, match="scale 1/32768"):
        prepare_all(g)
