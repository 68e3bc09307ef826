"""td_ilayernorm_s8_opt: Deeploy's integer LayerNorm in 32-bit arithmetic
(kernels/opt/td_ilayernorm_s8_opt.h) where the weights prove it exact: every centered
value is at most 255 in magnitude, so ``255 * |weight| + |bias| < 2^31`` keeps the
product, the truncating quotient and the sum with the bias in int32 (the reference
computes them in int64). Other layers keep the reference kernel (None)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.quant.args import array_field
from tinydeploy.quant.golden.ilayernorm import ILayerNormArgs
from tinydeploy.quant.opt import MAKERS, OptArgs, register


@dataclass(frozen=True, eq=False)
class ILayerNormOptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_ilayernorm_s8_opt"
    rows: int
    length: int
    x_offset: int
    log2d: int
    clip_lo: int
    clip_hi: int
    out_offset: int
    weight: np.ndarray = array_field("int32_t")
    bias: np.ndarray = array_field("int32_t")


def make(a: ILayerNormArgs, consts, cores: int = 1,
         lean: bool = False) -> ILayerNormOptArgs | None:
    w, b = (np.asarray(consts[i], dtype=np.int64).reshape(-1) for i in (1, 2))
    if 255 * int(np.abs(w).max()) + int(np.abs(b).max()) >= 2**31 or a.log2d > 31 \
            or a.length > 2**15:
        return None
    return ILayerNormOptArgs(a.rows, a.length, a.x_offset, a.log2d, a.clip_lo, a.clip_hi,
                             a.out_offset, w, b)


if ILayerNormArgs not in MAKERS:
    register(ILayerNormArgs, make)
