"""reduce_max (int8): TFLite Micro's REDUCE_MAX, the largest stored integer over the
reduced axes (``ReduceGeneric``; input and output share one quantization, which TFLite
Micro requires). Kernel ``td_reduce_max_s8``; the walk is MEAN's (:mod:`._reduce_common`).
TFLite Micro has no int16 REDUCE_MAX."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import _reduce_common as _rc
from tinydeploy.quant.golden import register


@dataclass(frozen=True, eq=False)
class ReduceMaxArgs(KernelArgs):
    C_FUNC = "td_reduce_max_s8"
    keep_dims: np.ndarray = array_field()     # [6] kept dim sizes, leading 1s
    keep_strides: np.ndarray = array_field()  # [6] their input strides (elements)
    red_dims: np.ndarray = array_field()      # [6] reduced dim sizes, leading 1s
    red_strides: np.ndarray = array_field()   # [6] their input strides (elements)
    count: int = 1                            # elements reduced per output


def prepare(g: Graph, op: Op) -> ReduceMaxArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "int8" or y.dtype != "int8":
        raise UnsupportedError(f"reduce_max: {x.dtype} -> {y.dtype} (int8 only: TFLite "
                               "Micro has no int16 REDUCE_MAX)", node=op.name)
    if x.quant is None or y.quant is None or (x.quant.s, x.quant.zp) != (y.quant.s,
                                                                         y.quant.zp):
        raise UnsupportedError("reduce_max: input and output quantization differ (TFLite "
                               "compares the stored integers)", node=op.name)
    return ReduceMaxArgs(**_rc.layout(op, x, y))


def run(a: ReduceMaxArgs, x: np.ndarray) -> np.ndarray:
    v = _rc.reduced_view(a, x)
    out = v.max(axis=tuple(range(_rc.MAX_DIMS, 2 * _rc.MAX_DIMS))).reshape(-1)
    return out.astype(np.int8)


register("reduce_max", prepare, run, ReduceMaxArgs)
