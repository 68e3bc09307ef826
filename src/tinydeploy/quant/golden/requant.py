"""requant: an integer-deployable graph's requantization, int32 -> int8/int16/int32.

Per element of channel ``c`` (the last axis):

    s = x * mul[c]            rounded to float32 precision if fp32 & 1
    s = s + add[c]            rounded to float32 precision if fp32 & 2
    q = round(s * mul2 / div[c])        round: floor, or trunc (toward zero)
    y = clamp(q, lo, hi) + zero point of y

All integer; the float32 rounding (round to 24 significant bits, ties to even: what an
IEEE float32 multiply or add of two integers gives) reproduces graphs that do the
multiply-add on float tensors (NEMO, QuantLab) bit for bit where the values exceed 2**24;
the frontend turns it on only where it can change a result. ``prepare`` bounds every
intermediate over the whole int32 input range of the layer (``x_range`` when the frontend
knows better) so the C kernel's int64 arithmetic cannot overflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field, scalar_field
from tinydeploy.quant.golden import register, require_same_size

F32_BITS = 24          # float32 significand bits
_LIMIT = 2**62         # |intermediate| bound that keeps int64 arithmetic safe
ROUNDING = {"floor": 0, "trunc": 1}


@dataclass(frozen=True, eq=False)
class RequantArgs(KernelArgs):
    C_FUNC: ClassVar[str] = "td_requant_s32_s8"
    size: int                 # elements
    channels: int             # size of the last axis (arrays below have this length)
    fp32: int                 # bit 0: round x*mul, bit 1: round +add to float32
    rounding: int             # 0 floor, 1 trunc
    clip_lo: int              # in the source domain (before the zero point)
    clip_hi: int
    out_offset: int           # zero point of y
    mul2: int = scalar_field("int64_t")
    mul: np.ndarray = array_field("int64_t")
    add: np.ndarray = array_field("int64_t")
    div: np.ndarray = array_field("int64_t")    # > 0


@dataclass(frozen=True, eq=False)
class RequantS16Args(RequantArgs):
    C_FUNC: ClassVar[str] = "td_requant_s32_s16"


@dataclass(frozen=True, eq=False)
class RequantS32Args(RequantArgs):
    C_FUNC: ClassVar[str] = "td_requant_s32_s32"


_OUT = {"int8": RequantArgs, "int16": RequantS16Args, "int32": RequantS32Args}


def round_f32(v) -> np.ndarray:
    """Round int64 values to the nearest float32-representable integer (ties to even).

    Integer-only: keep the top 24 significant bits of |v|, round the dropped bits to
    nearest, ties to the even significand.
    """
    v = np.asarray(v, dtype=np.int64)
    a = np.abs(v)
    bits = np.zeros(a.shape, dtype=np.int64)
    for k in range(63):
        bits += (a >> k) > 0
    sh = np.maximum(bits - F32_BITS, 0)
    q = a >> sh
    rem = a - (q << sh)
    half = np.where(sh > 0, np.int64(1) << np.maximum(sh - 1, 0), 1)
    up = (sh > 0) & ((rem > half) | ((rem == half) & ((q & 1) == 1)))
    r = (q + up) << sh
    return np.where(v < 0, -r, r)


def _channel_array(op: Op, name: str, value, c: int) -> np.ndarray:
    a = np.atleast_1d(np.asarray(value, dtype=object)).ravel()
    if a.size == 1:
        a = np.repeat(a, c)
    if a.size != c:
        raise UnsupportedError(f"requant: '{name}' has {a.size} values for {c} channels",
                               node=op.name)
    if any(abs(int(v)) >= _LIMIT for v in a):
        raise UnsupportedError(f"requant: '{name}' value out of range", node=op.name)
    return np.array([int(v) for v in a], dtype=np.int64)


def _check_range(op: Op, lo: int, hi: int, mul, add, mul2: int) -> None:
    """|x*mul|, |x*mul + add| and |(x*mul + add) * mul2| stay below 2**62."""
    ends = [int(lo) * int(m) for m in mul] + [int(hi) * int(m) for m in mul]
    worst = max(abs(e) for e in ends) + max(abs(int(a)) for a in add)
    if worst * abs(mul2) >= _LIMIT:
        raise UnsupportedError(f"requant: intermediate values up to {worst * abs(mul2)} "
                               "exceed the int64 range of the kernel", node=op.name)


def prepare(g: Graph, op: Op) -> RequantArgs:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "int32" or y.dtype not in _OUT:
        raise UnsupportedError(f"requant {x.dtype} -> {y.dtype} is not supported (int32 -> "
                               "int8/int16/int32)", node=op.name)
    if x.quant is not None and x.quant.zp != 0:
        raise UnsupportedError("requant: the int32 input must have zero point 0", node=op.name)
    c = int(x.shape[-1]) if x.shape else 1
    a = op.attrs
    mul, add = _channel_array(op, "mul", a["mul"], c), _channel_array(op, "add", a["add"], c)
    div = _channel_array(op, "div", a.get("div", 1), c)
    if np.any(div <= 0):
        raise UnsupportedError("requant: divisors must be positive", node=op.name)
    mul2 = int(a.get("mul2", 1))
    info = np.iinfo(np.dtype(y.dtype))
    zp = y.quant.zp if y.quant is not None else 0
    lo, hi = (int(v) for v in a.get("clip", (int(info.min) - zp, int(info.max) - zp)))
    if lo > hi or lo + zp < info.min or hi + zp > info.max:
        raise UnsupportedError(f"requant: clip [{lo}, {hi}] + zero point {zp} does not fit "
                               f"{y.dtype}", node=op.name)
    xr = a.get("x_range", (-(2**31), 2**31 - 1))
    _check_range(op, xr[0], xr[1], mul, add, mul2)
    rounding = a.get("rounding", "floor")
    if rounding not in ROUNDING:
        raise UnsupportedError(f"requant: unknown rounding '{rounding}'", node=op.name)
    return _OUT[y.dtype](size=x.size, channels=c, fp32=int(a.get("fp32", 0)) & 3,
                         rounding=ROUNDING[rounding], mul2=mul2, clip_lo=lo, clip_hi=hi,
                         out_offset=zp, mul=mul, add=add, div=div)


def divide(v: np.ndarray, d: np.ndarray, rounding: int) -> np.ndarray:
    """Integer division of int64 ``v`` by positive ``d``: floor (0) or toward zero (1)."""
    q = v // d
    if rounding == ROUNDING["trunc"]:
        q = np.where((v < 0) & (q * d != v), q + 1, q)
    return q


def run(a: RequantArgs, x: np.ndarray) -> np.ndarray:
    shape = x.shape
    v = x.astype(np.int64).reshape(-1, a.channels)
    s = v * a.mul
    if a.fp32 & 1:
        s = round_f32(s)
    s = s + a.add
    if a.fp32 & 2:
        s = round_f32(s)
    q = divide(s * np.int64(a.mul2), a.div, a.rounding)
    y = np.clip(q, a.clip_lo, a.clip_hi) + a.out_offset
    out = {RequantArgs: np.int8, RequantS16Args: np.int16, RequantS32Args: np.int32}
    return y.astype(out[type(a)]).reshape(shape)


register("requant", prepare, run, RequantArgs)
