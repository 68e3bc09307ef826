"""The float front door: float .tflite/.onnx -> float graph, run in numpy, checked against
TFLite Micro's float kernels and onnxruntime (independent float references)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import tflite

from tests.conftest import model_path
from tests.frontend.onnx_nets import float_net, float_net_more_ops
from tests.quantize.nets import onnx_bn_net, tflite_cnn, tflite_more_ops, write
from tests.tflite_writer import run_tflm
from tinydeploy.errors import TinyDeployError
from tinydeploy.quantize.canonical import canonicalize
from tinydeploy.quantize.float_graph import load_float_model
from tinydeploy.quantize.float_ops import run_float

RTOL = 1e-4


def _close(ours: np.ndarray, ref: np.ndarray) -> None:
    ref = np.asarray(ref, np.float64).reshape(ours.shape)
    assert np.abs(ours - ref).max() <= RTOL * max(np.abs(ref).max(), 1e-3)


@pytest.mark.parametrize("name,lo,hi", [("ic_resnet8_float", 0.0, 255.0),
                                        ("vww_mobilenet_float", 0.0, 1.0),
                                        ("ad_autoencoder_float", -80.0, 10.0)])
def test_mlperf_float_model_matches_tflm_float_kernels(name, lo, hi):
    path = model_path(f"float/{name}.tflite")
    g = load_float_model(path)
    assert all(g.t(n).dtype == "float32" for n in g.activations())
    rng = np.random.default_rng(0)
    for _ in range(2):
        x = rng.uniform(lo, hi, g.t(g.inputs[0]).shape).astype(np.float32)
        _close(run_float(g, [x])[g.outputs[0]], run_tflm(path.read_bytes(), [x], 4 << 20)[0])


def test_dynamic_range_kws_weights_are_dequantized_from_the_file():
    """KWS stores int8 conv weights with a float scale: the float graph holds s * q."""
    path = model_path("float/kws_dscnn_float.tflite")
    g = load_float_model(path)
    m = tflite.Model.GetRootAs(path.read_bytes(), 0)
    sg = m.Subgraphs(0)
    checked = 0
    for i in range(sg.TensorsLength()):
        t = sg.Tensors(i)
        if t.Type() != tflite.TensorType.INT8:
            continue
        q = m.Buffers(t.Buffer()).DataAsNumpy().view(np.int8).reshape(t.ShapeAsNumpy())
        want = q.astype(np.float32) * np.float32(t.Quantization().ScaleAsNumpy()[0])
        assert np.array_equal(g.t(t.Name().decode()).data, want)
        checked += 1
    assert checked == 5
    x = np.random.default_rng(0).uniform(-100, 20, g.t(g.inputs[0]).shape)
    y = run_float(g, [x])[g.outputs[0]]
    assert y.shape == (1, 12) and abs(y.sum() - 1.0) < 1e-6


@pytest.mark.parametrize("make", [tflite_cnn, tflite_more_ops])
def test_generated_float_tflite_net_matches_tflm(tmp_path, make):
    data = make()
    g = load_float_model(write(tmp_path / "net.tflite", data))
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, g.t(g.inputs[0]).shape).astype(np.float32)
    _close(run_float(g, [x])[g.outputs[0]], run_tflm(data, [x])[0])


def test_standalone_relu6_stays_an_op_in_the_float_graph(tmp_path):
    g = load_float_model(write(tmp_path / "net.tflite", tflite_cnn()))
    assert [op.attrs["act"] for op in g.ops if op.kind == "act"] == ["relu6"]


@pytest.mark.parametrize("make", [float_net, float_net_more_ops, onnx_bn_net])
def test_float_onnx_net_matches_onnxruntime(tmp_path, make):
    path = make(tmp_path / "net.onnx")
    g = load_float_model(path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(2)
    xs = rng.normal(0, 1, (3, *g.t(g.inputs[0]).shape[1:])).astype(np.float32)
    batched = run_float(g, [xs])[g.outputs[0]]
    for i, x in enumerate(xs):
        _close(batched[i:i + 1], sess.run(None, {g.inputs[0]: x[None]})[0])


def test_onnx_batch_norm_and_relu_are_separate_ops_until_canonicalized(tmp_path):
    g = load_float_model(onnx_bn_net(tmp_path / "bn.onnx"))
    kinds = [op.kind for op in g.ops]
    assert kinds.count("batch_norm") == 3 and kinds.count("act") == 2
    c = canonicalize(g)
    assert not any(op.kind in ("batch_norm", "act") for op in c.ops)
    acts = {op.name: op.attrs.get("act") for op in c.ops}
    assert acts["conv1"] == "relu" and acts["dw"] == "relu6"
    # the standalone BN (not after a conv) became a 1x1 depthwise convolution
    assert next(op for op in c.ops if op.name == "bn3").kind == "depthwise_conv2d"


@pytest.mark.parametrize("make", [onnx_bn_net, float_net_more_ops])
def test_canonical_graph_computes_the_same_function(tmp_path, make):
    g = load_float_model(make(tmp_path / "net.onnx"))
    x = np.random.default_rng(3).normal(0, 1, (4, *g.t(g.inputs[0]).shape[1:]))
    a = run_float(g, [x])[g.outputs[0]]
    b = run_float(canonicalize(g), [x])[g.outputs[0]]
    assert np.abs(a - b).max() < 1e-5 * max(np.abs(a).max(), 1.0)


def test_int8_model_is_refused_by_the_float_front_door():
    with pytest.raises(TinyDeployError, match="quantized model"):
        load_float_model(model_path("ic_resnet8_int8.tflite"))


def test_batched_run_falls_back_to_samples_when_a_tensor_has_no_batch_dim():
    from tinydeploy.ir.graph import Graph, Op, Tensor

    t = {"x": Tensor("x", (1, 4), "float32"), "v": Tensor("v", (4,), "float32"),
         "y": Tensor("y", (4,), "float32")}
    g = Graph("g", t, [Op("reshape", "r", ("x",), ("v",)),
                       Op("act", "a", ("v",), ("y",), {"act": "relu6"})], ["x"], ["y"])
    x = np.array([[-1.0, 2.0, 7.0, 0.5], [3.0, -4.0, 6.5, 1.0]])
    y = run_float(g, [x])["y"]
    assert np.array_equal(y, np.clip(x, 0, 6))
