"""Float .tflite -> float graph (see :mod:`tinydeploy.quantize.float_ops`).

The flatbuffer is parsed by the int8 frontend's reader (same checks and messages for a
damaged file); the ops are mapped here, keeping float32 tensors. Layouts are those of the
IR (depthwise weights lose their leading 1). Weights stored as int8 with a float scale
(dynamic-range "hybrid" files such as MLPerf Tiny's KWS) and float16 weights are
dequantized to float32 on load: the float graph is what the hybrid file means, with
float activations. Op names are ``<index>_<OPNAME>``, as in the int8 frontend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tflite

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend.tflite import _c_identifier, _Reader
from tinydeploy.ir.graph import Graph, Op, Tensor
from tinydeploy.quantize.float_tflite_ops import MAPPERS as _MAPPERS

_TT = tflite.TensorType
_FLOAT_TYPES = {_TT.FLOAT32: np.float32, _TT.FLOAT16: np.float16}
_INT_TYPES = {_TT.INT8: np.int8, _TT.UINT8: np.uint8, _TT.INT32: np.int32,
              _TT.INT64: np.int64, _TT.INT16: np.int16}
_ACTS = {0: "none", 1: "relu", 2: "relu_n1_to_1", 3: "relu6"}


def load_float_tflite(path: str | Path) -> Graph:
    """Read a float (or dynamic-range) .tflite file into a float graph."""
    path = Path(path)
    try:
        buf = path.read_bytes()
    except OSError as e:
        raise TinyDeployError(f"cannot read model: {e.strerror or e}", file=str(path)) from e
    r = _Reader(buf, str(path))
    return _Converter(r, str(path)).graph(_c_identifier(path.stem))


class _Converter:
    def __init__(self, r: _Reader, file: str):
        self.r, self.file = r, file
        self.tensors: dict[str, Tensor] = {}
        self.ops: list[Op] = []
        self.node = ""
        self.out_name = ""

    def fail(self, reason: str):
        where = f"output '{self.out_name}': " if self.out_name else ""
        raise UnsupportedError(where + reason, file=self.file, node=self.node or None)

    def graph(self, name: str) -> Graph:
        for index, (opname, ins, outs, raw) in enumerate(self.r.ops):
            self.node = f"{index}_{opname}"
            self.out_name = self.r.names[outs[0]] if outs and outs[0] >= 0 else ""
            mapper = _MAPPERS.get(opname)
            if mapper is None:
                self.fail(f"unsupported operator {opname} (the quantizer handles "
                          f"{', '.join(sorted(_MAPPERS))})")
            mapper(self, ins, outs, raw)
        self.node = self.out_name = ""
        inputs = [self.tensor(j) for j in self.r.inputs if not self.r.tensors[j].data]
        outputs = [self.tensor(j) for j in self.r.outputs]
        g = Graph(name, dict(self.tensors), self.ops, inputs, outputs, source=self.file,
                  meta={"format": "tflite", "float": True})
        try:
            g.validate()
        except AssertionError as e:
            raise TinyDeployError(f"inconsistent model graph: {e}", file=self.file) from e
        return g

    # -- tensors ----------------------------------------------------------------------
    def tensor(self, j: int) -> str:
        """IR name of TFLite tensor ``j`` (converted on first use); "" for -1."""
        if j < 0:
            return ""
        name = self.r.names[j]
        if name not in self.tensors:
            self.tensors[name] = self._convert(j, name)
        return name

    def _convert(self, j: int, name: str) -> Tensor:
        t = self.r.tensors[j]
        if any(s <= 0 for s in t.shape[1:]):
            self.fail(f"tensor '{name}' has a dynamic or empty shape {list(t.shape)}")
        if not t.data:
            if t.type != _TT.FLOAT32:
                self.fail(f"activation '{name}' is {_type_name(t.type)}, not float32: this "
                          "is a quantized model; compile it with 'tinydeploy compile'")
            return Tensor(name, t.shape, "float32")
        return Tensor(name, t.shape, *self._const_data(t, name))

    def _const_data(self, t, name: str) -> tuple[str, None, np.ndarray]:
        if t.type in _FLOAT_TYPES:
            data = np.frombuffer(t.data, _FLOAT_TYPES[t.type]).astype(np.float32)
            return "float32", None, data.reshape(t.shape)
        if t.type not in _INT_TYPES:
            self.fail(f"constant '{name}' has unsupported type {_type_name(t.type)}")
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

    def t(self, j: int) -> Tensor:
        return self.tensors[self.tensor(j)]

    def const(self, j: int, what: str) -> np.ndarray:
        if j < 0 or not self.r.tensors[j].data:
            self.fail(f"{what} must be a constant tensor")
        return self.t(j).data

    def new_tensor(self, hint: str, shape) -> str:
        name = hint
        while name in self.tensors or name in self.r.names:
            name += "_"
        self.tensors[name] = Tensor(name, tuple(int(s) for s in shape), "float32")
        return name

    def add(self, kind: str, ins, outs, suffix: str = "", **attrs) -> None:
        name = self.node + (f"_{suffix}" if suffix else "")
        self.ops.append(Op(kind, name, tuple(ins), tuple(outs), attrs))

    def options(self, raw, cls: type):
        if raw.BuiltinOptionsType() != getattr(tflite.BuiltinOptions, cls.__name__):
            return None
        table = raw.BuiltinOptions()
        opts = cls()
        opts.Init(table.Bytes, table.Pos)
        return opts

    def act(self, code: int) -> str:
        if code not in _ACTS:
            self.fail(f"unsupported fused activation {code}")
        return _ACTS[code]


def _type_name(code: int) -> str:
    names = {v: k for k, v in vars(_TT).items() if not k.startswith("_")}
    return names.get(code, str(code)).lower()
