"""matmul: integer matrix product with batch broadcasting, int8 operands -> int32.

    y[b, m, n] = alpha * sum_k (A[b, m, k] + a_offset) * (B[b, k, n] + b_offset)
                 + beta * bias[b, m, n]

as Deeploy's ``MatMul_s8_s8_s32`` / ``Gemm_s8_s8_s32_s32`` (ONNX MatMul and Gemm with
transA/transB, integer alpha/beta). Both operands may be activations (attention scores,
the attention-weighted values) or constants. The args say where every element is: A's
element (m, k) of batch index b is at ``sum(b_d * a_batch[d]) + m * a_m + k * a_k`` (so
a transposed operand is only other strides, no copy), likewise B and the int32 bias;
a stride of 0 broadcasts. Batch dims (up to :data:`BATCH_DIMS`) are the output's leading
dims; an operand may be read in its first ``a_rows``/``b_rows`` rows only (a KV cache
with room for more tokens). With a ``requant`` after it, :mod:`.fused_requant` makes it
one kernel writing int8/int16 (``td_matmul_s8_rq``), the requant indexed by column n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._integer import (broadcast_strides, dtypes, offset, padded,
                                              require)

BATCH_DIMS = 4


@dataclass(frozen=True, eq=False)
class MatMulS32Args(KernelArgs):
    C_FUNC = "td_matmul_s8_s32"

    m: int                    # rows of each output matrix
    channels: int             # columns (n) of each output matrix
    k: int                    # reduced dimension
    a_offset: int             # -zero point of A
    b_offset: int             # -zero point of B
    alpha: int
    beta: int
    a_m: int                  # element strides of A along m and k
    a_k: int
    b_k: int                  # element strides of B along k and n
    b_n: int
    c_m: int                  # element strides of the bias along m and n (0: broadcast)
    c_n: int
    a_size: int               # elements of A's and B's buffers (the strides stay inside)
    b_size: int
    batch: np.ndarray = array_field()     # [BATCH_DIMS] batch dims, leading 1s
    a_batch: np.ndarray = array_field()   # [BATCH_DIMS] element strides of A per batch dim
    b_batch: np.ndarray = array_field()
    c_batch: np.ndarray = array_field()


def _operand(shape, trans: bool, out_batch) -> tuple[list[int], int, int]:
    """(batch strides, row stride, column stride) of a row-major matrix operand stored as
    [.., r, c] (read transposed if ``trans``) for the output batch dims."""
    r, c = shape[-2], shape[-1]
    batch = broadcast_strides(tuple(shape[:-2]), tuple(out_batch)) if out_batch else []
    rs, cs = (1, c) if trans else (c, 1)
    batch = [s * r * c for s in batch]
    return batch, rs, cs


def _used(op: Op, t, attr: str) -> tuple[int, ...]:
    """The operand's shape as the product reads it: ``attrs[attr]`` rows of a tensor that
    holds more (a KV cache filled up to the current context), else all of it."""
    if attr not in op.attrs:
        return tuple(t.shape)
    rows = int(op.attrs[attr])
    require(1 <= rows <= t.shape[-2], op, f"{rows} rows of '{t.name}' {list(t.shape)}")
    return tuple(t.shape[:-2]) + (rows, t.shape[-1])


def prepare(g: Graph, op: Op) -> MatMulS32Args:
    a, b = g.t(op.inputs[0]), g.t(op.inputs[1])
    bias = g.t(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] else None
    y = g.t(op.outputs[0])
    for t, what in ((a, "A"), (b, "B")):
        dtypes(op, t, ("int8",), what)
        require(len(t.shape) >= 2, op, f"{what} '{t.name}' must be at least 2-D")
    dtypes(op, y, ("int32",), "output")
    ta, tb = bool(op.attrs.get("trans_a")), bool(op.attrs.get("trans_b"))
    a_used, b_used = _used(op, a, "a_rows"), _used(op, b, "b_rows")
    m, k = (a_used[-1], a_used[-2]) if ta else (a_used[-2], a_used[-1])
    kb, n = (b_used[-1], b_used[-2]) if tb else (b_used[-2], b_used[-1])
    require(k == kb == int(op.attrs["k"]), op, f"A {list(a.shape)} and B {list(b.shape)} "
            "do not share the reduced dimension")
    out_batch = tuple(y.shape[:-2])
    require(tuple(y.shape[-2:]) == (m, n), op, f"output {list(y.shape)} is not [.., {m}, {n}]")
    require(len(out_batch) <= BATCH_DIMS, op, f"more than {BATCH_DIMS} batch dims")
    try:
        want = np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    except ValueError:
        want = None
    require(want == out_batch, op, f"batch dims of A {list(a.shape)} and B {list(b.shape)} "
            f"do not broadcast to the output's {list(out_batch)}")
    ab, am, ak = _operand(a.shape, ta, out_batch)
    bb, bk, bn = _operand(b.shape, tb, out_batch)
    cb, cm, cn = [0] * len(out_batch), 0, 0
    if bias is not None:
        dtypes(op, bias, ("int32",), "bias")
        require(bias.is_const, op, "the bias must be a constant")
        try:
            ok = np.broadcast_shapes(bias.shape, y.shape) == tuple(y.shape)
        except ValueError:
            ok = False
        require(ok, op, f"bias {list(bias.shape)} does not broadcast to {list(y.shape)}")
        st = broadcast_strides(bias.shape, tuple(y.shape))
        cb, cm, cn = st[:-2], st[-2], st[-1]
    return MatMulS32Args(
        m=int(m), channels=int(n), k=int(k), a_offset=offset(a), b_offset=offset(b),
        alpha=int(op.attrs.get("alpha", 1)), beta=int(op.attrs.get("beta", 1)),
        a_m=am, a_k=ak, b_k=bk, b_n=bn, c_m=cm, c_n=cn, a_size=a.size, b_size=b.size,
        batch=padded(out_batch, 1, BATCH_DIMS), a_batch=padded(ab, 0, BATCH_DIMS),
        b_batch=padded(bb, 0, BATCH_DIMS), c_batch=padded(cb, 0, BATCH_DIMS))


def _view(x: np.ndarray, a: MatMulS32Args, batch, rs: int, cs: int, rows: int, cols: int):
    flat = np.ascontiguousarray(x, dtype=np.int64).reshape(-1)
    shape = tuple(int(d) for d in a.batch) + (rows, cols)
    strides = tuple(8 * int(s) for s in batch) + (8 * rs, 8 * cs)
    return np.lib.stride_tricks.as_strided(flat, shape, strides, writeable=False)


def accumulate(a: MatMulS32Args, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """sum_k (A + a_offset)(B + b_offset), int64, shape [batch.., m, n]."""
    av = _view(x, a, a.a_batch, a.a_m, a.a_k, a.m, a.k) + a.a_offset
    bv = _view(w, a, a.b_batch, a.b_k, a.b_n, a.k, a.channels) + a.b_offset
    return np.matmul(av, bv)


def run(a: MatMulS32Args, x: np.ndarray, w: np.ndarray, bias=None) -> np.ndarray:
    y = a.alpha * accumulate(a, x, w)
    if bias is not None:
        y = y + a.beta * _view(bias, a, a.c_batch, a.c_m, a.c_n, a.m, a.channels)
    assert np.all(np.abs(y) <= 2**31 - 1), "matmul: int32 overflow (preconditions missed it)"
    return y.astype(np.int32).reshape(-1)


register("matmul", prepare, run, MatMulS32Args)
