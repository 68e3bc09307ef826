"""The one reader of .tflite files, shared by the int8 frontend and the float quantizer.

:func:`read_tflite` parses and validates the flatbuffer once: tensors (with their buffer
bytes and quantization), operator codes, operators and the subgraph's inputs/outputs are
read eagerly (each operator's builtin options table too), so damage to the flatbuffer
surfaces here, in one place, as "corrupt or truncated" with the file named, whichever
loader asked; indices (operator codes, tensors, buffers, subgraph inputs/outputs) are
checked here as well. Tensor names are made unique
(:attr:`TFLiteModel.names`) because both loaders use them as IR tensor names.

What a tensor *means* (int8 with quantization, or float data) is the loader's business;
what an operator's options mean is not: :class:`OpReader` decodes them (options tables,
fused activation, SAME/VALID padding to explicit pads, strides, dilation) and formats
errors the same way for both loaders (file, node ``<index>_<OPNAME>``, output tensor,
reason). The per-operator contexts of both loaders derive from it.
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import NoReturn

import numpy as np
import tflite
from flatbuffers import flexbuffers
from tflite.utils import BUILTIN_OPCODE2NAME

from tinydeploy.errors import TinyDeployError, UnsupportedError

TT = tflite.TensorType
TYPE_NAMES: dict[int, str] = {v: k.lower() for k, v in vars(TT).items()
                              if not k.startswith("_")}
ACTIVATIONS = {0: "none", 1: "relu", 2: "relu_n1_to_1", 3: "relu6"}
_OPTION_TYPES = {v: k for k, v in vars(tflite.BuiltinOptions).items() if not k.startswith("_")}


def type_name(code: int) -> str:
    """Lower-case name of a TFLite tensor type code ("int8", "float16", ...)."""
    return TYPE_NAMES.get(code, str(code))


def c_identifier(stem: str) -> str:
    """A C identifier made of a file stem (the graph name both loaders give)."""
    s = re.sub(r"\W", "_", stem, flags=re.ASCII)
    return s if s and not s[0].isdigit() else f"m_{s}"


class RawTensor:
    """A TFLite tensor with everything read out of the flatbuffer eagerly (no conversion)."""

    def __init__(self, t, model, buf: bytes):
        self.name = (t.Name() or b"").decode("utf-8", "replace")
        self.shape = tuple(int(s) for s in t.ShapeAsNumpy()) if not t.ShapeIsNone() else ()
        self.signature = (None if t.ShapeSignatureIsNone()
                          else tuple(int(s) for s in t.ShapeSignatureAsNumpy()))
        self.type = t.Type()
        self.variable = bool(t.IsVariable())
        self.sparse = t.Sparsity() is not None
        if t.Buffer() >= model.BuffersLength():
            raise TinyDeployError(f"invalid TFLite model: tensor '{self.name}' refers to "
                                  f"buffer {t.Buffer()}, the model has "
                                  f"{model.BuffersLength()} buffers")
        self.data = _buffer_bytes(model.Buffers(t.Buffer()), buf) if t.Buffer() else b""
        q = t.Quantization()
        self.scale = self.zero_point = None
        self.qdim = 0
        if q is not None and not q.ScaleIsNone() and q.ScaleLength() > 0:
            with np.errstate(invalid="ignore"):      # a signaling NaN: IR validation
                self.scale = q.ScaleAsNumpy().astype(np.float64)
            self.zero_point = (np.zeros(1, np.int64) if q.ZeroPointIsNone()
                               else q.ZeroPointAsNumpy().astype(np.int64))
            self.qdim = q.QuantizedDimension()


def _buffer_bytes(b, buf: bytes) -> bytes:
    if b.Offset() > 1:      # large models keep buffers after the flatbuffer
        end = b.Offset() + b.Size()
        if end > len(buf):
            raise TinyDeployError(f"invalid TFLite model: buffer bytes [{b.Offset()}, {end}) "
                                  f"beyond the end of the file ({len(buf)} bytes)")
        return buf[b.Offset():end]
    return b.DataAsNumpy().tobytes() if b.DataLength() else b""


def _printable(raw: bytes, limit: int = 64) -> str:
    """A name from the file as one short line: printable ASCII kept, other bytes as
    ``\\xNN``, cut at ``limit`` characters (a damaged length can make it the whole file)."""
    s = "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02x}" for b in raw)
    return s if len(s) <= limit else s[:limit] + "..."


def _opcode_name(oc) -> str:
    code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
    if code == tflite.BuiltinOperator.CUSTOM:
        return f"CUSTOM({_printable(oc.CustomCode() or b'')})"
    return BUILTIN_OPCODE2NAME.get(code, f"BUILTIN_{code}")


@functools.cache
def _accessors(cls: type) -> tuple[str, ...]:
    """The argument-less field accessors of a generated options table class."""
    return tuple(name for name, fn in vars(cls).items()
                 if inspect.isfunction(fn) and not name.startswith("_") and name != "Init"
                 and len(inspect.signature(fn).parameters) == 1)


def _read_options(op) -> tuple[int, dict | None]:
    """(builtin options type, every field of the options table read out) of an
    operator; None for the fields when the table is absent or of an unknown type."""
    kind = op.BuiltinOptionsType()
    name = _OPTION_TYPES.get(kind)
    table = op.BuiltinOptions()
    if name is None or table is None or not hasattr(tflite, name):
        return kind, None
    cls = getattr(tflite, name)
    opts = cls()
    opts.Init(table.Bytes, table.Pos)
    return kind, {a: getattr(opts, a)() for a in _accessors(cls)}


@dataclass(frozen=True)
class RawOp:
    """One operator: builtin name, TFLite tensor indices (-1: absent) and its builtin
    options (type code, and the table's fields by accessor name, read eagerly)."""

    index: int
    opname: str
    inputs: list[int]
    outputs: list[int]
    options_type: int = 0
    options: dict | None = None
    custom: bytes = b""          # a custom op's options (flexbuffer bytes, TFLM's format)

    @property
    def node(self) -> str:
        """How IR op names and error messages name this operator."""
        return f"{self.index}_{self.opname}"


class TFLiteModel:
    """A validated single-subgraph schema-v3 TFLite model, read eagerly."""

    def __init__(self, buf: bytes, file: str):
        self.file = file
        if len(buf) < 8 or buf[4:8] != b"TFL3":
            raise TinyDeployError(f"not a TFLite model: file identifier {buf[4:8]!r} "
                                  "is not b'TFL3'", file=file)
        try:
            self._parse(buf)
        except TinyDeployError as e:
            raise e.with_file(file)
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
        self.tensors = [RawTensor(sg.Tensors(i), m, buf) for i in range(sg.TensorsLength())]
        self.names = _unique_names([t.name for t in self.tensors])
        self.ops: list[RawOp] = []
        for i in range(sg.OperatorsLength()):
            op = sg.Operators(i)
            ins = [] if op.InputsIsNone() else [int(j) for j in op.InputsAsNumpy()]
            outs = [] if op.OutputsIsNone() else [int(j) for j in op.OutputsAsNumpy()]
            code = op.OpcodeIndex()
            if code >= len(codes):
                self._corrupt(f"operator {i} has operator code index {code}, the model "
                              f"has {len(codes)} operator codes")
            for j in ins + outs:
                if not -1 <= j < len(self.tensors):
                    self._corrupt(f"operator {i} ({codes[code]}) refers to tensor {j}, the "
                                  f"model has {len(self.tensors)} tensors")
            if -1 in outs:
                self._corrupt(f"operator {i} ({codes[code]}) has an absent (-1) output")
            custom = op.CustomOptionsAsNumpy().tobytes() if op.CustomOptionsLength() else b""
            self.ops.append(RawOp(i, codes[code], ins, outs, *_read_options(op), custom))
        self.inputs = [] if sg.InputsIsNone() else [int(j) for j in sg.InputsAsNumpy()]
        self.outputs = [] if sg.OutputsIsNone() else [int(j) for j in sg.OutputsAsNumpy()]
        for what, idx in (("input", self.inputs), ("output", self.outputs)):
            for j in idx:
                if not 0 <= j < len(self.tensors):
                    self._corrupt(f"graph {what} refers to tensor {j}, the model has "
                                  f"{len(self.tensors)} tensors")
        if not self.outputs:
            self._corrupt("the subgraph has no outputs")

    def _corrupt(self, reason: str) -> NoReturn:
        raise TinyDeployError(f"invalid TFLite model: {reason}", file=self.file)

    def edges(self) -> RawOp:
        """The graph inputs/outputs as a pseudo-operator (errors say "graph inputs/outputs")."""
        return RawOp(-1, "graph", self.inputs, self.outputs)


def read_tflite(path: str | Path) -> TFLiteModel:
    """Read and validate a .tflite file; a TinyDeployError naming the file if it is bad."""
    path = Path(path)
    try:
        buf = path.read_bytes()
    except OSError as e:
        raise TinyDeployError(f"cannot read model: {e.strerror or e}", file=str(path)) from e
    return TFLiteModel(buf, str(path))


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


class OpReader:
    """One operator as every loader sees it: identity, error messages, decoded options."""

    def __init__(self, model: TFLiteModel, op: RawOp):
        self.model, self.op = model, op
        self.index, self.opname, self.ins, self.outs = op.index, op.opname, op.inputs, op.outputs
        self.name = op.node

    def fail(self, reason: str, unsupported: bool = True) -> NoReturn:
        """Raise an error naming the file, this node and its first output tensor."""
        cls = UnsupportedError if unsupported else TinyDeployError
        if self.index < 0:
            raise cls(f"graph inputs/outputs: {reason}", file=self.model.file)
        out = self.model.names[self.outs[0]] if self.outs and self.outs[0] >= 0 else "?"
        raise cls(f"output '{out}': {reason}", file=self.model.file, node=self.name)

    def options(self, cls: type, required: bool = True):
        """The op's builtin options (the table's accessors, answering the values read at
        parse time); None when absent and not ``required``."""
        kind = self.op.options_type
        if not required and kind == tflite.BuiltinOptions.NONE:
            return None
        if kind != getattr(tflite.BuiltinOptions, cls.__name__):
            got = _OPTION_TYPES.get(kind, "?")
            self.fail(f"expected {cls.__name__}, found {got}", unsupported=False)
        if self.op.options is None:
            self.fail(f"{cls.__name__} table missing", unsupported=False)
        return SimpleNamespace(**{k: (lambda v=v: v) for k, v in self.op.options.items()})

    def custom_options(self) -> dict:
        """A custom op's flexbuffer options as a dict (TFLM's signal ops read them by
        key order); {} when absent; damage is an error naming the op."""
        if not self.op.custom:
            return {}
        try:
            opts = flexbuffers.Loads(self.op.custom)
        except Exception as e:          # any decoder step can trip over damaged bytes
            self.fail(f"corrupt custom options ({type(e).__name__}: {e})", unsupported=False)
        if not isinstance(opts, dict):
            self.fail("custom options are not a flexbuffer map", unsupported=False)
        return opts

    def custom_int(self, opts: dict, key: str, lo: int = -2**31, hi: int = 2**31 - 1) -> int:
        """An integer custom option in [lo, hi] (an error naming the op otherwise)."""
        v = opts.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            self.fail(f"custom option '{key}' = {v!r}: an integer in [{lo}, {hi}] expected",
                      unsupported=False)
        return int(v)

    def act(self, code: int) -> str:
        """IR name of a fused activation function code."""
        if code not in ACTIVATIONS:
            self.fail(f"unsupported fused activation {code}")
        return ACTIVATIONS[code]

    def fused_act(self, opts) -> str:
        """The options' fused activation; "none" when the options are absent."""
        return "none" if opts is None else self.act(opts.FusedActivationFunction())

    def conv_geometry(self, opts, kernel) -> dict:
        """stride, dilation and explicit pads of a Conv2D/DepthwiseConv2D options table."""
        stride = (opts.StrideH(), opts.StrideW())
        dil = (opts.DilationHFactor(), opts.DilationWFactor())
        pads = self.explicit_pads(opts.Padding(), kernel, stride, dil)
        return {"stride": stride, "dilation": dil, "pads": pads}

    def pool_geometry(self, opts) -> dict:
        """kernel, stride and explicit pads of a Pool2DOptions table."""
        kernel, stride = (opts.FilterHeight(), opts.FilterWidth()), (opts.StrideH(),
                                                                      opts.StrideW())
        pads = self.explicit_pads(opts.Padding(), kernel, stride, (1, 1))
        return {"kernel": kernel, "stride": stride, "pads": pads}

    def explicit_pads(self, padding: int, kernel, stride, dilation
                      ) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) for SAME/VALID, as TFLite computes them; checks the
        output size: ``total = max((out-1)*stride + (k-1)*dilation + 1 - in, 0)``, the odd
        pixel at the bottom/right."""
        x = self.model.tensors[self.ins[0]].shape
        y = self.model.tensors[self.outs[0]].shape
        if len(x) != 4 or len(y) != 4:
            self.fail(f"expected 4-D NHWC input/output, got {list(x)} -> {list(y)}")
        if min(*stride, *dilation, *kernel) < 1:
            self.fail(f"invalid stride {stride}, dilation {dilation} or kernel {kernel}",
                      unsupported=False)
        if padding not in (tflite.Padding.SAME, tflite.Padding.VALID):
            self.fail(f"unknown padding {padding} (SAME or VALID)", unsupported=False)
        pads = []
        for i in range(2):
            size, k, s, d = x[i + 1], kernel[i], stride[i], dilation[i]
            eff = (k - 1) * d + 1
            out = -(-size // s) if padding == tflite.Padding.SAME else (size - eff + s) // s
            if out != y[i + 1]:
                self.fail(f"output size {y[i + 1]} != {out} computed from the padding, "
                          "stride and kernel", unsupported=False)
            total = max((out - 1) * s + eff - size, 0)
            pads.append((total // 2, total - total // 2))
        return pads[0][0], pads[1][0], pads[0][1], pads[1][1]
