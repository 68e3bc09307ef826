"""transpose, concat and pad of 16/32-bit elements (integer graphs), as variants of the
int8 kinds:

- ``transpose``: a strided copy (:mod:`.slice`'s kernel, ``td_strided_copy_any``) whose
  strides are the permuted input strides;
- ``concat`` of two inputs (``td_concat2_any``): the tensor seen as [outer, axis * inner],
  each output row is input a's row then input b's (the frontend chains longer concats);
- ``pad`` (``td_pad_any``): the output filled with ``fill`` (the stored code of the pad
  value), the input copied into its box (negative pads are a slice first).

Inputs and output must have the same dtype and zero point: a copy never converts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden._integer import ELEM_BYTES, padded, require, zp
from tinydeploy.quant.golden.slice import StridedCopyArgs, check_copy, row_strides
from tinydeploy.quant.golden.slice import run as copy_run


@dataclass(frozen=True, eq=False)
class TransposeAnyArgs(StridedCopyArgs):
    """A transpose as a strided copy (same kernel as slice)."""


def prepare_transpose(g: Graph, op: Op) -> TransposeAnyArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    check_copy(op, x, y)
    perm = [int(p) for p in op.attrs["perm"]]
    require(sorted(perm) == list(range(len(x.shape))), op, f"perm {perm} is not a permutation")
    require(tuple(x.shape[p] for p in perm) == tuple(y.shape), op, "output shape mismatch")
    rs = row_strides(x.shape)
    return TransposeAnyArgs(ELEM_BYTES[x.dtype], 0, x.size, padded(y.shape, 1),
                            padded([rs[p] for p in perm], 0))


@dataclass(frozen=True, eq=False)
class Concat2AnyArgs(KernelArgs):
    C_FUNC = "td_concat2_any"

    elem_bytes: int           # 1, 2 or 4
    outer: int                # rows (product of the dims before the axis)
    a_row: int                # elements of a per row (a's axis * inner)
    b_row: int                # elements of b per row


def prepare_concat(g: Graph, op: Op) -> Concat2AnyArgs:
    require(len(op.inputs) == 2, op, "16/32-bit concat takes two inputs (chain them)")
    a, b, y = (g.t(n) for n in (*op.inputs, op.outputs[0]))
    check_copy(op, a, y)
    check_copy(op, b, y)
    axis = int(op.attrs["axis"]) % len(y.shape)
    for t in (a, b):
        require(len(t.shape) == len(y.shape) and t.shape[:axis] == y.shape[:axis] and
                t.shape[axis + 1:] == y.shape[axis + 1:], op, f"'{t.name}' {list(t.shape)} "
                f"does not fit the output {list(y.shape)} on axis {axis}")
    require(a.shape[axis] + b.shape[axis] == y.shape[axis], op, "sizes do not add up")
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    return Concat2AnyArgs(ELEM_BYTES[y.dtype], outer, a.size // outer, b.size // outer)


def run_concat(k: Concat2AnyArgs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.concatenate([a.reshape(k.outer, k.a_row), b.reshape(k.outer, k.b_row)],
                          axis=1).reshape(-1)


@dataclass(frozen=True, eq=False)
class PadAnyArgs(KernelArgs):
    C_FUNC = "td_pad_any"

    elem_bytes: int           # 1, 2 or 4
    fill: int                 # stored value of the padding
    in_shape: np.ndarray = array_field()      # [MAX_DIMS] leading 1s
    out_shape: np.ndarray = array_field()
    pad_before: np.ndarray = array_field()    # [MAX_DIMS] leading 0s


def prepare_pad(g: Graph, op: Op) -> PadAnyArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    check_copy(op, x, y)
    pads = [tuple(int(v) for v in p) for p in op.attrs["pads"]]
    require(len(pads) == len(x.shape) and all(p >= 0 and q >= 0 for p, q in pads), op,
            "one non-negative (before, after) pair per axis")
    require(tuple(d + p + q for d, (p, q) in zip(x.shape, pads)) == tuple(y.shape), op,
            "output shape mismatch")
    fill = int(op.attrs.get("value", 0)) + zp(y)
    info = np.iinfo(y.np_dtype)
    require(info.min <= fill <= info.max, op, f"pad value {fill - zp(y)} does not fit "
            f"{y.dtype} with zero point {zp(y)}")
    return PadAnyArgs(ELEM_BYTES[x.dtype], fill, padded(x.shape, 1), padded(y.shape, 1),
                      padded([p for p, _ in pads], 0))


def run_pad(k: PadAnyArgs, x: np.ndarray) -> np.ndarray:
    before = np.asarray(k.pad_before)
    after = np.asarray(k.out_shape) - np.asarray(k.in_shape) - before
    v = x.reshape(tuple(int(d) for d in k.in_shape))
    return np.pad(v, list(zip(before, after)), constant_values=k.fill).reshape(-1)


def _wide(g: Graph, op: Op) -> bool:
    return g.t(op.outputs[0]).dtype in ("int16", "int32")


def _wide_or_valued(g: Graph, op: Op) -> bool:
    if g.t(op.outputs[0]).dtype == "float32":       # float32/movement.py
        return False
    return _wide(g, op) or int(op.attrs.get("value", 0)) != 0


def _wide_concat2(g: Graph, op: Op) -> bool:
    """Two-input 16/32-bit concats (int16 concats of more inputs: int16/concat.py)."""
    y = g.t(op.outputs[0])
    return _wide(g, op) and (len(op.inputs) == 2 or y.dtype != "int16") and not (
        y.dtype == "int32" and y.quant is None)


register_variant("transpose", _wide, prepare_transpose, copy_run, TransposeAnyArgs)
register_variant("concat", _wide_concat2, prepare_concat, run_concat, Concat2AnyArgs)
register_variant("pad", _wide_or_valued, prepare_pad, run_pad, PadAnyArgs)

