"""sub (int8, 16x8): TFLite's quantized SUB, ``a - b`` with both inputs rescaled to a
common scale (:mod:`._rescale`, the arithmetic of ADD with the difference instead of the
sum). Kernels ``td_sub_s8`` and ``td_sub_s16``; any numpy-style broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import _rescale, register
from tinydeploy.quant.golden.add import AddArgs


@dataclass(frozen=True, eq=False)
class SubArgs(AddArgs):
    """The add struct; the kernel subtracts the rescaled b."""
    C_FUNC = "td_sub_s8"


@dataclass(frozen=True, eq=False)
class SubS16Args(SubArgs):
    C_FUNC = "td_sub_s16"


def prepare(g: Graph, op: Op) -> SubArgs:
    dtype = "int16" if g.t(op.outputs[0]).dtype == "int16" else "int8"
    cls = SubS16Args if dtype == "int16" else SubArgs
    return cls(**_rescale.rescale_fields(g, op, dtype))


def run(k: SubArgs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x, y = _rescale.scaled_inputs(k, a, b)
    return _rescale.output(k, x - y, "int16" if isinstance(k, SubS16Args) else "int8")


register("sub", prepare, run, SubArgs)
