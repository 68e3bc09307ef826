"""pad (int8): constant padding with the output zero point (the code of real 0).

Like TFLite Micro's PAD, the input bytes are copied unchanged (no rescaling) and every new
element gets the output's zero point. Shapes of up to :data:`MAX_DIMS` dimensions are
left-extended with size-1 dimensions so the C kernel has a fixed loop nest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register

MAX_DIMS = 6


@dataclass(frozen=True, eq=False)
class PadArgs(KernelArgs):
    C_FUNC = "td_pad_s8"

    in_shape: np.ndarray = array_field()      # [MAX_DIMS], leading 1s
    out_shape: np.ndarray = array_field()     # [MAX_DIMS], leading 1s
    pad_before: np.ndarray = array_field()    # [MAX_DIMS], leading 0s
    pad_value: int = 0


def _extend(values, fill: int) -> np.ndarray:
    values = [int(v) for v in values]
    return np.array([fill] * (MAX_DIMS - len(values)) + values, dtype=np.int32)


def prepare(g: Graph, op: Op) -> PadArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "int8" or y.dtype != "int8":
        raise UnsupportedError(f"pad supports int8 only, got {x.dtype} -> {y.dtype}",
                               node=op.name)
    pads = [tuple(int(v) for v in p) for p in op.attrs["pads"]]
    if len(x.shape) > MAX_DIMS or len(pads) != len(x.shape):
        raise UnsupportedError(f"pad needs one (before, after) pair per dimension, at most "
                               f"{MAX_DIMS}-D", node=op.name)
    if any(b < 0 or a < 0 for b, a in pads):
        raise UnsupportedError("pad with negative amounts (cropping)", node=op.name)
    expect = tuple(d + b + a for d, (b, a) in zip(x.shape, pads))
    if expect != tuple(y.shape):
        raise UnsupportedError(f"pad output shape {y.shape} != {expect}", node=op.name)
    return PadArgs(_extend(x.shape, 1), _extend(y.shape, 1),
                   _extend([b for b, _ in pads], 0), y.quant.zp)


def run(a: PadArgs, x: np.ndarray) -> np.ndarray:
    before = np.asarray(a.pad_before)
    after = np.asarray(a.out_shape) - np.asarray(a.in_shape) - before
    x = x.reshape(tuple(a.in_shape))
    return np.pad(x, list(zip(before, after)), constant_values=a.pad_value).astype(np.int8)


register("pad", prepare, run, PadArgs)
