"""What the 16x8 goldens refuse, each with an error naming the node and the reason:
asymmetric int16 tensors, biases other than int64, accumulators beyond TFLite's 64-bit
requantization, multipliers it cannot apply."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cases_16x8 import s16
from tests.graphs import act, const, one_op
from tinydeploy.errors import UnsupportedError
from tinydeploy.quant.execute import prepare_all


def conv(x_zp: int = 0, bias=None, w=None, y_scale: float = 0.05):
    x = act("x", (1, 4, 4, 2), 0.01, x_zp, "int16")
    w = const("w", np.ones((3, 1, 1, 2), np.int8) if w is None else w, scale=0.01, zp=0)
    return one_op("conv2d", [x, w, bias], s16("y", (1, 4, 4, 3), y_scale), name="c",
                  stride=(1, 1), dilation=(1, 1), pads=(0, 0, 0, 0), act="none")


def test_int16_zero_point_is_error_naming_the_node():
    with pytest.raises(UnsupportedError, match="node 'c'.*zero point 3.*symmetric"):
        prepare_all(conv(x_zp=3))


def test_int32_bias_on_16x8_conv_is_error():
    with pytest.raises(UnsupportedError, match="bias 'b' must be a constant int64"):
        prepare_all(conv(bias=const("b", np.zeros(3, np.int32))))


def test_accumulator_beyond_2_pow_47_is_error():
    big = const("b", np.array([2**47, 0, 0], np.int64))
    with pytest.raises(UnsupportedError, match="accumulator may reach"):
        prepare_all(conv(bias=big))


def test_multiplier_beyond_128_is_error():
    with pytest.raises(UnsupportedError, match="shifts left by at most 7"):
        prepare_all(conv(y_scale=1e-9))


def test_mixed_int8_int16_add_is_error():
    g = one_op("add", [s16("a", (4,), 0.01), act("b", (4,), 0.01, 0, "int8")],
               s16("y", (4,), 0.02))
    with pytest.raises(UnsupportedError, match="tensor 'b' is int8; expected per-tensor "
                       "quantized int16"):
        prepare_all(g)


def test_relu_changing_the_type_is_error():
    g = one_op("quantize", [s16("x", (4,), 0.01)], act("y", (4,), 0.01, 0, "int8"),
               act="relu")
    with pytest.raises(UnsupportedError, match="RELU kernels keep the type"):
        prepare_all(g)
