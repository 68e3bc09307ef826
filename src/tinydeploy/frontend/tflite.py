"""TFLite flatbuffer -> int8 IR :class:`~tinydeploy.ir.graph.Graph`.

The file is parsed and validated by :mod:`tinydeploy.frontend.tflite_reader` (damage
surfaces there as "corrupt or truncated"); each builtin operator then becomes IR ops
through its entry in the op table :mod:`tinydeploy.frontend.tflite_ops`, which the float
quantizer shares. This module only says what is int8-specific: tensors keep their
quantization, weights must be int8 and biases int32 (int64 for 16x8), a standalone
activation is a requantizing ``quantize`` (TFLite's quantized RELU rescales input to output
quantization, then clamps), PAD fills with the zero point.

Activations inside the network are int8, int16 (TFLite's "16x8" mode: int16 activations,
int8 weights, int64 bias) or int32 (ARG_MAX, CAST outputs); which combinations an op takes
is its golden's business. float32 and uint8 may appear only as graph inputs consumed by, or
graph outputs produced by, QUANTIZE/DEQUANTIZE. Shapes must be static, except that a shape
signature of -1 in the batch dimension is tolerated (converters write it for every model)
and the stored batch size is used.

Every error is a :class:`~tinydeploy.errors.TinyDeployError` naming the file, the op
(node ``<index>_<OPNAME>`` and its output tensor) and the reason. IR op names are
``<index>_<OPNAME>`` too, with a suffix for ops a mapper adds (``3_FULLY_CONNECTED_flatten``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from tinydeploy.frontend.tflite_ops import INT8, GraphState, OpConverter
from tinydeploy.frontend.tflite_reader import TT, TYPE_NAMES, TFLiteModel, c_identifier, \
    read_tflite, type_name
from tinydeploy.ir.graph import Graph, QuantParams, Tensor
from tinydeploy.quantize.float_tflite import load_float_tflite

_DTYPES = {TT.FLOAT32: "float32", TT.INT32: "int32", TT.UINT8: "uint8",
           TT.INT64: "int64", TT.INT16: "int16", TT.INT8: "int8", TT.UINT32: "uint32",
           TT.UINT64: "uint64"}
_EDGE_OPS = ("QUANTIZE", "DEQUANTIZE")
_EDGE_DTYPES = ("float32", "uint8")
# Activations inside the network: int8; int16 of TFLite's "16x8" mode (int16 activations,
# int8 weights, int64 bias); int32 where TFLite has them (ARG_MAX, CAST, raw integers).
# uint32/uint64: TFLM's signal ops (the audio front end) and the CASTs around them.
_ACT_DTYPES = ("int8", "int16", "int32", "uint32", "uint64")
_BIAS_DTYPES = ("int32", "int64")      # int64: the 16x8 kernels' bias
# raw int16 (no quantization: audio samples, the signal ops' values) only around them;
# raw int8 only out of a CAST (micro_speech's features: int32 arithmetic cast to int8)
_RAW_INT16_OPS = ("CUSTOM(Signal", "RESHAPE", "CAST")
# elementwise ops that run in float32 inside an integer model (the float kernels)
_FLOAT_ISLAND_OPS = ("ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "EXP", "NEG", "ABS",
                     "LOGISTIC", "TANH", "RESHAPE")
_STATEFUL = ("lstm", "svdf", "signal_filter_bank_spectral_subtraction")


def load_tflite(path: str | Path) -> Graph:
    """Read a .tflite file into an IR graph (validated). A float model (every activation
    float32, weights float32/float16 or dynamic-range int8) becomes a float32 graph
    (:mod:`tinydeploy.quantize.float_tflite`: the float kernels run it)."""
    model = read_tflite(path)
    if _float_model(model):
        return load_float_tflite(path)
    g = _graph(model, c_identifier(Path(path).stem))
    g.validate()
    return g


def _graph(model: TFLiteModel, name: str) -> Graph:
    state = GraphState()
    _check_quantized(model, state)
    for raw in model.ops:
        _Int8Op(model, raw, state).convert()
    edge = _Int8Op(model, model.edges(), state)
    inputs = [edge.tensor(j) for j in model.inputs if not model.tensors[j].data]
    outputs = [edge.tensor(j) for j in model.outputs]
    ops = state.ops
    used = {n for op in ops for n in (*op.inputs, *op.outputs) if n} | set(inputs)
    tensors = {n: t for n, t in state.tensors.items() if n in used or n in outputs}
    # recurrent state (an LSTM's hidden and cell state, an SVDF's memory): held across calls
    # and the noise estimate of the signal library's spectral subtraction
    held = [n for op in ops if op.kind in _STATEFUL for n in op.outputs[1:]]
    return Graph(name, tensors, ops, inputs, outputs, source=model.file,
                 meta={"format": "tflite", **({"state": held} if held else {})})


def _float_model(model: TFLiteModel) -> bool:
    acts = {j for op in model.ops for j in op.inputs + op.outputs
            if j >= 0 and not model.tensors[j].data}
    return bool(acts) and all(model.tensors[j].type == TT.FLOAT32 for j in acts)


def _check_quantized(model: TFLiteModel, state: GraphState) -> None:
    """A float model is refused as a whole, before its first op complains."""
    acts = {j for op in model.ops for j in op.inputs + op.outputs
            if j >= 0 and not model.tensors[j].data}
    if acts and all(model.tensors[j].type == TT.FLOAT32 for j in acts):
        _Int8Op(model, model.ops[0], state).fail(
            "float model without quantization: quantize it first "
            "(full int8 quantization, e.g. TFLiteConverter with a representative dataset)")


class _Int8Op(OpConverter):
    """One TFLite op converted to int8 IR ops: the int8 side of the op table's hooks."""

    LOADER = INT8

    def check_tensors(self) -> None:
        """int8 activations; float32/uint8 only as graph edges of QUANTIZE/DEQUANTIZE."""
        r = self.model
        for pos, j in [("in", j) for j in self.ins] + [("out", j) for j in self.outs]:
            if j < 0 or r.tensors[j].data:
                continue
            t = r.tensors[j]
            if t.type not in TYPE_NAMES:
                self.fail(f"tensor '{r.names[j]}' has unknown tensor type {t.type}",
                          unsupported=False)
            dtype = _DTYPES.get(t.type, type_name(t.type))
            if dtype in _ACT_DTYPES:
                continue
            edge = r.inputs if pos == "in" else r.outputs
            if dtype in _EDGE_DTYPES and self.opname in _EDGE_OPS and j in edge:
                continue
            if dtype == "float32" and self._float_island():
                continue
            where = "input" if pos == "in" else "output"
            if dtype in _EDGE_DTYPES:
                self.fail(f"{dtype} activation '{r.names[j]}' inside the network: "
                          f"{dtype} is only supported at graph inputs/outputs, converted by "
                          f"QUANTIZE/DEQUANTIZE (here: {self.opname} {where})")
            self.fail(f"{dtype} activation '{r.names[j]}' is not supported (int8, int16, "
                      "int32; uint32/uint64 of the signal ops)")

    def _float_island(self) -> bool:
        """float32 inside an integer model where TFLite Micro computes in float: a CAST,
        DEQUANTIZE or QUANTIZE to or from float32, or an elementwise op whose activations
        are all float32 (e.g. micro_speech's float preprocessor: log features cast to
        float and scaled; a float LOGISTIC between DEQUANTIZE and QUANTIZE)."""
        if self.opname in ("CAST", "DEQUANTIZE", "QUANTIZE"):
            return True
        r = self.model
        acts = [j for j in self.ins + self.outs if j >= 0 and not r.tensors[j].data]
        return self.opname in _FLOAT_ISLAND_OPS and all(
            r.tensors[j].type == TT.FLOAT32 for j in acts)

    def convert_tensor(self, j: int) -> Tensor:
        t, name = self.model.tensors[j], self.model.names[j]
        dtype = _DTYPES.get(t.type)
        if dtype is None:
            self.fail(f"tensor '{name}' has unsupported type {type_name(t.type).upper()}")
        if (t.variable and not self.variables_ok) or t.sparse:
            self.fail(f"tensor '{name}' is {'variable' if t.variable else 'sparse'}")
        self._check_static(t, name)
        data = None
        if t.data:
            need = math.prod(t.shape) * np.dtype(dtype).itemsize      # exact, no wrap
            if len(t.data) != need:
                self.fail(f"tensor '{name}': buffer holds {len(t.data)} bytes, {dtype} "
                          f"shape {list(t.shape)} needs {need}", unsupported=False)
            data = np.frombuffer(t.data, dtype=dtype).reshape(t.shape).copy()
        quant = None
        if t.scale is not None:
            if t.zero_point.size not in (1, t.scale.size):
                self.fail(f"tensor '{name}': {t.scale.size} scales but "
                          f"{t.zero_point.size} zero points", unsupported=False)
            qdim = t.qdim
            if len(t.shape) == 1 and t.scale.size == t.shape[0] > 1:
                qdim = 0      # a 1-D tensor has one axis (old converters wrote the conv's: 3)
            quant = QuantParams.make(t.scale, t.zero_point, qdim)
        elif dtype in ("int8", "int16", "uint8") and data is None and not (
                dtype == "int16" and self.opname.startswith(_RAW_INT16_OPS)) and not (
                dtype == "int8" and self.opname == "CAST"):
            self.fail(f"{dtype} tensor '{name}' has no quantization parameters")
        return Tensor(name, t.shape, dtype, quant, data)

    def _check_static(self, t, name: str) -> None:
        sig = t.signature or t.shape
        batch_ok = len(sig) >= 2 and sig[0] == -1     # dynamic batch: take the stored size
        if (any(s <= 0 for s in t.shape) or len(sig) != len(t.shape)
                or any(s < 0 for s in sig[int(batch_ok):])):
            self.fail(f"tensor '{name}' has a dynamic or empty shape {list(t.shape)} "
                      f"(signature {list(sig)}): only static shapes are supported")

    def _constant(self, n: int, dtype: str, what: str) -> Tensor:
        w = self.t(self.input(n)) if self.input(n) else None
        if w is None or not w.is_const:
            self.fail(f"input {n} ({what}) must be constant")
        if w.dtype != dtype:
            self.fail(f"{w.dtype} {what} '{w.name}' (only {dtype} is supported)")
        return w

    def weights(self, n: int) -> Tensor:
        return self._constant(n, "int8", "weights")

    def bias(self, n: int) -> str:
        if not self.input(n):
            return ""
        b = self.t(self.input(n))
        return self._constant(n, b.dtype if b.dtype in _BIAS_DTYPES else "int32", "bias").name

    def depthwise_weights(self, n: int) -> Tensor:
        """[1, KH, KW, C*M] -> [KH, KW, C*M] in place (axis 3 -> 2); shared weights once."""
        w = self.weights(n)
        if len(w.shape) == 4:
            if w.shape[0] != 1:
                self.fail(f"depthwise weights of shape {list(w.shape)}", unsupported=False)
            q = w.quant
            if q is not None and q.per_channel:
                q = QuantParams(q.scale, q.zero_point, q.axis - 1)
            w = Tensor(w.name, w.shape[1:], w.dtype, q, w.data.reshape(w.shape[1:]))
            self.put(w)
        return w

    def activation(self, act: str) -> None:
        self.add("quantize", (self.input(0),), act=act)

    def check_pad_value(self, x: Tensor, y: Tensor, n: int) -> None:
        """PAD/PADV2 copy bytes: in/out share quantization and pad with the zero point."""
        if x.quant is None or y.quant is None or not (
                np.array_equal(x.quant.scale, y.quant.scale) and x.quant.zp == y.quant.zp):
            self.fail("PAD input and output quantization differ")
        if len(self.ins) > n and self.input(n):
            value = int(self.const(n, "pad value").ravel()[0])
            if value != y.quant.zp:
                self.fail(f"PADV2 constant {value} is not the zero point {y.quant.zp} "
                          "(only padding with real 0 is supported)")

    def dequantize(self) -> None:
        self.add("dequantize", (self.input(0),))
