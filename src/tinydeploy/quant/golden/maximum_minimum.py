"""maximum and minimum (int8, int16): TFLite Micro's MAXIMUM / MINIMUM compare the stored
integers (``TFLiteOperation``: no rescaling, any numpy-style broadcast), so both inputs
and the output must share one quantization for the result to mean max/min of the reals;
TFLite's converter writes them so. Kernels ``td_{maximum,minimum}_{s8,s16}``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import _broadcast, register


@dataclass(frozen=True, eq=False)
class MaximumArgs(KernelArgs):
    C_FUNC = "td_maximum_s8"
    ndim: int                                  # dims of the merged broadcast walk
    shape: np.ndarray = array_field()
    a_strides: np.ndarray = array_field()      # element strides, 0 = broadcast
    b_strides: np.ndarray = array_field()


@dataclass(frozen=True, eq=False)
class MaximumS16Args(MaximumArgs):
    C_FUNC = "td_maximum_s16"


@dataclass(frozen=True, eq=False)
class MinimumArgs(MaximumArgs):
    C_FUNC = "td_minimum_s8"


@dataclass(frozen=True, eq=False)
class MinimumS16Args(MaximumArgs):
    C_FUNC = "td_minimum_s16"


_ARGS = {("maximum", "int8"): MaximumArgs, ("maximum", "int16"): MaximumS16Args,
         ("minimum", "int8"): MinimumArgs, ("minimum", "int16"): MinimumS16Args}


def prepare(g: Graph, op: Op) -> MaximumArgs:
    a, b, y = (g.t(n) for n in (*op.inputs[:2], op.outputs[0]))
    cls = _ARGS.get((op.kind, y.dtype))
    if cls is None or not a.dtype == b.dtype == y.dtype:
        raise UnsupportedError(f"{op.kind}: {a.dtype}, {b.dtype} -> {y.dtype} (int8 or int16 "
                               "throughout)", node=op.name)
    qs = [t.quant for t in (a, b, y)]
    if any(q is None for q in qs) or len({(q.s, q.zp) for q in qs}) != 1:
        raise UnsupportedError(f"{op.kind}: inputs and output must share one quantization "
                               "(TFLite compares the stored integers)", node=op.name)
    shape, sa, sb = _broadcast.broadcast_layout(g, op)
    return cls(len(shape), np.array(shape, np.int32), np.array(sa, np.int32),
               np.array(sb, np.int32))


def run(k: MaximumArgs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = _broadcast.gather(a, k.shape, k.a_strides)
    y = _broadcast.gather(b, k.shape, k.b_strides)
    out = np.minimum(x, y) if isinstance(k, (MinimumArgs, MinimumS16Args)) else np.maximum(x, y)
    return out.astype(np.int16 if isinstance(k, (MaximumS16Args, MinimumS16Args)) else np.int8)


register("maximum", prepare, run, MaximumArgs)
register("minimum", prepare, run, MaximumArgs)
