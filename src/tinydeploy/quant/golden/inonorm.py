"""inonorm: Deeploy's integer "no norm" (``iNoNorm``: an affine map, MobileBERT's
NoNorm), elementwise on the source values x (stored + ``x_offset``):

    y = clip(((x * weight + bias) * mul) >> log2d, clip)

``weight`` and ``bias`` are int32 constants that repeat along the tensor: element i reads
``weight[i % w_period]`` and ``bias[i % b_period]`` (the frontend expands any other
broadcast). Products in 64 bits, the shift floors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register, require_same_size
from tinydeploy.quant.golden._integer import clip_of, dtypes, offset, require, zp


@dataclass(frozen=True, eq=False)
class INoNormArgs(KernelArgs):
    C_FUNC = "td_inonorm_s8"

    size: int
    w_period: int             # weight entries (divides size)
    b_period: int             # bias entries (divides size)
    x_offset: int             # -zero point of the input
    mul: int
    log2d: int
    clip_lo: int              # clamp in the source domain
    clip_hi: int
    out_offset: int           # zero point of the output


def prepare(g: Graph, op: Op) -> INoNormArgs:
    require_same_size(g, op)
    x, w, b, y = (g.t(n) for n in (*op.inputs[:3], op.outputs[0]))
    dtypes(op, x, ("int8",), "input")
    dtypes(op, y, ("int8",), "output")
    for p in (w, b):
        require(p.is_const and p.dtype == "int32" and x.size % p.size == 0, op,
                f"parameter '{p.name}' must be int32 constants repeating along the input")
    mul, log2d = int(op.attrs["mul"]), int(op.attrs["log2d"])
    require(0 <= log2d <= 62 and abs(mul) < 2**31, op, "mul or shift out of range")
    big = (256 * int(np.abs(w.data.astype(np.int64)).max()) +
           int(np.abs(b.data.astype(np.int64)).max())) * abs(mul)
    require(big < 2**62, op, "intermediates exceed 64 bits")
    lo, hi = clip_of(op, y)
    return INoNormArgs(x.size, w.size, b.size, offset(x), mul, log2d, lo, hi, zp(y))


def run(a: INoNormArgs, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    v = x.astype(np.int64).reshape(-1) + a.x_offset
    i = np.arange(a.size)
    s = (v * w.astype(np.int64).reshape(-1)[i % a.w_period]
         + b.astype(np.int64).reshape(-1)[i % a.b_period]) * a.mul
    return (np.clip(s >> a.log2d, a.clip_lo, a.clip_hi) + a.out_offset).astype(np.int8)


register("inonorm", prepare, run, INoNormArgs)
