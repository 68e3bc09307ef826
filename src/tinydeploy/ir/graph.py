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

DTYPES = ("int8", "uint8", "int16", "int32", "int64", "float32", "int4", "uint4", "int2", "uint2")
# Packed sub-byte dtypes: (bits per element, numpy dtype of their unpacked values).
SUBBYTE_DTYPES = {"int4": (4, "int8"), "uint4": (4, "uint8"),
                  "int2": (2, "int8"), "uint2": (2, "uint8")}


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
        assert self.scale.size == 1, "per-tensor scale asked of per-channel params"
        return float(self.scale[0])

    @property
    def zp(self) -> int:
        assert self.zero_point.size == 1 or np.all(self.zero_point == self.zero_point[0])
        return int(self.zero_point[0])


@dataclass(frozen=True, eq=False)
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: QuantParams | None = None
    data: np.ndarray | None = None

    def __post_init__(self):
        assert self.dtype in DTYPES, f"unknown dtype {self.dtype}"
        if self.data is not None:
            assert tuple(self.data.shape) == tuple(self.shape), (self.name, self.data.shape)

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
        """Check IR invariants; raises AssertionError with the offending op (used in tests)."""
        defined = set(self.inputs) | {n for n, t in self.tensors.items() if t.is_const}
        for op in self.ops:
            for n in op.inputs:
                assert not n or n in defined, f"{op.name}: input {n} used before defined"
            for n in op.outputs:
                assert n not in defined, f"{op.name}: output {n} defined twice"
                defined.add(n)
        for n in self.outputs:
            assert n in defined, f"graph output {n} never produced"
