"""Raw integer add and mul of integer graphs (Deeploy's Add/Sub/Mul on activations), any
integer input types, numpy broadcasting, int32 output:

    add:  y = (a + a_offset) * a_mult + (b + b_offset) * b_mult     (Sub: b_mult = -1)
    mul:  y = (a + a_offset) * (b + b_offset)

TFLite's raw int32 ADD/SUB/MUL (attribute ``wraps``: the sum or product wraps modulo 2^32,
as TFLM's int32 arithmetic does on two's-complement targets) take the same kernels.

Variants of the ``add`` and ``mul`` kinds for an int32 output where the plain int8
accumulator (``td_add_s8_s32``, same shapes only) does not apply; the operands are read
as in :mod:`._broadcast` (merged dims, stride 0 along broadcast dims). Element sizes are
arguments (``td_add_any_s32``, ``td_mul_any_s32``): the loops are identical for every
type combination and bound by memory, not arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.ir.graph import INT_RANGES, Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import _broadcast, register_variant
from tinydeploy.quant.golden._integer import ELEM_BYTES, dtypes, offset, padded, require

_INTS = ("int8", "int16", "int32")


@dataclass(frozen=True, eq=False)
class AddAnyS32Args(KernelArgs):
    C_FUNC = "td_add_any_s32"

    ndim: int                 # dims of the merged broadcast walk
    a_bytes: int              # element sizes of a and b (1, 2 or 4)
    b_bytes: int
    a_offset: int             # -zero points
    b_offset: int
    a_mult: int
    b_mult: int
    shape: np.ndarray = array_field()       # [6] merged output dims (first ndim used)
    a_strides: np.ndarray = array_field()   # [6] element strides, 0 = broadcast
    b_strides: np.ndarray = array_field()


@dataclass(frozen=True, eq=False)
class MulAnyS32Args(AddAnyS32Args):
    C_FUNC = "td_mul_any_s32"


# TFLite's raw int32 ADD/MUL: the same kernels, whose int32 result wraps modulo 2^32
# (the kernels compute in int64 and keep the low 32 bits; preconditions accept overflow)
@dataclass(frozen=True, eq=False)
class AddAnyS32WrapArgs(AddAnyS32Args):
    WRAPS: ClassVar[bool] = True


@dataclass(frozen=True, eq=False)
class MulAnyS32WrapArgs(MulAnyS32Args):
    WRAPS: ClassVar[bool] = True


def _reach(t, off: int) -> int:
    lo, hi = INT_RANGES[t.dtype]
    return max(abs(lo + off), abs(hi + off))


def _prepare(g: Graph, op: Op, cls: type) -> AddAnyS32Args:
    a, b, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    dtypes(op, a, _INTS, "a")
    dtypes(op, b, _INTS, "b")
    dtypes(op, y, ("int32",), "output")
    shape, sa, sb = _broadcast.broadcast_layout(g, op)
    ma, mb = (int(v) for v in op.attrs.get("mults", (1, 1)))
    ra, rb = _reach(a, offset(a)), _reach(b, offset(b))
    x_range = op.attrs.get("x_range")          # the frontend's bound of |y|, if known
    worst = ra * rb if cls is MulAnyS32Args else ra * abs(ma) + rb * abs(mb)
    if x_range is not None:
        worst = min(worst, max(abs(int(v)) for v in x_range))
    require(op.attrs.get("act", "none") == "none", op,
            f"fused activation {op.attrs.get('act')} on an int32 {op.kind}")
    # TFLite's int32 ADD/MUL wrap modulo 2^32 as TFLM's do on two's-complement targets
    # (the frontend says so: "wraps"); the integer-deployable dialects must not overflow.
    wraps = bool(op.attrs.get("wraps"))
    require(worst <= 2**31 - 1 or wraps, op, f"the int32 result may overflow (|y| up to {worst})")
    if wraps:
        cls = MulAnyS32WrapArgs if cls is MulAnyS32Args else AddAnyS32WrapArgs
    return cls(len(shape), ELEM_BYTES[a.dtype], ELEM_BYTES[b.dtype], offset(a), offset(b),
               ma, mb, padded(shape, 1), padded(sa, 0), padded(sb, 0))


def _operands(k: AddAnyS32Args, a: np.ndarray, b: np.ndarray):
    shape, n = [int(d) for d in k.shape[-k.ndim:]], k.ndim
    x = _broadcast.gather(a, shape, k.a_strides[-n:]) + k.a_offset
    z = _broadcast.gather(b, shape, k.b_strides[-n:]) + k.b_offset
    return x, z


def run_add(k: AddAnyS32Args, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x, z = _operands(k, a, b)
    return (x * k.a_mult + z * k.b_mult).astype(np.int32).reshape(-1)   # wraps (int64 sums)


def run_mul(k: MulAnyS32Args, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x, z = _operands(k, a, b)
    return (x * z).astype(np.int32).reshape(-1)


def _plain_s8_add(g: Graph, op: Op) -> bool:
    """The existing td_add_s8_s32 applies: two int8 inputs of the output's shape."""
    y = g.t(op.outputs[0])
    return all(g.t(n).dtype == "int8" and g.t(n).shape == y.shape for n in op.inputs[:2])


def _raw_add(g: Graph, op: Op) -> bool:
    return g.t(op.outputs[0]).dtype == "int32" and not _plain_s8_add(g, op)


def _raw_mul(g: Graph, op: Op) -> bool:
    return g.t(op.outputs[0]).dtype == "int32"


register_variant("add", _raw_add, lambda g, op: _prepare(g, op, AddAnyS32Args), run_add,
                 AddAnyS32Args)
register_variant("mul", _raw_mul, lambda g, op: _prepare(g, op, MulAnyS32Args), run_mul,
                 MulAnyS32Args)
