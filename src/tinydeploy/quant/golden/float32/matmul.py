"""matmul and fully_connected (float32): y = act(alpha * sum_k A B + beta * C), the sum
in float32 in increasing k from 0.0f (kernel td_matmul_f32).

Batch dims broadcast (numpy rules); each output batch gets the element offsets of its A,
B and C matrices (``a_off``/``b_off``/``c_off``); rows/columns of each are strides, so
transposed operands and a bias broadcast over rows or columns need no copy.
``fully_connected`` (TFLite float models) is the product x [.., C_in] by w [C_out,
C_in] transposed, plus a [C_out] bias.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field, scalar_field
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden.float32._common import (F32, act_code, all_f32, apply_act,
                                                     broadcast_strides, finite, is_f32,
                                                     require)


@dataclass(frozen=True, eq=False)
class MatMulF32Args(KernelArgs):
    C_FUNC = "td_matmul_f32"

    batch: int
    m: int
    n: int
    k: int
    a_rs: int
    a_cs: int
    b_rs: int
    b_cs: int
    c_rs: int
    c_cs: int
    a_size: int
    b_size: int
    c_size: int
    act: int
    alpha: float = scalar_field("float", 1.0)
    beta: float = scalar_field("float", 1.0)
    a_off: np.ndarray = array_field(default=None)
    b_off: np.ndarray = array_field(default=None)
    c_off: np.ndarray = array_field(default=None)


def _batch_offsets(shape, mat: tuple[int, int], out_batch) -> np.ndarray:
    """Offset of each output batch's matrix in a tensor of ``shape`` ([.., r, c]; a
    1- or 2-D bias is one matrix)."""
    bshape = list(shape[:-2]) if len(shape) > 2 else []
    st = broadcast_strides(bshape, out_batch) if out_batch else []
    mat_size = mat[0] * mat[1]
    offs = np.zeros(max(1, int(np.prod(out_batch, dtype=np.int64))), dtype=np.int64)
    for idx, pos in enumerate(np.ndindex(*out_batch) if out_batch else [()]):
        offs[idx] = sum(i * s for i, s in zip(pos, st)) * mat_size
    return offs.astype(np.int32)


def prepare_matmul(g: Graph, op: Op) -> MatMulF32Args:
    a, b = g.t(op.inputs[0]), g.t(op.inputs[1])
    c = g.t(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] else None
    y = all_f32(g, op)[-1]
    ta, tb = bool(op.attrs.get("trans_a")), bool(op.attrs.get("trans_b"))
    require(len(a.shape) >= 2 and len(b.shape) >= 2, op, "operands of at least 2 dims")
    m, k = (a.shape[-1], a.shape[-2]) if ta else (a.shape[-2], a.shape[-1])
    kb, n = (b.shape[-1], b.shape[-2]) if tb else (b.shape[-2], b.shape[-1])
    require(k == kb, op, f"inner dims {k} and {kb} differ")
    try:
        out_batch = list(np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2])))
    except ValueError:
        out_batch = None
    require(out_batch is not None and tuple(out_batch) + (m, n) == tuple(y.shape), op,
            f"{list(a.shape)} x {list(b.shape)} does not give {list(y.shape)}")
    finite(op, alpha=op.attrs.get("alpha", 1.0), beta=op.attrs.get("beta", 1.0))
    a_off = _batch_offsets(a.shape, (m, k), out_batch)
    b_off = _batch_offsets(b.shape, (k, n), out_batch)
    if c is not None:
        cs = list(c.shape)
        cm = [1] * (2 - len(cs)) + cs[-2:] if len(cs) <= 2 else cs[-2:]
        require(cm[0] in (1, m) and cm[1] in (1, n), op, f"bias {cs} does not broadcast "
                f"to [{m}, {n}]")
        c_rs, c_cs = (0 if cm[0] == 1 else cm[1]), (0 if cm[1] == 1 else 1)
        c_off = _batch_offsets(cs if len(cs) > 2 else cm, tuple(cm), out_batch)
        csize = c.size
    else:
        c_rs = c_cs = 0
        c_off, csize = np.zeros(len(a_off), dtype=np.int32), 0
    return MatMulF32Args(len(a_off), m, n, k,
                         1 if ta else k, m if ta else 1, n if not tb else 1,
                         1 if not tb else k, c_rs, c_cs, a.size, b.size, csize,
                         act_code(op), float(F32(op.attrs.get("alpha", 1.0))),
                         float(F32(op.attrs.get("beta", 1.0))), a_off, b_off, c_off)


def prepare_fc(g: Graph, op: Op) -> MatMulF32Args:
    x, w = g.t(op.inputs[0]), g.t(op.inputs[1])
    bias = g.t(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] else None
    y = all_f32(g, op)[-1]
    require(len(w.shape) == 2, op, f"weights {list(w.shape)} are not [C_out, C_in]")
    n, k = w.shape
    require(x.size % k == 0 and y.size == x.size // k * n, op,
            f"input {list(x.shape)} and output {list(y.shape)} do not fit weights {[n, k]}")
    require(bias is None or bias.size == n, op, f"bias of {bias and bias.size} elements")
    z = np.zeros(1, dtype=np.int32)
    return MatMulF32Args(1, x.size // k, n, k, k, 1, 1, k, 0, 1, x.size, w.size,
                         bias.size if bias is not None else 0, act_code(op), 1.0, 1.0,
                         z, z, z)


def _mat(v: np.ndarray, off: int, rows: int, cols: int, rs: int, cs: int) -> np.ndarray:
    flat = np.ascontiguousarray(v, dtype=F32).reshape(-1)[off:]
    return np.lib.stride_tricks.as_strided(flat, (rows, cols), (rs * 4, cs * 4),
                                           writeable=False)


def run(p: MatMulF32Args, a: np.ndarray, b: np.ndarray, c=None) -> np.ndarray:
    A = np.stack([_mat(a, o, p.m, p.k, p.a_rs, p.a_cs) for o in p.a_off])
    B = np.stack([_mat(b, o, p.k, p.n, p.b_rs, p.b_cs) for o in p.b_off])
    acc = np.zeros((p.batch, p.m, p.n), dtype=F32)
    for q in range(p.k):
        acc = acc + A[:, :, q:q + 1] * B[:, q:q + 1, :]
    if F32(p.alpha) != F32(1):
        acc = F32(p.alpha) * acc
    if c is not None and p.c_size:
        C = np.stack([_mat(c, o, p.m, p.n, p.c_rs, p.c_cs) for o in p.c_off])
        acc = acc + F32(p.beta) * C
    return apply_act(acc.reshape(-1), p.act)


register_variant("matmul", is_f32, prepare_matmul, run, MatMulF32Args)
register_variant("fully_connected", is_f32, prepare_fc, run, MatMulF32Args)
