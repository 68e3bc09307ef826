"""What an ONNX value of an integer graph is while the tensor-level importer walks it, and
the builder that makes IR tensors and ops for it.

A :class:`TVal` is an ONNX value held by an IR tensor, in the source (ONNX) shape and
element order unless ``perm`` says otherwise: the IR tensor's bytes are then those of
``source.transpose(perm)`` (a Transpose node or a convolution's NHWC output moves no
byte until a consumer needs another order; :meth:`Builder.laid_out` moves them then, or
not at all when the permutation keeps the byte order). ``factor`` is an exact integer
factor not applied yet (TrueIntegerDiv: a following RequantShift folds it into its
multiplier). ``lo``/``hi`` bound the source integers the value can hold; they choose the
IR storage (:func:`storage`) and prove kernels free of overflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import onnx

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend.onnx_ops import same_bytes
from tinydeploy.frontend.onnx_facts import check_shape, node_label
from tinydeploy.frontend.pulp.builder_base import BuilderBase, storage
from tinydeploy.ir.graph import Op, QuantParams, Tensor

RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-(2**15), 2**15 - 1),
          "int32": (-(2**31), 2**31 - 1)}


def api_type(lo: int, hi: int) -> str:
    """C type of a graph output holding [lo, hi]."""
    if 0 <= lo and hi <= 255 and hi > 127:
        return "uint8"
    return storage(lo, hi)[0]


def inverse(perm: tuple[int, ...]) -> tuple[int, ...]:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


@dataclass(frozen=True, eq=False)
class TVal:
    ir: str | None                 # None: an empty (zero-size) value
    shape: tuple[int, ...]         # ONNX shape
    lo: int
    hi: int
    perm: tuple[int, ...] | None = None    # IR bytes = source.transpose(perm)
    factor: int = 1

    @property
    def empty(self) -> bool:
        return self.ir is None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


def permuted(v: TVal, p: tuple[int, ...]) -> TVal:
    """``v`` transposed by ``p`` (ONNX Transpose) without moving a byte: only the record of
    which order the IR bytes are in changes."""
    old = v.perm or tuple(range(len(v.shape)))
    inv = inverse(tuple(p))
    q = tuple(inv[o] for o in old)
    shape = tuple(v.shape[i] for i in p)
    return replace(v, shape=shape, perm=None if q == tuple(range(len(q))) else q)


@dataclass
class Builder(BuilderBase):
    path: str
    opset: int = 13
    tensors: dict[str, Tensor] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    vals: dict[str, TVal] = field(default_factory=dict)
    consts: dict[str, np.ndarray] = field(default_factory=dict)
    node: onnx.NodeProto | None = None
    uses: dict[str, int] = field(default_factory=dict)    # ONNX value -> consumer count
    # ONNX value of a raw MatMul/Gemm sum -> folds a constant into its bias (True if done)
    accumulators: dict = field(default_factory=dict)
    _op_names: set[str] = field(default_factory=set)

    # -- errors, names -------------------------------------------------------------------
    def error(self, reason: str, cls=UnsupportedError) -> TinyDeployError:
        n = self.node
        return cls(reason, file=self.path, node=node_label(n) if n else None,
                   op=n.op_type if n else None)

    def tensor(self, base: str, shape, dtype: str, zp: int = 0, data=None) -> str:
        name = self.unique(base)
        shape = check_shape(tuple(int(d) for d in shape), self.path, self.node,
                            f"tensor '{name}'")
        self.tensors[name] = Tensor(name, shape, dtype, QuantParams.make(1.0, zp), data)
        return name

    def op(self, kind: str, inputs, outputs, name: str | None = None, **attrs) -> Op:
        base = name or ((self.node.name or self.node.output[0]) if self.node is not None
                        else outputs[0])
        op_name, i = base, 1
        while op_name in self._op_names:
            op_name, i = f"{base}_{i}", i + 1
        self._op_names.add(op_name)
        op = Op(kind, op_name, tuple(inputs), tuple(outputs), dict(attrs))
        self.ops.append(op)
        return op

    def zp(self, v: TVal) -> int:
        return self.t(v.ir).quant.zp

    def val(self, name: str, what: str = "input") -> TVal:
        v = self.vals.get(name)
        if v is None:
            raise self.error(f"{what} '{name}' is not an integer activation of the graph")
        return v

    def out_tensor(self, base: str, shape, lo: int, hi: int) -> str:
        dtype, zp = storage(lo, hi)
        return self.tensor(base, shape, dtype, zp)

    # -- layouts ----------------------------------------------------------------------------
    def laid_out(self, v: TVal, perm: tuple[int, ...] | None = None, base: str = "") -> str:
        """An IR tensor with the bytes of ``source.transpose(perm)`` (default: the source
        order), shaped like it; a reshape when no byte moves, else a transpose."""
        if v.empty:
            raise self.error("an empty (zero-size) value can only be concatenated")
        v = self.applied(v)
        rank = len(v.shape)
        want = tuple(perm) if perm is not None else tuple(range(rank))
        have = v.perm or tuple(range(rank))
        shape = tuple(v.shape[p] for p in want)
        t = self.t(v.ir)
        rel = tuple(inverse(have)[p] for p in want)        # IR (in have-order) -> want
        have_shape = tuple(v.shape[p] for p in have)
        if tuple(t.shape) == shape and rel == tuple(range(rank)):
            return v.ir
        src = v.ir
        if tuple(t.shape) != have_shape:
            src = self.tensor(f"{v.ir}_v", have_shape, t.dtype, t.quant.zp)
            self.op("reshape", [v.ir], [src], name=src)
        if rel == tuple(range(rank)):
            return src
        out = self.tensor(base or f"{v.ir}_t", shape, t.dtype, t.quant.zp)
        if same_bytes(have_shape, rel):
            self.op("reshape", [src], [out], name=out)
        else:
            self.op("transpose", [src], [out], name=out, perm=rel)
        return out

    def free(self, v: TVal, perm: tuple[int, ...]) -> bool:
        """True when :meth:`laid_out` gives ``perm`` without moving a byte."""
        rank = len(v.shape)
        have = v.perm or tuple(range(rank))
        rel = tuple(inverse(have)[p] for p in perm)
        return rel == tuple(range(rank)) or same_bytes(tuple(v.shape[p] for p in have), rel)

    def contiguous(self, v: TVal) -> TVal:
        """``v`` in the source order (perm None)."""
        if v.perm is None and v.factor == 1:
            return v
        v = self.applied(v)
        return replace(v, ir=self.laid_out(v), perm=None)

    def applied(self, v: TVal) -> TVal:
        """``v`` with its pending factor multiplied in (an int32 requant)."""
        if v.factor == 1:
            return v
        t = self.t(v.ir)
        lo, hi = sorted((v.lo * v.factor, v.hi * v.factor))
        y = self.tensor(f"{v.ir}_x{v.factor}", t.shape, "int32")
        self.op("requant", [v.ir], [y], name=y, mul=v.factor, add=0, div=1,
                x_range=(int(v.lo), int(v.hi)))
        return TVal(y, v.shape, lo, hi, v.perm)

    def narrow(self, v: TVal, allowed=("int8",), what: str = "") -> TVal:
        """``v`` stored in one of the ``allowed`` dtypes (an exact identity requant when
        its range fits one), layout kept."""
        v = self.applied(v)
        t = self.t(v.ir)
        if t.dtype in allowed:
            return v
        dtype, zp = storage(v.lo, v.hi)
        if dtype not in allowed:
            raise self.error(f"{what or self.node.op_type} needs {'/'.join(allowed)} "
                             f"values, but '{v.ir}' spans [{v.lo}, {v.hi}]")
        y = self.tensor(f"{v.ir}_{dtype}", t.shape, dtype, zp)
        self.op("requant", [v.ir], [y], name=y, mul=1, add=0, div=1,
                x_range=(int(v.lo), int(v.hi)))
        return replace(v, ir=y)

    def restored(self, v: TVal, dtype: str, zp: int) -> TVal:
        """``v`` re-stored as ``dtype`` with zero point ``zp`` (its values must fit)."""
        v = self.applied(v)
        t = self.t(v.ir)
        if (t.dtype, t.quant.zp) == (dtype, zp):
            return v
        y = self.tensor(f"{v.ir}_{dtype}", t.shape, dtype, zp)
        self.op("requant", [v.ir], [y], name=y, mul=1, add=0, div=1,
                x_range=(int(v.lo), int(v.hi)))
        return replace(v, ir=y)

    def reshaped(self, v: TVal, shape: tuple[int, ...], base: str = "") -> TVal:
        """``v`` with another ONNX shape of the same size (a view of the source order)."""
        src = self.laid_out(v)
        t = self.t(src)
        if tuple(t.shape) == tuple(shape):
            return TVal(src, tuple(shape), v.lo, v.hi)
        y = self.tensor(base or f"{src}_r", shape, t.dtype, t.quant.zp)
        self.op("reshape", [src], [y], name=y)
        return TVal(y, tuple(shape), v.lo, v.hi)
