"""transpose, concat (two inputs), pad, gather and reshape-free data movement of float32
tensors: the any-width copy kernels (td_strided_copy_any, td_concat2_any, td_pad_any,
td_gather_any) with 4-byte elements, as for int32 (quant/golden/movement_any.py). A pad value is
stored as the bit pattern of its float32."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden.float32._common import (F32, MAX_DIMS, all_f32, is_f32, padded,
                                                     require, row_strides)
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden.gather import run as gather_run
from tinydeploy.quant.golden.movement_any import run_concat, run_pad
from tinydeploy.quant.golden.slice import run as copy_run


@dataclass(frozen=True, eq=False)
class TransposeF32Args(KernelArgs):
    """td_strided_copy_any on float32 elements (the members of slice.StridedCopyArgs)."""
    C_FUNC = "td_strided_copy_any"

    elem_bytes: int
    in_offset: int
    in_size: int
    out_shape: np.ndarray = array_field()
    in_strides: np.ndarray = array_field()


@dataclass(frozen=True, eq=False)
class Concat2F32Args(KernelArgs):
    """td_concat2_any on float32 elements (the members of movement_any.Concat2AnyArgs)."""
    C_FUNC = "td_concat2_any"

    elem_bytes: int
    outer: int
    a_row: int
    b_row: int


@dataclass(frozen=True, eq=False)
class PadF32Args(KernelArgs):
    """td_pad_any on float32 elements; ``fill`` is the bit pattern of the pad value."""
    C_FUNC = "td_pad_any"

    elem_bytes: int
    fill: int
    in_shape: np.ndarray = array_field()
    out_shape: np.ndarray = array_field()
    pad_before: np.ndarray = array_field()


@dataclass(frozen=True, eq=False)
class GatherF32Args(KernelArgs):
    """td_gather_any on float32 elements (the members of gather.GatherArgs)."""
    C_FUNC = "td_gather_any"

    elem_bytes: int
    outer: int
    axis_len: int
    inner: int
    num_indices: int
    indices: np.ndarray = array_field()


# Own args types (not subclasses of the integer ones): a golden's run is chosen by the
# type of its args, so the float32 runs stay apart from the integer variants'.


def _view_f32(fn):
    def run(args, *xs):
        ins = [np.ascontiguousarray(x, dtype=F32).view(np.int32) for x in xs]
        return np.asarray(fn(args, *ins)).astype(np.int32).view(F32).reshape(-1)
    return run


def prepare_transpose(g: Graph, op: Op) -> TransposeF32Args:
    x, y = all_f32(g, op, 1)
    perm = [int(p) for p in op.attrs["perm"]]
    require(sorted(perm) == list(range(len(x.shape))) and len(perm) <= MAX_DIMS, op,
            f"perm {perm} is not a permutation of at most {MAX_DIMS} dims")
    require(tuple(x.shape[p] for p in perm) == tuple(y.shape), op, "output shape mismatch")
    rs = row_strides(x.shape)
    return TransposeF32Args(4, 0, x.size, padded(y.shape, 1), padded([rs[p] for p in perm], 0))


def prepare_concat(g: Graph, op: Op) -> Concat2F32Args:
    require(len(op.inputs) == 2, op, "float32 concat takes two inputs (chain them)")
    a, b, y = all_f32(g, op)
    axis = int(op.attrs["axis"]) % len(y.shape)
    for t in (a, b):
        require(len(t.shape) == len(y.shape) and t.shape[:axis] == y.shape[:axis] and
                t.shape[axis + 1:] == y.shape[axis + 1:], op, f"'{t.name}' {list(t.shape)} "
                f"does not fit the output {list(y.shape)} on axis {axis}")
    require(a.shape[axis] + b.shape[axis] == y.shape[axis], op, "sizes do not add up")
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    return Concat2F32Args(4, outer, a.size // outer, b.size // outer)


def prepare_pad(g: Graph, op: Op) -> PadF32Args:
    x, y = all_f32(g, op, 1)
    pads = [tuple(int(v) for v in p) for p in op.attrs["pads"]]
    require(len(pads) == len(x.shape) <= MAX_DIMS and all(p >= 0 and q >= 0 for p, q in pads),
            op, "one non-negative (before, after) pair per axis")
    require(tuple(d + p + q for d, (p, q) in zip(x.shape, pads)) == tuple(y.shape), op,
            "output shape mismatch")
    fill = int(np.array([op.attrs.get("value", 0.0)], dtype=F32).view(np.int32)[0])
    return PadF32Args(4, fill, padded(x.shape, 1), padded(y.shape, 1),
                      padded([p for p, _ in pads], 0))


def prepare_gather(g: Graph, op: Op) -> GatherF32Args:
    x, y = all_f32(g, op, 1)
    axis = int(op.attrs["axis"]) % max(len(x.shape), 1)
    idx = [int(i) for i in np.asarray(op.attrs["indices"]).ravel()]
    n = int(x.shape[axis])
    require(bool(idx) and all(0 <= i < n for i in idx), op,
            f"indices {idx[:8]} outside [0, {n})")
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    require(y.size == outer * len(idx) * inner, op,
            f"output {list(y.shape)} does not hold the gathered blocks")
    return GatherF32Args(4, outer, n, inner, len(idx), np.array(idx, dtype=np.int32))


register_variant("transpose", is_f32, prepare_transpose, _view_f32(copy_run), TransposeF32Args)
register_variant("concat", is_f32, prepare_concat, _view_f32(run_concat), Concat2F32Args)
register_variant("pad", is_f32, prepare_pad, _view_f32(run_pad), PadF32Args)
register_variant("gather", is_f32, prepare_gather, _view_f32(gather_run), GatherF32Args)
