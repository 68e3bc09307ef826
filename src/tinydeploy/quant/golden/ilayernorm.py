"""ilayernorm: Deeploy's integer layer norm (``iLayerNorm``, ``Layernorm_s8_s8``), per row
of the last axis, on the source values x (stored + ``x_offset``):

    mean = trunc(sum(x) / L)
    var  = floor(sum((x - mean)^2) / L) + 1,     std = floor(sqrt(var))
    y    = clip((trunc((x - mean) * weight / std) + bias) >> log2d, clip)

(quantlib's ``PACTIntegerLayerNorm``; products in 64 bits, the right shift floors).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._integer import require
from tinydeploy.quant.golden._norm_common import isqrt_rows, norm_geometry, trunc_div


@dataclass(frozen=True, eq=False)
class ILayerNormArgs(KernelArgs):
    C_FUNC = "td_ilayernorm_s8"

    rows: int
    length: int               # row length (last axis); weight and bias have this length
    x_offset: int             # -zero point of the input
    log2d: int
    clip_lo: int              # clamp in the source domain
    clip_hi: int
    out_offset: int           # zero point of the output


def prepare(g: Graph, op: Op) -> ILayerNormArgs:
    a = norm_geometry(g, op, 2)
    w = np.abs(g.t(op.inputs[1]).data.astype(np.int64)).max()
    b = np.abs(g.t(op.inputs[2]).data.astype(np.int64)).max()
    require(512 * int(w) + int(b) < 2**62, op, "weight and bias too large for 64 bits")
    return ILayerNormArgs(**a)


def run(a: ILayerNormArgs, x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    v = x.astype(np.int64).reshape(a.rows, a.length) + a.x_offset
    mean = trunc_div(v.sum(axis=1, keepdims=True), a.length)
    c = v - mean
    std = isqrt_rows((c * c).sum(axis=1, keepdims=True) // a.length + 1)
    y = (trunc_div(c * weight.astype(np.int64), std) + bias.astype(np.int64)) >> a.log2d
    return (np.clip(y, a.clip_lo, a.clip_hi) + a.out_offset).astype(np.int8).reshape(-1)


register("ilayernorm", prepare, run, ILayerNormArgs)
