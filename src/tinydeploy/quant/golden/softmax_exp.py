"""softmax_exp: softmax over the last axis of int8 codes, as onnxruntime computes it
between DequantizeLinear and QuantizeLinear (QDQ models), in integers:

    T[d] = round(exp(-s_x * d) * 2^30)      d = 0..255: distance to the row maximum
    S    = sum_j T[max - x_j]               (64 bits)
    y_j  = clamp(floor((T[max - x_j] * Y + S * 2^(B-1)) / (S * 2^B)) + z_y, int8)

with Y = round(2^B / s_y): the probability rounded half up to the output scale, the
table and Y exact to 2^-28 (well within float32's own rounding of exp). TFLite's int8
softmax (:mod:`.softmax`) instead fixes the output scale at 1/256, which costs steps
when a QuantizeLinear of another scale follows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field, scalar_field
from tinydeploy.quant.golden import register, require_same_size
from tinydeploy.quant.golden._integer import dtypes, require, rows

EXP_BITS = 30


@dataclass(frozen=True, eq=False)
class SoftmaxExpArgs(KernelArgs):
    C_FUNC = "td_softmax_exp_s8"

    rows: int
    length: int               # row length (last axis)
    out_shift: int            # B
    out_offset: int           # zero point of the output
    out_mul: int = scalar_field("int64_t")     # Y
    table: np.ndarray = array_field()          # [256] T


def prepare(g: Graph, op: Op) -> SoftmaxExpArgs:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    dtypes(op, x, ("int8",), "input")
    dtypes(op, y, ("int8",), "output")
    n_rows, length = rows(x)
    require(length <= 2**12, op, f"rows of {length} values (at most 4096)")
    sx, sy = x.quant.s, y.quant.s
    table = np.array([round(math.exp(-sx * d) * 2**EXP_BITS) for d in range(256)], np.int64)
    sum_bits = (length << EXP_BITS).bit_length()
    shift = min(30, 62 - sum_bits, 62 - EXP_BITS - math.ceil(math.log2(1 / sy + 1)))
    require(shift >= 1, op, f"output scale {sy} or rows of {length} out of range")
    mul = round(2.0**shift / sy)
    return SoftmaxExpArgs(n_rows, length, shift, y.quant.zp, mul, table.astype(np.int32))


def run(a: SoftmaxExpArgs, x: np.ndarray) -> np.ndarray:
    v = x.astype(np.int64).reshape(a.rows, a.length)
    t = np.asarray(a.table, np.int64)[v.max(axis=1, keepdims=True) - v]
    s = t.sum(axis=1, keepdims=True)
    y = (t * a.out_mul + (s << (a.out_shift - 1))) // (s << a.out_shift)
    return np.clip(y + a.out_offset, -128, 127).astype(np.int8).reshape(-1)


register("softmax_exp", prepare, run, SoftmaxExpArgs)
