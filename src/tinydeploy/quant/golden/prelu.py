"""prelu (int8, int16 input; int8 alpha): TFLite's quantized PRELU.

``v = x - zp_x``; ``y = zp_out + (v >= 0 ? M1(v) : M2(v * (alpha - zp_alpha)))``, clamped
to the type, with ``M1 = s_x / s_out`` and ``M2 = s_x * s_alpha / s_out`` (double);
alpha broadcasts against the input (numpy rules, usually one slope per channel). Kernels
``td_prelu_s8`` and ``td_prelu_s16``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import _broadcast, register
from tinydeploy.quant.golden._lut8 import quant8
from tinydeploy.quant.golden.int16._common import require_int16
from tinydeploy.quant.requant import multiply_by_quantized_multiplier, quantize_multiplier


@dataclass(frozen=True, eq=False)
class PreluArgs(KernelArgs):
    C_FUNC = "td_prelu_s8"
    ndim: int
    shape: np.ndarray = array_field()
    x_strides: np.ndarray = array_field()
    alpha_strides: np.ndarray = array_field()
    x_offset: int                 # -zero point of x
    alpha_offset: int             # -zero point of alpha
    out_offset: int
    mult_pos: int
    shift_pos: int
    mult_neg: int
    shift_neg: int


@dataclass(frozen=True, eq=False)
class PreluS16Args(PreluArgs):
    C_FUNC = "td_prelu_s16"


def prepare(g: Graph, op: Op) -> PreluArgs:
    x, al, y = (g.t(n) for n in (*op.inputs[:2], op.outputs[0]))
    if x.dtype != y.dtype or x.dtype not in ("int8", "int16") or al.dtype != "int8":
        raise UnsupportedError(f"prelu: {x.dtype} input, {al.dtype} alpha -> {y.dtype} (int8 "
                               "or int16 input and output, int8 alpha)", node=op.name)
    if tuple(np.broadcast_shapes(x.shape, al.shape)) != tuple(y.shape) or x.shape != y.shape:
        raise UnsupportedError(f"prelu: alpha {list(al.shape)} does not broadcast to the "
                               f"input {list(x.shape)}", node=op.name)
    if x.dtype == "int16":
        require_int16(op, x, y)
    (sx, zx), (sa, za), (so, zo) = (quant8(op, t) for t in (x, al, y))
    m1, s1 = quantize_multiplier(sx / so)
    m2, s2 = quantize_multiplier(sx * sa / so)
    shape, xs, als = _broadcast.broadcast_layout(g, op)
    cls = PreluS16Args if x.dtype == "int16" else PreluArgs
    return cls(len(shape), np.array(shape, np.int32), np.array(xs, np.int32),
               np.array(als, np.int32), -zx, -za, zo, m1, s1, m2, s2)


def run(k: PreluArgs, x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    v = _broadcast.gather(x, k.shape, k.x_strides) + k.x_offset
    a = _broadcast.gather(alpha, k.shape, k.alpha_strides) + k.alpha_offset
    y = np.where(v >= 0, multiply_by_quantized_multiplier(v, k.mult_pos, k.shift_pos),
                 multiply_by_quantized_multiplier(v * a, k.mult_neg, k.shift_neg))
    dtype = np.int16 if isinstance(k, PreluS16Args) else np.int8
    info = np.iinfo(dtype)
    return np.clip(y + k.out_offset, info.min, info.max).astype(dtype)


register("prelu", prepare, run, PreluArgs)
