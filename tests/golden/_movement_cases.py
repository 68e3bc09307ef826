"""Hypothesis strategies for the pooling / data-movement ops: one-op graphs plus inputs.

Shared by the golden tests (vs TFLite Micro) and the kernel tests (C vs golden). A case
is ``(graph, inputs)``; inputs are uniform over the int8 range from a drawn seed.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from tests.graphs import act, one_op, random_input
from tinydeploy.ir.graph import Graph
from tinydeploy.ir.ops import ACTIVATIONS

# Scales as a .tflite stores them (float32): the IR keeps float64 copies of float32 values.
scales = st.floats(0.00390625, 0.5, width=32)
zero_points = st.integers(-128, 127)


def with_inputs(draw, g: Graph) -> tuple[Graph, list[np.ndarray]]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return g, [random_input(rng, g.t(n)) for n in g.inputs]


def tfl_pads(mode: str, size: int, k: int, s: int) -> tuple[int, int, int]:
    """(out, before, after) as TFLite computes them for SAME / VALID."""
    out = -(-size // s) if mode == "same" else (size - k) // s + 1
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def _pool_dim(draw, padding: str, size: int, k: int, s: int) -> tuple[int, int, int]:
    if padding != "explicit":
        return tfl_pads(padding, size, k, s)
    # Pads smaller than the kernel: no window lies entirely in the padding.
    before, after = draw(st.integers(0, k - 1)), draw(st.integers(0, k - 1))
    return (size + before + after - k) // s + 1, before, after


@st.composite
def pool_case(draw, kind: str, paddings=("same", "valid")):
    """avg_pool2d / max_pool2d; ``paddings`` may include "explicit" (any pads < kernel)."""
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 5))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    padding = draw(st.sampled_from(paddings))
    kmax_h, kmax_w = (h, w) if padding == "valid" else (h + 2, w + 2)
    kh, kw = draw(st.integers(1, min(kmax_h, 4))), draw(st.integers(1, min(kmax_w, 4)))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    oh, top, bottom = _pool_dim(draw, padding, h, kh, sh)
    ow, left, right = _pool_dim(draw, padding, w, kw, sw)
    if oh < 1 or ow < 1:   # explicit pads with a kernel larger than the padded input
        kh, kw, oh, ow, top, left, bottom, right = 1, 1, h, w, 0, 0, 0, 0
        sh = sw = 1
    scale, zp = draw(scales), draw(zero_points)
    g = one_op(kind, [act("x", (n, h, w, c), scale, zp)], act("y", (n, oh, ow, c), scale, zp),
               kernel=(kh, kw), stride=(sh, sw), pads=(top, left, bottom, right),
               act=draw(st.sampled_from(ACTIVATIONS)))
    return with_inputs(draw, g)


def _shape(draw, min_rank: int, max_rank: int, max_dim: int = 5) -> tuple[int, ...]:
    rank = draw(st.integers(min_rank, max_rank))
    return tuple(draw(st.integers(1, max_dim)) for _ in range(rank))


@st.composite
def pad_case(draw, max_rank: int = 4):
    shape = _shape(draw, 1, max_rank)
    pads = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in shape)
    out = tuple(d + b + a for d, (b, a) in zip(shape, pads))
    scale, zp = draw(scales), draw(zero_points)
    g = one_op("pad", [act("x", shape, scale, zp)], act("y", out, scale, zp), pads=pads)
    return with_inputs(draw, g)


@st.composite
def concat_case(draw):
    rank = draw(st.integers(1, 4))
    base = list(_shape(draw, rank, rank, 4))
    axis = draw(st.integers(0, rank - 1))
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    scale, zp = draw(scales), draw(zero_points)
    ins = [act(f"x{i}", base[:axis] + [s] + base[axis + 1:], scale, zp)
           for i, s in enumerate(sizes)]
    out = act("y", base[:axis] + [sum(sizes)] + base[axis + 1:], scale, zp)
    return with_inputs(draw, one_op("concat", ins, out, axis=axis))


@st.composite
def mean_case(draw, max_rank: int = 4, max_dim: int = 6):
    """Random axes (possibly negative), keepdims, and different in/out quantization."""
    shape = _shape(draw, 1, max_rank, max_dim)
    rank = len(shape)
    axes = sorted(draw(st.sets(st.integers(0, rank - 1), min_size=1, max_size=rank)))
    keepdims = draw(st.booleans())
    if not keepdims and len(axes) == rank:
        keepdims = True          # keep the output at least 1-D
    out = tuple(1 if d in axes else s for d, s in enumerate(shape) if keepdims or d not in axes)
    written = [a - rank if draw(st.booleans()) else a for a in axes]
    s_in = draw(scales)
    s_out = float(np.float32(s_in * 2.0 ** draw(st.floats(-4, 4))))
    g = one_op("mean", [act("x", shape, s_in, draw(zero_points))],
               act("y", out, s_out, draw(zero_points)), axes=tuple(written), keepdims=keepdims)
    return with_inputs(draw, g)


@st.composite
def transpose_case(draw, max_rank: int = 5, dtype: str = "int8"):
    shape = _shape(draw, 1, max_rank, 4)
    perm = tuple(draw(st.permutations(range(len(shape)))))
    out = tuple(shape[p] for p in perm)
    scale, zp = draw(scales), draw(st.integers(0, 255) if dtype == "uint8" else zero_points)
    g = one_op("transpose", [act("x", shape, scale, zp, dtype)],
               act("y", out, scale, zp, dtype), perm=perm)
    return with_inputs(draw, g)


def _factor(draw, size: int) -> tuple[int, ...]:
    """A random shape with ``size`` elements (prime factors grouped at random)."""
    factors, p, rest = [], 2, size
    while rest > 1:
        while rest % p == 0:
            factors.append(p)
            rest //= p
        p += 1
    dims: list[int] = []
    for f in draw(st.permutations(factors)):
        if dims and draw(st.booleans()):
            dims[-1] *= f
        else:
            dims.append(f)
    return tuple(dims) or (1,)


@st.composite
def reshape_case(draw):
    shape = _shape(draw, 1, 4)
    out = _factor(draw, int(np.prod(shape)))
    scale, zp = draw(scales), draw(zero_points)
    g = one_op("reshape", [act("x", shape, scale, zp)], act("y", out, scale, zp))
    return with_inputs(draw, g)
