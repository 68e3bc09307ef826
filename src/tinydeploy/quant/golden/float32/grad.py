"""Backward kernels of ONNX Runtime training graphs (float32), in the order their C
kernels compute:

gelu_grad (td_gelu_grad_f32): cdf = 0.5f * (1.0f + erff(x * 0.70710678f)), pdf =
expf((-0.5f * x) * x) * 0.39894228f, dx = dy * (cdf + x * pdf) (ONNX Runtime's GeluGrad,
the derivative of the erf-form Gelu the forward pass runs).

norm_grad (td_norm_grad_f32, LayerNormalizationGrad over the last axis as Deeploy's
LayernormGrad computes it): per row of N, mean = (sum x) / N, var = (sum (x - mean)^2) /
N + eps, inv = 1.0f / sqrtf(var); s1 = sum dy, s2 = sum ((dy * scale) * c) * inv with c =
x - mean (sums from 0.0f in increasing index); dx = (inv * scale) * ((dy - s1 / N) -
((c * inv) * inv / N) * s2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, scalar_field
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden.float32._common import (F32, all_f32, erf64, finite, libm,
                                                     require, seq_sum)

SQRT1_2 = F32(0.70710678118654752)
INV_SQRT_2PI = F32(0.39894228040143268)


@dataclass(frozen=True, eq=False)
class GeluGradF32Args(KernelArgs):
    C_FUNC = "td_gelu_grad_f32"

    size: int


def prepare_gelu(g: Graph, op: Op) -> GeluGradF32Args:
    dy, x, dx = all_f32(g, op)
    require(dy.shape == x.shape == dx.shape, op, "dy, x and dx of one shape")
    return GeluGradF32Args(x.size)


def run_gelu(p: GeluGradF32Args, dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    d = np.asarray(dy, dtype=F32).reshape(-1)
    v = np.asarray(x, dtype=F32).reshape(-1)
    cdf = F32(0.5) * (F32(1) + erf64(v * SQRT1_2).astype(F32))
    pdf = libm(np.exp, (F32(-0.5) * v) * v) * INV_SQRT_2PI
    return (d * (cdf + v * pdf)).astype(F32)


@dataclass(frozen=True, eq=False)
class NormGradF32Args(KernelArgs):
    C_FUNC = "td_norm_grad_f32"

    rows: int
    inner: int
    epsilon: float = scalar_field("float", 0.0)


def prepare_norm(g: Graph, op: Op) -> NormGradF32Args:
    dy, x, scale, dx = all_f32(g, op, 3)
    inner = int(op.attrs["inner"])
    require(dy.shape == x.shape == dx.shape and x.shape and x.shape[-1] == inner, op,
            f"dy, x and dx of one shape with rows of {inner}")
    require(scale.size == inner, op, f"scale of {scale.size} elements for rows of {inner}")
    eps = op.attrs.get("epsilon", 1e-5)
    finite(op, epsilon=eps)
    return NormGradF32Args(x.size // inner, inner, float(F32(eps)))


def run_norm(p: NormGradF32Args, dy: np.ndarray, x: np.ndarray,
             scale: np.ndarray) -> np.ndarray:
    d = np.asarray(dy, dtype=F32).reshape(p.rows, p.inner)
    v = np.asarray(x, dtype=F32).reshape(p.rows, p.inner)
    s = np.asarray(scale, dtype=F32).reshape(1, p.inner)
    n = F32(p.inner)
    mean = (seq_sum(v) / n)[:, None]
    c = v - mean
    var = seq_sum(c * c) / n + F32(p.epsilon)
    inv = (F32(1) / np.sqrt(var))[:, None]
    s1 = seq_sum(d)[:, None]
    s2 = seq_sum(((d * s) * c) * inv)[:, None]
    dx = (inv * s) * ((d - s1 / n) - (((c * inv) * inv) / n) * s2)
    return dx.astype(F32).reshape(-1)


register("gelu_grad", prepare_gelu, run_gelu, GeluGradF32Args)
register("norm_grad", prepare_norm, run_norm, NormGradF32Args)
