"""Typed dataflow graph with static shapes, dtypes and quantization.

Conventions (all frontends must produce these):
- Activations are NHWC (batch first, channels last). 1-D convolutions are H=1.
- Conv weights are OHWI ``[C_out, KH, KW, C_in]``; depthwise weights ``[KH, KW, C_out]``
  (C_out = C_in * depth_multiplier); fully-connected weights ``[C_out, C_in]``.
- Quantization: ``real = scale * (q - zero_point)``. Per-channel params carry ``axis``.
- Constant tensors carry ``data`` (a numpy array of the tensor's dtype); activations don't.
- Packed sub-byte integers (``int4``, ``uint4``, ``int2``, ``uint2``; see
  :mod:`tinydeploy.quant.packing` for the bit order): numpy values (``data``, golden
  results) are unpacked, one value per ``int8``/``uint8`` element (:attr:`Tensor.np_dtype`);
  C storage is packed, so :attr:`Tensor.nbytes` counts packed bytes.
- Tensors are identified by a unique name. Ops list tensor names, in the op kind's
  positional order (see :mod:`tinydeploy.ir.ops`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tinydeploy.errors import TinyDeployError, UnsupportedError

DTYPES = ("int8", "uint8", "int16", "int32", "int64", "float32", "int4", "uint4", "int2", "uint2",
          "uint32", "uint64")      # uint32/uint64: TFLM signal ops (audio front end)
# Packed sub-byte dtypes: (bits per element, numpy dtype of their unpacked values).
SUBBYTE_DTYPES = {"int4": (4, "int8"), "uint4": (4, "uint8"),
                  "int2": (2, "int8"), "uint2": (2, "uint8")}
# Value range of each integer dtype (zero points must lie in it).
INT_RANGES = {"int8": (-2**7, 2**7 - 1), "uint8": (0, 2**8 - 1), "int16": (-2**15, 2**15 - 1),
              "int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1),
              "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1),
              "int4": (-8, 7), "uint4": (0, 15), "int2": (-2, 1), "uint2": (0, 3)}
# The C code indexes tensors and sizes the arena with int32_t: no tensor may hold more
# elements or bytes than this.
MAX_TENSOR_BYTES = 2**31 - 1


@dataclass(frozen=True, eq=False)
class QuantParams:
    """Affine quantization: ``real = scale * (q - zero_point)``.

    ``scale`` and ``zero_point`` are 1-D arrays: length 1 for per-tensor, or the size of
    dimension ``axis`` for per-channel. Scales are kept as float64 copies of what the
    model file stores (float32 in TFLite/ONNX) so integer parameters derive identically.
    """

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int | None = None

    @staticmethod
    def make(scale, zero_point, axis: int | None = None) -> "QuantParams":
        s = np.atleast_1d(np.asarray(scale, dtype=np.float64))
        z = np.atleast_1d(np.asarray(zero_point, dtype=np.int64))
        if z.size == 1 and s.size > 1:
            z = np.repeat(z, s.size)
        return QuantParams(s, z, axis if s.size > 1 else None)

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1

    @property
    def s(self) -> float:
        """The per-tensor scale (error if per-channel)."""
        if self.scale.size != 1:
            raise UnsupportedError(f"{self.scale.size} per-channel scales where one "
                                   "per-tensor scale is needed")
        return float(self.scale[0])

    @property
    def zp(self) -> int:
        if self.zero_point.size != 1 and np.any(self.zero_point != self.zero_point[0]):
            raise UnsupportedError(f"{self.zero_point.size} different per-channel zero "
                                   "points where one per-tensor zero point is needed")
        return int(self.zero_point[0])

    def problem(self, dtype: str, shape: tuple[int, ...]) -> str | None:
        """Why these parameters cannot quantize a ``dtype`` tensor of ``shape`` (None if
        they can): scales finite and positive, zero points in the dtype's range, one
        zero point per scale, per-channel lists as long as their axis."""
        s, z = np.asarray(self.scale), np.asarray(self.zero_point)
        if s.ndim != 1 or s.size == 0:
            return "no scale"
        if not np.all(np.isfinite(s)) or not np.all(s > 0):
            bad = s[~(np.isfinite(s) & (s > 0))][0]
            return f"scale {float(bad)!r} is not a finite positive number"
        if z.ndim != 1 or z.size != s.size:
            return f"{z.size} zero points for {s.size} scales"
        lo, hi = INT_RANGES.get(dtype, INT_RANGES["int32"])
        if z.size and (int(z.min()) < lo or int(z.max()) > hi):
            bad = int(z.min()) if int(z.min()) < lo else int(z.max())
            return f"zero point {bad} outside the {dtype} range [{lo}, {hi}]"
        if s.size > 1:
            if self.axis is None or not 0 <= self.axis < len(shape):
                return f"{s.size} per-channel scales on axis {self.axis} of a " \
                       f"{len(shape)}-D tensor"
            if shape[self.axis] != s.size:
                return f"{s.size} per-channel scales for {shape[self.axis]} channels on " \
                       f"axis {self.axis}"
        return None


@dataclass(frozen=True, eq=False)
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: QuantParams | None = None
    data: np.ndarray | None = None

    def __post_init__(self):
        if self.dtype not in DTYPES:
            raise UnsupportedError(f"tensor '{self.name}' has unsupported dtype {self.dtype}")
        if self.data is not None and tuple(self.data.shape) != tuple(self.shape):
            raise TinyDeployError(f"tensor '{self.name}': data of shape "
                                  f"{list(self.data.shape)} for shape {list(self.shape)}")

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def np_dtype(self) -> np.dtype:
        """numpy dtype of the tensor's values (unpacked int8/uint8 for sub-byte dtypes)."""
        return np.dtype(SUBBYTE_DTYPES.get(self.dtype, (0, self.dtype))[1])

    @property
    def bits(self) -> int:
        """Storage bits per element (2 or 4 for packed sub-byte dtypes)."""
        sub = SUBBYTE_DTYPES.get(self.dtype)
        return sub[0] if sub else 8 * np.dtype(self.dtype).itemsize

    @property
    def itemsize(self) -> int:
        """Bytes of one numpy value (1 for sub-byte dtypes: see :attr:`nbytes` for storage)."""
        return self.np_dtype.itemsize

    @property
    def nbytes(self) -> int:
        """Storage bytes; packed sub-byte tensors round up to a whole byte at the end."""
        return -(-self.size * self.bits // 8)


@dataclass(frozen=True, eq=False)
class Op:
    """One operator. ``kind`` is a key of :data:`tinydeploy.ir.ops.OPS`.

    ``attrs`` holds the kind's attributes (see its OpDef); fused activations are
    expressed as ``act`` in {"none", "relu", "relu6", "relu_n1_to_1"}.
    """

    kind: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: dict[str, Any] = field(default_factory=dict)

    def with_(self, **kw) -> "Op":
        return replace(self, **kw)


@dataclass(eq=False)
class Graph:
    """A whole network: tensors by name, ops in a valid execution order."""

    name: str
    tensors: dict[str, Tensor]
    ops: list[Op]
    inputs: list[str]
    outputs: list[str]
    source: str = ""          # path of the model file it came from (for messages)
    meta: dict[str, Any] = field(default_factory=dict)

    def t(self, name: str) -> Tensor:
        return self.tensors[name]

    def producer(self, tensor: str) -> Op | None:
        for op in self.ops:
            if tensor in op.outputs:
                return op
        return None

    def consumers(self, tensor: str) -> list[Op]:
        return [op for op in self.ops if tensor in op.inputs]

    def activations(self) -> list[str]:
        """Names of non-constant tensors, in first-use order (graph inputs first)."""
        seen: dict[str, None] = {n: None for n in self.inputs}
        for op in self.ops:
            for n in (*op.inputs, *op.outputs):
                if n and not self.tensors[n].is_const:
                    seen.setdefault(n, None)
        return list(seen)

    def validate(self) -> None:
        """Check the IR invariants every later stage relies on; a
        :class:`~tinydeploy.errors.TinyDeployError` naming the source file, the op and
        the reason otherwise:

        - tensors: known dtype, static shape of positive dims, at most
          :data:`MAX_TENSOR_BYTES` elements and bytes, constant data of that shape and
          dtype, quantization that can quantize it (:meth:`QuantParams.problem`),
          per-channel only on constants;
        - ops: at least one output, every tensor named exists, inputs defined before use
          (no cycles), outputs defined once and not constants;
        - the graph: at least one output; inputs are activations, outputs are computed,
          neither listed twice.
        """
        file = self.source or None

        def fail(reason: str, node: str | None = None, op: str | None = None,
                 unsupported: bool = False):
            cls = UnsupportedError if unsupported else TinyDeployError
            raise cls(reason, file=file, node=node, op=op)

        for t in self.tensors.values():
            problem = _tensor_problem(t)
            if problem:      # named after the first op that touches it, if one does
                op = next((o for o in self.ops if t.name in (*o.inputs, *o.outputs)), None)
                fail(f"tensor '{t.name}': {problem}", op and op.name, op and op.kind)
        for what, names in (("input", self.inputs), ("output", self.outputs)):
            for n in names:
                if n not in self.tensors:
                    fail(f"graph {what} '{n}' is not a tensor of the graph")
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                fail(f"graph {what} '{dup[0]}' is listed {names.count(dup[0])} times",
                     unsupported=True)
        if not self.outputs:
            fail("the graph has no outputs")
        for n in self.inputs:
            if self.tensors[n].is_const:
                fail(f"graph input '{n}' is a constant")
        defined = set(self.inputs) | {n for n, t in self.tensors.items() if t.is_const}
        labels = self.meta.get("train", {}).get("labels")
        if labels:                    # a training step's labels: given to the step function
            defined.add(labels)
        for op in self.ops:
            if not op.outputs or not all(op.outputs):
                fail("op without output", op.name, op.kind)
            for n in (*op.inputs, *op.outputs):
                if n and n not in self.tensors:
                    fail(f"tensor '{n}' is not a tensor of the graph", op.name, op.kind)
            for n in op.inputs:
                if n and n not in defined:
                    later = any(n in o.outputs for o in self.ops)
                    fail(f"input '{n}' is " + ("used before it is computed (a cycle, or ops "
                                               "out of order)" if later else "never computed"),
                         op.name, op.kind)
            for n in op.outputs:
                if self.tensors[n].is_const:
                    fail(f"output '{n}' is a constant", op.name, op.kind)
                if n in defined:
                    fail(f"output '{n}' is computed twice", op.name, op.kind)
                defined.add(n)
        for n in self.outputs:
            if n not in defined:
                fail(f"graph output '{n}' is never computed")
            if self.tensors[n].is_const:
                fail(f"graph output '{n}' is a constant (nothing computes it)",
                     unsupported=True)


def _tensor_problem(t: Tensor) -> str | None:
    """Why tensor ``t`` breaks the IR's invariants (None if it does not)."""
    if t.dtype not in DTYPES:
        return f"unsupported dtype {t.dtype}"
    if not all(isinstance(d, (int, np.integer)) and d >= 1 for d in t.shape):
        return f"shape {list(t.shape)} has a dimension below 1"
    size = 1
    for d in t.shape:
        size *= int(d)
    if size > MAX_TENSOR_BYTES or -(-size * t.bits // 8) > MAX_TENSOR_BYTES:
        return f"shape {list(t.shape)} ({size} elements) exceeds {MAX_TENSOR_BYTES} bytes"
    if t.data is not None:
        if tuple(t.data.shape) != tuple(t.shape):
            return f"data of shape {list(t.data.shape)} for shape {list(t.shape)}"
        if t.data.dtype != t.np_dtype:
            return f"{t.data.dtype} data for a {t.dtype} tensor"
    if t.quant is not None:
        problem = t.quant.problem(t.dtype, t.shape)
        if problem:
            return problem
        if t.quant.per_channel and t.data is None:
            return (f"{t.quant.scale.size} per-channel scales on an activation (only "
                    "constants may be quantized per channel)")
    return None
