"""isoftmax: the I-BERT integer softmax of Deeploy (``iSoftmax``), row by row (last axis).

Per row of ``L`` values x (stored values: the softmax is shift-invariant, so the zero
point cancels), with the node's integer coefficients A, B, C and ``log2``:

    t = x - max(x)                       (t <= 0)
    z = floor(-t / log2)                 (how many halvings)
    p = t + z * log2                     (in (-log2, 0])
    e = (A * (p + B)^2 + C) >> z         (z >= 31 gives 0: e < 2^31 is required)
    y = floor(e * (n_levels - 1) / sum(e))        in [0, n_levels - 1]

i.e. quantlib's ``PACTIntegerSoftmax`` and Deeploy's ``Softmax_s8_s8`` (whose int8 result
is y - n_levels/2, read back as unsigned), with every intermediate an exact integer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, scalar_field
from tinydeploy.quant.golden import register, require_same_size
from tinydeploy.quant.golden._integer import dtypes, require, rows, zp


@dataclass(frozen=True, eq=False)
class ISoftmaxArgs(KernelArgs):
    C_FUNC = "td_isoftmax_s8"

    rows: int
    length: int               # row length (last axis)
    coeff_a: int
    coeff_b: int
    coeff_c: int = scalar_field("int64_t")
    log2: int = 1
    n_levels: int = 256
    out_offset: int = 0       # zero point of the output


def exp_bound(coeff_a: int, coeff_b: int, coeff_c: int, log2: int) -> int:
    """Largest A * (p + B)^2 + C over p in (-log2, 0]."""
    return coeff_a * max(coeff_b ** 2, (coeff_b - log2 + 1) ** 2) + coeff_c


def prepare(g: Graph, op: Op) -> ISoftmaxArgs:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    dtypes(op, x, ("int8",), "input")
    dtypes(op, y, ("int8",), "output")
    a = {k: int(op.attrs[k]) for k in ("coeff_a", "coeff_b", "coeff_c", "log2", "n_levels")}
    require(a["log2"] >= 1 and a["coeff_a"] >= 0 and a["coeff_c"] >= 0, op,
            "log2 must be >= 1, coeff_a and coeff_c >= 0")
    require(2 <= a["n_levels"] <= 256, op, f"n_levels {a['n_levels']} outside [2, 256]")
    e_max = exp_bound(a["coeff_a"], a["coeff_b"], a["coeff_c"], a["log2"])
    n_rows, length = rows(x)
    require(e_max < 2**31, op, f"exponentials up to {e_max} do not fit 31 bits")
    require(e_max * length < 2**32 and e_max * (a["n_levels"] - 1) < 2**32, op,
            "the row sum or e * (n_levels - 1) exceeds 32 bits")
    require(a["n_levels"] - 1 + zp(y) <= 127 and zp(y) >= -128, op,
            f"outputs [0, {a['n_levels'] - 1}] + zero point {zp(y)} do not fit int8")
    return ISoftmaxArgs(rows=n_rows, length=length, out_offset=zp(y), **a)


def exponentials(a: ISoftmaxArgs, x: np.ndarray) -> np.ndarray:
    v = x.astype(np.int64).reshape(a.rows, a.length)
    t = v - v.max(axis=1, keepdims=True)
    z = (-t) // a.log2
    p = t + z * a.log2
    e = a.coeff_a * (p + a.coeff_b) ** 2 + a.coeff_c
    return e >> np.minimum(z, 31)


def run(a: ISoftmaxArgs, x: np.ndarray) -> np.ndarray:
    e = exponentials(a, x)
    y = e * (a.n_levels - 1) // e.sum(axis=1, keepdims=True)
    return (y + a.out_offset).astype(np.int8).reshape(-1)


register("isoftmax", prepare, run, ISoftmaxArgs)
