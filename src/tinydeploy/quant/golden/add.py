"""add (int8): TFLite's quantized add, both inputs rescaled to a common scale.

Each input, offset by its zero point, is shifted left by 20 bits and scaled by
``s_in / (2 * max(s_a, s_b))``; the sum is scaled by ``2 * max(s_a, s_b) / (2**20 * s_out)``
(all three multipliers below one, TFLite's ``MultiplyByQuantizedMultiplierSmallerThanOneExp``),
offset by the output zero point and clamped to the fused activation's range.
Broadcasting: any numpy-style broadcast (see :mod:`._broadcast`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import _accumulate as _acc
from tinydeploy.quant.golden import _broadcast, register
from tinydeploy.quant.requant import (
    activation_range,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
)

LEFT_SHIFT = 20   # TFLite's headroom for int8 inputs


@dataclass(frozen=True, eq=False)
class AddArgs(KernelArgs):
    C_FUNC = "td_add_s8"
    ndim: int                    # dimensions of the (merged) broadcast walk
    shape: np.ndarray = array_field()
    a_strides: np.ndarray = array_field()    # element strides, 0 = broadcast
    b_strides: np.ndarray = array_field()
    a_offset: int                # -zero_point of a
    b_offset: int
    left_shift: int
    a_multiplier: int
    a_shift: int                 # <= 0 (right shift)
    b_multiplier: int
    b_shift: int
    out_multiplier: int
    out_shift: int
    out_offset: int              # zero_point of the output
    act_min: int
    act_max: int


def _smaller_than_one(real: float, what: str, node: str) -> tuple[int, int]:
    if not 0.0 < real < 1.0:
        raise UnsupportedError(f"add: {what} multiplier {real} is not in (0, 1) "
                               "(output scale too small for the input scales)", node=node)
    return quantize_multiplier(real)


def check_int8(g: Graph, op: Op) -> None:
    """Raise unless all inputs and the output are per-tensor quantized int8."""
    for n in (*op.inputs, *op.outputs):
        t = g.t(n)
        if t.dtype != "int8" or t.quant is None or t.quant.per_channel:
            raise UnsupportedError(f"{op.kind}: tensor {n} is {t.dtype}"
                                   f"{' per-channel' if t.quant and t.quant.per_channel else ''}"
                                   f"{' without quantization' if t.quant is None else ''}; only "
                                   "per-tensor quantized int8 is supported", node=op.name)


def prepare(g: Graph, op: Op) -> AddArgs:
    if g.t(op.outputs[0]).dtype == "int32":   # raw weighted sum (integer-deployable)
        return _acc.prepare_add(g, op)
    check_int8(g, op)
    qa, qb = g.t(op.inputs[0]).quant, g.t(op.inputs[1]).quant
    qo = g.t(op.outputs[0]).quant
    shape, sa, sb = _broadcast.broadcast_layout(g, op)
    twice_max = 2.0 * max(qa.s, qb.s)
    a_mult, a_shift = _smaller_than_one(qa.s / twice_max, "input a", op.name)
    b_mult, b_shift = _smaller_than_one(qb.s / twice_max, "input b", op.name)
    o_mult, o_shift = _smaller_than_one(twice_max / ((1 << LEFT_SHIFT) * qo.s), "output",
                                        op.name)
    lo, hi = activation_range(op.attrs.get("act", "none"), qo.s, qo.zp)
    return AddArgs(ndim=len(shape), shape=np.array(shape, np.int32),
                   a_strides=np.array(sa, np.int32), b_strides=np.array(sb, np.int32),
                   a_offset=-qa.zp, b_offset=-qb.zp, left_shift=LEFT_SHIFT,
                   a_multiplier=a_mult, a_shift=a_shift, b_multiplier=b_mult, b_shift=b_shift,
                   out_multiplier=o_mult, out_shift=o_shift, out_offset=qo.zp,
                   act_min=lo, act_max=hi)


def run(args: AddArgs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if isinstance(args, _acc.AddS32Args):
        return _acc.run_add(args, a, b)
    x = _broadcast.gather(a, args.shape, args.a_strides) + args.a_offset
    y = _broadcast.gather(b, args.shape, args.b_strides) + args.b_offset
    x = multiply_by_quantized_multiplier(x << args.left_shift, args.a_multiplier, args.a_shift)
    y = multiply_by_quantized_multiplier(y << args.left_shift, args.b_multiplier, args.b_shift)
    raw = multiply_by_quantized_multiplier(x + y, args.out_multiplier, args.out_shift)
    return np.clip(raw + args.out_offset, args.act_min, args.act_max).astype(np.int8)


register("add", prepare, run, AddArgs)
