"""concat (int8): join inputs along ``axis`` by copying bytes (no rescaling).

As in TFLite Micro, every input must already have the output's quantization; a graph
whose inputs differ is rejected here, naming the node (a pass inserts requantize ops).
The tensor is seen as ``[outer, axis * inner]``: for each of the ``outer`` rows, input i
contributes ``copy_sizes[i]`` contiguous bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register


@dataclass(frozen=True, eq=False)
class ConcatArgs(KernelArgs):
    C_FUNC = "td_concat_s8"
    C_VARIADIC = True

    num_inputs: int
    outer: int                                 # product of the dims before axis
    copy_sizes: np.ndarray = array_field()    # [num_inputs]: dim(axis) * inner per input


def _check_quant(g: Graph, op: Op) -> None:
    y = g.t(op.outputs[0])
    for n in op.inputs:
        x = g.t(n)
        if x.dtype != "int8" or y.dtype != "int8":
            raise UnsupportedError(f"concat supports int8 only, got {x.dtype} -> {y.dtype}",
                                   node=op.name)
        if x.quant.s != y.quant.s or x.quant.zp != y.quant.zp:
            raise UnsupportedError(
                f"concat input '{n}' quantization (scale {x.quant.s:g}, zero point "
                f"{x.quant.zp}) differs from the output's (scale {y.quant.s:g}, zero point "
                f"{y.quant.zp}); requantize first", node=op.name)


def prepare(g: Graph, op: Op) -> ConcatArgs:
    _check_quant(g, op)
    y = g.t(op.outputs[0])
    axis = int(op.attrs["axis"])
    axis = axis + len(y.shape) if axis < 0 else axis
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    inner = int(np.prod(y.shape[axis + 1:], dtype=np.int64))
    for n in op.inputs:
        s = g.t(n).shape
        if len(s) != len(y.shape) or s[:axis] != y.shape[:axis] or \
                s[axis + 1:] != y.shape[axis + 1:]:
            raise UnsupportedError(f"concat input '{n}' shape {s} does not fit output "
                                   f"{y.shape} on axis {axis}", node=op.name)
    if sum(g.t(n).shape[axis] for n in op.inputs) != y.shape[axis]:
        raise UnsupportedError("concat input sizes do not add up to the output",
                               node=op.name)
    sizes = np.array([g.t(n).shape[axis] * inner for n in op.inputs], dtype=np.int32)
    return ConcatArgs(len(op.inputs), outer, sizes)


def run(a: ConcatArgs, *inputs: np.ndarray) -> np.ndarray:
    rows = [x.reshape(a.outer, int(n)) for x, n in zip(inputs, a.copy_sizes)]
    return np.concatenate(rows, axis=1).astype(np.int8).ravel()


register("concat", prepare, run, ConcatArgs)
