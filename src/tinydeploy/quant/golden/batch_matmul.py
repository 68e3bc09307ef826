"""batch_matmul (int8, 16x8-style int16): TFLite Micro's quantized BATCH_MATMUL.

``y[.., m, n] = clamp(M(sum_k (a[.., m, k] - zp_a) * (b[.., k, n] - zp_b)) + zp_out)``
with ``M = s_a * s_b / s_out`` (``QuantizeMultiplier``); the batch dims (up to three)
broadcast, ``adj_x`` / ``adj_y`` read a / b transposed. int8 sums in int32 with TFLite's
32-bit requantization; int16 (zero points 0) sums in int64 with its 64-bit one
(:func:`.int16._common.requant64`). No fused activation. Kernels ``td_batch_matmul_s8``
and ``td_batch_matmul_s16``: the batch walk and the row/column strides of both operands
are args.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden.int16 import _common as c16
from tinydeploy.quant.requant import (INT32_MAX, multiply_by_quantized_multiplier,
                                      quantize_multiplier)


@dataclass(frozen=True, eq=False)
class BatchMatmulArgs(KernelArgs):
    C_FUNC = "td_batch_matmul_s8"
    m: int
    n: int
    k: int
    a_row: int                 # element stride of a along m
    a_col: int                 # ... along k
    b_row: int                 # element stride of b along k
    b_col: int                 # ... along n
    a_offset: int              # -zero point of a
    b_offset: int              # -zero point of b
    out_offset: int
    out_multiplier: int
    out_shift: int
    act_min: int
    act_max: int
    batch: np.ndarray = array_field()          # [3] output batch dims
    a_batch: np.ndarray = array_field()        # [3] element strides of a (0: broadcast)
    b_batch: np.ndarray = array_field()        # [3]


@dataclass(frozen=True, eq=False)
class BatchMatmulS16Args(BatchMatmulArgs):
    C_FUNC = "td_batch_matmul_s16"


def _batch_strides(shape) -> list[int]:
    """Element strides of the three (left-padded) batch dims, 0 where the dim is 1 (it
    broadcasts), as TFLite's batch_matmul::extent."""
    dims = [1] * (5 - len(shape)) + [int(d) for d in shape[:-2]]
    step, strides = int(shape[-1]) * int(shape[-2]), [0, 0, 0]
    for d in (2, 1, 0):
        strides[d] = 0 if dims[d] == 1 else step
        step *= dims[d]
    return strides


def prepare(g: Graph, op: Op) -> BatchMatmulArgs:
    a, b, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    dt = y.dtype
    if not a.dtype == b.dtype == dt or dt not in ("int8", "int16"):
        raise UnsupportedError(f"batch_matmul: {a.dtype} x {b.dtype} -> {dt} (int8 or int16 "
                               "throughout)", node=op.name)
    if dt == "int16":
        c16.require_int16(op, a, b, y)
    if not 2 <= len(a.shape) <= 5 or not 2 <= len(b.shape) <= 5 or len(y.shape) > 5:
        raise UnsupportedError("batch_matmul: 2-D to 5-D operands", node=op.name)
    adj_x, adj_y = bool(op.attrs.get("adj_x")), bool(op.attrs.get("adj_y"))
    m, k = (a.shape[-1], a.shape[-2]) if adj_x else (a.shape[-2], a.shape[-1])
    k2, n = (b.shape[-1], b.shape[-2]) if adj_y else (b.shape[-2], b.shape[-1])
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if k != k2 or tuple(y.shape) != (*batch, m, n) or len(batch) > 3:
        raise UnsupportedError(f"batch_matmul: {list(a.shape)} x {list(b.shape)} -> "
                               f"{list(y.shape)} (adj {adj_x}, {adj_y})", node=op.name)
    out_batch = [1] * (3 - len(batch)) + list(batch)
    qa, qb, qo = a.quant, b.quant, y.quant
    f = np.float32
    mult, shift = quantize_multiplier(float(f(qa.s)) * float(f(qb.s)) / float(f(qo.s)))
    info = np.iinfo(dt)
    x_max = (255 if dt == "int8" else 32768) ** 2
    if dt == "int16":
        c16.check_shifts64(op, np.array([shift]))
        if k * x_max >= c16.INT64_ACC_LIMIT:
            raise UnsupportedError("batch_matmul: accumulator may reach 2^47", node=op.name)
    elif k * x_max > INT32_MAX:
        raise UnsupportedError("batch_matmul: the int32 accumulator may overflow",
                               node=op.name)
    cls = BatchMatmulS16Args if dt == "int16" else BatchMatmulArgs
    return cls(m, n, k, 1 if adj_x else k, m if adj_x else 1, 1 if adj_y else n,
               k if adj_y else 1, -qa.zp, -qb.zp, qo.zp, mult, shift, int(info.min),
               int(info.max), np.array(out_batch, np.int32),
               np.array(_batch_strides(a.shape), np.int32),
               np.array(_batch_strides(b.shape), np.int32))


def run(p: BatchMatmulArgs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    fa, fb = (np.ascontiguousarray(t).reshape(-1).astype(np.int64) for t in (a, b))
    nb = [int(v) for v in p.batch]
    out = np.empty((*nb, p.m, p.n), dtype=np.int64)
    mi, ki, ni = np.arange(p.m), np.arange(p.k), np.arange(p.n)
    for b0 in range(nb[0]):
        for b1 in range(nb[1]):
            for b2 in range(nb[2]):
                oa = b0 * p.a_batch[0] + b1 * p.a_batch[1] + b2 * p.a_batch[2]
                ob = b0 * p.b_batch[0] + b1 * p.b_batch[1] + b2 * p.b_batch[2]
                am = fa[oa + mi[:, None] * p.a_row + ki[None, :] * p.a_col] + p.a_offset
                bm = fb[ob + ki[:, None] * p.b_row + ni[None, :] * p.b_col] + p.b_offset
                out[b0, b1, b2] = am @ bm
    if isinstance(p, BatchMatmulS16Args):
        y = c16.requant64(out, p.out_multiplier, p.out_shift)
    else:
        y = multiply_by_quantized_multiplier(out, p.out_multiplier, p.out_shift) + p.out_offset
    dt = np.int16 if isinstance(p, BatchMatmulS16Args) else np.int8
    return np.clip(y, p.act_min, p.act_max).astype(dt).reshape(-1)


register("batch_matmul", prepare, run, BatchMatmulArgs)
