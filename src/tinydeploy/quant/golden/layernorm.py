"""layernorm: ONNX LayerNormalization of an int8 tensor (QDQ models: onnxruntime runs it in
float32 between DequantizeLinear and QuantizeLinear), over the last axis, in integers.

Per row of ``L`` codes x (d = x - zero point of x):

    S1 = sum d,   V = L * sum d^2 - S1^2            (exact; V / L^2 = the variance / s_x^2)
    u  = isqrt(V * 4^k + E)                          E = round(eps * L^2 / s_x^2 * 4^k)
    n  = floor((L * d - S1) * 2^(k + Q) / u)         (the normalized value * 2^Q)
    y  = clamp(floor((n * G[j] + B[j]) / 2^(Q + F)), int8)

with G[j] = round(gamma[j] / s_y * 2^F), B[j] = round((beta[j] / s_y + z_y + 1/2) *
2^(Q + F)). ``prepare`` picks k and F so every intermediate stays below 2^62; the result
is the float value rounded half up, off by at most one step where float32 rounds
differently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field, scalar_field
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._integer import dtypes, offset, require, rows

Q = 20                    # fractional bits of the normalized value


@dataclass(frozen=True, eq=False)
class LayerNormArgs(KernelArgs):
    C_FUNC = "td_layernorm_s8"

    rows: int
    length: int               # row length (last axis)
    x_offset: int             # -zero point of x
    var_shift: int            # 2k: V is scaled by 4^k
    norm_shift: int           # k + Q
    out_shift: int            # Q + F
    eps: int = scalar_field("int64_t")          # E
    gain: np.ndarray = array_field("int64_t")   # [length] G
    bias: np.ndarray = array_field("int64_t")   # [length] B


def prepare(g: Graph, op: Op) -> LayerNormArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    dtypes(op, x, ("int8",), "input")
    dtypes(op, y, ("int8",), "output")
    n_rows, length = rows(x)
    gamma = np.broadcast_to(np.asarray(op.attrs["gamma"], np.float64).ravel(), (length,))
    beta = np.broadcast_to(np.asarray(op.attrs.get("beta", 0.0), np.float64).ravel(),
                           (length,))
    sx, sy, zy = x.quant.s, y.quant.s, y.quant.zp
    eps = float(op.attrs.get("epsilon", 1e-5))
    require(eps >= 0 and length * 255 < 2**24, op, "rows too long or epsilon < 0")
    v_max = length * length * 255 * 255 // 4 + 1
    c_max = length * 255
    k = max(0, min((61 - v_max.bit_length()) // 2, 61 - Q - c_max.bit_length()))
    e = round(eps * length * length / (sx * sx) * 4**k)
    require(v_max * 4**k + e < 2**62, op, f"epsilon {eps} too large for the scale {sx}")
    g_max = float(np.abs(gamma).max() / sy) if length else 0.0
    n_bits = (Q + 1) + math.ceil(math.log2(math.sqrt(length) + 1))
    f = max(0, min(24, 61 - n_bits - max(0, math.ceil(math.log2(g_max + 1)))))
    gain = np.round(gamma / sy * 2.0**f).astype(np.int64)
    bias = np.array([math.floor((b / sy + zy + 0.5) * 2.0**(Q + f)) for b in beta],
                    dtype=np.int64)
    require(np.abs(bias).max(initial=0) < 2**61, op, "beta too large for the output scale")
    return LayerNormArgs(n_rows, length, offset(x), 2 * k, k + Q, Q + f, e, gain, bias)


def run(a: LayerNormArgs, x: np.ndarray) -> np.ndarray:
    d = x.astype(object).reshape(a.rows, a.length) + a.x_offset
    out = np.empty((a.rows, a.length), dtype=np.int64)
    for r in range(a.rows):
        s1 = int(sum(d[r]))
        v = a.length * int(sum(t * t for t in d[r])) - s1 * s1
        u = max(math.isqrt((v << a.var_shift) + a.eps), 1)
        for j in range(a.length):
            n = ((a.length * int(d[r, j]) - s1) << a.norm_shift) // u
            acc = n * int(a.gain[j]) + int(a.bias[j])
            out[r, j] = min(max(acc >> a.out_shift, -128), 127)
    return out.astype(np.int8).reshape(-1)


register("layernorm", prepare, run, LayerNormArgs)
