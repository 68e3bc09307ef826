"""add (16x8): TFLite's general-scale int16 ADD (``AddGeneralParamScale``): the int8
arithmetic with a 15-bit left shift (:mod:`tinydeploy.quant.golden._rescale`), kernel
``td_add_s16``. (TFLite Micro never takes the power-of-two fast path of its reference
int16 Add.)"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import _rescale, register_variant
from tinydeploy.quant.golden.add import AddArgs
from tinydeploy.quant.golden.int16._common import int16_io


@dataclass(frozen=True, eq=False)
class AddS16Args(AddArgs):
    C_FUNC = "td_add_s16"


def prepare(g: Graph, op: Op) -> AddS16Args:
    return AddS16Args(**_rescale.rescale_fields(g, op, "int16"))


def run(k: AddS16Args, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x, y = _rescale.scaled_inputs(k, a, b)
    return _rescale.output(k, x + y, "int16")


register_variant("add", int16_io, prepare, run, AddS16Args)
