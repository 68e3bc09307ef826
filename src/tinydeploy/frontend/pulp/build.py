"""IR construction for integer-deployable graphs: tensors, ops, layouts, materialization.

Representation of the graph's integers in the IR: a value range that fits int8 is an int8
tensor with zero point 0; [0, 255] is int8 with zero point -128 (``x_i8 = x_u8 - 128``,
the kernels add the offset back); wider ranges are int16 or int32 with zero point 0.
All scales are 1 (the tensors hold the source's integers). ONNX NCHW values are NHWC in
the IR (``[N, C, L]`` as ``[N, 1, L, C]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import gcd

import numpy as np
import onnx

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend.onnx_facts import check_shape
from tinydeploy.frontend.pulp import reduce as red
from tinydeploy.frontend.pulp.builder_base import BuilderBase, storage
from tinydeploy.frontend.pulp.values import Chain, IntVal, bcast, ints
from tinydeploy.ir.graph import Op, QuantParams, Tensor


def ir_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The IR (NHWC) shape of an ONNX value."""
    if len(shape) == 4:
        return (shape[0], shape[2], shape[3], shape[1])
    if len(shape) == 3:
        return (shape[0], 1, shape[2], shape[1])
    return tuple(shape)


def api_type(lo: int, hi: int) -> str:
    """The C type a graph input/output of this range has in the generated API."""
    if 0 <= lo and hi <= 255:
        return "uint8"
    return storage(lo, hi)[0]


def node_label(node: onnx.NodeProto) -> str:
    return node.name or f"{node.op_type} -> {node.output[0] if node.output else '?'}"


@dataclass
class Builder(BuilderBase):
    path: str
    dialect: str
    opset: int = 13
    tensors: dict[str, Tensor] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    vals: dict[str, object] = field(default_factory=dict)      # ONNX name -> IntVal | Chain
    consts: dict[str, np.ndarray] = field(default_factory=dict)
    done: dict[str, IntVal] = field(default_factory=dict)       # materialized ONNX values
    types: dict[str, str] = field(default_factory=dict)         # ONNX element type names
    hwc_order: dict[str, tuple] = field(default_factory=dict)   # flattened NHWC: (H, W, C)
    node: onnx.NodeProto | None = None
    _op_names: set[str] = field(default_factory=set)

    # -- errors and names -------------------------------------------------------------
    def error(self, reason: str, cls=UnsupportedError) -> TinyDeployError:
        n = self.node
        return cls(reason, file=self.path, node=node_label(n) if n else None,
                   op=n.op_type if n else None)

    @property
    def label(self) -> str:
        return node_label(self.node) if self.node is not None else "graph"

    def tensor(self, base: str, shape, dtype: str, zp: int = 0, data=None) -> str:
        name = self.unique(base)
        q = None if dtype == "float32" else QuantParams.make(1.0, zp)
        shape = check_shape(shape, self.path, self.node, f"tensor '{name}'")
        self.tensors[name] = Tensor(name, shape, dtype, q, data)
        return name

    def op(self, kind: str, inputs, outputs, name: str | None = None, **attrs) -> None:
        base = name or outputs[0]
        op_name, i = base, 1
        while op_name in self._op_names:
            op_name, i = f"{base}_{i}", i + 1
        self._op_names.add(op_name)
        self.ops.append(Op(kind, op_name, tuple(inputs), tuple(outputs), dict(attrs)))

    def zp(self, v: IntVal) -> int:
        q = self.tensors[v.ir].quant
        return q.zp if q is not None else 0

    # -- values -------------------------------------------------------------------------
    def int_value(self, name: str, consumer: str) -> IntVal:
        """The ONNX value ``name`` as an integer tensor (lowering a pending chain)."""
        if name in self.done:
            return self.done[name]
        v = self.vals.get(name)
        if v is None:
            raise self.error(f"input '{name}' is not an integer activation (constant or "
                             "unsupported producer)")
        if isinstance(v, Chain):
            v = self.emit_reduced(red.reduce_chain(v, consumer), name)
        self.done[name] = v
        return v

    def narrow(self, v: IntVal, allowed: tuple[str, ...], what: str) -> IntVal:
        """``v`` in one of the ``allowed`` dtypes (an exact requant if its range fits)."""
        dtype = self.t(v.ir).dtype
        if dtype in allowed:
            return v
        if dtype != "int32":
            raise self.error(f"{what} needs {'/'.join(allowed)} values, but '{v.ir}' is "
                             f"{dtype} (narrowing from {dtype} is not supported)")
        lo, hi = int(min(v.lo)), int(max(v.hi))
        want, zp = storage(lo, hi)
        if want not in allowed:
            raise self.error(f"{what} needs {'/'.join(allowed)} values, but '{v.ir}' spans "
                             f"[{lo}, {hi}]")
        out = self.tensor(f"{v.ir}_{want}", self.t(v.ir).shape, want, zp)
        self.op("requant", [v.ir], [out], mul=1, add=0, div=1, x_range=(lo, hi))
        return IntVal(out, v.shape, v.lo, v.hi, v.pads)

    def emit_reduced(self, r: red.Reduced, base: str) -> IntVal:
        """IR ops computing a reduced chain: [add_s32 | widening] + requant."""
        self.notes.extend(f"'{base}': {n}" for n in r.notes)
        if r.is_identity():
            return r.terms[0]
        src, factor = self._accumulator(r, base)
        lo, hi = int(min(r.lo)), int(max(r.hi))
        dtype, zp = storage(lo, hi)
        shape = self.t(src.ir).shape
        out = self.tensor(base, shape, dtype, zp)
        mul = np.array([x * y for x, y in zip(*bcast(r.mul, factor))], dtype=object)
        attrs = dict(mul=mul, add=np.asarray(r.add, dtype=object),
                     mul2=int(r.mul2), div=np.asarray(r.div, dtype=object), fp32=int(r.fp32),
                     rounding="floor" if r.rounding == "none" else r.rounding,
                     x_range=(int(min(src.lo)), int(max(src.hi))))
        if r.clip is not None:
            clo, chi = bcast(*r.clip)
            if len(set(clo)) > 1 or len(set(chi)) > 1:
                raise self.error("per-channel clamp bounds are not supported")
            attrs["clip"] = (max(int(clo[0]), lo), min(int(chi[0]), hi))
        self.op("requant", [src.ir], [out], name=base, **attrs)
        return IntVal(out, r.terms[0].shape, r.lo, r.hi)

    def _accumulator(self, r: red.Reduced, base: str) -> tuple[IntVal, np.ndarray]:
        """The int32 tensor the requant reads (the term itself, or an add_s32 of the terms
        with one integer weight each) and the per-channel factor left for the requant:
        ``sum_i x_i * coef_i[c] = add_s32(x, mults) * factor[c]``."""
        terms = [self.unpad(t) for t in r.terms]
        one = ints([1])
        if len(terms) == 1 and self.t(terms[0].ir).dtype == "int32" and \
                all(c == 1 for c in r.coefs[0]):
            return terms[0], one
        if len(terms) > 2:
            raise self.error(f"a sum of {len(terms)} values is not supported (at most two)")
        mults, factor = _split_weights(r.coefs)
        if mults is None:
            raise self.error("a sum of two values whose per-channel weights are not one "
                             "weight each times a common per-channel factor")
        # int16 terms (a NEMO TCN's unclipped residual sums) go to the any-width add
        terms = [self.narrow(t, ("int8", "int16"), "an integer add") for t in terms]
        a, b = (terms * 2)[:2]
        mults = mults + [0] * (2 - len(mults))
        lo, hi = _sum_range(terms, mults)
        out = self.tensor(f"{base}_acc", self.t(a.ir).shape, "int32")
        self.op("add", [a.ir, b.ir], [out], mults=tuple(mults))
        return IntVal(out, a.shape, lo, hi), factor

    def chw_order(self, v: IntVal) -> IntVal:
        """A flattened value in the ONNX (CHW) element order (moves bytes if needed)."""
        order = self.hwc_order.get(v.ir)
        if order is None:
            return v
        t = self.t(v.ir)
        n = t.shape[0]
        nhwc = self.tensor(f"{v.ir}_nhwc", (n, *order), t.dtype, self.zp(v))
        self.op("reshape", [v.ir], [nhwc])
        nchw = self.tensor(f"{v.ir}_nchw", (n, order[2], order[0], order[1]), t.dtype,
                           self.zp(v))
        self.op("transpose", [nhwc], [nchw], perm=(0, 3, 1, 2))
        flat = self.tensor(f"{v.ir}_chw", t.shape, t.dtype, self.zp(v))
        self.op("reshape", [nchw], [flat])
        return IntVal(flat, v.shape, v.lo, v.hi)

    def unpad(self, v: IntVal) -> IntVal:
        """Apply a pending zero padding as an IR pad op (when no Conv folded it)."""
        if not any(v.pads):
            return v
        v = self.narrow(v, ("int8", "int16"), "padding")
        t = self.t(v.ir)
        top, left, bottom, right = v.pads
        shape = (t.shape[0], t.shape[1] + top + bottom, t.shape[2] + left + right, t.shape[3])
        out = self.tensor(f"{v.ir}_pad", shape, t.dtype, self.zp(v))
        self.op("pad", [v.ir], [out], pads=((0, 0), (top, bottom), (left, right), (0, 0)))
        onnx_shape = list(v.shape)
        onnx_shape[-1] += left + right
        if len(onnx_shape) == 4:
            onnx_shape[2] += top + bottom
        lo = np.array([min(x, 0) for x in v.lo], dtype=object)
        hi = np.array([max(x, 0) for x in v.hi], dtype=object)
        return IntVal(out, tuple(onnx_shape), lo, hi)


def _sum_range(terms: list[IntVal], mults: list[int]):
    lo, hi = ints([0]), ints([0])
    for t, m in zip(terms, mults):
        a, b = t.lo * m, t.hi * m
        mn = np.array([min(x, y) for x, y in zip(a, b)], dtype=object)
        mx = np.array([max(x, y) for x, y in zip(a, b)], dtype=object)
        lo, mn = bcast(lo, mn)
        hi, mx = bcast(hi, mx)
        lo, hi = lo + mn, hi + mx
    return lo, hi


def _split_weights(coefs) -> tuple[list[int] | None, np.ndarray]:
    """Per-term integer weights w_i and per-channel factors f[c] with coef_i[c] = w_i * f[c]
    (f[c] = the gcd of the channel's coefficients, sign of the first); None if none exist."""

    cols = bcast(*coefs)
    factor = []
    for c in range(cols[0].size):
        g = 0
        for col in cols:
            g = gcd(g, int(col[c]))
        g = g or 1
        factor.append(g if int(cols[0][c]) >= 0 else -g)
    ratios = [{int(col[c]) // factor[c] for c in range(col.size)} for col in cols]
    if any(len(r) != 1 for r in ratios):
        return None, ints([1])
    return [r.pop() for r in ratios], np.array(factor, dtype=object)
