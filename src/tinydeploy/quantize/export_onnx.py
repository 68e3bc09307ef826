"""Integer-deployable IR graph -> standard ONNX QDQ model (int8, or mixed 2/4/8-bit).

The form, readable by onnxruntime and by ``tinydeploy compile``:

- graph inputs/outputs are float32 with the float model's shapes and names;
  ``QuantizeLinear`` (int8 zero point) follows each input, ``DequantizeLinear`` makes each
  output;
- every stored int8 tensor is a ``QuantizeLinear -> DequantizeLinear`` pair (per-tensor
  float32 scale, int8 zero point); float ops read the dequantized values;
- conv / depthwise (``Conv`` with ``group`` = channels) / fully connected (``Gemm``,
  ``transB=1``) weights are int8 initializers behind a per-channel ``DequantizeLinear``
  (``axis=0``, zero points 0); biases are int32 initializers behind a ``DequantizeLinear``
  with scale ``float32(s_x) * s_w`` (``axis=0``);
- fused activations are ``Relu`` / ``Clip(0, 6)`` / ``Clip(-1, 1)`` between the op and its
  ``QuantizeLinear``; a standalone activation is ``Relu``/``Clip`` then ``QuantizeLinear``;
- layout: 4-D tensors are NCHW around Conv/pooling ops; ``Transpose`` ops on dequantized
  values convert where the IR (NHWC) order matters (Reshape, Softmax, graph edges).
  Reshape, Transpose, Pad and MaxPool keep the quantization and have no Q/DQ of their own.

Sub-byte layers use ONNX's own 4- and 2-bit types, so the file means what the integer
graph computes and needs no side channel: a 4-bit tensor is a ``QuantizeLinear`` /
``DequantizeLinear`` pair with an ``INT4`` zero point (activations, saturating to
[-8, 7]) or an ``INT4`` initializer with ``INT4`` zero points 0 (weights); 2-bit likewise
with ``INT2`` ([-2, 1]). The opset is the lowest that has the types: 17 when everything is
8-bit (the file is unchanged by this feature), 21 (INT4, IR version 10) or 25 (INT2, IR
version 11). Our ONNX frontend turns these tensors into the IR's packed ``int4``/``int2``
dtypes bit for bit (checked before the file is written); onnxruntime (1.32) runs the
INT4 and INT2 Q/DQ with basic graph optimizations (its fused QGemm/QLinearConv kernels
reject INT2, so do not enable all optimizations for such files).

Metadata (``metadata_props``) records the producer, observer, calibration source and
bits config.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tinydeploy.ir.graph import Graph, Op, QuantParams

OPSET = 17                                   # all 8-bit
SUBBYTE_OPSET = {"int4": (21, 10), "int2": (25, 11)}   # dtype -> (opset, IR version)
ONNX_INT = {"int8": TensorProto.INT8, "int4": TensorProto.INT4, "int2": TensorProto.INT2}
NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)
_CLIPS = {"relu6": (0.0, 6.0), "relu_n1_to_1": (-1.0, 1.0)}


class _Exporter:
    def __init__(self, g: Graph, opset: int = OPSET):
        self.g, self.opset = g, opset
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.names: set[str] = set(g.tensors)
        self.vals: dict[tuple[str, str], str] = {}     # (IR tensor, layout) -> ONNX name
        self.qname: dict[str, str] = {}                  # IR tensor -> its int8 ONNX tensor

    def fresh(self, base: str) -> str:
        name, i = base, 1
        while name in self.names:
            name, i = f"{base}_{i}", i + 1
        self.names.add(name)
        return name

    def init(self, base: str, value: np.ndarray) -> str:
        name = self.fresh(base)
        value = np.asarray(value)
        self.inits.append(numpy_helper.from_array(value if value.ndim == 0 else
                                                  np.ascontiguousarray(value), name))
        return name

    def int_init(self, base: str, dtype: str, values, dims) -> str:
        """An integer initializer of ONNX type ``dtype`` (int4/int2: packed by onnx)."""
        if dtype not in SUBBYTE_OPSET:
            return self.init(base, np.asarray(values, dtype).reshape(dims))
        name = self.fresh(base)
        vals = np.asarray(values, np.int64).ravel().tolist()
        self.inits.append(helper.make_tensor(name, ONNX_INT[dtype], list(dims), vals))
        return name

    def node(self, op_type: str, ins, base: str, **attrs) -> str:
        out = self.fresh(base)
        self.nodes.append(helper.make_node(op_type, list(ins), [out], name=out, **attrs))
        return out

    # -- values ----------------------------------------------------------------------
    def get(self, ir: str, layout: str) -> str:
        """ONNX float tensor of IR tensor ``ir`` in ``layout`` ("ir" or "nchw")."""
        if (ir, layout) in self.vals:
            return self.vals[(ir, layout)]
        other = "nchw" if layout == "ir" else "ir"
        src = self.vals[(ir, other)]
        perm = NHWC_TO_NCHW if layout == "nchw" else NCHW_TO_NHWC
        out = self.node("Transpose", [src], f"{ir}_{layout}", perm=list(perm))
        self.vals[(ir, layout)] = out
        return out

    def layout_of(self, ir: str) -> str:
        return "nchw" if (ir, "nchw") in self.vals else "ir"

    def qdq(self, x: str, ir: str, layout: str) -> None:
        """Quantize float ``x`` to IR tensor ``ir``'s quantization and dequantize it."""
        t = self.g.t(ir)
        q = t.quant
        s = self.init(f"{ir}_scale", np.float32(q.s))
        z = self.int_init(f"{ir}_zp", t.dtype, [q.zp], [])
        qt = self.node("QuantizeLinear", [x, s, z], f"{ir}_q")
        self.qname[ir] = qt
        self.vals[(ir, layout)] = self.node("DequantizeLinear", [qt, s, z], f"{ir}_dq")

    def const_dq(self, base: str, data: np.ndarray, q: QuantParams, dtype: str = "") -> str:
        """Per-channel (axis 0) DequantizeLinear of an integer initializer of ``dtype``
        (default: that of ``data``)."""
        data = np.ascontiguousarray(data)
        dtype = dtype or str(data.dtype)
        d = self.int_init(base, dtype, data, data.shape)
        s = self.init(f"{base}_scale", q.scale.astype(np.float32))
        z = self.int_init(f"{base}_zp", dtype, np.zeros(q.scale.size, np.int64),
                          [q.scale.size])
        return self.node("DequantizeLinear", [d, s, z], f"{base}_dq", axis=0)

    def activation(self, x: str, act: str, base: str) -> str:
        if act == "none":
            return x
        if act == "relu":
            return self.node("Relu", [x], f"{base}_relu")
        lo, hi = _CLIPS[act]
        return self.node("Clip", [x, self.init(f"{base}_min", np.float32(lo)),
                                  self.init(f"{base}_max", np.float32(hi))], f"{base}_clip")


def export_qdq(g: Graph, meta: dict[str, str] | None = None) -> onnx.ModelProto:
    """The QDQ ONNX model of integer IR graph ``g`` (made by ``build_integer_graph``)."""
    used = {t.dtype for t in g.tensors.values()} & set(SUBBYTE_OPSET)
    opset, ir_version = max([SUBBYTE_OPSET[d] for d in used], default=(OPSET, 8))
    e = _Exporter(g, opset)
    for n in g.inputs:
        e.vals[(n, "ir")] = n
    for op in _unsplit(g):
        _EMIT[op.kind](e, op)
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(g.t(n).shape))
              for n in g.inputs]
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(g.t(n).shape))
               for n in g.outputs]
    graph = helper.make_graph(e.nodes, g.name or "quantized", inputs, outputs, e.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="tinydeploy.quantize", ir_version=ir_version)
    for k, v in sorted((meta or {}).items()):
        p = model.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(model)
    return model


def _unsplit(g: Graph) -> list[Op]:
    """``g``'s ops, each (int32 linear layer, ``requant``) pair of an all-int8 plan as the
    layer with the requant's output and activation: the QDQ file's Conv / Gemm + Quantize
    means exactly that one-rounding requantization."""
    acts = g.meta.get("requant_act", {})
    ops = {op.outputs[0]: op for op in g.ops}
    out = []
    for op in g.ops:
        if op.kind == "requant" and op.name in acts:
            acc = ops[op.inputs[0]]
            out = [o for o in out if o.name != acc.name]
            out.append(acc.with_(outputs=op.outputs, attrs={**acc.attrs, "act": acts[op.name]}))
        else:
            out.append(op)
    return out


def _quantize(e: _Exporter, op: Op) -> None:
    x, y = op.inputs[0], op.outputs[0]
    if e.g.t(x).dtype == "float32":            # graph input
        e.qdq(e.get(x, "ir"), y, "ir")
        return
    layout = e.layout_of(x)
    v = e.activation(e.get(x, layout), op.attrs.get("act", "none"), op.name)
    e.qdq(v, y, layout)


def _dequantize(e: _Exporter, op: Op) -> None:
    """A graph output: the DequantizeLinear of its int8 tensor, or (when the tensor has no
    Q/DQ of its own, e.g. a Reshape output, or is NCHW) an Identity/Transpose of the
    dequantized value."""
    x, y = op.inputs[0], op.outputs[0]
    if x in e.qname and e.layout_of(x) == "ir":
        q = e.g.t(x).quant
        s = e.init(f"{y}_scale", np.float32(q.s))
        z = e.init(f"{y}_zp", np.int8(q.zp))
        e.nodes.append(helper.make_node("DequantizeLinear", [e.qname[x], s, z], [y], name=y))
    elif (x, "ir") in e.vals:
        e.nodes.append(helper.make_node("Identity", [e.vals[(x, "ir")]], [y], name=y))
    else:
        e.nodes.append(helper.make_node("Transpose", [e.get(x, "nchw")], [y], name=y,
                                        perm=list(NCHW_TO_NHWC)))
    e.names.add(y)


def _conv(e: _Exporter, op: Op) -> None:
    x, w, b = (e.g.t(n) for n in op.inputs)
    if op.kind == "depthwise_conv2d":
        wd, group = w.data.transpose(2, 0, 1)[:, None], e.g.t(op.inputs[0]).shape[-1]
    else:
        wd, group = w.data.transpose(0, 3, 1, 2), 1
    ins = [e.get(x.name, "nchw"), e.const_dq(w.name, wd, w.quant, w.dtype)]
    if op.inputs[2]:
        ins.append(e.const_dq(b.name, b.data, b.quant))
    t, left, bottom, r = op.attrs["pads"]
    y = e.node("Conv", ins, f"{op.name}_out", group=group, kernel_shape=list(wd.shape[2:]),
               strides=list(op.attrs["stride"]), dilations=list(op.attrs.get("dilation", (1, 1))),
               pads=[t, left, bottom, r])
    e.qdq(e.activation(y, op.attrs.get("act", "none"), op.name), op.outputs[0], "nchw")


def _fully_connected(e: _Exporter, op: Op) -> None:
    x, w, b = (e.g.t(n) for n in op.inputs)
    ins = [e.get(x.name, "ir"), e.const_dq(w.name, w.data, w.quant, w.dtype)]
    if op.inputs[2]:
        ins.append(e.const_dq(b.name, b.data, b.quant))
    y = e.node("Gemm", ins, f"{op.name}_out", transB=1)
    e.qdq(e.activation(y, op.attrs.get("act", "none"), op.name), op.outputs[0], "ir")


def _binary(op_type: str):
    def emit(e: _Exporter, op: Op) -> None:
        four = all(len(e.g.t(n).shape) == 4 for n in (*op.inputs, *op.outputs))
        layout = "nchw" if four and any(e.layout_of(n) == "nchw" for n in op.inputs) else "ir"
        y = e.node(op_type, [e.get(n, layout) for n in op.inputs], f"{op.name}_out")
        e.qdq(e.activation(y, op.attrs.get("act", "none"), op.name), op.outputs[0], layout)
    return emit


def _pool(op_type: str):
    def emit(e: _Exporter, op: Op) -> None:
        t, left, bottom, r = op.attrs["pads"]
        y = e.node(op_type, [e.get(op.inputs[0], "nchw")], f"{op.name}_out",
                   kernel_shape=list(op.attrs["kernel"]), strides=list(op.attrs["stride"]),
                   pads=[t, left, bottom, r])
        act = op.attrs.get("act", "none")
        if op_type == "MaxPool" and act == "none":
            e.vals[(op.outputs[0], "nchw")] = y       # keeps the input's quantization
            return
        e.qdq(e.activation(y, act, op.name), op.outputs[0], "nchw")
    return emit


def _reshape(e: _Exporter, op: Op) -> None:
    shape = e.init(f"{op.name}_shape", np.array(e.g.t(op.outputs[0]).shape, np.int64))
    e.vals[(op.outputs[0], "ir")] = e.node("Reshape", [e.get(op.inputs[0], "ir"), shape],
                                           f"{op.name}_out")


def _transpose(e: _Exporter, op: Op) -> None:
    """A layout change between NCHW and NHWC only relabels the ONNX tensor (no node)."""
    x, y, perm = op.inputs[0], op.outputs[0], tuple(op.attrs["perm"])
    if perm == NCHW_TO_NHWC and len(e.g.t(x).shape) == 4 and (x, "ir") in e.vals:
        e.vals[(y, "nchw")] = e.vals[(x, "ir")]
    elif perm == NHWC_TO_NCHW and (x, "nchw") in e.vals:
        e.vals[(y, "ir")] = e.vals[(x, "nchw")]
    else:
        e.vals[(y, "ir")] = e.node("Transpose", [e.get(x, "ir")], f"{op.name}_out",
                                   perm=list(perm))


def _pad(e: _Exporter, op: Op) -> None:
    pads = [int(p[0]) for p in op.attrs["pads"]] + [int(p[1]) for p in op.attrs["pads"]]
    p = e.init(f"{op.name}_pads", np.array(pads, np.int64))
    e.vals[(op.outputs[0], "ir")] = e.node("Pad", [e.get(op.inputs[0], "ir"), p],
                                           f"{op.name}_out", mode="constant")


def _concat(e: _Exporter, op: Op) -> None:
    four = all(len(e.g.t(n).shape) == 4 for n in op.inputs)
    layout = "nchw" if four and any(e.layout_of(n) == "nchw" for n in op.inputs) else "ir"
    axis = NHWC_TO_NCHW.index(op.attrs["axis"]) if layout == "nchw" else op.attrs["axis"]
    y = e.node("Concat", [e.get(n, layout) for n in op.inputs], f"{op.name}_out", axis=axis)
    e.qdq(y, op.outputs[0], layout)


def _mean(e: _Exporter, op: Op) -> None:
    x = op.inputs[0]
    layout = "nchw" if len(e.g.t(x).shape) == 4 and op.attrs.get("keepdims") else "ir"
    axes = [NHWC_TO_NCHW.index(a) for a in op.attrs["axes"]] if layout == "nchw" \
        else list(op.attrs["axes"])
    keep = int(bool(op.attrs["keepdims"]))
    if e.opset >= 18:                          # axes became an input in opset 18
        ax = e.init(f"{op.name}_axes", np.array(sorted(axes), np.int64))
        y = e.node("ReduceMean", [e.get(x, layout), ax], f"{op.name}_out", keepdims=keep)
    else:
        y = e.node("ReduceMean", [e.get(x, layout)], f"{op.name}_out", axes=sorted(axes),
                   keepdims=keep)
    e.qdq(y, op.outputs[0], layout)


def _unary(op_type: str, keep_layout: bool):
    def emit(e: _Exporter, op: Op) -> None:
        x = op.inputs[0]
        layout = e.layout_of(x) if keep_layout else "ir"
        attrs = {} if keep_layout else {"axis": -1}
        y = e.node(op_type, [e.get(x, layout)], f"{op.name}_out", **attrs)
        e.qdq(y, op.outputs[0], layout)
    return emit


_EMIT = {
    "quantize": _quantize, "dequantize": _dequantize,
    "conv2d": _conv, "depthwise_conv2d": _conv, "fully_connected": _fully_connected,
    "add": _binary("Add"), "mul": _binary("Mul"),
    "avg_pool2d": _pool("AveragePool"), "max_pool2d": _pool("MaxPool"),
    "reshape": _reshape, "transpose": _transpose, "pad": _pad, "concat": _concat,
    "mean": _mean, "softmax": _unary("Softmax", False),
    "logistic": _unary("Sigmoid", True), "tanh": _unary("Tanh", True),
}
