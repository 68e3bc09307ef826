"""Helpers of the float32 goldens."""

from __future__ import annotations

import math

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op, Tensor

F32 = np.float32
MAX_DIMS = 6


def is_f32(g: Graph, op: Op) -> bool:
    """The float32 variant serves the op: its output is float32."""
    return g.t(op.outputs[0]).dtype == "float32"


def require(ok: bool, op: Op, reason: str) -> None:
    if not ok:
        raise UnsupportedError(f"{op.kind} (float32): {reason}", node=op.name)


def finite(op: Op, **values) -> None:
    """Float parameters of a kernel must be finite float32 values (C literals)."""
    for name, v in values.items():
        require(bool(np.isfinite(np.float32(v))), op, f"{name} = {v} is not a finite "
                "float32 value")


def all_f32(g: Graph, op: Op, n: int | None = None) -> list[Tensor]:
    """The op's present inputs (the first ``n``) and output, all float32 (else an error)."""
    ts = [g.t(x) for x in op.inputs[:n] if x] + [g.t(op.outputs[0])]
    for t in ts:
        require(t.dtype == "float32", op, f"tensor '{t.name}' is {t.dtype}: a float32 op "
                "takes and gives float32 tensors")
    return ts


def padded(values, fill: int, n: int = MAX_DIMS) -> np.ndarray:
    values = [int(v) for v in values]
    assert len(values) <= n
    return np.array([fill] * (n - len(values)) + values, dtype=np.int32)


def row_strides(shape) -> list[int]:
    return [int(np.prod(shape[d + 1:], dtype=np.int64)) for d in range(len(shape))]


def broadcast_strides(shape, out_shape) -> list[int]:
    """Element strides of row-major ``shape`` read as ``out_shape`` (numpy broadcasting,
    right-aligned; 0 on broadcast dims)."""
    shape = [1] * (len(out_shape) - len(shape)) + list(shape)
    rs = row_strides(shape)
    return [0 if d == 1 and o != 1 else s for d, o, s in zip(shape, out_shape, rs)]


def seq_sum(m: np.ndarray) -> np.ndarray:
    """Float32 sums of the rows of ``m`` [rows, n], each in increasing column order from
    0.0f (what a C loop ``acc += v`` gives)."""
    acc = np.zeros(m.shape[0], dtype=F32)
    for j in range(m.shape[1]):
        acc = acc + m[:, j]
    return acc


def libm(fn, x: np.ndarray) -> np.ndarray:
    """A libm float function: the float64 value rounded to float32."""
    return fn(np.asarray(x, dtype=np.float64)).astype(F32)


_erf = np.vectorize(math.erf, otypes=[np.float64])


def erf64(x: np.ndarray) -> np.ndarray:
    return _erf(x) if np.asarray(x).size else np.zeros_like(x, dtype=np.float64)


ACTS = ("none", "relu", "relu6", "relu_n1_to_1")      # td_f32_common.h TD_F32_ACT_*


def act_code(op: Op) -> int:
    act = op.attrs.get("act", "none")
    require(act in ACTS, op, f"unknown fused activation '{act}'")
    return ACTS.index(act)


def apply_act(y: np.ndarray, act: int) -> np.ndarray:
    """td_f32_act: the fused activation of a float32 result."""
    lo, hi = ((None, None), (0, None), (0, 6), (-1, 1))[act]
    if lo is not None:
        y = np.where(y < F32(lo), F32(lo), y)
    if hi is not None:
        y = np.where(y > F32(hi), F32(hi), y)
    return y.astype(F32)
