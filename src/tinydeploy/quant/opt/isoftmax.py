"""td_isoftmax_s8_opt: Deeploy's integer softmax with its exponential tabulated
(kernels/opt/td_isoftmax_s8_opt.h). The reference computes, per value, from
``t = x - max(x)`` in [-255, 0] (quant/golden/isoftmax.py); the table holds that
exponential for every ``max - x`` in [0, 255], computed with the golden's own formula,
so the kernel's sums and outputs are the reference's."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from tinydeploy.quant.args import array_field
from tinydeploy.quant.golden.isoftmax import ISoftmaxArgs
from tinydeploy.quant.golden.isoftmax import exponentials as golden_exponentials
from tinydeploy.quant.opt import MAKERS, OptArgs, register


@dataclass(frozen=True, eq=False)
class ISoftmaxOptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_isoftmax_s8_opt"
    rows: int
    length: int
    levels: int
    out_offset: int
    exp: np.ndarray = array_field("int32_t")


def table(a: ISoftmaxArgs) -> np.ndarray:
    """e for max - x = 0, 1, .., 255: the golden's exponentials of a row holding them."""
    one = replace(a, rows=1, length=256)
    return golden_exponentials(one, -np.arange(256, dtype=np.int64)).reshape(-1)


def make(a: ISoftmaxArgs, consts, cores: int = 1, lean: bool = False):
    return ISoftmaxOptArgs(a.rows, a.length, a.n_levels - 1, a.out_offset, table(a))


if ISoftmaxArgs not in MAKERS:
    register(ISoftmaxArgs, make)
