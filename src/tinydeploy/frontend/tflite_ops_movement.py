"""Rows of the TFLite op table (:data:`tinydeploy.frontend.tflite_ops.OPS`) for TFLite
Micro's data-movement builtins beyond the CNN core: STRIDED_SLICE, SLICE, SPLIT, SPLIT_V,
GATHER, DEPTH_TO_SPACE, SPACE_TO_DEPTH, RESIZE_NEAREST_NEIGHBOR. Each becomes IR ops whose
kernels move elements of any size unchanged (``slice``, ``gather``, ``transpose``, and
``reshape``, which is free); the mappers here resolve TFLite's index conventions into
their attributes:

- STRIDED_SLICE: begin/end/strides/masks resolved per axis as TFLite Micro's kernel does
  (ellipsis and new-axis masks are ignored by it, and refused here); shrunk axes are a
  ``reshape`` after the ``slice``;
- SLICE, SPLIT, SPLIT_V: one ``slice`` per output;
- DEPTH_TO_SPACE / SPACE_TO_DEPTH: ``reshape`` to 6-D, ``transpose``, ``reshape``;
- RESIZE_NEAREST_NEIGHBOR: a ``gather`` of rows, then one of columns, with the indices
  TFLite's ``GetNearestNeighbor`` picks;
- RESIZE_BILINEAR (arithmetic, not a copy): its own kind, ``resize_bilinear``.

The int8 loader (int8 and 16x8 models) takes them, the float quantizer does not.
"""

from __future__ import annotations

import math

import numpy as np
import tflite

from tinydeploy.frontend.tflite_ops import INT8, OPS, OpConverter, OpSpec

INT8_ONLY = frozenset({INT8})


def _ints(c: OpConverter, n: int, what: str) -> list[int]:
    return [int(v) for v in np.asarray(c.const(n, what)).ravel()]


def _slice_to(c: OpConverter, x: str, out: str, starts, counts, steps,
              suffix: str = "") -> None:
    """``out`` = the ``counts`` elements x[starts + i * steps] per axis; a ``reshape``
    after the ``slice`` when ``out``'s shape drops axes (STRIDED_SLICE's shrink mask)."""
    y, counts = c.t(out), tuple(int(n) for n in counts)
    if min(counts, default=1) < 1:
        c.fail(f"an empty slice {list(counts)}", unsupported=False)
    if math.prod(counts) != y.size:
        c.fail(f"the slice has {list(counts)} elements, the output {list(y.shape)}",
               unsupported=False)
    attrs = dict(starts=tuple(int(v) for v in starts), steps=tuple(int(v) for v in steps))
    if counts == tuple(y.shape):
        c.add("slice", (x,), (out,), suffix=suffix, **attrs)
        return
    mid = c.new_tensor(f"{out}_{len(counts)}d", c.t(x), counts)
    c.add("slice", (x,), (mid,), suffix=suffix, **attrs)
    c.add("reshape", (mid,), (out,), suffix=f"{suffix}_shrink".lstrip("_"))


def _resolve_axis(n: int, begin: int, end: int, stride: int, bits: tuple) -> tuple[int, int]:
    """(start, count) of one axis as TFLite Micro's StridedSlice (StridedSliceStartForAxis
    / EndForAxis): negative indices wrap, then clamp; masks take the whole axis."""
    begin_mask, end_mask, shrink = bits
    lo, hi = (0, n) if stride > 0 else (-1, n - 1)
    start = begin + n if begin < 0 else begin
    start = min(max(start, lo), hi)
    if begin_mask:
        start = 0 if stride > 0 else n - 1
    if shrink:
        stop = start if start >= n else start + 1
    else:
        stop = end + n if end < 0 else end
        stop = min(max(stop, lo), hi)
        if end_mask:
            stop = n if stride > 0 else -1
    return start, max(0, -(-(stop - start) // stride))


def _strided_slice(c: OpConverter, spec: OpSpec) -> None:
    o = c.options(spec.options)
    x = c.t(c.input(0))
    rank = len(x.shape)
    begin, end, strides = (_ints(c, k, w) for k, w in ((1, "begin"), (2, "end"),
                                                      (3, "strides")))
    if not len(begin) == len(end) == len(strides) == rank:
        c.fail(f"begin/end/strides of {len(begin)}/{len(end)}/{len(strides)} values for a "
               f"{rank}-D input", unsupported=False)
    if o.EllipsisMask() or o.NewAxisMask() or o.Offset():
        c.fail("STRIDED_SLICE with an ellipsis or new-axis mask or offset (TFLite Micro "
               "ignores them)")
    if 0 in strides:
        c.fail("STRIDED_SLICE stride 0", unsupported=False)
    starts, counts = [], []
    for d in range(rank):
        bits = tuple(bool(m >> d & 1) for m in (o.BeginMask(), o.EndMask(),
                                                o.ShrinkAxisMask()))
        s, n = _resolve_axis(x.shape[d], begin[d], end[d], strides[d], bits)
        starts.append(s)
        counts.append(n)
    _slice_to(c, x.name, c.output(), starts, counts, strides)


def _slice(c: OpConverter, spec: OpSpec) -> None:
    x = c.t(c.input(0))
    begin, size = _ints(c, 1, "begin"), _ints(c, 2, "size")
    if len(begin) != len(x.shape) or len(size) != len(x.shape):
        c.fail(f"begin/size of {len(begin)}/{len(size)} values for a {len(x.shape)}-D input",
               unsupported=False)
    counts = [n - b if s == -1 else s for n, b, s in zip(x.shape, begin, size)]
    if any(b < 0 or k < 1 or b + k > n for b, k, n in zip(begin, counts, x.shape)):
        c.fail(f"slice begin {begin} size {size} outside the input {list(x.shape)}",
               unsupported=False)
    _slice_to(c, x.name, c.output(), begin, counts, [1] * len(begin))


def _split_outputs(c: OpConverter, x_n: int, axis: int, sizes: list[int]) -> None:
    x = c.t(c.input(x_n))
    axis = c.axis(axis, len(x.shape))
    if len(sizes) != len(c.outs) or sum(sizes) != x.shape[axis] or min(sizes) < 1:
        c.fail(f"{len(c.outs)} outputs of sizes {sizes} along axis {axis} of "
               f"{list(x.shape)}", unsupported=False)
    at = 0
    for k, n in enumerate(sizes):
        starts = [0] * len(x.shape)
        starts[axis] = at
        counts = list(x.shape)
        counts[axis] = n
        _slice_to(c, x.name, c.output(k), starts, counts, [1] * len(starts),
                  suffix=f"part{k}")
        at += n


def _split(c: OpConverter, spec: OpSpec) -> None:
    axis = _ints(c, 0, "axis")[0]
    x = c.t(c.input(1))
    dim = x.shape[c.axis(axis, len(x.shape))]
    if dim % len(c.outs):
        c.fail(f"SPLIT of {dim} into {len(c.outs)} equal parts", unsupported=False)
    _split_outputs(c, 1, axis, [dim // len(c.outs)] * len(c.outs))


def _split_v(c: OpConverter, spec: OpSpec) -> None:
    x = c.t(c.input(0))
    axis = c.axis(_ints(c, 2, "axis")[0], len(x.shape))
    sizes = _ints(c, 1, "size_splits")
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = x.shape[axis] - (sum(sizes) + 1)
    _split_outputs(c, 0, axis, sizes)


def _gather(c: OpConverter, spec: OpSpec) -> None:
    o = c.options(spec.options, required=False)
    x = c.t(c.input(0))
    if o is not None and o.BatchDims() != 0:
        c.fail("GATHER with batch_dims")
    idx = c.t(c.input(1))
    if not idx.is_const:
        c.fail("GATHER with computed indices (only constant indices are supported)")
    axis = c.axis(o.Axis() if o is not None else 0, len(x.shape))
    c.add(spec.kind, (x.name,), axis=axis,
          indices=tuple(int(v) for v in np.asarray(idx.data).ravel()))


def _space_depth(to_space: bool):
    def mapper(c: OpConverter, spec: OpSpec) -> None:
        b = int(c.options(spec.options).BlockSize())
        x, y = c.t(c.input(0)), c.t(c.output())
        c.require_rank(x, (4,), "input")
        n, h, w, ch = x.shape
        if b < 1 or (to_space and ch % (b * b)) or (not to_space and (h % b or w % b)):
            c.fail(f"block size {b} for an input {list(x.shape)}", unsupported=False)
        if to_space:       # [N, H, W, b, b, C'] -> [N, H, b, W, b, C']
            six, perm = (n, h, w, b, b, ch // (b * b)), (0, 1, 3, 2, 4, 5)
        else:              # [N, H', b, W', b, C] -> [N, H', W', b, b, C]
            six, perm = (n, h // b, b, w // b, b, ch), (0, 1, 3, 2, 4, 5)
        a = c.new_tensor(f"{x.name}_6d", x, six)
        t = c.new_tensor(f"{y.name}_6d", y, tuple(six[p] for p in perm))
        c.add("reshape", (x.name,), (a,), suffix="split")
        c.add("transpose", (a,), (t,), perm=perm)
        c.add("reshape", (t,), (y.name,), suffix="merge")
    return mapper


def nearest_indices(out_size: int, in_size: int, align_corners: bool,
                    half_pixel: bool) -> list[int]:
    """TFLite's GetNearestNeighbor for each output index (float32 arithmetic)."""
    f = np.float32
    scale = (f(in_size - 1) / f(out_size - 1) if align_corners and out_size > 1
             else f(in_size) / f(out_size))
    off = f(0.5) if half_pixel else f(0.0)
    out = []
    for i in range(out_size):
        v = f(f(i) + off) * scale
        k = (int(math.copysign(math.floor(abs(float(v)) + 0.5), float(v))) if align_corners
             else math.floor(float(v)))
        k = min(k, in_size - 1)
        out.append(max(0, k) if half_pixel else k)
    return out


def _resize_nearest(c: OpConverter, spec: OpSpec) -> None:
    o = c.options(spec.options)
    x, y = c.t(c.input(0)), c.t(c.output())
    c.require_rank(x, (4,), "input")
    c.require_rank(y, (4,), "output")
    if _ints(c, 1, "size") != list(y.shape[1:3]):
        c.fail(f"size {_ints(c, 1, 'size')} is not the output's {list(y.shape[1:3])}",
               unsupported=False)
    ac, hp = bool(o.AlignCorners()), bool(o.HalfPixelCenters())
    rows = nearest_indices(y.shape[1], x.shape[1], ac, hp)
    cols = nearest_indices(y.shape[2], x.shape[2], ac, hp)
    mid = c.new_tensor(f"{y.name}_rows", x, (x.shape[0], y.shape[1], x.shape[2], x.shape[3]))
    c.add("gather", (x.name,), (mid,), suffix="rows", axis=1, indices=tuple(rows))
    c.add("gather", (mid,), (y.name,), suffix="cols", axis=2, indices=tuple(cols))


def _resize_bilinear(c: OpConverter, spec: OpSpec) -> None:
    o = c.options(spec.options)
    x, y = c.t(c.input(0)), c.t(c.output())
    c.require_rank(x, (4,), "input")
    c.require_rank(y, (4,), "output")
    if _ints(c, 1, "size") != list(y.shape[1:3]):
        c.fail(f"size {_ints(c, 1, 'size')} is not the output's {list(y.shape[1:3])}",
               unsupported=False)
    c.add(spec.kind, (x.name,), align_corners=bool(o.AlignCorners()),
          half_pixel_centers=bool(o.HalfPixelCenters()))


ROWS: dict[str, OpSpec] = {
    "STRIDED_SLICE": OpSpec("slice", _strided_slice, tflite.StridedSliceOptions,
                            loaders=INT8_ONLY, n_inputs=(4, 4)),
    "SLICE": OpSpec("slice", _slice, loaders=INT8_ONLY, n_inputs=(3, 3)),
    "SPLIT": OpSpec("slice", _split, tflite.SplitOptions, loaders=INT8_ONLY,
                    n_inputs=(2, 2), many_outputs=True),
    "SPLIT_V": OpSpec("slice", _split_v, tflite.SplitVOptions, loaders=INT8_ONLY,
                      n_inputs=(3, 3), many_outputs=True),
    "GATHER": OpSpec("gather", _gather, tflite.GatherOptions, loaders=INT8_ONLY,
                     n_inputs=(2, 2)),
    "DEPTH_TO_SPACE": OpSpec("transpose", _space_depth(True), tflite.DepthToSpaceOptions,
                             loaders=INT8_ONLY),
    "SPACE_TO_DEPTH": OpSpec("transpose", _space_depth(False), tflite.SpaceToDepthOptions,
                             loaders=INT8_ONLY),
    "RESIZE_NEAREST_NEIGHBOR": OpSpec("gather", _resize_nearest,
                                      tflite.ResizeNearestNeighborOptions,
                                      loaders=INT8_ONLY, n_inputs=(2, 2)),
    "RESIZE_BILINEAR": OpSpec("resize_bilinear", _resize_bilinear,
                              tflite.ResizeBilinearOptions, loaders=INT8_ONLY,
                              n_inputs=(2, 2)),
}
OPS.update(ROWS)
