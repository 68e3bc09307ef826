"""ONNX ConvInteger / MatMulInteger (issue 14, point 6): int32 results with zero-point inputs,
equal to onnxruntime's bit for bit (numpy golden and generated C); what is not supported
is refused naming the node."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.harness import run_c_graph_many
from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx import load_onnx
from tinydeploy.quant.execute import run_graph


def _save(path, nodes, inputs, outputs, inits, opset=13):
    g = helper.make_graph(nodes, "integer_ops", inputs, outputs,
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return path


def conv_integer_net(path, rng, cast_after: bool = False, w_zp: int = 128):
    """uint8 x (zero point 7) * uint8 weights (zero point ``w_zp``), 3x3 pad 1 stride 2."""
    w = rng.integers(max(0, w_zp - 128), min(255, w_zp + 127), (4, 3, 3, 3)).astype(np.uint8)
    w[0, 0, 0, 0] = 255 if w_zp < 128 else w[0, 0, 0, 0]   # w - w_zp > 127: not int8
    out = helper.make_tensor_value_info("y", TensorProto.INT32, [1, 4, 5, 5])
    nodes = [helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["y"], name="ci",
                              pads=[1, 1, 1, 1], strides=[2, 2])]
    if cast_after:
        nodes.append(helper.make_node("Cast", ["y"], ["f"], to=TensorProto.FLOAT))
        out = helper.make_tensor_value_info("f", TensorProto.FLOAT, [1, 4, 5, 5])
    return _save(path, nodes, [helper.make_tensor_value_info("x", TensorProto.UINT8,
                                                             [1, 3, 9, 9])], [out],
                 {"w": w, "xz": np.array(7, np.uint8), "wz": np.array(w_zp, np.uint8)})


def matmul_integer_net(path, rng):
    """int8 A (zero point -5) [4, 16] x int8 B [16, 8] with per-column zero points."""
    bz = rng.integers(-20, 20, 8).astype(np.int8)
    b = np.clip(rng.integers(-100, 100, (16, 8)), -128 - bz.min(), 127 - bz.max()) + 0
    b = (b + bz).astype(np.int8)                      # b - bz fits int8
    return _save(path, [helper.make_node("MatMulInteger", ["a", "b", "az", "bz"], ["y"],
                                         name="mi")],
                 [helper.make_tensor_value_info("a", TensorProto.INT8, [4, 16])],
                 [helper.make_tensor_value_info("y", TensorProto.INT32, [4, 8])],
                 {"b": b, "az": np.array(-5, np.int8), "bz": bz})


def _ort(path, feeds):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"]).run(
        None, feeds)[0]


@pytest.mark.parametrize("build,name,shape,dtype", [
    (conv_integer_net, "x", (1, 3, 9, 9), np.uint8),
    (matmul_integer_net, "a", (4, 16), np.int8)])
def test_integer_op_equals_onnxruntime_in_numpy_and_c(tmp_path, build, name, shape, dtype):
    rng = np.random.default_rng(0)
    path = build(tmp_path / "m.onnx", rng)
    g = load_onnx(path)
    assert g.t(g.outputs[0]).dtype == "int32"
    info = np.iinfo(dtype)
    recs = [[rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)]
            for _ in range(6)]
    want = [_ort(path, {name: r[0]}) for r in recs]
    for r, w in zip(recs, want):
        np.testing.assert_array_equal(run_graph(g, r)[g.outputs[0]], w)
    for c, w in zip(run_c_graph_many(g, recs), want):     # under ASan/UBSan
        np.testing.assert_array_equal(np.asarray(c[g.outputs[0]]).reshape(w.shape), w)


def test_integer_op_refusals_name_the_node(tmp_path):
    rng = np.random.default_rng(1)
    with pytest.raises(TinyDeployError, match="'ci'.*must be a graph output"):
        load_onnx(conv_integer_net(tmp_path / "cast.onnx", rng, cast_after=True))
    with pytest.raises(TinyDeployError, match="'ci'.*does not fit int8"):
        load_onnx(conv_integer_net(tmp_path / "zp.onnx", rng, w_zp=0))
