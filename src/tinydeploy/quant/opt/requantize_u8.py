"""td_table_u8_s8_opt: the requantization of a uint8 tensor to int8 (a NEMO or Deeploy
graph's 0..255 image input; the reference td_requantize_u8_s8 does a fixed-point multiply
per element) as a 256-entry table computed with the op's own golden, so the kernel gives
the reference kernel's bytes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from tinydeploy.quant.args import array_field
from tinydeploy.quant.golden.quantize import RequantizeU8S8Args
from tinydeploy.quant.golden.quantize import run as run_quantize
from tinydeploy.quant.opt import OptArgs, register


@dataclass(frozen=True, eq=False)
class TableU8S8OptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_table_u8_s8_opt"
    size: int
    table: np.ndarray = array_field("int8_t")

    def inplace_margin(self) -> int | None:
        """Over its own input only (byte i is read before it is written, on every core)."""
        return 0


def make(a: RequantizeU8S8Args, consts, cores: int = 1,
         lean: bool = False) -> TableU8S8OptArgs:
    table = run_quantize(replace(a, size=256), np.arange(256, dtype=np.uint8))
    return TableU8S8OptArgs(a.size, np.asarray(table, dtype=np.int64))


register(RequantizeU8S8Args, make)
