"""irmsnorm: Deeploy's integer RMS norm (``iRMSNorm``, ``iRMSnorm_s8_s8``), per row of the
last axis, on the source values x (stored + ``x_offset``):

    std = floor(sqrt(floor(sum(x^2) / L) + 1))
    y   = clip(trunc(x * weight / std) >> log2d, clip)

(quantlib's ``PACTIntegerRMSNorm`` with D = 2^log2d; products in 64 bits).
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
class IRMSNormArgs(KernelArgs):
    C_FUNC = "td_irmsnorm_s8"

    rows: int
    length: int               # row length (last axis); weight has this length
    x_offset: int             # -zero point of the input
    log2d: int
    clip_lo: int              # clamp in the source domain
    clip_hi: int
    out_offset: int           # zero point of the output


def prepare(g: Graph, op: Op) -> IRMSNormArgs:
    a = norm_geometry(g, op, 1)
    w = np.abs(g.t(op.inputs[1]).data.astype(np.int64)).max()
    require(256 * int(w) < 2**62, op, "weights too large for 64 bits")
    return IRMSNormArgs(**a)


def run(a: IRMSNormArgs, x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    v = x.astype(np.int64).reshape(a.rows, a.length) + a.x_offset
    std = isqrt_rows((v * v).sum(axis=1, keepdims=True) // a.length + 1)
    y = trunc_div(v * weight.astype(np.int64), std) >> a.log2d
    return (np.clip(y, a.clip_lo, a.clip_hi) + a.out_offset).astype(np.int8).reshape(-1)


register("irmsnorm", prepare, run, IRMSNormArgs)
