"""unary (float32): y = fn(x) elementwise (kernel td_unary_f32; codes as its header).

Also the float32 variants of the integer elementwise kinds TFLite float models use
(``logistic``, ``tanh``, ``hard_swish``, ``leaky_relu``, ``abs``): the same kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.ir.ops.float32 import UNARY_FNS
from tinydeploy.quant.args import KernelArgs, scalar_field
from tinydeploy.quant.golden import register, register_variant
from tinydeploy.quant.golden.float32._common import (F32, all_f32, erf64, finite, is_f32, libm,
                                                     require)

SQRT1_2 = F32(0.70710678118654752)


@dataclass(frozen=True, eq=False)
class UnaryF32Args(KernelArgs):
    C_FUNC = "td_unary_f32"

    size: int
    fn: int
    alpha: float = scalar_field("float", 0.0)
    beta: float = scalar_field("float", 0.0)


_KIND_FN = {"logistic": ("sigmoid", 0.0, 0.0), "tanh": ("tanh", 0.0, 0.0),
            "hard_swish": ("hard_swish", 1.0 / 6.0, 0.5), "abs": ("abs", 0.0, 0.0)}


def prepare(g: Graph, op: Op) -> UnaryF32Args:
    x, y = all_f32(g, op, 1)
    require(x.size == y.size, op, f"output {list(y.shape)} does not hold the {x.size} "
            "elements of the input")
    if op.kind == "unary":
        fn = op.attrs["fn"]
        alpha, beta = op.attrs.get("alpha", 0.0), op.attrs.get("beta", 0.0)
    elif op.kind == "leaky_relu":
        fn, alpha, beta = "leaky_relu", float(op.attrs["alpha"]), 0.0
    else:
        fn, alpha, beta = _KIND_FN[op.kind]
    require(fn in UNARY_FNS, op, f"unknown function '{fn}'")
    finite(op, alpha=alpha, beta=beta)
    return UnaryF32Args(x.size, UNARY_FNS.index(fn), float(F32(alpha)), float(F32(beta)))


def _hard_sigmoid(x, a, b):
    t = a * x + b
    return np.where(t < 0, F32(0), np.where(t > 1, F32(1), t)).astype(F32)


def run(a: UnaryF32Args, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=F32).reshape(-1)
    al, be = F32(a.alpha), F32(a.beta)
    one = F32(1)
    fn = UNARY_FNS[a.fn]
    with np.errstate(all="ignore"):
        if fn == "relu":
            return np.where(x > 0, x, F32(0)).astype(F32)
        if fn == "exp":
            return libm(np.exp, x)
        if fn == "sqrt":
            return np.sqrt(x)
        if fn == "sigmoid":
            return one / (one + libm(np.exp, -x))
        if fn == "tanh":
            return libm(np.tanh, x)
        if fn == "gelu":
            return F32(0.5) * x * (one + erf64(x * SQRT1_2).astype(F32))
        if fn == "hard_sigmoid":
            return _hard_sigmoid(x, al, be)
        if fn == "hard_swish":
            return x * _hard_sigmoid(x, al, be)
        if fn == "swish":
            return x / (one + libm(np.exp, -(al * x)))
        if fn == "floor":
            return np.floor(x)
        if fn == "ceil":
            return np.ceil(x)
        if fn == "clip":
            return np.where(x < al, al, np.where(x > be, be, x)).astype(F32)
        if fn == "neg":
            return -x
        if fn == "abs":
            return np.abs(x)
        if fn == "erf":
            return erf64(x).astype(F32)
        if fn == "leaky_relu":
            return np.where(x >= 0, x, al * x).astype(F32)
        if fn == "reciprocal":
            return one / x
        if fn == "log":
            return libm(np.log, x)
        if fn == "round":
            return np.rint(x)
        return x.copy()


register("unary", prepare, run, UnaryF32Args)
for _kind in ("logistic", "tanh", "hard_swish", "leaky_relu", "abs"):
    register_variant(_kind, is_f32, prepare, run, UnaryF32Args)
