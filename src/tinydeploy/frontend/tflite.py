"""TFLite flatbuffer -> IR :class:`~tinydeploy.ir.graph.Graph`.

The file is read with the ``tflite`` package (generated flatbuffer accessors). Tensors,
buffers and operator lists are read up front, so most damage to a file surfaces in one
place as "corrupt or truncated". Each builtin operator then becomes IR ops through its
mapper in :mod:`tinydeploy.frontend.tflite_ops` (layout changes are described there).

Only int8 activations are accepted inside the network; float32 and uint8 may appear only
as graph inputs consumed by, or graph outputs produced by, QUANTIZE/DEQUANTIZE. Shapes
must be static, except that a shape signature of -1 in the batch dimension is tolerated
(converters write it for every model) and the stored batch size is used.

Every error is a :class:`~tinydeploy.errors.TinyDeployError` naming the file, the op
(node ``<index>_<OPNAME>`` and its output tensor) and the reason. IR op names are
``<index>_<OPNAME>`` too, with a suffix for ops a mapper adds (``3_FULLY_CONNECTED_flatten``).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import tflite
from tflite.utils import BUILTIN_OPCODE2NAME

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend.tflite_ops import MAPPERS
from tinydeploy.ir.graph import Graph, Op, QuantParams, Tensor

_TT = tflite.TensorType
_DTYPES = {_TT.FLOAT32: "float32", _TT.INT32: "int32", _TT.UINT8: "uint8",
           _TT.INT64: "int64", _TT.INT16: "int16", _TT.INT8: "int8"}
_TYPE_NAMES = {v: k for k, v in vars(_TT).items() if not k.startswith("_")}
_ACTS = {0: "none", 1: "relu", 2: "relu_n1_to_1", 3: "relu6"}
_OPTION_TYPES = {v: k for k, v in vars(tflite.BuiltinOptions).items() if not k.startswith("_")}
_EDGE_OPS = ("QUANTIZE", "DEQUANTIZE")
_EDGE_DTYPES = ("float32", "uint8")


def load_tflite(path: str | Path) -> Graph:
    """Read a .tflite file into an IR graph (validated)."""
    path = Path(path)
    try:
        buf = path.read_bytes()
    except OSError as e:
        raise TinyDeployError(f"cannot read model: {e.strerror or e}", file=str(path)) from e
    reader = _Reader(buf, str(path))
    g = reader.graph(_c_identifier(path.stem))
    try:
        g.validate()
    except AssertionError as e:
        raise TinyDeployError(f"inconsistent model graph: {e}", file=str(path)) from e
    return g


def _c_identifier(stem: str) -> str:
    s = re.sub(r"\W", "_", stem, flags=re.ASCII)
    return s if s and not s[0].isdigit() else f"m_{s}"


class _RawTensor:
    """A TFLite tensor with everything read out of the flatbuffer eagerly."""

    def __init__(self, t, model, buf: bytes):
        self.name = (t.Name() or b"").decode("utf-8", "replace")
        self.shape = tuple(int(s) for s in t.ShapeAsNumpy()) if not t.ShapeIsNone() else ()
        self.signature = (None if t.ShapeSignatureIsNone()
                          else tuple(int(s) for s in t.ShapeSignatureAsNumpy()))
        self.type = t.Type()
        self.variable = bool(t.IsVariable())
        self.sparse = t.Sparsity() is not None
        if t.Buffer() >= model.BuffersLength():
            raise ValueError(f"tensor {self.name!r} refers to buffer {t.Buffer()}")
        self.data = _buffer_bytes(model.Buffers(t.Buffer()), buf) if t.Buffer() else b""
        q = t.Quantization()
        self.scale = self.zero_point = None
        self.qdim = 0
        if q is not None and not q.ScaleIsNone() and q.ScaleLength() > 0:
            self.scale = q.ScaleAsNumpy().astype(np.float64)
            self.zero_point = (np.zeros(1, np.int64) if q.ZeroPointIsNone()
                               else q.ZeroPointAsNumpy().astype(np.int64))
            self.qdim = q.QuantizedDimension()


def _buffer_bytes(b, buf: bytes) -> bytes:
    if b.Offset() > 1:      # large models keep buffers after the flatbuffer
        end = b.Offset() + b.Size()
        if end > len(buf):
            raise ValueError(f"buffer [{b.Offset()}, {end}) beyond end of file")
        return buf[b.Offset():end]
    return b.DataAsNumpy().tobytes() if b.DataLength() else b""


def _opcode_name(oc) -> str:
    code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
    if code == tflite.BuiltinOperator.CUSTOM:
        return f"CUSTOM({(oc.CustomCode() or b'').decode('utf-8', 'replace')})"
    return BUILTIN_OPCODE2NAME.get(code, f"BUILTIN_{code}")


class _Reader:
    """Parses the flatbuffer up front, then converts ops one by one."""

    def __init__(self, buf: bytes, file: str):
        self.file = file
        if len(buf) < 8 or buf[4:8] != b"TFL3":
            raise TinyDeployError(f"not a TFLite model: file identifier {buf[4:8]!r} "
                                  "is not b'TFL3'", file=file)
        try:
            self._parse(buf)
        except TinyDeployError:
            raise
        except Exception as e:     # any accessor can trip over a damaged flatbuffer
            raise TinyDeployError(f"corrupt or truncated TFLite flatbuffer "
                                  f"({type(e).__name__}: {e})", file=file) from e

    def _parse(self, buf: bytes) -> None:
        m = tflite.Model.GetRootAs(buf, 0)
        if m.Version() != 3:
            raise UnsupportedError(f"TFLite schema version {m.Version()} (expected 3)",
                                   file=self.file)
        if m.SubgraphsLength() != 1:
            raise UnsupportedError(f"{m.SubgraphsLength()} subgraphs: only single-subgraph "
                                   "models are supported", file=self.file)
        codes = [_opcode_name(m.OperatorCodes(i)) for i in range(m.OperatorCodesLength())]
        sg = m.Subgraphs(0)
        self.tensors = [_RawTensor(sg.Tensors(i), m, buf) for i in range(sg.TensorsLength())]
        self.ops = []
        for i in range(sg.OperatorsLength()):
            op = sg.Operators(i)
            ins = [] if op.InputsIsNone() else [int(j) for j in op.InputsAsNumpy()]
            outs = [] if op.OutputsIsNone() else [int(j) for j in op.OutputsAsNumpy()]
            for j in ins + outs:
                if not -1 <= j < len(self.tensors):
                    raise ValueError(f"operator {i} refers to tensor {j}")
            self.ops.append((codes[op.OpcodeIndex()], ins, outs, op))
        self.inputs = [] if sg.InputsIsNone() else [int(j) for j in sg.InputsAsNumpy()]
        self.outputs = [] if sg.OutputsIsNone() else [int(j) for j in sg.OutputsAsNumpy()]
        if not all(0 <= j < len(self.tensors) for j in self.inputs + self.outputs):
            raise ValueError(f"graph inputs {self.inputs} / outputs {self.outputs} out of range")
        self.names = _unique_names([t.name for t in self.tensors])

    def graph(self, name: str) -> Graph:
        self.ir: dict[str, Tensor] = {}
        self.converted: dict[int, str] = {}
        self._check_quantized()
        ops: list[Op] = []
        for index, (opname, ins, outs, raw) in enumerate(self.ops):
            ctx = _OpContext(self, index, opname, ins, outs, raw)
            ops.extend(ctx.convert())
        edge = _OpContext(self, -1, "graph", self.inputs, self.outputs, None)
        inputs = [edge.tensor(j) for j in self.inputs if not self.tensors[j].data]
        outputs = [edge.tensor(j) for j in self.outputs]
        used = {n for op in ops for n in (*op.inputs, *op.outputs) if n} | set(inputs)
        tensors = {n: t for n, t in self.ir.items() if n in used or n in outputs}
        return Graph(name, tensors, ops, inputs, outputs, source=self.file,
                     meta={"format": "tflite"})

    def _check_quantized(self) -> None:
        """A float model is refused as a whole, before its first op complains."""
        acts = {j for _, ins, outs, _ in self.ops for j in ins + outs
                if j >= 0 and not self.tensors[j].data}
        if acts and all(self.tensors[j].type == _TT.FLOAT32 for j in acts):
            opname, ins, outs, raw = self.ops[0]
            _OpContext(self, 0, opname, ins, outs, raw).fail(
                "float model without quantization: quantize it first "
                "(full int8 quantization, e.g. TFLiteConverter with a representative dataset)")


def _unique_names(names: list[str]) -> list[str]:
    out, seen = [], set()
    for i, n in enumerate(names):
        n = n or f"tensor_{i}"
        cand = n
        while cand in seen:
            cand = f"{n}_{i}" if cand == n else cand + "_"
        seen.add(cand)
        out.append(cand)
    return out


class _OpContext:
    """One TFLite op being converted: tensor access, checks and error messages."""

    def __init__(self, r: _Reader, index: int, opname: str, ins, outs, raw):
        self.r, self.index, self.opname, self.ins, self.outs, self.raw = (
            r, index, opname, ins, outs, raw)
        self.name = f"{index}_{opname}"

    def fail(self, reason: str, unsupported: bool = True):
        cls = UnsupportedError if unsupported else TinyDeployError
        if self.index < 0:
            raise cls(f"graph inputs/outputs: {reason}", file=self.r.file)
        out = self.r.names[self.outs[0]] if self.outs and self.outs[0] >= 0 else "?"
        raise cls(f"output '{out}': {reason}", file=self.r.file, node=self.name)

    def convert(self) -> list[Op]:
        mapper = MAPPERS.get(self.opname)
        if mapper is None:
            self.fail(f"unsupported operator {self.opname}")
        if not self.outs:
            self.fail("operator without outputs", unsupported=False)
        self._check_dtypes()
        try:
            return mapper(self)
        except struct.error as e:
            self.fail(f"corrupt operator options ({e})", unsupported=False)

    def _check_dtypes(self) -> None:
        """int8 activations; float32/uint8 only as graph edges of QUANTIZE/DEQUANTIZE."""
        for pos, j in [("in", j) for j in self.ins] + [("out", j) for j in self.outs]:
            if j < 0 or self.r.tensors[j].data:
                continue
            t = self.r.tensors[j]
            dtype = _DTYPES.get(t.type, _TYPE_NAMES.get(t.type, str(t.type)).lower())
            if dtype == "int8":
                continue
            edge = self.r.inputs if pos == "in" else self.r.outputs
            if dtype in _EDGE_DTYPES and self.opname in _EDGE_OPS and j in edge:
                continue
            where = "input" if pos == "in" else "output"
            if dtype in _EDGE_DTYPES:
                self.fail(f"{dtype} activation '{self.r.names[j]}' inside the network: "
                          f"{dtype} is only supported at graph inputs/outputs, converted by "
                          f"QUANTIZE/DEQUANTIZE (here: {self.opname} {where})")
            self.fail(f"{dtype} activation '{self.r.names[j]}' is not supported (int8 only)")

    # -- tensors --------------------------------------------------------------------

    def tensor(self, j: int) -> str:
        """IR name of TFLite tensor ``j`` (converted on first use); "" for -1."""
        if j < 0:
            return ""
        if j not in self.r.converted:
            self.r.ir[self.r.names[j]] = self._convert_tensor(j)
            self.r.converted[j] = self.r.names[j]
        return self.r.converted[j]

    def _convert_tensor(self, j: int) -> Tensor:
        t, name = self.r.tensors[j], self.r.names[j]
        dtype = _DTYPES.get(t.type)
        if dtype is None:
            self.fail(f"tensor '{name}' has unsupported type "
                      f"{_TYPE_NAMES.get(t.type, t.type)}")
        if t.variable or t.sparse:
            self.fail(f"tensor '{name}' is {'variable' if t.variable else 'sparse'}")
        sig = t.signature or t.shape
        batch_ok = len(sig) >= 2 and sig[0] == -1     # dynamic batch: take the stored size
        if (any(s <= 0 for s in t.shape) or len(sig) != len(t.shape)
                or any(s < 0 for s in sig[int(batch_ok):])):
            self.fail(f"tensor '{name}' has a dynamic or empty shape {list(t.shape)} "
                      f"(signature {list(sig)}): only static shapes are supported")
        data = None
        if t.data:
            need = int(np.prod(t.shape, dtype=np.int64)) * np.dtype(dtype).itemsize
            if len(t.data) != need:
                self.fail(f"tensor '{name}': buffer holds {len(t.data)} bytes, {dtype} "
                          f"shape {list(t.shape)} needs {need}", unsupported=False)
            data = np.frombuffer(t.data, dtype=dtype).reshape(t.shape).copy()
        quant = None
        if t.scale is not None:
            if t.zero_point.size not in (1, t.scale.size):
                self.fail(f"tensor '{name}': {t.scale.size} scales but "
                          f"{t.zero_point.size} zero points", unsupported=False)
            quant = QuantParams.make(t.scale, t.zero_point, t.qdim)
        elif dtype in ("int8", "int16", "uint8") and data is None:
            self.fail(f"{dtype} tensor '{name}' has no quantization parameters")
        return Tensor(name, t.shape, dtype, quant, data)

    def i(self, n: int) -> str:
        return self.tensor(self.ins[n]) if n < len(self.ins) else ""

    def o(self, n: int = 0) -> str:
        return self.tensor(self.outs[n])

    def t(self, name: str) -> Tensor:
        return self.r.ir[name]

    def put(self, t: Tensor) -> str:
        self.r.ir[t.name] = t
        return t.name

    def new_tensor(self, hint: str, like: Tensor, shape) -> str:
        name = hint
        while name in self.r.ir or name in self.r.names:
            name += "_"
        return self.put(Tensor(name, tuple(shape), like.dtype, like.quant))

    def const(self, n: int) -> np.ndarray:
        name = self.i(n)
        if not name or not self.t(name).is_const:
            self.fail(f"input {n} must be a constant tensor")
        return self.t(name).data

    def weights(self, n: int, dtype: str) -> Tensor:
        w = self.t(self.i(n)) if self.i(n) else None
        if w is None or not w.is_const:
            self.fail(f"input {n} ({'weights' if n == 1 else 'bias'}) must be constant")
        if w.dtype != dtype:
            self.fail(f"{w.dtype} {'weights' if n == 1 else 'bias'} '{w.name}' "
                      f"(only {dtype} is supported)")
        return w

    def options(self, cls: type, required: bool = True):
        """The op's builtin options table; None when absent and not ``required``."""
        if not required and self.raw.BuiltinOptionsType() == tflite.BuiltinOptions.NONE:
            return None
        if self.raw.BuiltinOptionsType() != getattr(tflite.BuiltinOptions, cls.__name__):
            got = _OPTION_TYPES.get(self.raw.BuiltinOptionsType(), "?")
            self.fail(f"expected {cls.__name__}, found {got}", unsupported=False)
        table = self.raw.BuiltinOptions()
        opts = cls()
        opts.Init(table.Bytes, table.Pos)
        return opts

    def act(self, code: int) -> str:
        if code not in _ACTS:
            self.fail(f"unsupported fused activation {code}")
        return _ACTS[code]

    def op(self, kind: str, inputs, outputs=None, suffix: str = "", **attrs) -> Op:
        name = self.name + (f"_{suffix}" if suffix else "")
        return Op(kind, name, tuple(inputs), tuple(outputs or (self.o(),)), attrs)
