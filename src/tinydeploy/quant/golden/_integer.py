"""Helpers of the integer-graph goldens (Deeploy's operators, :mod:`tinydeploy.ir.ops.
attention`): every tensor holds the source graph's integers plus its zero point (8-bit
tensors of unsigned values are stored as int8 with zero point -128)."""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import INT_RANGES, Op, Tensor

MAX_DIMS = 6                                   # TD_MAX_DIMS of the C kernels
ELEM_BYTES = {"int8": 1, "uint8": 1, "int16": 2, "int32": 4}


def zp(t: Tensor) -> int:
    return t.quant.zp if t.quant is not None else 0


def offset(t: Tensor) -> int:
    """What the kernels add to a stored value to get the source integer (-zero point)."""
    return -zp(t)


def require(ok: bool, op: Op, reason: str) -> None:
    if not ok:
        raise UnsupportedError(f"{op.kind}: {reason}", node=op.name)


def dtypes(op: Op, t: Tensor, allowed: tuple[str, ...], what: str) -> None:
    require(t.dtype in allowed, op, f"{what} '{t.name}' is {t.dtype} (supported: "
            f"{', '.join(allowed)})")


def clip_of(op: Op, y: Tensor) -> tuple[int, int]:
    """The op's (lo, hi) clamp in the source domain, checked to fit ``y``'s dtype."""
    info_lo, info_hi = INT_RANGES[y.dtype]
    lo, hi = (int(v) for v in op.attrs.get("clip", (info_lo - zp(y), info_hi - zp(y))))
    require(lo <= hi and info_lo <= lo + zp(y) and hi + zp(y) <= info_hi, op,
            f"clamp [{lo}, {hi}] + zero point {zp(y)} does not fit {y.dtype}")
    return lo, hi


def rows(x: Tensor) -> tuple[int, int]:
    """(rows, row length) of a tensor normalized over its last axis."""
    n = int(x.shape[-1]) if x.shape else 1
    return x.size // n, n


def padded(values, fill: int, n: int = MAX_DIMS) -> np.ndarray:
    values = [int(v) for v in values]
    assert len(values) <= n
    return np.array([fill] * (n - len(values)) + values, dtype=np.int32)


def broadcast_strides(shape: tuple[int, ...], out_shape: tuple[int, ...]) -> list[int]:
    """Element strides of a row-major ``shape`` read as ``out_shape`` by numpy
    broadcasting (0 along broadcast dims); ``shape`` is right-aligned."""
    n = len(out_shape)
    full = (1,) * (n - len(shape)) + tuple(shape)
    strides, s = [0] * n, 1
    for d in range(n - 1, -1, -1):
        strides[d] = s if full[d] != 1 else 0
        s *= full[d]
    return strides


def as_stored(v: np.ndarray, y: Tensor) -> np.ndarray:
    """Source integers ``v`` (int64) stored in ``y``'s dtype with its zero point."""
    return (np.asarray(v, dtype=np.int64) + zp(y)).astype(y.np_dtype)
