"""The exported int8 ONNX QDQ file: standard form, re-imported bit-exact by our frontend,
run by onnxruntime within a reported LSB difference, deterministic."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from tests.frontend.onnx_nets import float_net, float_net_more_ops
from tests.quantize.nets import onnx_bn_net, tflite_cnn, tflite_more_ops, write
from tinydeploy.frontend.onnx import load_onnx
from tinydeploy.quant.execute import run_graph
from tinydeploy.quantize.calibrate import CalibrationData
from tinydeploy.quantize.driver import quantize_file, quantize_graph
from tinydeploy.quantize.float_graph import load_float_model

NETS = {"tflite_cnn": lambda p: write(p / "n.tflite", tflite_cnn()),
        "tflite_more_ops": lambda p: write(p / "n.tflite", tflite_more_ops()),
        "onnx_bn_net": lambda p: onnx_bn_net(p / "n.onnx"),
        "onnx_net": lambda p: float_net(p / "n.onnx"),
        "onnx_more_ops": lambda p: float_net_more_ops(p / "n.onnx")}
# onnxruntime requantizes in float with one rounding, our kernels (TFLite's) in fixed point
# with two; the +-1 LSB differences of single layers add up through a network (and a
# softmax output magnifies them). Measured: at most 2 LSB on these nets.
ORT_MAX_LSB = 3


def _quantized(tmp_path, net: str, **kw):
    g = load_float_model(NETS[net](tmp_path))
    shape = g.t(g.inputs[0]).shape
    calib = np.random.default_rng(0).normal(0, 1, (48, *shape[1:])).astype(np.float32)
    res = quantize_graph(g, CalibrationData([calib], "calib.npy"), **kw)
    path = tmp_path / "q.onnx"
    path.write_bytes(res.data)
    return res, path, shape


@pytest.mark.parametrize("net", list(NETS))
def test_reimported_file_is_bit_exact_with_the_integer_graph(tmp_path, net):
    res, path, shape = _quantized(tmp_path, net)
    g2, ig = load_onnx(path), res.integer.graph
    assert [op.kind for op in g2.ops].count("conv2d") == [op.kind for op in ig.ops].count(
        "conv2d")
    rng = np.random.default_rng(1)
    for _ in range(5):
        x = rng.normal(0, 1.5, shape).astype(np.float32)
        a, b = run_graph(ig, [x]), run_graph(g2, [x])
        assert all(a[o].tobytes() == b[o].tobytes() for o in ig.outputs)


@pytest.mark.parametrize("net", list(NETS))
def test_onnxruntime_runs_the_file_within_a_few_lsb(tmp_path, net):
    res, path, shape = _quantized(tmp_path, net)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    ig = res.integer.graph
    lsb = ig.t(ig.ops[-1].inputs[0]).quant.s
    rng = np.random.default_rng(2)
    xs = rng.normal(0, 1, (12, *shape[1:])).astype(np.float32)
    ours = res.integer.run([xs])[ig.outputs[0]]
    theirs = np.concatenate([sess.run(None, {ig.inputs[0]: x[None]})[0] for x in xs])
    diff = np.abs(theirs.reshape(ours.shape) - ours) / lsb
    print(f"{net}: onnxruntime vs integer model: max {diff.max():.0f} LSB, "
          f"{100 * np.mean(diff < 1e-3):.1f}% identical")
    assert diff.max() <= ORT_MAX_LSB
    assert np.mean(np.argmax(theirs.reshape(ours.shape), -1) == np.argmax(ours, -1)) >= 0.9


def test_file_has_the_documented_qdq_form(tmp_path):
    res, path, _ = _quantized(tmp_path, "onnx_bn_net")
    m = onnx.load(path)
    onnx.checker.check_model(m)
    assert m.opset_import[0].version == 17
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    nodes = {n.output[0]: n for n in m.graph.node}
    convs = [n for n in m.graph.node if n.op_type == "Conv"]
    assert len(convs) == 3 and sorted(c.attribute[[a.name for a in c.attribute].index(
        "group")].i for c in convs) == [1, 6, 6]
    for conv in convs:
        x_dq, w_dq, b_dq = (nodes[i] for i in conv.input)
        assert x_dq.op_type == w_dq.op_type == b_dq.op_type == "DequantizeLinear"
        w, ws, wz = (inits[i] for i in w_dq.input)
        b, bs, bz = (inits[i] for i in b_dq.input)
        assert w.dtype == np.int8 and ws.shape == (w.shape[0],) and not wz.any()
        assert [a.i for a in w_dq.attribute if a.name == "axis"] == [0]
        assert b.dtype == np.int32 and not bz.any()
        xs = inits[x_dq.input[1]]
        assert xs.shape == () and np.array_equal(bs, (np.float32(xs) * ws).astype(np.float32))
    meta = {p.key: p.value for p in m.metadata_props}
    assert meta["tinydeploy.observer"] == "minmax"
    assert meta["tinydeploy.calibration"] == "calib.npy"
    assert [i.name for i in m.graph.input] == ["x"] and [o.name for o in m.graph.output] == ["y"]


def test_tflite_source_keeps_its_nhwc_input_shape(tmp_path):
    _, path, shape = _quantized(tmp_path, "tflite_cnn")
    m = onnx.load(path)
    dims = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    assert tuple(dims) == shape == (1, 8, 8, 3)
    assert m.graph.node[0].op_type == "QuantizeLinear"


def test_same_inputs_give_the_same_bytes(tmp_path):
    src = NETS["onnx_bn_net"](tmp_path)
    calib = np.random.default_rng(0).normal(0, 1, (16, 3, 8, 8)).astype(np.float32)
    np.save(tmp_path / "c.npy", calib)
    outs = []
    for i in range(2):
        out = tmp_path / f"q{i}.onnx"
        quantize_file(src, out, calib=[str(tmp_path / "c.npy")], observer="mse",
                      bias_correction=True)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


@pytest.mark.parametrize("observer", ["minmax", "percentile", "mse"])
def test_every_observer_exports_a_reimportable_file(tmp_path, observer):
    res, path, shape = _quantized(tmp_path, "tflite_more_ops", observer=observer)
    x = np.random.default_rng(3).normal(0, 1, shape).astype(np.float32)
    ig = res.integer.graph
    assert run_graph(load_onnx(path), [x])["y"].tobytes() == run_graph(ig, [x])["y"].tobytes()
