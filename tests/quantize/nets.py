"""Small seeded float networks for the quantizer tests (.tflite and .onnx).

- :func:`tflite_cnn`: CONV_2D (SAME, fused RELU) -> DEPTHWISE_CONV_2D -> standalone RELU6 ->
  ADD (residual) -> AVERAGE_POOL_2D (global) -> RESHAPE -> FULLY_CONNECTED -> SOFTMAX.
- :func:`tflite_more_ops`: PAD, MAX_POOL_2D, CONCATENATION, LOGISTIC, MUL, MEAN, TANH, FC.
- :func:`onnx_bn_net`: Conv -> BatchNormalization -> Relu -> depthwise Conv -> BN -> Clip(0, 6)
  -> Add of a standalone BN branch -> GlobalAveragePool -> Flatten -> Gemm -> Softmax.

TFLite Micro runs the float .tflite files (float kernels) and onnxruntime the .onnx ones:
the independent float references.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

from tests.tflite_writer import TFLiteBuilder

SAME, VALID = tflite.Padding.SAME, tflite.Padding.VALID
RELU, RELU6 = 1, 3


def _w(rng, shape, fan_in):
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape).astype(np.float32)


def _conv_opts(stride=1, act=0, padding=SAME, depth_multiplier=None):
    o = {"Padding": padding, "StrideW": stride, "StrideH": stride, "DilationWFactor": 1,
         "DilationHFactor": 1, "FusedActivationFunction": act}
    if depth_multiplier is not None:
        o["DepthMultiplier"] = depth_multiplier
    return o


def tflite_cnn(seed: int = 0, c: int = 8, hw: int = 8, classes: int = 5) -> bytes:
    rng = np.random.default_rng(seed)
    b = TFLiteBuilder()
    x = b.tensor("x", (1, hw, hw, 3), "float32")
    w1 = b.tensor("w1", (c, 3, 3, 3), "float32", data=_w(rng, (c, 3, 3, 3), 27))
    b1 = b.tensor("b1", (c,), "float32", data=rng.normal(0, 0.1, c).astype(np.float32))
    h1 = b.tensor("h1", (1, hw // 2, hw // 2, c), "float32")
    b.op("CONV_2D", [x, w1, b1], [h1], ("Conv2DOptions", _conv_opts(2, RELU)))
    wd = b.tensor("wd", (1, 3, 3, c), "float32", data=_w(rng, (1, 3, 3, c), 9))
    bd = b.tensor("bd", (c,), "float32", data=rng.normal(0, 0.1, c).astype(np.float32))
    h2 = b.tensor("h2", (1, hw // 2, hw // 2, c), "float32")
    b.op("DEPTHWISE_CONV_2D", [h1, wd, bd], [h2],
         ("DepthwiseConv2DOptions", _conv_opts(1, 0, SAME, 1)))
    h3 = b.tensor("h3", (1, hw // 2, hw // 2, c), "float32")
    b.op("RELU6", [h2], [h3])
    h4 = b.tensor("h4", (1, hw // 2, hw // 2, c), "float32")
    b.op("ADD", [h1, h3], [h4], ("AddOptions", {"FusedActivationFunction": 0}))
    p = b.tensor("p", (1, 1, 1, c), "float32")
    b.op("AVERAGE_POOL_2D", [h4], [p], ("Pool2DOptions", {
        "Padding": VALID, "StrideW": 1, "StrideH": 1, "FilterWidth": hw // 2,
        "FilterHeight": hw // 2, "FusedActivationFunction": 0}))
    f = b.tensor("f", (1, c), "float32")
    b.op("RESHAPE", [p, b.const("shape", [1, c])], [f], ("ReshapeOptions", {"NewShape": [1, c]}))
    fw = b.tensor("fw", (classes, c), "float32", data=_w(rng, (classes, c), c))
    fb = b.tensor("fb", (classes,), "float32", data=rng.normal(0, 0.1, classes).astype(np.float32))
    lg = b.tensor("logits", (1, classes), "float32")
    b.op("FULLY_CONNECTED", [f, fw, fb], [lg], ("FullyConnectedOptions", {
        "FusedActivationFunction": 0, "KeepNumDims": False}))
    y = b.tensor("y", (1, classes), "float32")
    b.op("SOFTMAX", [lg], [y], ("SoftmaxOptions", {"Beta": 1.0}))
    return b.finish([x], [y])


def tflite_more_ops(seed: int = 0, c: int = 4, hw: int = 6) -> bytes:
    rng = np.random.default_rng(seed)
    b = TFLiteBuilder()
    x = b.tensor("x", (1, hw, hw, c), "float32")
    xp = b.tensor("xp", (1, hw + 2, hw + 2, c), "float32")
    b.op("PAD", [x, b.const("pads", [[0, 0], [1, 1], [1, 1], [0, 0]])], [xp],
         ("PadOptions", {}))
    w1 = b.tensor("w1", (c, 3, 3, c), "float32", data=_w(rng, (c, 3, 3, c), 9 * c))
    b1 = b.tensor("b1", (c,), "float32", data=rng.normal(0, 0.1, c).astype(np.float32))
    h1 = b.tensor("h1", (1, hw, hw, c), "float32")
    b.op("CONV_2D", [xp, w1, b1], [h1], ("Conv2DOptions", _conv_opts(1, 0, VALID)))
    mp = b.tensor("mp", (1, hw // 2, hw // 2, c), "float32")
    b.op("MAX_POOL_2D", [h1], [mp], ("Pool2DOptions", {
        "Padding": VALID, "StrideW": 2, "StrideH": 2, "FilterWidth": 2, "FilterHeight": 2,
        "FusedActivationFunction": RELU}))
    sg = b.tensor("sg", (1, hw // 2, hw // 2, c), "float32")
    b.op("LOGISTIC", [mp], [sg])
    mu = b.tensor("mu", (1, hw // 2, hw // 2, c), "float32")
    b.op("MUL", [mp, sg], [mu], ("MulOptions", {"FusedActivationFunction": 0}))
    cat = b.tensor("cat", (1, hw // 2, hw // 2, 2 * c), "float32")
    b.op("CONCATENATION", [mp, mu], [cat], ("ConcatenationOptions", {
        "Axis": 3, "FusedActivationFunction": 0}))
    m = b.tensor("m", (1, 2 * c), "float32")
    b.op("MEAN", [cat, b.const("axes", [1, 2])], [m], ("ReducerOptions", {"KeepDims": False}))
    fw = b.tensor("fw", (3, 2 * c), "float32", data=_w(rng, (3, 2 * c), 2 * c))
    fb = b.tensor("fb", (3,), "float32", data=rng.normal(0, 0.1, 3).astype(np.float32))
    lg = b.tensor("lg", (1, 3), "float32")
    b.op("FULLY_CONNECTED", [m, fw, fb], [lg], ("FullyConnectedOptions", {
        "FusedActivationFunction": 0, "KeepNumDims": False}))
    y = b.tensor("y", (1, 3), "float32")
    b.op("TANH", [lg], [y])
    return b.finish([x], [y])


def tflite_with_op(opname: str) -> bytes:
    """x -> CONV_2D -> <opname> (a binary op on itself) -> y: for unsupported-op errors."""
    rng = np.random.default_rng(0)
    b = TFLiteBuilder()
    x = b.tensor("x", (1, 4, 4, 2), "float32")
    w = b.tensor("w", (2, 1, 1, 2), "float32", data=_w(rng, (2, 1, 1, 2), 2))
    h = b.tensor("h", (1, 4, 4, 2), "float32")
    b.op("CONV_2D", [x, w, -1], [h], ("Conv2DOptions", _conv_opts()))
    y = b.tensor("y", (1, 4, 4, 2), "float32")
    b.op(opname, [h, h], [y])
    return b.finish([x], [y])


def _bn(rng, name: str, c: int) -> tuple[list, list[str]]:
    vals = [rng.uniform(0.5, 1.5, c), rng.normal(0, 0.2, c), rng.normal(0, 0.3, c),
            rng.uniform(0.5, 2.0, c)]
    names = [f"{name}_{k}" for k in ("scale", "bias", "mean", "var")]
    return ([numpy_helper.from_array(v.astype(np.float32), n) for v, n in zip(vals, names)],
            names)


def onnx_bn_net(path: Path, seed: int = 0, c: int = 6, hw: int = 8, classes: int = 4) -> Path:
    rng = np.random.default_rng(seed)
    inits = [numpy_helper.from_array(_w(rng, (c, 3, 3, 3), 27), "w1"),
             numpy_helper.from_array(_w(rng, (c, 1, 3, 3), 9), "w2"),
             numpy_helper.from_array(_w(rng, (classes, c), c), "fw"),
             numpy_helper.from_array(rng.normal(0, 0.1, classes).astype(np.float32), "fb"),
             numpy_helper.from_array(np.float32(0.0), "lo"),
             numpy_helper.from_array(np.float32(6.0), "hi")]
    n = helper.make_node
    nodes = [n("Conv", ["x", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1])]
    for i, (src, dst) in enumerate([("c1", "bn1"), ("c2", "bn2"), ("r1", "bn3")], 1):
        more, names = _bn(rng, f"bn{i}", c)
        inits += more
        nodes.append(n("BatchNormalization", [src, *names], [dst], name=f"bn{i}",
                       epsilon=1e-3))
        if i == 1:
            nodes += [n("Relu", ["bn1"], ["r1"], name="relu1"),
                      n("Conv", ["r1", "w2"], ["c2"], name="dw", pads=[1, 1, 1, 1], group=c)]
        if i == 2:
            nodes.append(n("Clip", ["bn2", "lo", "hi"], ["r2"], name="relu6"))
    nodes += [n("Add", ["r2", "bn3"], ["s"], name="add"),
              n("GlobalAveragePool", ["s"], ["g"], name="gap"),
              n("Flatten", ["g"], ["f"], name="flatten"),
              n("Gemm", ["f", "fw", "fb"], ["lg"], name="fc", transB=1),
              n("Softmax", ["lg"], ["y"], name="softmax", axis=-1)]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, hw, hw])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, classes])
    graph = helper.make_graph(nodes, "bn_net", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def onnx_with_op(path: Path, op_type: str = "LeakyRelu") -> Path:
    n = helper.make_node
    w = numpy_helper.from_array(np.ones((2, 2, 1, 1), np.float32), "w")
    nodes = [n("Conv", ["x", "w"], ["c"], name="conv"), n(op_type, ["c"], ["y"], name="odd")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])
    model = helper.make_model(helper.make_graph(nodes, "odd", [x], [y], [w]),
                              opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, path)
    return path


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
