"""dequantize: int8/uint8 -> float32, ``y = s * (q - zp)``.

TFLite computes the product in double and rounds it to float once. ``q - zp`` needs at most
10 bits and ``s`` (a float32) 24, so the product is exact in double, and a float32 multiply
(the C kernel's) is that same exact product correctly rounded: both give identical bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, scalar_field
from tinydeploy.quant.golden import register, require_same_size


@dataclass(frozen=True, eq=False)
class DequantizeArgs(KernelArgs):
    C_FUNC = "td_dequantize_s8_f32"
    size: int
    scale: float = scalar_field("float")
    zero_point: int


class DequantizeU8Args(DequantizeArgs):
    C_FUNC = "td_dequantize_u8_f32"


_ARGS = {"int8": DequantizeArgs, "uint8": DequantizeU8Args}


def prepare(g: Graph, op: Op) -> DequantizeArgs:
    require_same_size(g, op)
    x, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype not in _ARGS or out.dtype != "float32":
        raise UnsupportedError(f"dequantize {x.dtype} -> {out.dtype} is not supported "
                               "(int8/uint8 -> float32 only)", node=op.name)
    if x.quant is None or x.quant.per_channel:
        raise UnsupportedError("dequantize: input needs per-tensor quantization", node=op.name)
    return _ARGS[x.dtype](size=x.size, scale=x.quant.s, zero_point=x.quant.zp)


def run(args: DequantizeArgs, x: np.ndarray) -> np.ndarray:
    v = np.asarray(x).astype(np.int64) - args.zero_point
    return (np.float64(np.float32(args.scale)) * v).astype(np.float32)


register("dequantize", prepare, run, DequantizeArgs)
