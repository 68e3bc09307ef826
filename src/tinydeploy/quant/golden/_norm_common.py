"""Shared parts of the integer norms (ilayernorm, irmsnorm): the row statistics."""

from __future__ import annotations

import math

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden._integer import clip_of, dtypes, offset, require, rows, zp


def isqrt_rows(v: np.ndarray) -> np.ndarray:
    """floor(sqrt(v)) per element of a non-negative int64 array (exact)."""
    return np.array([math.isqrt(int(s)) for s in v.ravel()], dtype=np.int64).reshape(v.shape)


def trunc_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b rounded toward zero (C integer division), b > 0."""
    q = np.abs(a) // b
    return np.where(a < 0, -q, q)


def norm_geometry(g: Graph, op: Op, n_params: int) -> dict:
    """Checks shared by the norms; the common args fields."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    dtypes(op, x, ("int8",), "input")
    dtypes(op, y, ("int8",), "output")
    require(x.shape == y.shape, op, f"output {list(y.shape)} != input {list(x.shape)}")
    n_rows, length = rows(x)
    for k in range(1, 1 + n_params):
        p = g.t(op.inputs[k])
        require(p.is_const and p.dtype == "int32" and p.size == length, op,
                f"parameter '{p.name}' must be {length} int32 constants")
    require(length * 256 * 256 < 2**31, op, f"rows of {length} can overflow the int32 sums")
    lo, hi = clip_of(op, y)
    log2d = int(op.attrs["log2d"])
    require(0 <= log2d <= 62, op, f"shift {log2d} outside [0, 62]")
    return dict(rows=n_rows, length=length, x_offset=offset(x), log2d=log2d, clip_lo=lo,
                clip_hi=hi, out_offset=zp(y))
