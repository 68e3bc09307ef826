"""add with packed sub-byte / mixed-precision tensors (kernel ``td_add_sb``).

TFLite's quantized add (see the int8 golden ``add.py``: both inputs, offset and shifted
left by 20 bits, rescaled to ``2 * max(s_a, s_b)``, summed and rescaled to the output)
with a, b and y each 2, 4 or 8 bits, signed or unsigned, and the output clamped to its
dtype's range. No broadcasting: a, b and y have the same number of elements (residual
adds), which also keeps a packed in-place add safe (the kernel writes an output byte
only after reading every input element it covers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import add as _add8
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden.subbyte import _common as sb
from tinydeploy.quant.requant import multiply_by_quantized_multiplier


@dataclass(frozen=True, eq=False)
class AddSbArgs(KernelArgs):
    C_FUNC: ClassVar[str] = "td_add_sb"
    size: int            # elements of a, b and the output
    a_offset: int        # -zero point of a
    b_offset: int
    left_shift: int
    a_multiplier: int
    a_shift: int         # <= 0 (right shift)
    b_multiplier: int
    b_shift: int
    out_multiplier: int
    out_shift: int
    out_offset: int      # zero point of the output
    act_min: int         # clamp bounds, inside the output dtype's range
    act_max: int
    a_bits: int          # 2, 4 or 8
    a_signed: int        # 1: two's complement, 0: unsigned
    b_bits: int
    b_signed: int
    out_bits: int
    out_signed: int      # the output's dtype (the kernel stores the low out_bits bits)


def prepare(g: Graph, op: Op) -> AddSbArgs:
    a, b, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    (a_bits, a_signed), (b_bits, b_signed), (o_bits, o_signed) = (
        sb.act_storage(op, t) for t in (a, b, y))
    if not a.size == b.size == y.size:
        raise UnsupportedError(f"add (sub-byte) does not broadcast: {list(a.shape)} + "
                               f"{list(b.shape)} -> {list(y.shape)}", node=op.name)
    qa, qb, qo = a.quant, b.quant, y.quant
    twice_max = 2.0 * max(qa.s, qb.s)
    a_mult, a_shift = _add8._smaller_than_one(qa.s / twice_max, "input a", op.name)
    b_mult, b_shift = _add8._smaller_than_one(qb.s / twice_max, "input b", op.name)
    o_mult, o_shift = _add8._smaller_than_one(
        twice_max / ((1 << _add8.LEFT_SHIFT) * qo.s), "output", op.name)
    lo, hi = sb.out_bounds(g, op)
    return AddSbArgs(y.size, -qa.zp, -qb.zp, _add8.LEFT_SHIFT, a_mult, a_shift, b_mult,
                     b_shift, o_mult, o_shift, qo.zp, lo, hi, a_bits, a_signed, b_bits,
                     b_signed, o_bits, o_signed)


def run(args: AddSbArgs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = a.astype(np.int64).ravel() + args.a_offset
    y = b.astype(np.int64).ravel() + args.b_offset
    x = multiply_by_quantized_multiplier(x << args.left_shift, args.a_multiplier, args.a_shift)
    y = multiply_by_quantized_multiplier(y << args.left_shift, args.b_multiplier, args.b_shift)
    raw = multiply_by_quantized_multiplier(x + y, args.out_multiplier, args.out_shift)
    out = np.clip(raw + args.out_offset, args.act_min, args.act_max)
    return out.astype(np.int8 if args.out_signed else np.uint8)


register_variant("add", sb.touches_packed, prepare, run, AddSbArgs)
