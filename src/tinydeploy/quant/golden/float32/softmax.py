"""softmax (float32) over the last axis (kernel td_softmax_f32): per row, m = max,
e = expf(x - m), s = float32 sum of e in order from 0.0f, y = e / s. The ``beta`` of
TFLite's SOFTMAX must be 1. Also log_softmax (td_log_softmax_f32: (x - m) - logf(sum of
expf(x - m))) and softmax_grad (td_softmax_grad_f32: dx = y * (dy - sum(dy * y))),
row by row over the last axis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register, register_variant
from tinydeploy.quant.golden.float32._common import F32, all_f32, is_f32, libm, require, seq_sum


@dataclass(frozen=True, eq=False)
class SoftmaxF32Args(KernelArgs):
    C_FUNC = "td_softmax_f32"

    rows: int
    n: int


def prepare(g: Graph, op: Op) -> SoftmaxF32Args:
    x, y = all_f32(g, op, 1)
    require(x.shape == y.shape and len(x.shape) >= 1, op, "output shape differs")
    require(float(op.attrs.get("beta", 1.0)) == 1.0, op,
            f"beta {op.attrs.get('beta')} (float32 softmax takes beta = 1)")
    n = x.shape[-1]
    return SoftmaxF32Args(x.size // n, n)


def run(p: SoftmaxF32Args, x: np.ndarray) -> np.ndarray:
    v = np.asarray(x, dtype=F32).reshape(p.rows, p.n)
    m = v.max(axis=1, keepdims=True)
    e = libm(np.exp, v - m)
    s = seq_sum(e)
    return (e / s[:, None]).astype(F32).reshape(-1)


register_variant("softmax", is_f32, prepare, run, SoftmaxF32Args)


@dataclass(frozen=True, eq=False)
class LogSoftmaxF32Args(KernelArgs):
    C_FUNC = "td_log_softmax_f32"

    rows: int
    n: int


@dataclass(frozen=True, eq=False)
class SoftmaxGradF32Args(KernelArgs):
    C_FUNC = "td_softmax_grad_f32"

    rows: int
    n: int


def prepare_log(g: Graph, op: Op) -> LogSoftmaxF32Args:
    p = prepare(g, op)
    return LogSoftmaxF32Args(p.rows, p.n)


def run_log(p: LogSoftmaxF32Args, x: np.ndarray) -> np.ndarray:
    v = np.asarray(x, dtype=F32).reshape(p.rows, p.n)
    m = v.max(axis=1, keepdims=True)
    s = seq_sum(libm(np.exp, v - m))
    return ((v - m) - libm(np.log, s)[:, None]).astype(F32).reshape(-1)


def prepare_grad(g: Graph, op: Op) -> SoftmaxGradF32Args:
    dy, y, dx = all_f32(g, op)
    require(dy.shape == y.shape == dx.shape and len(y.shape) >= 1, op,
            "dy, y and dx of one shape")
    n = y.shape[-1]
    return SoftmaxGradF32Args(y.size // n, n)


def run_grad(p: SoftmaxGradF32Args, dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    d = np.asarray(dy, dtype=F32).reshape(p.rows, p.n)
    v = np.asarray(y, dtype=F32).reshape(p.rows, p.n)
    s = seq_sum(d * v)
    return (v * (d - s[:, None])).astype(F32).reshape(-1)


register("log_softmax", prepare_log, run_log, LogSoftmaxF32Args)
register("softmax_grad", prepare_grad, run_grad, SoftmaxGradF32Args)
