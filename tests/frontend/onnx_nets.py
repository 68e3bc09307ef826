"""Small int8 ONNX networks for the ONNX frontend tests, built with onnx.helper.

``small_qdq`` is one conv net in QDQ form with knobs for the variations a real exporter
produces (extra Identity/Cast, Relu vs Clip, uint8 activations); ``float_net`` is a float
model for onnxruntime's quantizer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

X_SHAPE = (1, 3, 8, 8)


def _save(nodes, inits, inputs, outputs, path: Path, opset: int = 17) -> Path:
    graph = helper.make_graph(nodes, "net", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def _small_inits(rng: np.random.Generator, act: str, uint8: bool) -> list:
    zt = np.uint8 if uint8 else np.int8
    off = 128 if uint8 else 0
    w = rng.integers(-60, 61, (8, 3, 3, 3)).astype(np.int8)
    fw = rng.integers(-60, 61, (4, 8)).astype(np.int8)
    inits = [numpy_helper.from_array(v, n) for n, v in [
        ("s_x", np.float32(0.02)), ("z_x", zt(off + 3)),
        ("s_c", np.float32(0.03)), ("z_c", zt(off - 128 if act != "none" else off - 10)),
        ("s_p", np.float32(0.01)), ("z_p", zt(off - 100)),
        ("s_y", np.float32(0.05)), ("z_y", zt(off + 5)),
        ("w", w), ("s_w", np.linspace(0.002, 0.004, 8).astype(np.float32)),
        ("z_w", np.zeros(8, np.int8)),
        ("b", rng.integers(-500, 500, 8).astype(np.int32)),
        ("s_b", (np.float32(0.02) * np.linspace(0.002, 0.004, 8).astype(np.float32))),
        ("z_b", np.zeros(8, np.int32)),
        ("fw", fw), ("s_fw", np.float32(0.01)), ("z_fw", np.int8(0)),
        ("fb", rng.integers(-300, 300, 4).astype(np.int32)),
        ("s_fb", np.float32(0.01) * np.float32(0.01)), ("z_fb", np.int32(0)),
        ("clip_lo", np.float32(0.0)), ("clip_hi", np.float32(6.0))]]
    return inits


def small_qdq(path: Path, act: str = "relu", extra: str = "", uint8: bool = False,
              seed: int = 0) -> Path:
    """x -> Q/DQ -> Conv 3x3 (8) -> act -> Q/DQ -> GlobalAveragePool -> Q/DQ -> Flatten
    -> Gemm (4) -> Q/DQ -> y. ``act``: "relu", "clip6", "none"; ``extra``: "identity"
    (Identity after the input DQ) or "cast" (Cast to float after the conv)."""
    inits = _small_inits(np.random.default_rng(seed), act, uint8)
    n = helper.make_node
    nodes = [n("QuantizeLinear", ["x", "s_x", "z_x"], ["xq"], name="q_x"),
             n("DequantizeLinear", ["xq", "s_x", "z_x"], ["xf"], name="dq_x"),
             n("DequantizeLinear", ["w", "s_w", "z_w"], ["wf"], name="dq_w", axis=0),
             n("DequantizeLinear", ["b", "s_b", "z_b"], ["bf"], name="dq_b", axis=0)]
    conv_in = "xf"
    if extra == "identity":
        nodes.append(n("Identity", ["xf"], ["xf_id"], name="ident"))
        conv_in = "xf_id"
    nodes.append(n("Conv", [conv_in, "wf", "bf"], ["c"], name="conv", pads=[1, 1, 1, 1]))
    c = "c"
    if extra == "cast":
        nodes.append(n("Cast", [c], ["c_cast"], name="cast", to=TensorProto.FLOAT))
        c = "c_cast"
    if act == "relu":
        nodes.append(n("Relu", [c], ["c_act"], name="relu"))
        c = "c_act"
    elif act == "clip6":
        nodes.append(n("Clip", [c, "clip_lo", "clip_hi"], ["c_act"], name="clip"))
        c = "c_act"
    nodes += [n("QuantizeLinear", [c, "s_c", "z_c"], ["cq"], name="q_c"),
              n("DequantizeLinear", ["cq", "s_c", "z_c"], ["cf"], name="dq_c"),
              n("GlobalAveragePool", ["cf"], ["p"], name="gap"),
              n("QuantizeLinear", ["p", "s_p", "z_p"], ["pq"], name="q_p"),
              n("DequantizeLinear", ["pq", "s_p", "z_p"], ["pf"], name="dq_p"),
              n("Flatten", ["pf"], ["flat"], name="flatten"),
              n("DequantizeLinear", ["fw", "s_fw", "z_fw"], ["fwf"], name="dq_fw"),
              n("DequantizeLinear", ["fb", "s_fb", "z_fb"], ["fbf"], name="dq_fb"),
              n("Gemm", ["flat", "fwf", "fbf"], ["g"], name="fc", transB=1),
              n("QuantizeLinear", ["g", "s_y", "z_y"], ["gq"], name="q_y"),
              n("DequantizeLinear", ["gq", "s_y", "z_y"], ["y"], name="dq_y")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(X_SHAPE))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    return _save(nodes, inits, [x], [y], path)


def float_net(path: Path, seed: int = 0) -> Path:
    """A float conv net for onnxruntime's quantizer: conv+relu, depthwise+relu, maxpool,
    add (residual), global average pool, flatten, gemm, softmax."""
    rng = np.random.default_rng(seed)

    def init(name, shape, scale):
        return numpy_helper.from_array(rng.normal(0, scale, shape).astype(np.float32), name)
    inits = [init("w1", (8, 3, 3, 3), 0.3), init("b1", (8,), 0.1),
             init("w2", (8, 1, 3, 3), 0.3), init("b2", (8,), 0.1),
             init("fw", (8, 5), 0.4), init("fb", (5,), 0.1)]
    n = helper.make_node
    nodes = [n("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
             n("Relu", ["c1"], ["r1"], name="relu1"),
             n("Conv", ["r1", "w2", "b2"], ["c2"], name="dw", pads=[1, 1, 1, 1], group=8),
             n("Relu", ["c2"], ["r2"], name="relu2"),
             n("Add", ["r1", "r2"], ["s"], name="add"),
             n("MaxPool", ["s"], ["m"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
             n("GlobalAveragePool", ["m"], ["g"], name="gap"),
             n("Flatten", ["g"], ["f"], name="flatten"),
             n("MatMul", ["f", "fw"], ["mm"], name="matmul"),
             n("Add", ["mm", "fb"], ["logits"], name="bias_add"),
             n("Softmax", ["logits"], ["y"], name="softmax", axis=-1)]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(X_SHAPE))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])
    return _save(nodes, inits, [x], [y], path, opset=13)


def ort_quantize(float_path: Path, out: Path, fmt: str, act_type: str = "QInt8",
                 per_channel: bool = True) -> Path:
    """Quantize ``float_path`` with onnxruntime's static quantizer (seeded calibration).

    uint8 activations use ``reduce_range`` (7-bit weights), as onnxruntime advises for x86
    without VNNI: its u8 x s8 kernels add product pairs with int16 saturation otherwise.
    """
    from onnxruntime import quantization as q

    class Reader(q.CalibrationDataReader):
        def __init__(self):
            rng = np.random.default_rng(1)
            self.data = iter([{"x": rng.normal(0, 1, X_SHAPE).astype(np.float32)}
                              for _ in range(16)])

        def get_next(self):
            return next(self.data, None)

    q.quantize_static(str(float_path), str(out), Reader(),
                      quant_format=getattr(q.QuantFormat, fmt), per_channel=per_channel,
                      activation_type=getattr(q.QuantType, act_type),
                      weight_type=q.QuantType.QInt8, reduce_range=act_type == "QUInt8")
    return out


def qop_net(path: Path, seed: int = 0) -> Path:
    """Hand-written QOperator net with uint8 input and outputs (like onnxruntime's QUInt8):
    x u8 [1,2,4,4] -> QLinearConv 3x3 (4) -> Flatten (H, W > 1: NCHW order matters) ->
    QLinearMatMul (3) -> y u8 [1,3]; and the conv -> QLinearGlobalAveragePool -> z u8
    [1,4,1,1] (a 4-D output)."""
    rng = np.random.default_rng(seed)
    u8 = np.uint8
    inits = [numpy_helper.from_array(v, n) for n, v in [
        ("s_x", np.float32(0.02)), ("z_x", u8(120)),
        ("w", rng.integers(-60, 61, (4, 2, 3, 3)).astype(np.int8)),
        ("s_w", np.array([0.01, 0.02, 0.015, 0.012], np.float32)),
        ("z_w", np.zeros(4, np.int8)),
        ("b", rng.integers(-300, 300, 4).astype(np.int32)),
        ("s_c", np.float32(0.04)), ("z_c", u8(100)),
        ("m", rng.integers(-60, 61, (64, 3)).astype(np.int8)),
        ("s_m", np.float32(0.01)), ("z_m", np.int8(0)),
        ("s_y", np.float32(0.2)), ("z_y", u8(128)),
        ("s_z", np.float32(0.03)), ("z_z", u8(90))]]
    ms = "com.microsoft"
    n = helper.make_node
    nodes = [n("QLinearConv", ["x", "s_x", "z_x", "w", "s_w", "z_w", "s_c", "z_c", "b"],
               ["c"], name="conv", pads=[1, 1, 1, 1]),
             n("Flatten", ["c"], ["f"], name="flatten", axis=1),
             n("QLinearMatMul", ["f", "s_c", "z_c", "m", "s_m", "z_m", "s_y", "z_y"], ["y"],
               name="matmul"),
             n("QLinearGlobalAveragePool", ["c", "s_c", "z_c", "s_z", "z_z"], ["z"],
               name="gap", domain=ms)]
    x = helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 2, 4, 4])
    outs = [helper.make_tensor_value_info("y", TensorProto.UINT8, [1, 3]),
            helper.make_tensor_value_info("z", TensorProto.UINT8, [1, 4, 1, 1])]
    graph = helper.make_graph(nodes, "qop", [x], outs, inits)
    model = helper.make_model(graph, ir_version=8, opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid(ms, 1)])
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def float_net_more_ops(path: Path, seed: int = 0) -> Path:
    """More ops for the quantizer: SAME conv, Sigmoid, Mul, AveragePool, Concat, Pad,
    Transpose + Reshape of a spatial tensor, MatMul + Add."""
    rng = np.random.default_rng(seed)

    def init(name, shape, scale):
        return numpy_helper.from_array(rng.normal(0, scale, shape).astype(np.float32), name)
    inits = [init("w1", (6, 3, 3, 3), 0.3), init("b1", (6,), 0.1),
             init("w2", (4, 12, 1, 1), 0.3), init("b2", (4,), 0.1),
             init("fw", (4 * 6 * 6, 5), 0.1), init("fb", (5,), 0.1),
             numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads"),
             numpy_helper.from_array(np.array([1, -1], np.int64), "shape")]
    n = helper.make_node
    nodes = [n("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", auto_pad="SAME_UPPER",
               strides=[2, 2]),
             n("Sigmoid", ["c1"], ["sg"], name="sigmoid"),
             n("Mul", ["c1", "sg"], ["sw"], name="swish"),
             n("AveragePool", ["sw"], ["ap"], name="avgpool", kernel_shape=[3, 3],
               pads=[1, 1, 1, 1], count_include_pad=1),
             n("MaxPool", ["sw"], ["mp"], name="maxpool", kernel_shape=[3, 3],
               pads=[1, 1, 1, 1], strides=[1, 1]),
             n("Concat", ["ap", "mp"], ["cat"], name="concat", axis=1),
             n("Pad", ["cat", "pads"], ["pd"], name="pad"),
             n("Conv", ["pd", "w2", "b2"], ["c2"], name="conv2"),
             n("Relu", ["c2"], ["r2"], name="relu2"),
             n("Transpose", ["r2"], ["tr"], name="to_nhwc", perm=[0, 2, 3, 1]),
             n("Reshape", ["tr", "shape"], ["flat"], name="reshape"),
             n("MatMul", ["flat", "fw"], ["mm"], name="matmul"),
             n("Add", ["mm", "fb"], ["y"], name="bias_add")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(X_SHAPE))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])
    return _save(nodes, inits, [x], [y], path, opset=13)


def qdq_tail_ops(path: Path, seed: int = 0) -> Path:
    """QDQ: conv -> ReduceMean(H, W, keepdims=0) -> Unsqueeze -> Squeeze -> Tanh ->
    MatMul + Add (float bias, no Q in between: fused) -> Clip(0, 6) -> y (int8 output)."""
    rng = np.random.default_rng(seed)
    inits = [numpy_helper.from_array(v, n) for n, v in [
        ("s_x", np.float32(0.02)), ("z_x", np.int8(0)),
        ("w", rng.integers(-60, 61, (6, 3, 3, 3)).astype(np.int8)),
        ("s_w", np.float32(0.003)), ("z_w", np.int8(0)),
        ("s_c", np.float32(0.02)), ("z_c", np.int8(-5)),
        ("s_m", np.float32(0.01)), ("z_m", np.int8(3)),
        ("s_t", np.float32(1 / 128)), ("z_t", np.int8(0)),
        ("fw", rng.integers(-60, 61, (6, 4)).astype(np.int8)),
        ("s_fw", np.array([0.01, 0.02, 0.015, 0.01], np.float32)),
        ("z_fw", np.zeros(4, np.int8)),
        ("fb", rng.normal(0, 0.2, 4).astype(np.float32)),
        ("axes", np.array([1], np.int64)), ("lo", np.float32(0)), ("hi", np.float32(6)),
        ("s_y", np.float32(0.03)), ("z_y", np.int8(-20))]]
    n = helper.make_node
    nodes = [n("QuantizeLinear", ["x", "s_x", "z_x"], ["xq"], name="q_x"),
             n("DequantizeLinear", ["xq", "s_x", "z_x"], ["xf"], name="dq_x"),
             n("DequantizeLinear", ["w", "s_w", "z_w"], ["wf"], name="dq_w"),
             n("Conv", ["xf", "wf"], ["c"], name="conv", auto_pad="SAME_UPPER", strides=[2, 2]),
             n("QuantizeLinear", ["c", "s_c", "z_c"], ["cq"], name="q_c"),
             n("DequantizeLinear", ["cq", "s_c", "z_c"], ["cf"], name="dq_c"),
             n("ReduceMean", ["cf"], ["m"], name="mean", axes=[2, 3], keepdims=0),
             n("QuantizeLinear", ["m", "s_m", "z_m"], ["mq"], name="q_m"),
             n("DequantizeLinear", ["mq", "s_m", "z_m"], ["mf"], name="dq_m"),
             n("Unsqueeze", ["mf", "axes"], ["mu"], name="unsq"),
             n("Squeeze", ["mu", "axes"], ["ms"], name="sq"),
             n("Tanh", ["ms"], ["t"], name="tanh"),
             n("QuantizeLinear", ["t", "s_t", "z_t"], ["tq"], name="q_t"),
             n("DequantizeLinear", ["tq", "s_t", "z_t"], ["tf"], name="dq_t"),
             n("DequantizeLinear", ["fw", "s_fw", "z_fw"], ["fwf"], name="dq_fw", axis=1),
             n("MatMul", ["tf", "fwf"], ["mm"], name="matmul"),
             n("Add", ["mm", "fb"], ["a"], name="bias"),
             n("Clip", ["a", "lo", "hi"], ["r"], name="clip"),
             n("QuantizeLinear", ["r", "s_y", "z_y"], ["y"], name="q_y")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(X_SHAPE))
    y = helper.make_tensor_value_info("y", TensorProto.INT8, [1, 4])
    return _save(nodes, inits, [x], [y], path)
