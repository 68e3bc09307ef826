"""int16 logistic and tanh goldens vs TFLite Micro beyond the random cases: the sigmoid
table entry by entry, every int16 input at power-of-two and general scales, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cases_16x8 import s16
from tests.golden.derive_sigmoid_table import derive_sigmoid_table
from tests.golden.test_add import assert_matches_tflm
from tests.graphs import one_op
from tinydeploy.errors import UnsupportedError
from tinydeploy.quant.execute import prepare_all
from tinydeploy.quant.golden.int16.luts import SIGMOID_Q16

ALL = np.arange(-32768, 32768, dtype=np.int64).astype(np.int16)


def test_sigmoid_table_is_tflite_micros():
    np.testing.assert_array_equal(SIGMOID_Q16, derive_sigmoid_table())


@pytest.mark.parametrize("kind", ["logistic", "tanh"])
@pytest.mark.parametrize("scale", [2.0**-12, 2.0**-11, 2.0**-10, 1e-5, 3.1e-4, 7e-4, 1.3e-3])
def test_every_int16_input_matches_tflm(kind, scale):
    g = one_op(kind, [s16("x", (65536,), scale)], s16("y", (65536,), 2.0**-15))
    assert_matches_tflm(g, [ALL])


@pytest.mark.parametrize("kind", ["logistic", "tanh"])
def test_output_scale_other_than_2_pow_minus_15_is_error(kind):
    g = one_op(kind, [s16("x", (4,), 1e-3)], s16("y", (4,), 1 / 30000))
    with pytest.raises(UnsupportedError, match="scale 2\\^-15"):
        prepare_all(g)


def test_input_scale_too_large_is_error():
    g = one_op("tanh", [s16("x", (4,), 3.0)], s16("y", (4,), 2.0**-15))
    with pytest.raises(UnsupportedError, match="too large"):
        prepare_all(g)
