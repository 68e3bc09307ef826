"""cast: TFLite's CAST, ``static_cast`` of every value between int8, int16, int32, uint32
and float32 (the quantization is ignored). Integers narrow by wrapping (two's complement),
integers become the nearest float32, floats truncate toward zero; a float outside the
target type (undefined C++, where TFLite Micro's result is whatever the CPU gives)
saturates here, NaN gives 0. Kernel ``td_cast_any`` (element types as arguments)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register, require_same_size

TYPES = {"int8": 0, "int16": 1, "int32": 2, "float32": 3, "uint32": 4}


@dataclass(frozen=True, eq=False)
class CastArgs(KernelArgs):
    C_FUNC = "td_cast_any"
    size: int
    in_type: int          # 0 int8, 1 int16, 2 int32, 3 float32, 4 uint32
    out_type: int


def prepare(g: Graph, op: Op) -> CastArgs:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype not in TYPES or y.dtype not in TYPES:
        raise UnsupportedError(f"cast {x.dtype} -> {y.dtype} (int8, int16, int32, uint32, "
                               "float32)",
                               node=op.name)
    return CastArgs(x.size, TYPES[x.dtype], TYPES[y.dtype])


def run(a: CastArgs, x: np.ndarray) -> np.ndarray:
    out = [np.int8, np.int16, np.int32, np.float32, np.uint32][a.out_type]
    v = np.asarray(x)
    if a.out_type == 3:
        return v.astype(np.float32)
    info = np.iinfo(out)
    if a.in_type == 3:
        with np.errstate(invalid="ignore"):
            f = np.trunc(np.nan_to_num(v.astype(np.float64), nan=0.0))
        return np.clip(f, info.min, info.max).astype(out)
    return v.astype(np.int64).astype(out)       # wraps (two's complement)


register("cast", prepare, run, CastArgs)
