"""TFLite's rescaled two-input arithmetic (ADD, SUB, and the SQUARED_DIFFERENCE input
stage), for int8 and int16, shared by their goldens.

Each input, offset by its zero point, is shifted left by ``left_shift`` (20 for int8,
15 for int16) and scaled by ``s_in / (2 * max(s_a, s_b))``; the results are combined
(sum or difference) and scaled by ``2 * max(s_a, s_b) / (2**left_shift * s_out)``. All
three multipliers are below one (``QuantizeMultiplierSmallerThanOneExp``), derived in
double from the float32 scales (by ADD and, in the TFLite Micro we test against, SUB).
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import _broadcast
from tinydeploy.quant.requant import (activation_range, multiply_by_quantized_multiplier,
                                      quantize_multiplier)

LEFT_SHIFT = {"int8": 20, "int16": 15}


def smaller_than_one(real: float, what: str, op: Op) -> tuple[int, int]:
    if not 0.0 < real < 1.0:
        raise UnsupportedError(f"{op.kind}: {what} multiplier {real} is not in (0, 1) "
                               "(output scale too small for the input scales)", node=op.name)
    return quantize_multiplier(real)


def check_dtype(g: Graph, op: Op, dtype: str) -> None:
    """Both inputs and the output per-tensor quantized ``dtype`` (int16: zero point 0)."""
    for n in (*op.inputs[:2], op.outputs[0]):
        t = g.t(n)
        if t.dtype != dtype or t.quant is None or t.quant.per_channel:
            raise UnsupportedError(f"{op.kind}: tensor '{n}' is {t.dtype}; expected "
                                   f"per-tensor quantized {dtype}", node=op.name)
        if dtype == "int16" and t.quant.zp != 0:
            raise UnsupportedError(f"{op.kind}: int16 tensor '{n}' has zero point "
                                   f"{t.quant.zp} (int16 activations are symmetric)",
                                   node=op.name)


def common_fields(g: Graph, op: Op, dtype: str) -> dict:
    """The broadcast walk, offsets and clamp bounds of an add-like args struct."""
    check_dtype(g, op, dtype)
    qa, qb = g.t(op.inputs[0]).quant, g.t(op.inputs[1]).quant
    qo = g.t(op.outputs[0]).quant
    shape, sa, sb = _broadcast.broadcast_layout(g, op)
    lo, hi = activation_range(op.attrs.get("act", "none"), qo.s, qo.zp, dtype)
    return dict(ndim=len(shape), shape=np.array(shape, np.int32),
                a_strides=np.array(sa, np.int32), b_strides=np.array(sb, np.int32),
                a_offset=-qa.zp, b_offset=-qb.zp, out_offset=qo.zp, act_min=lo, act_max=hi)


def input_multipliers(g: Graph, op: Op, left_shift: int) -> dict:
    """Both inputs' multipliers to ``2 max(s_a, s_b)`` units, with ``left_shift``."""
    sa, sb = (float(np.float32(g.t(n).quant.s)) for n in op.inputs[:2])
    twice = 2.0 * max(sa, sb)
    a_mult, a_shift = smaller_than_one(sa / twice, "input a", op)
    b_mult, b_shift = smaller_than_one(sb / twice, "input b", op)
    return dict(left_shift=left_shift, a_multiplier=a_mult, a_shift=a_shift,
                b_multiplier=b_mult, b_shift=b_shift)


def rescale_fields(g: Graph, op: Op, dtype: str) -> dict:
    """The fields of an add-like args struct (see :class:`~.add.AddArgs`)."""
    k = common_fields(g, op, dtype)
    ls = LEFT_SHIFT[dtype]
    k.update(input_multipliers(g, op, ls))
    sa, sb, so = (float(np.float32(g.t(n).quant.s)) for n in (*op.inputs[:2], op.outputs[0]))
    o_mult, o_shift = smaller_than_one(2.0 * max(sa, sb) / ((1 << ls) * so), "output", op)
    return {**k, "out_multiplier": o_mult, "out_shift": o_shift}


def scaled_inputs(k, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both operands, broadcast, offset, shifted and rescaled (int64 arrays)."""
    x = _broadcast.gather(a, k.shape, k.a_strides) + k.a_offset
    y = _broadcast.gather(b, k.shape, k.b_strides) + k.b_offset
    return (multiply_by_quantized_multiplier(x << k.left_shift, k.a_multiplier, k.a_shift),
            multiply_by_quantized_multiplier(y << k.left_shift, k.b_multiplier, k.b_shift))


def output(k, raw: np.ndarray, dtype: str) -> np.ndarray:
    """The combined value rescaled to the output, offset and clamped."""
    y = multiply_by_quantized_multiplier(raw, k.out_multiplier, k.out_shift) + k.out_offset
    return np.clip(y, k.act_min, k.act_max).astype(dtype)
