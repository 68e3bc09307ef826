"""Broadcasting of two-input elementwise ops (add, mul) as element strides.

The output is walked in row-major order over ``shape``; operand ``k`` is read at
``sum(index[d] * strides_k[d])``, with stride 0 along dimensions it is broadcast over.
Adjacent dimensions that can be walked as one are merged, so same-shape inputs become one
dimension and the usual "per-channel" or "scalar" operands two at most. TFLite's
elementwise integer ops compute each output element from its two input elements alone, so
any numpy-style broadcast gives TFLite's result.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op

MAX_DIMS = 6   # TD_MAX_DIMS in td_broadcast.h (TFLite's broadcast limit too)


def _contiguous_strides(shape: tuple[int, ...], out_shape: tuple[int, ...]) -> list[int]:
    """Element strides of a row-major ``shape`` aligned to ``out_shape`` (0 = broadcast)."""
    shape = (1,) * (len(out_shape) - len(shape)) + tuple(shape)
    strides, step = [0] * len(shape), 1
    for d in reversed(range(len(shape))):
        strides[d] = step if shape[d] != 1 else 0
        step *= shape[d]
    return strides


def broadcast_layout(g: Graph, op: Op) -> tuple[list[int], list[int], list[int]]:
    """(shape, a_strides, b_strides) of ``op``'s two inputs, dimensions merged."""
    a, b, out = (g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0]))
    try:
        full = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        full = None
    if full != tuple(out.shape):
        raise UnsupportedError(f"{op.kind}: input shapes {a.shape} and {b.shape} do not "
                               f"broadcast to the output shape {out.shape}", node=op.name)
    shape = [int(s) for s in out.shape] or [1]
    sa = _contiguous_strides(a.shape, tuple(shape))
    sb = _contiguous_strides(b.shape, tuple(shape))
    dims = [d for d in zip(shape, sa, sb) if d[0] != 1] or [(1, 0, 0)]
    merged = [dims[0]]
    for n, x, y in dims[1:]:
        m, px, py = merged[-1]
        if px == x * n and py == y * n:        # the outer dim steps over this one exactly
            merged[-1] = (m * n, x, y)
        else:
            merged.append((n, x, y))
    if len(merged) > MAX_DIMS:
        raise UnsupportedError(f"{op.kind}: broadcast needs {len(merged)} dimensions, "
                               f"at most {MAX_DIMS} are supported", node=op.name)
    return [d[0] for d in merged], [d[1] for d in merged], [d[2] for d in merged]


def gather(x: np.ndarray, shape, strides) -> np.ndarray:
    """The operand values at each output position (int64 array of ``shape``)."""
    flat = np.asarray(x).astype(np.int64).ravel()
    index = np.zeros(tuple(shape), dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        along = np.arange(n, dtype=np.int64) * int(s)
        index = index + along.reshape([n if i == d else 1 for i in range(len(shape))])
    return flat[index]
