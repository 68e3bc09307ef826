"""The float MLPerf Tiny TFLite models (``../shared/models/float``) and small float ONNX
networks, compiled to C (float32 kernels) and run under ASan/UBSan: equal to TFLite
Micro's float run / onnxruntime within 1e-4 absolute + 1e-3 relative (measured: the
TFLite models bit for bit), and the C equal to the numpy golden. The KWS file is a
dynamic-range ("hybrid") model TFLite Micro refuses: it is checked against the float64
reference of the quantizer (quantize/float_ops.py) instead."""

from __future__ import annotations

import numpy as np
import pytest

import tinydeploy
from tests.conftest import model_path
from tests.frontend import onnx_nets as nets
from tinydeploy.check.hostrun import build, run
from tinydeploy.check.reference import run_reference
from tinydeploy.quant.execute import run_graph
from tinydeploy.quantize.float_ops import run_float

pytestmark = [pytest.mark.cc]
RTOL, ATOL = 1e-3, 1e-4


def _compile_and_run(path, tmp_path, n: int = 2, exact: bool = True):
    """Compile, run under sanitizers on ``n`` random records, check C == golden (bit for
    bit; ``exact=False``: within ulps, for graphs that call libm)."""
    proj = tinydeploy.compile(path, tmp_path / "out")
    man = proj.manifest
    assert all(s["dtype"] == "float32" for s in man["inputs"] + man["outputs"])
    rng = np.random.default_rng(7)
    recs = [[rng.uniform(-1, 1, size=s["shape"]).astype(np.float32) for s in man["inputs"]]
            for _ in range(n)]
    outs = run(build(proj.path, sanitize=True), man, recs)
    g = proj.lowered.graph
    for rec, out in zip(recs, outs):              # C == golden
        want = run_graph(g, rec)
        for name, y in zip(g.outputs, out):
            if exact:
                np.testing.assert_array_equal(y.reshape(-1), want[name].reshape(-1))
            else:
                np.testing.assert_allclose(y.reshape(-1), want[name].reshape(-1), rtol=2e-6,
                                           atol=1e-7)
    return proj, recs, outs


@pytest.mark.models
@pytest.mark.parametrize("name", ["ad_autoencoder_float", "ic_resnet8_float",
                                  "vww_mobilenet_float"])
def test_float_tflite_model_matches_tflm(name, tmp_path):
    path = model_path(f"float/{name}.tflite")
    _, recs, outs = _compile_and_run(path, tmp_path)
    ref = run_reference(path, recs)
    for out, want in zip(outs, ref):
        for y, w in zip(out, want):
            np.testing.assert_allclose(y.reshape(-1), w.reshape(-1), rtol=RTOL, atol=ATOL)


@pytest.mark.models
def test_hybrid_kws_matches_the_float_reference(tmp_path):
    path = model_path("float/kws_dscnn_float.tflite")
    proj, recs, outs = _compile_and_run(path, tmp_path)
    g = proj.lowered.graph
    for rec, out in zip(recs, outs):
        want = run_float(g, rec)[g.outputs[0]]
        np.testing.assert_allclose(out[0].reshape(-1), np.asarray(want).reshape(-1),
                                   rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("make", [nets.float_net, nets.float_net_more_ops])
def test_float_onnx_network_matches_onnxruntime(make, tmp_path):
    path = make(tmp_path / "float.onnx")
    _, recs, outs = _compile_and_run(path, tmp_path, exact=False)     # expf
    for out, want in zip(outs, run_reference(path, recs)):
        for y, w in zip(out, want):
            np.testing.assert_allclose(y.reshape(-1), w.reshape(-1), rtol=RTOL, atol=ATOL)


@pytest.mark.models
@pytest.mark.parametrize("name", ["kws_dscnn_float", "ic_resnet8_float"])
def test_validate_reports_float_models_in_relative_units(name, tmp_path):
    """``validate`` on a float32 network: C == golden, and the reference (TFLite Micro, or
    the float64 reference for the hybrid KWS file) within 2 units of 1e-5 relative."""
    proj = tinydeploy.compile(model_path(f"float/{name}.tflite"), tmp_path / "out")
    v = proj.validate(n=2, sanitize=True)
    assert v.ok and v.c_vs_golden_exact, v.messages
    assert ("float64" in v.reference) == (name == "kws_dscnn_float")
    assert v.c_vs_reference_max_lsb <= v.tolerance_lsb == 2


def _more_float_ops(path):
    """1-D conv (grouped, strided, dilated), ceil-mode 1-D max pool, LogSoftmax over a
    middle axis, InstanceNorm, Gemm with transA/alpha/beta, ReduceMax, Clip, LeakyRelu,
    Erf, Tanh, Unsqueeze/Squeeze: the paths Deeploy's tests leave out."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)

    def init(name, shape):
        return numpy_helper.from_array(rng.normal(0, 0.5, shape).astype(np.float32), name)

    inits = [init("w", (6, 2, 3)), init("b", (6,)), init("s", (6,)), init("o", (6,)),
             init("g", (5, 4)), init("c", (4,)),
             numpy_helper.from_array(np.array([-0.5], np.float32), "lo"),
             numpy_helper.from_array(np.array([0.7], np.float32), "hi"),
             numpy_helper.from_array(np.array([1], np.int64), "ax")]
    n = helper.make_node
    nodes = [n("Conv", ["x", "w", "b"], ["c1"], name="conv1d", group=2, strides=[2],
               dilations=[2], pads=[2, 1]),
             n("LeakyRelu", ["c1"], ["l1"], alpha=0.2),
             n("MaxPool", ["l1"], ["p1"], kernel_shape=[2], strides=[2], ceil_mode=1),
             n("InstanceNormalization", ["p1", "s", "o"], ["i1"], epsilon=1e-4),
             n("LogSoftmax", ["i1"], ["ls"], axis=1),
             n("Erf", ["ls"], ["e1"]),
             n("ReduceMax", ["e1", "ax"], ["r1"], keepdims=0),
             n("Tanh", ["r1"], ["t1"]),
             n("Unsqueeze", ["t1", "ax"], ["u1"]),
             n("Squeeze", ["u1", "ax"], ["q1"]),
             n("Gemm", ["g", "q1", "c"], ["gm"], transA=1, transB=0, alpha=0.5, beta=2.0),
             n("Clip", ["gm", "lo", "hi"], ["y"])]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 4, 17])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 4])
    g = helper.make_graph(nodes, "more", [x], [y], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    m.ir_version = 8
    onnx.save(m, path)
    return path


def test_more_float_onnx_ops_match_onnxruntime(tmp_path):
    path = _more_float_ops(tmp_path / "more.onnx")
    _, recs, outs = _compile_and_run(path, tmp_path, exact=False)    # erff, tanhf, logf
    for out, want in zip(outs, run_reference(path, recs)):
        np.testing.assert_allclose(out[0].reshape(-1), want[0].reshape(-1), rtol=RTOL,
                                   atol=ATOL)
