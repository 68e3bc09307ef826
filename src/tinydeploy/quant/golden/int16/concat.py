"""concat (16x8): join int16 inputs along ``axis`` by copying their bytes, as TFLite
Micro's CONCATENATION does for int16 (no rescaling: the inputs must share the output's
quantization); and int32/uint32 concats of raw integers (any number of inputs, no
quantization: micro_speech's zero-filled energy bins). Kernel ``td_concat_any``: any element size, any number of inputs; the
tensor is seen as ``[outer, axis * inner]`` and input i contributes ``copy_sizes[i]``
contiguous elements to every row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden.int16._common import require_int16


@dataclass(frozen=True, eq=False)
class ConcatAnyArgs(KernelArgs):
    C_FUNC = "td_concat_any"
    C_VARIADIC = True
    C_VARIADIC_CTYPE: ClassVar[str] = "const void"   # the element type of the input array

    elem_bytes: int                            # 1, 2 or 4
    num_inputs: int
    outer: int                                 # product of the dims before axis
    copy_sizes: np.ndarray = array_field()    # [num_inputs] elements per row and input


_RAW = ("int32", "uint32")     # raw integers (TFLM's int32 CONCATENATION copies them)


def _int16_concat(g: Graph, op: Op) -> bool:
    """int16 concats other than of two inputs (those are movement_any's td_concat2_any,
    the same copy, for any zero point), and int32/uint32 concats of raw integers."""
    y = g.t(op.outputs[0])
    return "requant" not in op.attrs and (
        (y.dtype == "int16" and len(op.inputs) != 2) or (y.dtype in _RAW and y.quant is None))


def prepare(g: Graph, op: Op) -> ConcatAnyArgs:
    y = g.t(op.outputs[0])
    if y.dtype in _RAW:
        return _prepare(g, op, y, 4)
    require_int16(op, y)
    return _prepare(g, op, y, 2)


def _prepare(g: Graph, op: Op, y, elem_bytes: int) -> ConcatAnyArgs:
    axis = int(op.attrs["axis"]) % max(len(y.shape), 1)
    inner = int(np.prod(y.shape[axis + 1:], dtype=np.int64))
    for n in op.inputs:
        x = g.t(n)
        if elem_bytes == 4:
            if x.dtype != y.dtype or x.quant is not None:
                raise UnsupportedError(f"concat input '{n}' ({x.dtype}"
                                       f"{', quantized' if x.quant else ''}) into a raw "
                                       f"{y.dtype} output: the inputs must be raw {y.dtype} "
                                       "too", node=op.name)
        else:
            require_int16(op, x)
        if elem_bytes == 2 and abs(x.quant.s - y.quant.s) > 1e-6 * y.quant.s:
            raise UnsupportedError(f"concat input '{n}' scale {x.quant.s:g} differs from the "
                                   f"output's {y.quant.s:g} (requantize first)", node=op.name)
        if len(x.shape) != len(y.shape) or x.shape[:axis] != y.shape[:axis] or \
                x.shape[axis + 1:] != y.shape[axis + 1:]:
            raise UnsupportedError(f"concat input '{n}' shape {x.shape} does not fit output "
                                   f"{y.shape} on axis {axis}", node=op.name)
    if sum(g.t(n).shape[axis] for n in op.inputs) != y.shape[axis]:
        raise UnsupportedError("concat input sizes do not add up to the output", node=op.name)
    sizes = np.array([g.t(n).shape[axis] * inner for n in op.inputs], dtype=np.int32)
    return ConcatAnyArgs(elem_bytes, len(op.inputs), int(np.prod(y.shape[:axis],
                                                                   dtype=np.int64)), sizes)


def run(a: ConcatAnyArgs, *inputs: np.ndarray) -> np.ndarray:
    rows = [x.reshape(a.outer, int(n)) for x, n in zip(inputs, a.copy_sizes)]
    return np.concatenate(rows, axis=1).ravel()


register_variant("concat", _int16_concat, prepare, run, ConcatAnyArgs)
