"""The int8 SVDF golden (quant/golden/svdf.py) against TFLite Micro's integer SVDF, bit
for bit, on random models streamed over several calls; and what the frontend and the
golden refuse, each with one error naming the node."""

from __future__ import annotations

import numpy as np
import pytest

from tests.models.test_lstm_models import seeded_steps, stream_golden, stream_tflm
from tests.models.test_svdf_models import svdf_net
from tests.tflite_writer import WRITERS, TFLiteBuilder, graph_to_tflite
from tests.tflite_writer_ops import WRITERS as MORE
from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend import load_model
from tinydeploy.ir.graph import QuantParams, Tensor
from tinydeploy.quant.execute import initial_state, prepare_all

CASES = [dict(seed=s, n_in=i, units=u, rank=r, memory=m, batch=b, state_zp=z, head=False)
         for s, (i, u, r, m, b, z) in enumerate([
             (1, 1, 1, 1, 1, 0), (12, 5, 1, 10, 1, 0), (7, 3, 4, 6, 3, 0),
             (20, 8, 2, 33, 2, 0), (5, 2, 2, 4, 1, 300)])]


@pytest.mark.parametrize("k", range(len(CASES)))
def test_svdf_golden_equals_tflm_over_calls(tmp_path, k):
    g = svdf_net(name=f"svdf_g{k}", **CASES[k]).graph(["y"])
    model = tmp_path / "m.tflite"
    model.write_bytes(graph_to_tflite(g))
    xs = seeded_steps(g, n=8, seed=k)
    for t, o in zip(stream_tflm(model.read_bytes(), xs), stream_golden(model, xs)):
        assert np.array_equal(o.reshape(t.shape), t)


def test_initial_state_is_tflms_reset(tmp_path):
    """TFLM zeroes an int16 variable whatever its zero point (only int8 gets its zp)."""
    path = tmp_path / "m.tflite"
    path.write_bytes(graph_to_tflite(svdf_net(state_zp=300, head=False).graph(["y"])))
    g = load_model(path)
    assert g.meta["state"] == ["state"]
    s = initial_state(g)["state"]
    assert s.dtype == np.int16 and not s.any()


def _model(tmp_path, edit, **kw):
    g = svdf_net(head=False, **kw).graph(["y"])
    w, writers = TFLiteBuilder(), {**WRITERS, **MORE}
    for n in g.inputs:
        w.ir(g.t(n))
    for op in g.ops:
        writers[op.kind](w, g, op)
    edit(w, w.ops[-1])
    path = tmp_path / "edited.tflite"
    path.write_bytes(w.finish([w.index[n] for n in g.inputs],
                              [w.index[n] for n in g.outputs]))
    return path


def test_hybrid_svdf_is_refused(tmp_path):
    def edit(w, o):
        o.options = (o.options[0], {**o.options[1], "AsymmetricQuantizeInputs": True})
    with pytest.raises(UnsupportedError, match="SVDF with asymmetric input quantization"):
        load_model(_model(tmp_path, edit))


def test_svdf_without_bias_is_refused(tmp_path):
    def edit(w, o):
        o.inputs[3] = -1
    with pytest.raises(UnsupportedError, match="SVDF without a bias"):
        load_model(_model(tmp_path, edit))


def test_svdf_state_must_be_a_variable(tmp_path):
    def edit(w, o):
        w.tensors[o.inputs[4]].variable = False
    with pytest.raises(TinyDeployError, match="state .input 4. must be a variable"):
        load_model(_model(tmp_path, edit))


def test_int8_state_with_int16_time_weights_is_refused_naming_the_node():
    """TFLite Micro's SVDF takes time weights of the state's type (int8 with int8, int16
    with int16); a mix is refused."""
    g = svdf_net(head=False).graph(["y"])
    s = g.t("state")
    g.tensors["state"] = Tensor(s.name, s.shape, "int8", QuantParams.make(0.1, 0))
    with pytest.raises(UnsupportedError, match="node '0_svdf'.*time weights.*int8"):
        prepare_all(g)


def test_int8_state_svdf_golden_equals_tflm_and_resets_to_the_zero_point(tmp_path):
    g = svdf_net(name="svdf_s8s8", head=False, state_dtype="int8", state_zp=5, units=3,
                 rank=2, memory=6, seed=4).graph(["y"])
    model = tmp_path / "m.tflite"
    model.write_bytes(graph_to_tflite(g))
    start = initial_state(load_model(model))["state"]
    assert start.dtype == np.int8 and np.all(start == 5)
    xs = seeded_steps(g, n=12, seed=9)
    for t, o in zip(stream_tflm(model.read_bytes(), xs), stream_golden(model, xs)):
        assert np.array_equal(o.reshape(t.shape), t)
