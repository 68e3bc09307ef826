"""Constants of integer graphs: exact integers, and per-element parameters (RequantShift's
mul/add, iNoNorm's weights) laid out for a value in whatever order its IR tensor holds."""

from __future__ import annotations

import numpy as np

from tinydeploy.frontend.pulp.integer.values import Builder, TVal


def exact_ints(b: Builder, a, what: str) -> np.ndarray:
    """``a`` as an int64 array; integer-valued floats only (what the exporters write)."""
    arr = np.asarray(a)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise b.error(f"{what} holds non-integer values")
        if arr.size and np.abs(arr).max() >= 2**62:
            raise b.error(f"{what} has values beyond 2^62")
    elif arr.dtype.kind not in "iub":
        raise b.error(f"{what} is {arr.dtype}, not integers")
    return arr.astype(np.int64)


def over_source(b: Builder, c: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
    """``c`` as an array broadcastable to the source ``shape`` (same rank, 1s elsewhere).

    numpy broadcasting when it does not widen ``shape``; otherwise, as Deeploy reads a
    per-channel parameter ([C], [C, 1, 1]), along ONNX axis 1 when ``c`` has C values."""
    rank = len(shape)
    if c.size == 1:
        return c.reshape((1,) * rank)
    if c.ndim <= rank:
        full = (1,) * (rank - c.ndim) + c.shape
        if all(f in (1, s) for f, s in zip(full, shape)):
            return c.reshape(full)
    if rank >= 2 and c.size == shape[1]:
        return c.reshape([1, shape[1]] + [1] * (rank - 2))
    raise b.error(f"{what} of shape {list(c.shape)} does not broadcast to {list(shape)}")


def in_ir_order(v: TVal, p: np.ndarray) -> np.ndarray:
    """A source-broadcastable parameter transposed like ``v``'s IR bytes."""
    return p if v.perm is None else p.transpose(v.perm)


def trailing_channels(p_ir: np.ndarray, ir_shape: tuple[int, ...]) -> np.ndarray:
    """The parameter as one value per position of the trailing IR dims it varies over:
    element i of the tensor reads entry i % len (the requant kernels' channel walk)."""
    nz = [d for d, n in enumerate(p_ir.shape) if n != 1]
    if not nz:
        return p_ir.reshape(1)
    first = nz[0]
    return np.broadcast_to(p_ir.reshape(p_ir.shape[first:]), ir_shape[first:]).reshape(-1)
