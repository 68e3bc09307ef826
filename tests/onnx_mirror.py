"""Write an int8 IR graph (e.g. an MLPerf Tiny .tflite) as an ONNX QOperator model.

The mirror holds the same integers and quantization parameters as the TFLite model, laid
out the ONNX way (NCHW activations, OIHW weights) with QLinearConv, QGemm,
QLinearAveragePool, QLinearSoftmax, ... so that onnxruntime runs it and the ONNX frontend
can be checked against both onnxruntime and the TFLite frontend. Fused activations that the
output range does not already imply become an int8 Clip.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tinydeploy.frontend.tflite import load_tflite
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.requant import activation_range

NHWC_TO_NCHW = (0, 3, 1, 2)
MS = "com.microsoft"


class _Writer:
    def __init__(self, g: Graph):
        self.g = g
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.names: dict[str, str] = {}          # IR tensor -> ONNX tensor (NCHW if 4-D)
        self.count = 0

    def name(self, ir: str) -> str:
        if ir not in self.names:
            self.names[ir] = f"t{len(self.names)}"
        return self.names[ir]

    def init(self, base: str, value) -> str:
        name = f"{base}_{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def quant(self, ir: str) -> list[str]:
        """[scale, zero point] initializers of activation ``ir``."""
        q = self.g.t(ir).quant
        return [self.init("s", np.float32(q.s)), self.init("z", np.int8(q.zp))]

    def node(self, op: str, ins: list[str], out: str, domain: str = "", **attrs) -> str:
        self.count += 1
        self.nodes.append(helper.make_node(op, ins, [out], name=f"{op}_{self.count}",
                                           domain=domain, **attrs))
        return out

    def act(self, op: Op, y: str) -> None:
        """Clip the int8 output when the fused activation narrows its range."""
        t = self.g.t(op.outputs[0])
        lo, hi = activation_range(op.attrs.get("act", "none"), t.quant.s, t.quant.zp)
        out = self.name(op.outputs[0])
        if (lo, hi) == (-128, 127):
            self.names[op.outputs[0]] = y
            return
        self.node("Clip", [y, self.init("lo", np.int8(lo)), self.init("hi", np.int8(hi))],
                  out)


def _conv(w: _Writer, op: Op) -> None:
    g = w.g
    wt, bt = g.t(op.inputs[1]), g.t(op.inputs[2]) if op.inputs[2] else None
    if op.kind == "conv2d":
        wdata, group = wt.data.transpose(0, 3, 1, 2), 1
    else:
        wdata = wt.data.transpose(2, 0, 1)[:, None]
        group = g.t(op.inputs[0]).shape[3]
    c_out = wdata.shape[0]
    scales = np.broadcast_to(wt.quant.scale, (c_out,)).astype(np.float32)
    ins = [w.name(op.inputs[0]), *w.quant(op.inputs[0]), w.init("w", wdata.astype(np.int8)),
           w.init("ws", scales), w.init("wz", np.zeros(c_out, np.int8)),
           *w.quant(op.outputs[0])]
    if bt is not None:
        ins.append(w.init("b", bt.data.astype(np.int32)))
    t, left, bottom, right = op.attrs["pads"]
    y = w.node("QLinearConv", ins, f"{w.name(op.outputs[0])}_c", group=group,
               strides=list(op.attrs["stride"]), dilations=list(op.attrs["dilation"]),
               pads=[t, left, bottom, right], kernel_shape=list(wdata.shape[2:]))
    w.act(op, y)


def _avg_pool(w: _Writer, op: Op) -> None:
    t, left, bottom, right = op.attrs["pads"]
    y = w.node("QLinearAveragePool", [w.name(op.inputs[0]), *w.quant(op.inputs[0]),
                                      *w.quant(op.outputs[0])],
               f"{w.name(op.outputs[0])}_p", domain=MS, kernel_shape=list(op.attrs["kernel"]),
               strides=list(op.attrs["stride"]), pads=[t, left, bottom, right],
               count_include_pad=0)
    w.act(op, y)


def _reshape(w: _Writer, op: Op) -> None:
    x = w.g.t(op.inputs[0])
    src = w.name(op.inputs[0])
    if len(x.shape) == 4 and (x.shape[1] > 1 or x.shape[2] > 1):
        src = w.node("Transpose", [src], f"{src}_nhwc", perm=[0, 2, 3, 1])
    shape = w.init("shape", np.array(w.g.t(op.outputs[0]).shape, np.int64))
    w.node("Reshape", [src, shape], w.name(op.outputs[0]))


def _fully_connected(w: _Writer, op: Op) -> None:
    g = w.g
    wt = g.t(op.inputs[1])
    c_out = wt.shape[0]
    ins = [w.name(op.inputs[0]), *w.quant(op.inputs[0]), w.init("w", wt.data),
           w.init("ws", np.asarray(wt.quant.scale, np.float32).reshape(-1)),
           w.init("wz", np.asarray(wt.quant.zero_point, np.int8).reshape(-1)),
           w.init("b", g.t(op.inputs[2]).data.astype(np.int32)) if op.inputs[2] else "",
           *w.quant(op.outputs[0])]
    assert wt.quant.scale.size in (1, c_out)
    y = w.node("QGemm", ins, f"{w.name(op.outputs[0])}_fc", domain=MS, transB=1)
    w.act(op, y)


def _softmax(w: _Writer, op: Op) -> None:
    assert op.attrs.get("beta", 1.0) == 1.0
    w.node("QLinearSoftmax", [w.name(op.inputs[0]), *w.quant(op.inputs[0]),
                              *w.quant(op.outputs[0])],
           w.name(op.outputs[0]), domain=MS, axis=-1, opset=13)


def _add(w: _Writer, op: Op) -> None:
    a, b = op.inputs
    y = w.node("QLinearAdd", [w.name(a), *w.quant(a), w.name(b), *w.quant(b),
                              *w.quant(op.outputs[0])], f"{w.name(op.outputs[0])}_a",
               domain=MS)
    w.act(op, y)


WRITERS = {"conv2d": _conv, "depthwise_conv2d": _conv, "avg_pool2d": _avg_pool,
           "reshape": _reshape, "fully_connected": _fully_connected, "softmax": _softmax,
           "add": _add}


def _value_info(g: Graph, ir: str, name: str) -> onnx.ValueInfoProto:
    t = g.t(ir)
    shape = [t.shape[p] for p in NHWC_TO_NCHW] if len(t.shape) == 4 else list(t.shape)
    return helper.make_tensor_value_info(name, TensorProto.INT8, shape)


def graph_to_qoperator_onnx(g: Graph, out_path: str | Path) -> Path:
    w = _Writer(g)
    inputs = [_value_info(g, n, w.name(n)) for n in g.inputs]
    for op in g.ops:
        if op.kind not in WRITERS:
            raise NotImplementedError(f"mirror: no ONNX writer for {op.kind}")
        WRITERS[op.kind](w, op)
    outputs = []
    for n in g.outputs:
        assert len(g.t(n).shape) != 4, "4-D graph outputs are not mirrored"
        outputs.append(_value_info(g, n, w.name(n)))
    graph = helper.make_graph(w.nodes, g.name or "mirror", inputs, outputs, w.inits)
    model = helper.make_model(graph, ir_version=8, producer_name="tinydeploy.tests.mirror",
                              opset_imports=[helper.make_opsetid("", 17),
                                             helper.make_opsetid(MS, 1)])
    onnx.checker.check_model(model)
    out_path = Path(out_path)
    out_path.write_bytes(model.SerializeToString(deterministic=True))
    return out_path


def kws_to_qoperator_onnx(tflite_path: str | Path, out_path: str | Path) -> Path:
    """The MLPerf Tiny KWS DS-CNN (.tflite) as an ONNX QOperator model at ``out_path``."""
    return graph_to_qoperator_onnx(load_tflite(tflite_path), out_path)
