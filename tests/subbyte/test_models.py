"""4-bit-weight variants of the MLPerf Tiny models (quant/subbyte.py requantize_weights).

TFLite cannot run int4 layers, so the reference for a variant is our golden: the variant
must compile and its C output must equal the golden's, bit for bit (ASan/UBSan build).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.graphs import act, const, one_op
from tests.harness import run_c_graph_many
from tinydeploy.compiler import lower
from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend import load_model
from tinydeploy.ir.graph import QuantParams, Tensor
from tinydeploy.quant.execute import run_graph
from tinydeploy.quant.subbyte import WEIGHTED_KINDS, requantize_weights
from tinydeploy.check.inputs import random_inputs


@pytest.mark.models
@pytest.mark.cc
def test_4bit_weight_variant_compiles_and_runs_bit_exact(mlperf_model):
    g = load_model(mlperf_model)
    g4 = requantize_weights(g, 4)
    low = lower(g4)
    weighted = [op for op in low.graph.ops if op.kind in WEIGHTED_KINDS]
    assert weighted and all(low.args[op.name].C_FUNC.endswith("_sb") for op in weighted)
    for op in weighted:
        w8, w4 = g.t(op.inputs[1]), g4.t(op.inputs[1])
        assert w4.dtype == "int4" and w4.nbytes == -(-w8.size // 2)
        assert np.abs(w4.data).max() <= 7
    records = random_inputs(low.graph, 2, seed=0)
    outs = run_c_graph_many(g4, records)
    for rec, out in zip(records, outs):
        want = run_graph(low.graph, rec, low.args)
        for name in low.graph.outputs:
            np.testing.assert_array_equal(out[name], want[name], err_msg=name)


def _conv():
    data = np.array([[127, -64, 10], [0, 0, 0]], np.int8).reshape(2, 1, 1, 3)
    w = Tensor("w", data.shape, "int8", QuantParams.make([0.01, 0.02], 0, 0), data)
    b = const("b", np.array([100, 50], np.int32), scale=[0.005, 0.01], axis=0)
    return one_op("conv2d", [act("x", (1, 1, 1, 3), 0.5, 0), w, b],
                  act("y", (1, 1, 1, 2), 0.1, 0), name="conv1")


def test_requantize_weights_is_symmetric_per_channel_with_rescaled_bias():
    g = _conv()
    g4 = requantize_weights(g, 4)
    w = g4.t("w")
    # channel 0: real [1.27, -0.64, 0.1], scale 1.27 / 7; channel 1 all zero: scale kept
    s0 = float(np.float32(1.27 / 7))
    np.testing.assert_allclose(w.quant.scale, [s0, 0.02], rtol=1e-7)
    assert w.dtype == "int4" and w.data.reshape(2, 3).tolist() == [[7, -4, 1], [0, 0, 0]]
    # bias real 100 * 0.5 * 0.01 = 0.5 -> 0.5 / (0.5 * s0) = 5.51 -> 6; channel 1 unchanged
    assert g4.t("b").data.tolist() == [6, 50]
    assert g.t("w").dtype == "int8" and g.t("b").data.tolist() == [100, 50]   # untouched
    assert g4.meta["requantized_layers"] == ["w"]


def test_requantize_weights_to_2_bits_and_layer_patterns():
    g = _conv()
    assert requantize_weights(g, 2, layers=["conv*"]).t("w").data.reshape(2, 3).tolist() \
        == [[1, -1, 0], [0, 0, 0]]
    assert requantize_weights(g, 2, layers=["conv1"]).t("w").dtype == "int2"


def test_requantize_weights_bad_bits_or_unknown_layer_is_error():
    with pytest.raises(TinyDeployError, match="2, 4 or 8"):
        requantize_weights(_conv(), 3)
    with pytest.raises(TinyDeployError, match="no conv.*matches fc_\\*"):
        requantize_weights(_conv(), 4, layers=["fc_*"])
