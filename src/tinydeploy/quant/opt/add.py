"""td_add_s8_opt: the optimized int8 add's args (kernels/opt/td_add_s8_opt.h): each
input's rescale tabulated over its 256 byte values, and the output requantization in
its fast form with clamp thresholds where exact (``_tflite_rq.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.quant.args import array_field
from tinydeploy.quant.golden.add import AddArgs
from tinydeploy.quant.opt import OptArgs, register
from tinydeploy.quant.opt._tflite_rq import requant_words
from tinydeploy.quant.requant import multiply_by_quantized_multiplier


@dataclass(frozen=True, eq=False)
class AddOptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_add_s8_opt"
    C_INPUTS: ClassVar[tuple[int, ...]] = (0, 1)
    ndim: int
    shape: np.ndarray = array_field()
    a_strides: np.ndarray = array_field()
    b_strides: np.ndarray = array_field()
    fast: int
    out_multiplier: int
    out_shift: int
    out_offset: int
    act_min: int
    act_max: int
    ta: np.ndarray = array_field()
    tb: np.ndarray = array_field()
    q: np.ndarray = array_field()

    def parallel_units(self) -> int:
        return int(np.prod(self.shape))


def _table(offset: int, left: int, mult: int, shift: int) -> np.ndarray:
    """Rescaled value of every byte, indexed by the byte as unsigned (0..255)."""
    x = np.arange(256, dtype=np.int64)
    x = np.where(x >= 128, x - 256, x)                   # the signed byte at that index
    return multiply_by_quantized_multiplier((x + offset) << left, mult, shift)


def make(a: AddArgs, consts, cores: int = 1, lean: bool = False) -> AddOptArgs | None:
    if any(c is not None for c in consts):
        return None                                      # a constant input: keep reference
    ta = _table(a.a_offset, a.left_shift, a.a_multiplier, a.a_shift)
    tb = _table(a.b_offset, a.left_shift, a.b_multiplier, a.b_shift)
    bound = int(np.abs(ta).max() + np.abs(tb).max())
    fast, rq = requant_words([a.out_multiplier], [a.out_shift], a.out_offset, a.act_min,
                             a.act_max, [bound])
    q = [int(v) for v in rq[0][:4]] + [int(v) for v in rq[0][8:10]]
    return AddOptArgs(a.ndim, np.asarray(a.shape), np.asarray(a.a_strides),
                      np.asarray(a.b_strides), int(fast[0]), a.out_multiplier, a.out_shift,
                      a.out_offset, a.act_min, a.act_max, ta, tb, np.array(q, dtype=np.int64))


register(AddArgs, make)
