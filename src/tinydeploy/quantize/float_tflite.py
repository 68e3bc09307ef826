"""Float .tflite -> float graph (see :mod:`tinydeploy.quantize.float_ops`).

The file is read by the shared reader (:mod:`tinydeploy.frontend.tflite_reader`: the same
checks and messages for a damaged file as ``tinydeploy compile``) and every operator is
mapped through the shared op table (:mod:`tinydeploy.frontend.tflite_ops`), so layouts
and op names (``<index>_<OPNAME>``) are the int8 frontend's. What is float lives here:

- tensors keep float32 data. Weights stored as int8 with a float scale (dynamic-range
  "hybrid" files such as MLPerf Tiny's KWS) and float16 weights are dequantized to
  float32 on load, and a DEQUANTIZE of a constant is folded into a float32 constant: the
  float graph is what the file means, with float activations;
- depthwise weights get an ``<name>_hwc`` copy without the leading 1 (the file's tensor
  stays in the graph, unused);
- a standalone RELU/RELU6/RELU_N1_TO_1 stays an ``act`` op (the quantizer fuses it);
- an LSTM's hidden and cell state (TFLite variable tensors) become the op's further
  outputs, held across calls (``graph.meta["state"]``, as the int8 loader does; the
  float32 kernel td_lstm_f32 runs it, the quantizer refuses it);
- the float reference runs a batch of samples along axis 0, so ops that mix samples
  (MEAN over, TRANSPOSE of axis 0) or take a constant operand are refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.tflite_ops import FLOAT, GraphState, OpConverter, supported
from tinydeploy.frontend.tflite_reader import TT, c_identifier, read_tflite, type_name
from tinydeploy.ir.graph import Graph, Tensor

_FLOAT_TYPES = {TT.FLOAT32: np.float32, TT.FLOAT16: np.float16}
_STATEFUL = ("lstm",)         # ops whose outputs 1.. are state held across calls
_INT_TYPES = {TT.INT8: np.int8, TT.UINT8: np.uint8, TT.INT32: np.int32,
              TT.INT64: np.int64, TT.INT16: np.int16}


def load_float_tflite(path: str | Path) -> Graph:
    """Read a float (or dynamic-range) .tflite file into a float graph."""
    model = read_tflite(path)
    state = GraphState()
    for raw in model.ops:
        _FloatOp(model, raw, state).convert()
    edge = _FloatOp(model, model.edges(), state)
    inputs = [edge.tensor(j) for j in model.inputs if not model.tensors[j].data]
    outputs = [edge.tensor(j) for j in model.outputs]
    held = [n for op in state.ops if op.kind in _STATEFUL for n in op.outputs[1:]]
    g = Graph(c_identifier(Path(path).stem), dict(state.tensors), state.ops, inputs, outputs,
              source=model.file, meta={"format": "tflite", "float": True,
                                       **({"state": held} if held else {})})
    try:
        g.validate()
    except AssertionError as e:
        raise TinyDeployError(f"inconsistent model graph: {e}", file=model.file) from e
    return g


class _FloatOp(OpConverter):
    """One TFLite op converted to float graph ops: the float side of the table's hooks."""

    LOADER = FLOAT

    def unsupported(self, opname: str) -> str:
        return (f"unsupported operator {opname} (the quantizer handles "
                f"{', '.join(supported(FLOAT))})")

    def convert_tensor(self, j: int) -> Tensor:
        t, name = self.model.tensors[j], self.model.names[j]
        if any(s <= 0 for s in t.shape[1:]):
            self.fail(f"tensor '{name}' has a dynamic or empty shape {list(t.shape)}")
        if t.variable and not self.variables_ok:
            self.fail(f"tensor '{name}' is variable (state of an operator that has none)")
        if not t.data or t.variable:      # a variable's initial data: TFLM resets it to 0
            if t.type != TT.FLOAT32:
                self.fail(f"activation '{name}' is {type_name(t.type)}, not float32: this "
                          "is a quantized model; compile it with 'tinydeploy compile'")
            return Tensor(name, t.shape, "float32")
        return Tensor(name, t.shape, *self._const_data(t, name))

    def _const_data(self, t, name: str) -> tuple[str, None, np.ndarray]:
        if t.type in _FLOAT_TYPES:
            data = np.frombuffer(t.data, _FLOAT_TYPES[t.type]).astype(np.float32)
            return "float32", None, data.reshape(t.shape)
        if t.type not in _INT_TYPES:
            self.fail(f"constant '{name}' has unsupported type {type_name(t.type)}")
        data = np.frombuffer(t.data, _INT_TYPES[t.type]).reshape(t.shape)
        if t.scale is None:
            return str(data.dtype), None, data.copy()
        shape = [1] * data.ndim        # dynamic-range weights: dequantize to float32
        if t.scale.size > 1:
            shape[t.qdim] = -1
        s = t.scale.astype(np.float32).reshape(shape if t.scale.size > 1 else [])
        z = t.zero_point.reshape(shape if t.zero_point.size > 1 else [])
        real = (data.astype(np.float64) - z) * s.astype(np.float64)
        return "float32", None, real.astype(np.float32)

    def _float_const(self, n: int, what: str) -> Tensor:
        name = self.input(n)
        if not name or not self.t(name).is_const:
            self.fail(f"{what} must be a constant tensor")
        if self.t(name).dtype != "float32":
            self.fail(f"{what} '{name}' is {self.t(name).dtype}, expected float")
        return self.t(name)

    def weights(self, n: int) -> Tensor:
        return self._float_const(n, "weights")

    def bias(self, n: int) -> str:
        return self._float_const(n, "bias").name if self.input(n) else ""

    def depthwise_weights(self, n: int) -> Tensor:
        w = self.weights(n)
        if len(w.shape) != 4 or w.shape[0] != 1:
            self.fail("depthwise weights must be [1, KH, KW, C*M]")
        name = w.name + "_hwc"
        if name not in self.state.tensors:
            self.put(Tensor(name, w.shape[1:], "float32", None, w.data.reshape(w.shape[1:])))
        return self.t(name)

    def activation(self, act: str) -> None:
        self.add("act", (self.input(0),), act=act)

    def check_pad_value(self, x: Tensor, y: Tensor, n: int) -> None:
        if len(self.ins) > n and self.input(n) and \
                float(self.const(n, "pad value").ravel()[0]) != 0:
            self.fail("padding with a value other than 0 is not supported")

    def dequantize(self) -> None:
        """Constant weights stored as float16/int8: fold into a float32 constant."""
        if not self.model.tensors[self.ins[0]].data:
            self.fail("DEQUANTIZE input (a float model dequantizes weights only) must be "
                      "a constant tensor")
        data = self.t(self.input(0)).data
        j = self.outs[0]
        name, shape = self.model.names[j], self.model.tensors[j].shape
        self.put(Tensor(name, shape, "float32", None, np.asarray(data, np.float32)
                        .reshape(shape)))
        self.state.converted[j] = name            # a constant from now on

    def add(self, kind: str, inputs, outputs=None, suffix: str = "", **attrs) -> None:
        """Refuse what the float reference cannot run over a batch of samples."""
        if kind in ("add", "mul") and any(self.t(n).is_const for n in inputs if n):
            self.fail(f"{self.opname} with a constant operand is not supported")
        if kind == "mean" and 0 in attrs["axes"]:
            self.fail(f"{self.opname} over the batch dimension is not supported")
        if kind == "transpose" and attrs["perm"][0] != 0:
            self.fail(f"{self.opname} that moves the batch dimension is not supported")
        super().add(kind, inputs, outputs, suffix, **attrs)
