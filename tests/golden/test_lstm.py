"""The int8 and 16x8 LSTM golden (quant/golden/lstm.py) against TFLite Micro's integer
UNIDIRECTIONAL_SEQUENCE_LSTM, bit for bit, on random models streamed over several calls
(TFLM's variables kept between invokes, the golden's state passed on); and what the
frontend and the golden refuse, each with one error naming the node."""

from __future__ import annotations

import numpy as np
import pytest

from tests.models.test_lstm_models import lstm_net, seeded_steps, stream_golden, stream_tflm
from tests.tflite_writer import WRITERS, TFLiteBuilder, graph_to_tflite
from tests.tflite_writer_ops import WRITERS as MORE
from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend import load_model
from tinydeploy.ir.graph import QuantParams, Tensor
from tinydeploy.quant.execute import initial_state, prepare_all, run_graph

CASES = [dict(seed=s, n_in=int(i), n_state=int(n), batch=int(b), time=int(t),
              time_major=bool(tm), h_zp=int(z), cell_scale=2.0 ** -int(p), head=False)
         for s, (i, n, b, t, tm, z, p) in enumerate([
             (1, 1, 1, 1, 0, 0, 11), (3, 8, 1, 5, 0, -128 + 60, 12), (16, 4, 3, 2, 1, 17, 10),
             (2, 12, 2, 4, 0, -7, 13), (9, 3, 1, 6, 1, 100, 15), (4, 16, 2, 1, 0, 0, 8)])]
CASES += [dict(seed=20 + s, n_in=i, n_state=n, batch=b, time=t, time_major=tm,
               cell_scale=2.0 ** -p, head=False, dtype="int16")       # 16x8
          for s, (i, n, b, t, tm, p) in enumerate([(3, 5, 1, 4, False, 11),
                                                   (8, 2, 2, 3, True, 14),
                                                   (1, 10, 3, 2, False, 9)])]


@pytest.mark.parametrize("k", range(len(CASES)))
def test_lstm_golden_equals_tflm_over_calls(tmp_path, k):
    net = lstm_net(name=f"lstm_g{k}", **CASES[k])
    g = net.graph(net.out)
    model = tmp_path / "m.tflite"
    model.write_bytes(graph_to_tflite(g))
    xs = seeded_steps(g, n=6, seed=k)
    for t, o in zip(stream_tflm(model.read_bytes(), xs), stream_golden(model, xs)):
        assert np.array_equal(o.reshape(t.shape), t)


def test_initial_state_is_tflms_reset(tmp_path):
    path = tmp_path / "m.tflite"
    path.write_bytes(graph_to_tflite(lstm_net(h_zp=-9, head=False).graph(["y"])))
    g = load_model(path)
    assert g.meta["state"] == ["h_state", "c_state"]
    s = initial_state(g)
    assert set(s) == {"h_state", "c_state"}
    assert (s["h_state"] == -9).all() and s["h_state"].dtype == np.int8
    assert (s["c_state"] == 0).all() and s["c_state"].dtype == np.int16
    env = run_graph(g, [np.zeros(g.t("x").shape, np.int8)])
    assert env["h_state"].dtype == np.int8 and env["c_state"].dtype == np.int16


def _model(tmp_path, edit) -> str:
    """The test net's .tflite with its LSTM operator edited (``edit(builder, op)``)."""
    g = lstm_net(head=False).graph(["y"])
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


def _options(o, **fields):
    o.options = (o.options[0], {**o.options[1], **fields})


@pytest.mark.parametrize("edit, match", [
    (lambda w, o: o.inputs.__setitem__(16, o.inputs[5]),
     "UNIDIRECTIONAL_SEQUENCE_LSTM with projection"),
    (lambda w, o: o.inputs.__setitem__(9, o.inputs[12]), "with peephole"),
    (lambda w, o: _options(o, FusedActivationFunction=1), "cell activation 1"),
    (lambda w, o: _options(o, AsymmetricQuantizeInputs=True), "hybrid"),
])
def test_lstm_variants_tflm_does_not_run_are_refused(tmp_path, edit, match):
    with pytest.raises(UnsupportedError, match=match) as e:
        load_model(_model(tmp_path, edit))
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in str(e.value)


def test_state_that_is_not_a_variable_is_refused(tmp_path):
    def edit(w, o):
        w.tensors[o.inputs[18]].variable = False
    with pytest.raises(TinyDeployError, match="hidden state .input 18. must be a variable"):
        load_model(_model(tmp_path, edit))


def test_variable_tensors_elsewhere_are_still_refused(tmp_path):
    def edit(w, o):
        w.tensors[o.inputs[0]].variable = True         # the input as a variable
    with pytest.raises(TinyDeployError, match="is variable"):
        load_model(_model(tmp_path, edit))


def test_per_channel_lstm_weights_are_refused_naming_the_node():
    g = lstm_net(head=False).graph(["y"])
    w = g.t("w_xf")
    g.tensors["w_xf"] = Tensor(w.name, w.shape, w.dtype,
                               QuantParams.make(np.full(w.shape[0], 0.01), np.zeros(w.shape[0],
                                                                                    np.int64), 0),
                               w.data)
    with pytest.raises(UnsupportedError, match="node '0_lstm'.*per-tensor quantized int8"):
        prepare_all(g)
