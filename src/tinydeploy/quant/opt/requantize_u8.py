"""td_table_u8_s8_opt / td_table_s8_u8_opt: the requantization of a uint8 tensor to int8
(a NEMO or Deeploy graph's 0..255 image input) and of an int8 tensor to uint8 (a uint8
graph output; the reference td_requantize_u8_s8 / _s8_u8 do a fixed-point multiply per
element) as a 256-entry table computed with the op's own golden, so the kernel gives the
reference kernel's bytes. A table that adds one constant to every byte (the common
x -/+ 128 of a 0..255 tensor stored as int8) runs four bytes per word (``offset``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from tinydeploy.quant.args import array_field
from tinydeploy.quant.golden.quantize import RequantizeS8U8Args, RequantizeU8S8Args
from tinydeploy.quant.golden.quantize import run as run_quantize
from tinydeploy.quant.opt import OptArgs, register
from tinydeploy.quant.opt.table_s8 import byte_offset


@dataclass(frozen=True, eq=False)
class TableU8S8OptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_table_u8_s8_opt"
    size: int
    offset: int                 # table_s8.byte_offset, -1 if none
    table: np.ndarray = array_field("int8_t")

    def parallel_units(self) -> int:
        """The cores share out the elements (check/rv32/harts.py)."""
        return self.size

    def inplace_margin(self) -> int | None:
        """Over its own input only (byte i is read before it is written, on every core)."""
        return 0


def make(a: RequantizeU8S8Args, consts, cores: int = 1,
         lean: bool = False) -> TableU8S8OptArgs:
    table = run_quantize(replace(a, size=256), np.arange(256, dtype=np.uint8))
    t = np.asarray(table, dtype=np.int64)
    return TableU8S8OptArgs(a.size, byte_offset(t, False), t)


register(RequantizeU8S8Args, make)


@dataclass(frozen=True, eq=False)
class TableS8U8OptArgs(TableU8S8OptArgs):
    C_FUNC: ClassVar[str] = "td_table_s8_u8_opt"
    table: np.ndarray = array_field("uint8_t")


def make_s8_u8(a: RequantizeS8U8Args, consts, cores: int = 1,
               lean: bool = False) -> TableS8U8OptArgs:
    """Entry j holds the output of int8 value j - 128."""
    table = run_quantize(replace(a, size=256), np.arange(-128, 128).astype(np.int8))
    t = np.asarray(table, dtype=np.int64)
    return TableS8U8OptArgs(a.size, byte_offset(t, True), t)


register(RequantizeS8U8Args, make_s8_u8)
