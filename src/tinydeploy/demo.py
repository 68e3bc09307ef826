"""A bundled demo network: a small DS-CNN keyword spotter as an int8 ONNX QDQ model.

Built with onnx.helper and numpy only, from seeded random weights, so it needs no
download and the same seed always gives the same bytes. The float network (BatchNorm
folded into the convolutions) is run in numpy on seeded random inputs to calibrate the
activation ranges (min/max, like onnxruntime's MinMax calibrator); weights are quantized
per output channel, symmetric 7-bit in int8 (see WEIGHT_MAX), biases to int32 with scale
``s_in * s_w``.

Structure (input 1x1x49x10 MFCC-like features, float):
QuantizeLinear -> conv 10x4 /2 (64) + ReLU -> 4 x [depthwise 3x3 + ReLU, pointwise 1x1
+ ReLU] -> GlobalAveragePool -> Flatten -> Gemm (12 class scores) -> DequantizeLinear.
About 23k parameters. onnxruntime runs the file as is.

There is no final Softmax on purpose: the golden (TFLite's fixed-point requantization,
double rounding) and onnxruntime (float requantization) differ by one LSB on a fraction of
a percent of each layer's outputs; the average pool absorbs what the body accumulates, so
the scores agree within 1 LSB, but a softmax behind them multiplies a 1-LSB score
difference by up to ``256 * p(1 - p) * s_scores`` probability LSBs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INPUT_SHAPE = (1, 1, 49, 10)
CHANNELS = 64
BLOCKS = 4
CLASSES = 12
CALIB_INPUTS = 32
# 7-bit weights (onnxruntime's "reduce_range"): onnxruntime runs this QDQ model with uint8
# activations x int8 weights, and on x86 CPUs without VNNI its kernels add products in
# pairs with int16 saturation; |w| <= 63 keeps 2 * 255 * 63 below 32767, so the reference
# stays exact on every CPU.
WEIGHT_MAX = 63


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride, pads, group: int = 1):
    """NCHW float conv (pads top, left, bottom, right) for calibration."""
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    kh, kw = w.shape[2:]
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    win = win[:, :, ::stride[0], ::stride[1]]
    if group == 1:
        y = np.einsum("nchwkl,ockl->nohw", win, w)
    else:
        y = np.einsum("nchwkl,ckl->nchw", win, w[:, 0])
    return y + b[None, :, None, None]


def _folded_conv(rng: np.random.Generator, c_out: int, c_in: int, kh: int, kw: int):
    """He-initialized conv weights with a random BatchNorm folded in."""
    w = rng.normal(0.0, np.sqrt(2.0 / (c_in * kh * kw)), (c_out, c_in, kh, kw))
    gamma, beta = rng.uniform(0.5, 1.5, c_out), rng.normal(0.0, 0.1, c_out)
    mean, var = rng.normal(0.0, 0.1, c_out), rng.uniform(0.5, 1.5, c_out)
    k = gamma / np.sqrt(var + 1e-3)
    return w * k[:, None, None, None], beta - mean * k


def _layers(rng: np.random.Generator) -> list[dict]:
    layers = [dict(name="conv1", stride=(2, 2), pads=(4, 1, 5, 1), group=1)]
    layers[0]["w"], layers[0]["b"] = _folded_conv(rng, CHANNELS, 1, 10, 4)
    for i in range(1, BLOCKS + 1):
        dw = dict(name=f"dw{i}", stride=(1, 1), pads=(1, 1, 1, 1), group=CHANNELS)
        dw["w"], dw["b"] = _folded_conv(rng, CHANNELS, 1, 3, 3)
        pw = dict(name=f"pw{i}", stride=(1, 1), pads=(0, 0, 0, 0), group=1)
        pw["w"], pw["b"] = _folded_conv(rng, CHANNELS, CHANNELS, 1, 1)
        layers += [dw, pw]
    return layers


def _forward(layers: list[dict], fc_w, fc_b, x: np.ndarray) -> list[np.ndarray]:
    """Float activations to calibrate: input, each conv, pool, logits."""
    acts = [x]
    for layer in layers:
        x = np.maximum(_conv(x, layer["w"], layer["b"], layer["stride"], layer["pads"],
                             layer["group"]), 0.0)
        acts.append(x)
    x = x.mean(axis=(2, 3), keepdims=True)
    acts.append(x)
    logits = x.reshape(x.shape[0], -1) @ fc_w.T + fc_b
    acts.append(logits)
    return acts


def _act_qparams(a: np.ndarray) -> tuple[np.float32, np.int8]:
    lo, hi = min(float(a.min()), 0.0), max(float(a.max()), 0.0)
    scale = np.float32((hi - lo) / 255.0 if hi > lo else 1.0)
    zp = int(np.clip(np.rint(-128 - lo / float(scale)), -128, 127))
    return scale, np.int8(zp)


def _weight_q(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel (axis 0) symmetric int8 in [-WEIGHT_MAX, WEIGHT_MAX]."""
    m = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
    scale = (np.where(m > 0, m, 1.0) / WEIGHT_MAX).astype(np.float32)
    q = np.clip(np.rint(w / scale.reshape(-1, *([1] * (w.ndim - 1)))), -WEIGHT_MAX, WEIGHT_MAX)
    return q.astype(np.int8), scale


class _Net:
    """Accumulates nodes and initializers of the QDQ graph."""

    def __init__(self):
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def init(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op: str, ins: list[str], out: str, name: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, ins, [out], name=name, **attrs))
        return out

    def qdq(self, x: str, name: str, scale, zp) -> str:
        """QuantizeLinear then DequantizeLinear of float tensor ``x``."""
        s, z = self.init(f"{name}_scale", scale), self.init(f"{name}_zp", zp)
        q = self.node("QuantizeLinear", [x, s, z], f"{name}_q", f"{name}_quant")
        return self.node("DequantizeLinear", [q, s, z], f"{name}_dq", f"{name}_dequant")

    def const_dq(self, name: str, q: np.ndarray, scale: np.ndarray) -> str:
        zp = np.zeros(scale.shape, q.dtype)
        s, z = self.init(f"{name}_scale", scale), self.init(f"{name}_zp", zp)
        return self.node("DequantizeLinear", [self.init(name, q), s, z], f"{name}_dq",
                         f"{name}_dequant", axis=0)


def _weights(net: _Net, name: str, w: np.ndarray, b: np.ndarray, in_scale) -> tuple[str, str]:
    wq, ws = _weight_q(w)
    bs = (np.float32(in_scale) * ws).astype(np.float32)
    bq = np.clip(np.rint(b / bs), -2**31, 2**31 - 1).astype(np.int32)
    return net.const_dq(f"{name}_w", wq, ws), net.const_dq(f"{name}_b", bq, bs)


def build_demo_model(seed: int = 0) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    layers = _layers(rng)
    fc_w = rng.normal(0.0, np.sqrt(1.0 / CHANNELS), (CLASSES, CHANNELS))
    fc_b = rng.normal(0.0, 0.1, CLASSES)
    calib = rng.normal(0.0, 1.0, (CALIB_INPUTS, *INPUT_SHAPE[1:]))
    qp = [_act_qparams(a) for a in _forward(layers, fc_w, fc_b, calib)]
    net = _Net()
    x = net.qdq("input", "input", *qp[0])
    for i, layer in enumerate(layers):
        w, b = _weights(net, layer["name"], layer["w"], layer["b"], qp[i][0])
        y = net.node("Conv", [x, w, b], f"{layer['name']}_out", layer["name"],
                     strides=list(layer["stride"]), pads=list(layer["pads"]),
                     group=layer["group"], kernel_shape=list(layer["w"].shape[2:]))
        y = net.node("Relu", [y], f"{layer['name']}_relu", f"{layer['name']}_relu")
        x = net.qdq(y, layer["name"], *qp[i + 1])
    n = len(layers)
    x = net.qdq(net.node("GlobalAveragePool", [x], "pool_out", "pool"), "pool", *qp[n + 1])
    x = net.node("Flatten", [x], "flat", "flatten", axis=1)
    w, b = _weights(net, "fc", fc_w, fc_b, qp[n + 1][0])
    net.qdq(net.node("Gemm", [x, w, b], "fc_out", "fc", transB=1), "fc", *qp[n + 2])
    net.nodes[-1].output[0] = "logits"
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, list(INPUT_SHAPE))
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, CLASSES])
    graph = helper.make_graph(net.nodes, "demo_dscnn", [inp], [out], net.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="tinydeploy.demo", ir_version=8)
    onnx.checker.check_model(model)
    return model


def make_demo_model(path: str | Path, seed: int = 0) -> Path:
    """Write the demo DS-CNN (int8 QDQ ONNX) to ``path``; same seed, same bytes."""
    path = Path(path)
    path.write_bytes(build_demo_model(seed).SerializeToString(deterministic=True))
    return path
