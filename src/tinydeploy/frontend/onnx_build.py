"""IR construction state of the ONNX importer: values, layouts, names and constants.

The importer walks the ONNX nodes once. Every ONNX tensor that carries quantized data,
whether an int8/uint8 tensor (QOperator form) or a float tensor that is just a
``DequantizeLinear`` of one (QDQ form), maps to a :class:`Value`: an int8 IR tensor plus
how its axes relate to the ONNX tensor. The network body is int8; uint8 ONNX tensors
become int8 with ``zero_point - 128`` (``x_i8 = x_u8 - 128``). ONNX INT4/INT2 (and
unsigned) tensors are imported as int8 values and get their packed IR dtype at the end
(``onnx_graph.finalize``); quantized weights keep theirs in :attr:`QConst.dtype`.

Layout: ONNX is NCHW, the IR is NHWC. A 4-D value may live in the IR as the NHWC
transpose of its ONNX tensor (``nhwc=True``); :meth:`Builder.as_nhwc` and
:meth:`Builder.as_onnx` insert the transposes lazily and only once per tensor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ml_dtypes
import numpy as np
import onnx

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend.onnx_ops import NCHW_TO_NHWC, NHWC_TO_NCHW, same_bytes
from tinydeploy.frontend.onnx_facts import check_shape, node_error, node_label
from tinydeploy.ir.graph import Op, QuantParams, Tensor

QDTYPES = {np.dtype(np.int8): "int8", np.dtype(np.uint8): "uint8"}
# ONNX INT4/UINT4/INT2/UINT2 (opset 21/25) arrive as ml_dtypes arrays; imported as int8
# values first, the IR tensors get the packed dtype once the graph is built.
SUBBYTE_NP = {np.dtype(getattr(ml_dtypes, d)): d for d in ("int4", "uint4", "int2", "uint2")}
QDTYPES.update(SUBBYTE_NP)
# Scales a file may give: products and ratios of three stay normal float32/float64 numbers
# (bias scale = float32(x scale * weight scale); multiplier = in * w / out).
SCALE_RANGE = (2.0**-60, 2.0**60)


@dataclass(frozen=True)
class Value:
    """An ONNX tensor as an int8 IR tensor (``ir``); ``nhwc``: IR is the NHWC transpose."""

    ir: str
    nhwc: bool = False


@dataclass(frozen=True, eq=False)
class QConst:
    """A quantized constant in ONNX layout: int8 (uint8 shifted) or int32 data."""

    data: np.ndarray
    scale: np.ndarray          # float32, 1-D
    zp: np.ndarray             # int64, 1-D (already shifted for uint8 data)
    axis: int | None = None    # per-channel axis of ``data``
    dtype: str = ""            # storage of ``data`` when sub-byte ("int4", "int2")

    def quant(self, axis: int | None = None) -> QuantParams:
        ax = self.axis if axis is None else axis
        return QuantParams.make(self.scale.astype(np.float64), self.zp, ax)

    def real(self) -> np.ndarray:
        """Dequantized float64 values (the constant's meaning)."""
        shape = [1] * self.data.ndim
        if self.axis is not None and self.scale.size > 1:
            shape[self.axis] = -1
        s = self.scale.astype(np.float64).reshape(shape if self.scale.size > 1 else [])
        z = self.zp.reshape(shape if self.zp.size > 1 else [])
        return s * (self.data.astype(np.float64) - z)


def same_quant(a: QuantParams | None, b: QuantParams | None) -> bool:
    return (a is not None and b is not None and np.array_equal(a.scale, b.scale)
            and np.array_equal(a.zero_point, b.zero_point))


@dataclass
class Builder:
    """Everything the node handlers share while one model is imported."""

    path: str
    opset: int
    tensors: dict[str, Tensor] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    vals: dict[str, Value] = field(default_factory=dict)       # ONNX name -> Value
    consts: dict[str, np.ndarray] = field(default_factory=dict)   # plain constants
    qconsts: dict[str, QConst] = field(default_factory=dict)      # DQ of constants
    float_inputs: set[str] = field(default_factory=set)            # float graph inputs
    types: dict[str, int] = field(default_factory=dict)         # ONNX elem types known
    consumers: dict[str, list[onnx.NodeProto]] = field(default_factory=dict)
    graph_outputs: set[str] = field(default_factory=set)
    done: set[int] = field(default_factory=set)                 # id() of consumed nodes
    notes: list[str] = field(default_factory=list)
    subbyte: dict[str, str] = field(default_factory=dict)      # ONNX activation -> dtype
    node: onnx.NodeProto | None = None
    _op_names: set[str] = field(default_factory=set)
    _layout: dict[tuple[str, bool], str] = field(default_factory=dict)

    # -- errors ---------------------------------------------------------------------------
    def error(self, reason: str, cls: type = UnsupportedError) -> TinyDeployError:
        """An error naming the file and the node being imported (raise it)."""
        return node_error(self.path, self.node, reason, cls)

    # -- tensors and ops ------------------------------------------------------------------
    def unique(self, base: str) -> str:
        name, i = base, 1
        while name in self.tensors:
            name, i = f"{base}_{i}", i + 1
        return name

    def add_tensor(self, base: str, shape, dtype: str, quant: QuantParams | None = None,
                   data: np.ndarray | None = None) -> str:
        name = self.unique(base)
        shape = check_shape(shape, self.path, self.node, f"tensor '{name}'")
        self.tensors[name] = Tensor(name, shape, dtype, quant, data)
        return name

    def act(self, base: str, shape, quant: QuantParams, dtype: str = "int8") -> str:
        return self.add_tensor(base, shape, dtype, quant)

    def const(self, base: str, data: np.ndarray, quant: QuantParams | None = None,
              dtype: str = "") -> str:
        data = np.ascontiguousarray(data)
        return self.add_tensor(base, data.shape, dtype or str(data.dtype), quant, data)

    def add_op(self, kind: str, inputs, outputs, op_name: str | None = None, **attrs) -> Op:
        base = op_name or (node_label(self.node) if self.node is not None else kind)
        name, i = base, 1
        while name in self._op_names:
            name, i = f"{base}_{i}", i + 1
        self._op_names.add(name)
        op = Op(kind, name, tuple(inputs), tuple(outputs), attrs)
        self.ops.append(op)
        return op

    def t(self, name: str) -> Tensor:
        return self.tensors[name]

    def quant(self, v: Value | str) -> QuantParams:
        return self.tensors[v.ir if isinstance(v, Value) else v].quant

    # -- values ---------------------------------------------------------------------------
    def val(self, name: str) -> Value:
        """The Value of ONNX tensor ``name``; an error if it carries no quantized data."""
        if name in self.vals:
            return self.vals[name]
        what = "a float graph input" if name in self.float_inputs else \
            "a constant" if name in self.consts or name in self.qconsts else "float"
        raise self.error(f"input '{name}' is not quantized ({what}); tinydeploy needs "
                         "int8 tensors or QuantizeLinear/DequantizeLinear around float ops")

    def onnx_shape(self, v: Value) -> tuple[int, ...]:
        s = self.tensors[v.ir].shape
        return tuple(s[p] for p in NHWC_TO_NCHW) if v.nhwc else s

    def as_nhwc(self, v: Value) -> str:
        """IR tensor of ``v`` in NHWC (v must be 4-D)."""
        if v.nhwc:
            return v.ir
        if len(self.tensors[v.ir].shape) != 4:
            raise self.error(f"expected a 4-D NCHW tensor, got shape "
                             f"{list(self.tensors[v.ir].shape)}")
        return self.permute(v.ir, NCHW_TO_NHWC, "nhwc")

    def as_onnx(self, v: Value) -> str:
        """IR tensor of ``v`` in ONNX axis order."""
        return self.permute(v.ir, NHWC_TO_NCHW, "nchw") if v.nhwc else v.ir

    def permute(self, ir: str, perm: tuple[int, ...], suffix: str) -> str:
        """Transpose (or, when no byte moves, reshape) ``ir``; cached per (tensor, perm)."""
        key = (ir, perm)
        if key in self._layout:
            return self._layout[key]
        t = self.tensors[ir]
        shape = tuple(t.shape[p] for p in perm)
        out = self.add_tensor(f"{ir}_{suffix}", shape, t.dtype, t.quant)
        if same_bytes(t.shape, perm):
            self.add_op("reshape", [ir], [out], op_name=out)
        else:
            self.add_op("transpose", [ir], [out], op_name=out, perm=tuple(perm))
        self._layout[key] = out
        return out

    def reshape(self, ir: str, shape, base: str | None = None) -> str:
        t = self.tensors[ir]
        if tuple(shape) == t.shape:
            return ir
        out = self.add_tensor(base or f"{ir}_r", shape, t.dtype, t.quant)
        self.add_op("reshape", [ir], [out], op_name=out)
        return out

    def requantize(self, ir: str, q: QuantParams, base: str | None = None) -> str:
        """``ir`` re-expressed with quantization ``q`` (itself when already so)."""
        t = self.tensors[ir]
        if same_quant(t.quant, q):
            return ir
        out = self.act(base or f"{ir}_rq", t.shape, q)
        self.add_op("quantize", [ir], [out], op_name=out)
        return out

    # -- quantization parameters ----------------------------------------------------------
    def const_of(self, name: str, what: str) -> np.ndarray:
        if name not in self.consts:
            raise self.error(f"{what} '{name}' must be a constant")
        return self.consts[name]

    def scale_zp(self, scale: str, zp: str | None, default_dtype: str = "uint8",
                 int32_ok: bool = False) -> tuple[np.ndarray, np.ndarray, str]:
        """(float32 scales, int64 zero points, "int8"|"uint8") of a scale/zp input pair."""
        s = self.const_of(scale, "scale")
        if s.dtype != np.float32:
            raise self.error(f"scale '{scale}' has unsupported dtype {s.dtype} "
                             "(expected float32)")
        if s.ndim > 1 or s.size == 0:
            raise self.error(f"scale '{scale}' has shape {list(s.shape)} (expected a scalar "
                             "or a 1-D tensor)")
        bad = s[~((s >= SCALE_RANGE[0]) & (s <= SCALE_RANGE[1]))]   # NaN fails both
        if bad.size:
            raise self.error(f"scale '{scale}' is {bad[0]:g}: scales must be finite, "
                             "positive numbers in [2**-60, 2**60]", TinyDeployError)
        if zp:
            z = self.const_of(zp, "zero point")
            dtype = "int32" if int32_ok and z.dtype == np.int32 else QDTYPES.get(z.dtype)
            if dtype is None:
                raise self.error(f"unsupported quantized dtype {z.dtype} (zero point "
                                 f"'{zp}'); tinydeploy supports int8 and uint8")
            if z.size not in (1, s.size):
                raise self.error(f"zero point '{zp}' has {z.size} values for {s.size} "
                                 f"scales ('{scale}')", TinyDeployError)
        else:
            z, dtype = np.zeros(s.shape, np.int64), default_dtype
        return s.reshape(-1), z.astype(np.int64).reshape(-1), dtype

    def act_quant(self, scale: str, zp: str | None, default_dtype: str = "uint8"
                  ) -> QuantParams:
        """IR (int8) quantization of an activation given by a scale/zp input pair."""
        s, z, dtype = self.scale_zp(scale, zp, default_dtype)
        if s.size != 1 or z.size != 1:
            raise self.error("per-channel quantized activations are not supported")
        shift = 128 if dtype == "uint8" else 0
        return QuantParams.make(np.float64(s[0]), int(z[0]) - shift)

    def qconst(self, data_name: str, scale: str, zp: str | None, axis: int | None,
               default_dtype: str = "uint8") -> QConst:
        """A quantized constant from an integer initializer and its scale/zp inputs."""
        data = self.const_of(data_name, "quantized data")
        s, z, _ = self.scale_zp(scale, zp, default_dtype, data.dtype == np.int32)
        sub = SUBBYTE_NP.get(data.dtype, "")
        if sub:
            if sub.startswith("u"):
                raise self.error(f"unsigned sub-byte constant '{data_name}' ({sub}) is not "
                                 "supported; weights must be signed and symmetric")
            data = data.astype(np.int8)
        if data.dtype == np.uint8:
            data = (data.astype(np.int16) - 128).astype(np.int8)
            z = z - 128
        elif data.dtype not in (np.int8, np.int32):
            raise self.error(f"unsupported quantized dtype {data.dtype} (constant "
                             f"'{data_name}'); tinydeploy supports int8, uint8, int32")
        if s.size > 1:
            if axis is not None and not -data.ndim <= axis < data.ndim:
                raise self.error(f"axis {axis} is out of range for '{data_name}' of shape "
                                 f"{list(data.shape)}", TinyDeployError)
            axis = axis + data.ndim if axis is not None and axis < 0 else axis
            if axis is None or data.shape[axis] != s.size:
                raise self.error(f"'{data_name}' {list(data.shape)}: {s.size} scales do not "
                                 f"match axis {axis}")
        return QConst(data, s, z, axis if s.size > 1 else None, sub)
