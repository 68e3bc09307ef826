"""What the sub-byte goldens share: storage descriptors, dtype checks, clamp bounds.

A kernel reads an activation as ``(bits, signed)``: 2/4/8 bits, two's complement or
unsigned (``td_pack.h`` unpacks both). Weights are signed and symmetric. The output is
written as its low ``bits`` bits; its range is enforced by ``act_min``/``act_max``, the
fused activation's bounds intersected with the output dtype's range.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op, Tensor
from tinydeploy.quant.golden import _conv_common as cc
from tinydeploy.quant.packing import dtype_bits, dtype_range, is_packed, is_signed
from tinydeploy.quant.requant import activation_range, multiply_by_quantized_multiplier

ACT_DTYPES = ("int8", "uint8", "int4", "uint4", "int2", "uint2")
WEIGHT_DTYPES = ("int8", "int4", "int2")


def touches_packed(g: Graph, op: Op) -> bool:
    """The predicate of every sub-byte variant: some input or output is packed."""
    return any(n and is_packed(g.t(n).dtype) for n in (*op.inputs, *op.outputs))


def act_storage(op: Op, t: Tensor) -> tuple[int, int]:
    """(bits, signed) of a quantized activation, or a clear error."""
    if t.dtype not in ACT_DTYPES or t.quant is None or t.quant.per_channel:
        raise UnsupportedError(f"{op.kind} (sub-byte): tensor '{t.name}' is {t.dtype}"
                               f"{'' if t.quant is None else ' quantized'}; expected a "
                               f"per-tensor quantized {'/'.join(ACT_DTYPES)}", node=op.name)
    return dtype_bits(t.dtype), int(is_signed(t.dtype))


def weight_values(op: Op, w: Tensor) -> np.ndarray:
    """The constant, symmetric weights as int64, after checking their dtype and range."""
    if w.dtype not in WEIGHT_DTYPES or w.data is None or w.quant is None:
        raise UnsupportedError(f"{op.kind} (sub-byte): weight '{w.name}' must be a constant "
                               f"quantized {'/'.join(WEIGHT_DTYPES)} tensor, got {w.dtype}",
                               node=op.name)
    cc.require_symmetric_weights(op, w)
    data = np.asarray(w.data).astype(np.int64)
    lo, hi = dtype_range(w.dtype)
    if data.size and (data.min() < lo or data.max() > hi):
        raise UnsupportedError(f"{op.kind}: weight '{w.name}' has values outside the "
                               f"{w.dtype} range [{lo}, {hi}]", node=op.name)
    return data


def x_max(t: Tensor, offset: int) -> int:
    """Largest |x + offset| over the dtype's range (for the accumulator bound)."""
    lo, hi = dtype_range(t.dtype)
    return max(abs(lo + offset), abs(hi + offset))


def out_bounds(g: Graph, op: Op) -> tuple[int, int]:
    """Fused activation bounds intersected with the output dtype's range."""
    y = g.t(op.outputs[0])
    lo, hi = dtype_range(y.dtype)
    wide = "int8" if is_signed(y.dtype) else "uint8"
    a_lo, a_hi = activation_range(op.attrs.get("act", "none"), cc.f32(y.quant.s), y.quant.zp,
                                  wide)
    lo, hi = max(lo, a_lo), min(hi, a_hi)
    if lo > hi:
        raise UnsupportedError(f"{op.kind}: the fused activation's range is empty in "
                               f"{y.dtype} (zero point {y.quant.zp})", node=op.name)
    return lo, hi


def requantize(acc: np.ndarray, mult, shift, output_offset: int, lo: int, hi: int,
               signed: int) -> np.ndarray:
    """int32 accumulators -> output values, as the int8 epilogue (offset add wraps in
    int32 like the C ``uint32_t`` add) but clamped to ``[lo, hi]``."""
    y = multiply_by_quantized_multiplier(acc, mult, shift) + output_offset
    y = (y + 2**31) % 2**32 - 2**31
    return np.clip(y, lo, hi).astype(np.int8 if signed else np.uint8)
