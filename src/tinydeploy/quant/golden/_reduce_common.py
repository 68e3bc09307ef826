"""The walk of TFLite's reductions (MEAN, SUM, REDUCE_MAX) as the C kernels take it: the
kept dims (output order) and the reduced dims, each as (size, input stride) pairs
left-extended to :data:`MAX_DIMS` (the layout of :class:`~.mean.MeanArgs`)."""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Op, Tensor

MAX_DIMS = 6


def _padded(pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    pairs = [(1, 0)] * (MAX_DIMS - len(pairs)) + pairs
    return (np.array([d for d, _ in pairs], dtype=np.int32),
            np.array([s for _, s in pairs], dtype=np.int32))


def layout(op: Op, x: Tensor, y: Tensor) -> dict:
    """keep_dims, keep_strides, red_dims, red_strides and count of a reduction."""
    nd = len(x.shape)
    if nd > MAX_DIMS:
        raise UnsupportedError(f"{op.kind} supports at most {MAX_DIMS}-D input", node=op.name)
    axes = sorted({int(a) + nd if int(a) < 0 else int(a) for a in op.attrs["axes"]})
    if any(not 0 <= a < nd for a in axes):
        raise UnsupportedError(f"{op.kind} axes {op.attrs['axes']} out of range for {nd}-D",
                               node=op.name)
    strides = [int(np.prod(x.shape[d + 1:], dtype=np.int64)) for d in range(nd)]
    keep = [(x.shape[d], strides[d]) for d in range(nd) if d not in axes]
    red = [(x.shape[d], strides[d]) for d in axes]
    if int(np.prod([d for d, _ in keep], dtype=np.int64)) != y.size:
        raise UnsupportedError(f"{op.kind} output shape {y.shape} does not match input "
                               f"{x.shape} over axes {axes}", node=op.name)
    kd, ks = _padded(keep)
    rd, rs = _padded(red)
    count = int(np.prod([d for d, _ in red], dtype=np.int64))
    return dict(keep_dims=kd, keep_strides=ks, red_dims=rd, red_strides=rs, count=count)


def reduced_view(a, x: np.ndarray) -> np.ndarray:
    """[kept..., reduced...] int64 view of ``x`` (12 dims) for the args ``a``."""
    flat = np.ascontiguousarray(x).reshape(-1).astype(np.int64)
    shape = (*a.keep_dims, *a.red_dims)
    strides = tuple(int(s) * flat.itemsize for s in (*a.keep_strides, *a.red_strides))
    return np.lib.stride_tricks.as_strided(flat, shape, strides, writeable=False)


def sums(a, x: np.ndarray) -> np.ndarray:
    """Sum over the reduced dims, one int64 per output element."""
    return reduced_view(a, x).sum(axis=tuple(range(MAX_DIMS, 2 * MAX_DIMS))).reshape(-1)
