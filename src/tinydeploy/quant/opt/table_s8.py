"""Tables for the integer graphs' int8 elementwise ops (kernels/opt/td_table_s8_opt.h,
td_add_tables_s8_opt.h, td_binary_s8_rq_opt.h).

An int8 -> int8 op whose channels all requantize alike - iGELU or iHardswish with their
RequantShift fused in, a requantization of int8 values - is a function of the stored
byte: its 256 outputs are computed here with the op's own golden (so the table holds
the reference kernel's bytes) and the kernel looks them up - or, when every output byte
is the input byte plus one constant (``offset``: a requantization that changes nothing),
skips the table (kernels/opt/td_table_offset_opt.h). A fused add of two int8
tensors splits its requantization ``(acc * mul + add) >> shift`` over the two operands,
``acc * mul + add = ta[a] + tb[b]``, when the divisor is a power of two, the float32
flags are off, mul2 = 1 and the sums stay in int32; a broadcast add or mul of two int8
tensors likewise (the mul as ``ta[a] * tb[b] + kc``). Per-channel parameters keep the
reference kernel (None).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from tinydeploy.quant.args import array_field
from tinydeploy.quant.golden import requant as _rq
from tinydeploy.quant.golden._accumulate import AddS32Args
from tinydeploy.quant.golden.elementwise_any import AddAnyS32Args, MulAnyS32Args
from tinydeploy.quant.golden.fused_requant import FUSED, accumulate
from tinydeploy.quant.golden.igelu import IGeluS32Args
from tinydeploy.quant.golden.ihardswish import IHardswishS32Args
from tinydeploy.quant.golden.requant_any import RequantAnyArgs
from tinydeploy.quant.golden.requant_any import run as run_requant_any
from tinydeploy.quant.opt import MAKERS, OptArgs, register

BYTES = np.arange(-128, 128, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class TableS8OptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_table_s8_opt"
    size: int
    offset: int                 # byte_offset(table, signed index), -1 if none
    table: np.ndarray = array_field("int8_t")

    def parallel_units(self) -> int:
        """The cores share out the elements (check/rv32/harts.py)."""
        return self.size


@dataclass(frozen=True, eq=False)
class BinaryS8RqOptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_binary_s8_rq_opt"
    C_INPUTS: ClassVar[tuple[int, ...]] = (0, 1)
    ndim: int
    mul: int
    kc: int
    shift: int
    trunc: int
    lo: int
    hi: int
    out_offset: int
    shape: np.ndarray = array_field()
    a_strides: np.ndarray = array_field()
    b_strides: np.ndarray = array_field()
    ta: np.ndarray = array_field("int32_t")
    tb: np.ndarray = array_field("int32_t")


@dataclass(frozen=True, eq=False)
class AddTablesOptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_add_tables_s8_opt"
    C_INPUTS: ClassVar[tuple[int, ...]] = (0, 1)
    size: int
    shift: int
    trunc: int
    lo: int
    hi: int
    out_offset: int
    ta: np.ndarray = array_field("int32_t")
    tb: np.ndarray = array_field("int32_t")


def byte_offset(table: np.ndarray, signed: bool) -> int:
    """c in [0, 255] if every output byte of the 256-entry ``table`` is its input byte plus
    c (mod 256) - entry j holds the output of input byte j, or of int8 value j - 128 when
    ``signed`` - else -1 (the kernels then skip the table: td_table_offset_opt.h)."""
    out = np.asarray(table, dtype=np.int64) & 0xFF
    src = np.arange(256, dtype=np.int64) ^ (0x80 if signed else 0)
    diff = (out - src) & 0xFF
    return int(diff[0]) if out.size == 256 and np.all(diff == diff[0]) else -1


def table_s8(size: int, table) -> TableS8OptArgs:
    """The args of td_table_s8_opt for ``size`` elements and the 256 outputs ``table``."""
    t = np.asarray(table, dtype=np.int64)
    return TableS8OptArgs(size, byte_offset(t, True), t)


def uniform(rq: _rq.RequantArgs) -> _rq.RequantArgs | None:
    """``rq`` for one channel over the 256 byte values, or None if channels differ."""
    arrays = [np.asarray(getattr(rq, f), dtype=np.int64) for f in ("mul", "add", "div")]
    if any(np.any(v != v[0]) for v in arrays):
        return None
    return replace(rq, size=256, channels=1, mul=arrays[0][:1], add=arrays[1][:1],
                   div=arrays[2][:1])


def make_activation(kind: str):
    def make(a, consts, cores: int = 1, lean: bool = False) -> TableS8OptArgs | None:
        if type(a.rq) is not _rq.RequantArgs or (rq := uniform(a.rq)) is None:
            return None
        one = type(a)(replace(a.acc, size=256, channels=1), rq)
        table = _rq.run(rq, accumulate(kind, one, BYTES.astype(np.int8)))
        return table_s8(a.acc.size, table)
    return make


def make_requant(a: RequantAnyArgs, consts, cores: int = 1,
                 lean: bool = False) -> TableS8OptArgs | None:
    if a.in_bytes != 1 or a.out_bytes != 1 or (rq := uniform(a)) is None:
        return None
    table = run_requant_any(rq, BYTES.astype(np.int8))
    return table_s8(a.size, table)


def make_add(a, consts, cores: int = 1, lean: bool = False) -> AddTablesOptArgs | None:
    acc, rq = a.acc, a.rq
    form = _shift_form(rq)
    if form is None or any(c is not None for c in consts):
        return None
    mul, add, shift = form
    ta = (BYTES + acc.a_offset) * acc.a_mult * mul
    tb = (BYTES + acc.b_offset) * acc.b_mult * mul + add
    if int(np.abs(ta).max() + np.abs(tb).max()) >= 2**31:
        return None
    return AddTablesOptArgs(acc.size, shift, int(rq.rounding == 1), int(rq.clip_lo),
                            int(rq.clip_hi), int(rq.out_offset), ta, tb)


def _shift_form(rq: _rq.RequantArgs) -> tuple[int, int, int] | None:
    """(mul, add, shift) of a requant every channel does alike with a power-of-two
    divisor, no float32 rounding and mul2 = 1, else None."""
    if type(rq) is not _rq.RequantArgs or (one := uniform(rq)) is None or rq.fp32 \
            or int(rq.mul2) != 1:
        return None
    mul, add, div = int(one.mul[0]), int(one.add[0]), int(one.div[0])
    if div <= 0 or div & (div - 1) or div.bit_length() - 1 > 31:
        return None
    return mul, add, div.bit_length() - 1


def make_binary(a, consts, cores: int = 1, lean: bool = False) -> BinaryS8RqOptArgs | None:
    acc, rq = a.acc, a.rq
    form = _shift_form(rq)
    if form is None or acc.a_bytes != 1 or acc.b_bytes != 1 or \
            any(c is not None for c in consts):
        return None
    mul, add, shift = form
    is_mul = type(acc) is MulAnyS32Args
    if is_mul:
        ta, tb, kc = (BYTES + acc.a_offset) * mul, BYTES + acc.b_offset, add
        reach = int(np.abs(ta).max() * np.abs(tb).max()) + abs(kc)
    else:
        ta = (BYTES + acc.a_offset) * acc.a_mult * mul
        tb = (BYTES + acc.b_offset) * acc.b_mult * mul + add
        kc, reach = 0, int(np.abs(ta).max() + np.abs(tb).max())
    if reach >= 2**31:
        return None
    return BinaryS8RqOptArgs(acc.ndim, int(is_mul), kc, shift, int(rq.rounding == 1),
                             int(rq.clip_lo), int(rq.clip_hi), int(rq.out_offset),
                             np.asarray(acc.shape), np.asarray(acc.a_strides),
                             np.asarray(acc.b_strides), ta, tb)


_ACTIVATIONS = {IGeluS32Args: "igelu", IHardswishS32Args: "ihardswish"}
# registered unless a maker for these args exists already (another optimized kernel)
for (_acc, _rqt), _cls in FUSED.items():
    if _rqt is not _rq.RequantArgs or _cls in MAKERS:
        continue
    if _acc in _ACTIVATIONS:
        register(_cls, make_activation(_ACTIVATIONS[_acc]))
    elif _acc is AddS32Args:
        register(_cls, make_add)
    elif _acc in (AddAnyS32Args, MulAnyS32Args):
        register(_cls, make_binary)
if RequantAnyArgs not in MAKERS:
    register(RequantAnyArgs, make_requant)
