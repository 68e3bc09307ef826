"""arg_max and arg_min (int8 input, int32 output): TFLite's ARG_MAX / ARG_MIN, the index
of the first largest (smallest) stored integer along one axis (strict comparison: ties
keep the first). Kernels ``td_arg_max_s8``, ``td_arg_min_s8``; the tensor is seen as
``[outer, axis, inner]``. TFLite Micro has no int16 ARG_MAX / ARG_MIN."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register


@dataclass(frozen=True, eq=False)
class ArgMaxArgs(KernelArgs):
    C_FUNC = "td_arg_max_s8"
    outer: int             # product of the dims before the axis
    axis_len: int
    inner: int             # product of the dims after the axis


class ArgMinArgs(ArgMaxArgs):
    C_FUNC = "td_arg_min_s8"


_ARGS = {"arg_max": ArgMaxArgs, "arg_min": ArgMinArgs}


def prepare(g: Graph, op: Op) -> ArgMaxArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    cls = _ARGS[op.kind]
    if x.dtype != "int8" or y.dtype != "int32":
        raise UnsupportedError(f"{op.kind}: {x.dtype} -> {y.dtype} (int8 -> int32 only: "
                               "TFLite Micro has no int16 ARG_MAX/ARG_MIN)", node=op.name)
    axis = int(op.attrs["axis"]) % max(len(x.shape), 1)
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    if y.size != outer * inner:
        raise UnsupportedError(f"{op.kind}: output {list(y.shape)} for input "
                               f"{list(x.shape)} along axis {axis}", node=op.name)
    return cls(outer, int(x.shape[axis]), inner)


def run(a: ArgMaxArgs, x: np.ndarray) -> np.ndarray:
    v = np.ascontiguousarray(x).reshape(a.outer, a.axis_len, a.inner)
    pick = np.argmin if isinstance(a, ArgMinArgs) else np.argmax
    return pick(v, axis=1).astype(np.int32).reshape(-1)     # numpy keeps the first, too


register("arg_max", prepare, run, ArgMaxArgs)
register("arg_min", prepare, run, ArgMaxArgs)
