"""td_add_tables_s8_s16_opt: the integer graphs' add of two int8 tensors requantized to
int16 (kernels/opt/td_add_tables_s8_s16_opt.h): the two tables of ``table_s8.py``'s add
when every channel requantizes alike with a power-of-two divisor, no float32 rounding and
mul2 = 1, or - when the divisor is 1 and no pair of bytes reaches the clamp (proved here
over the tables' ranges) - the sum itself, a * am + b * bm + c."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.quant.args import array_field
from tinydeploy.quant.golden import requant as _rq
from tinydeploy.quant.golden._accumulate import AddS32Args
from tinydeploy.quant.golden.fused_requant import FUSED
from tinydeploy.quant.opt import OptArgs, register
from tinydeploy.quant.opt.table_s8 import BYTES, uniform

I32 = 1 << 31


@dataclass(frozen=True, eq=False)
class AddTablesS16OptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_add_tables_s8_s16_opt"
    C_INPUTS: ClassVar[tuple[int, ...]] = (0, 1)
    size: int
    linear: int
    am: int
    bm: int
    c: int
    shift: int
    trunc: int
    lo: int
    hi: int
    out_offset: int
    ta: np.ndarray = array_field("int32_t")
    tb: np.ndarray = array_field("int32_t")

    def parallel_units(self) -> int:
        return self.size


def _wrap(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= I32 else v


def make(a, consts, cores: int = 1, lean: bool = False) -> AddTablesS16OptArgs | None:
    acc, rq = a.acc, a.rq
    if any(c is not None for c in consts) or (one := uniform(rq)) is None or rq.fp32 \
            or int(rq.mul2) != 1:
        return None
    mul, add, div = int(one.mul[0]), int(one.add[0]), int(one.div[0])
    if div <= 0 or div & (div - 1) or div.bit_length() - 1 > 31:
        return None
    shift = div.bit_length() - 1
    ta = (BYTES + acc.a_offset) * acc.a_mult * mul
    tb = (BYTES + acc.b_offset) * acc.b_mult * mul + add
    if int(np.abs(ta).max() + np.abs(tb).max()) >= I32:
        return None
    lo, hi, off = int(rq.clip_lo), int(rq.clip_hi), int(rq.out_offset)
    # every sum ta[a] + tb[b] lies in [min ta + min tb, max ta + max tb]: inside [lo, hi]
    # with no shift, the requantization is the sum itself
    linear = int(shift == 0 and int(ta.min() + tb.min()) >= lo and int(ta.max() + tb.max()) <= hi)
    am, bm = _wrap(acc.a_mult * mul), _wrap(acc.b_mult * mul)
    c = _wrap(acc.a_offset * acc.a_mult * mul + acc.b_offset * acc.b_mult * mul + add + off)
    reach = [int(f(BYTES * am)) + int(g(BYTES * bm)) + c for f, g in ((min, min), (max, max))]
    linear &= int(lo + off <= reach[0] and reach[1] <= hi + off)   # (the C's int32 words)
    if linear:
        ta = tb = np.zeros(1, np.int64)              # not read: no flash for them
    return AddTablesS16OptArgs(acc.size, linear, am, bm, c, shift,
                               int(rq.rounding == 1), lo, hi, off, ta, tb)


register(FUSED[(AddS32Args, _rq.RequantS16Args)], make)
