"""integer_div: Deeploy's integer division of two tensors (``IntegerDiv``, ``Div_s32_s32``):

    n = delta * eta * a,   d = eta * b + eps   (64 bits, d > 0)
    y = trunc((n + sign(n) * (d >> 1)) / d)     (round half away from zero), int32

``b`` broadcasts to ``a``'s shape (numpy rules). Inputs of any integer type; the frontend
proves ``d > 0`` from b's value range (``b_range``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field, scalar_field
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._integer import (ELEM_BYTES, MAX_DIMS, broadcast_strides, dtypes,
                                              offset, padded, require)


@dataclass(frozen=True, eq=False)
class IntegerDivArgs(KernelArgs):
    C_FUNC = "td_integer_div_s32"

    a_bytes: int              # element size of a (1, 2 or 4)
    b_bytes: int
    a_offset: int             # -zero points
    b_offset: int
    b_min: int                # the smallest b (source value) the graph can hold
    delta: int = scalar_field("int64_t")
    eps: int = scalar_field("int64_t")
    eta: int = scalar_field("int64_t")
    shape: np.ndarray = array_field()       # [MAX_DIMS] output dims, leading 1s
    b_strides: np.ndarray = array_field()   # [MAX_DIMS] element strides of b (0: broadcast)


def prepare(g: Graph, op: Op) -> IntegerDivArgs:
    a, b, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    for t, what in ((a, "a"), (b, "b")):
        dtypes(op, t, ("int8", "int16", "int32"), what)
    dtypes(op, y, ("int32",), "output")
    require(tuple(a.shape) == tuple(y.shape) and len(y.shape) <= MAX_DIMS, op,
            f"output {list(y.shape)} must have a's shape {list(a.shape)}, at most "
            f"{MAX_DIMS}-D")
    try:
        ok = np.broadcast_shapes(b.shape, a.shape) == tuple(a.shape)
    except ValueError:
        ok = False
    require(ok, op, f"b {list(b.shape)} does not broadcast to a {list(a.shape)}")
    delta, eps, eta = (int(op.attrs[k]) for k in ("delta", "eps", "eta"))
    b_lo, b_hi = (int(v) for v in op.attrs["b_range"])
    require(eta > 0 and eta * b_lo + eps > 0, op,
            f"the divisor eta * b + eps can reach {eta * b_lo + eps} (must stay > 0)")
    info = np.iinfo(np.dtype(a.dtype))
    a_max = max(abs(int(info.min) + offset(a)), abs(int(info.max) + offset(a)))
    require(abs(delta * eta) * 2**31 < 2**62 and eta * max(abs(b_lo), abs(b_hi)) + eps < 2**62,
            op, "delta * eta * a exceeds 64 bits")
    require(abs(delta * eta) * a_max // (eta * b_lo + eps) + 1 <= 2**31 - 1, op,
            "the quotient can exceed int32")
    return IntegerDivArgs(ELEM_BYTES[a.dtype], ELEM_BYTES[b.dtype], offset(a), offset(b),
                          b_lo, delta, eps, eta, padded(a.shape, 1),
                          padded(broadcast_strides(b.shape, tuple(a.shape)), 0))


def run(k: IntegerDivArgs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    shape = tuple(int(d) for d in k.shape)
    av = a.astype(np.int64).reshape(shape) + k.a_offset
    flat = np.ascontiguousarray(b, dtype=np.int64).reshape(-1)
    bv = np.lib.stride_tricks.as_strided(flat, shape, [8 * int(s) for s in k.b_strides])
    n = k.delta * k.eta * av
    d = k.eta * (bv + k.b_offset) + k.eps
    s = n + np.where(n >= 0, 1, -1) * (d >> 1)
    q = np.abs(s) // d
    return np.where(s < 0, -q, q).astype(np.int32).reshape(-1)


register("integer_div", prepare, run, IntegerDivArgs)
