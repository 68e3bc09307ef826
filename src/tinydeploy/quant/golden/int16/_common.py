"""What the 16x8 goldens share: which ops they serve, dtype checks, the 64-bit
requantization of the int16 conv/fc kernels."""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op, Tensor

INT64_ACC_LIMIT = 1 << 47     # |acc| below this: TFLite's 64-bit requantization is exact
MAX_REQUANT64_SHIFT = 7       # ... and needs shift < 8 (TFLite asserts it)


def int16_io(g: Graph, op: Op) -> bool:
    """The predicate of the 16x8 variants: the first input and the output are int16 and
    no PULP requantization is fused into the op."""
    return ("requant" not in op.attrs and g.t(op.inputs[0]).dtype == "int16"
            and g.t(op.outputs[0]).dtype == "int16")


def require_int16(op: Op, *tensors: Tensor) -> None:
    """Per-tensor quantized int16 with zero point 0 (TFLite's int16 activations)."""
    for t in tensors:
        if t.dtype != "int16" or t.quant is None or t.quant.per_channel:
            raise UnsupportedError(f"{op.kind} (16x8): tensor '{t.name}' must be per-tensor "
                                   f"quantized int16, got {t.dtype}", node=op.name)
        if t.quant.zp != 0:
            raise UnsupportedError(f"{op.kind} (16x8): int16 tensor '{t.name}' has zero "
                                   f"point {t.quant.zp} (TFLite's int16 activations are "
                                   "symmetric: zero point 0)", node=op.name)


def require_int8_weights(op: Op, w: Tensor) -> np.ndarray:
    """Constant symmetric int8 weights, as int64 values."""
    if w.dtype != "int8" or w.quant is None or w.data is None:
        raise UnsupportedError(f"{op.kind} (16x8): weights '{w.name}' must be constant "
                               f"quantized int8, got {w.dtype}", node=op.name)
    if np.any(np.asarray(w.quant.zero_point) != 0):
        raise UnsupportedError(f"{op.kind} (16x8): weights '{w.name}' have a non-zero zero "
                               "point (16x8 weights are symmetric)", node=op.name)
    return w.data.astype(np.int64)


def bias64(g: Graph, op: Op, c_out: int) -> np.ndarray | None:
    """The int64 bias (None when absent); TFLite's 16x8 kernels read it as int64_t."""
    name = op.inputs[2] if len(op.inputs) > 2 else ""
    if not name:
        return None
    b = g.t(name)
    if b.dtype != "int64" or b.size != c_out or b.data is None:
        raise UnsupportedError(f"{op.kind} (16x8): bias '{name}' must be a constant "
                               f"int64[{c_out}], got {b.dtype}{list(b.shape)}", node=op.name)
    return b.data.astype(np.int64).reshape(c_out)


def check_acc64(op: Op, w_abs_sum: np.ndarray, bias: np.ndarray | None) -> None:
    """Worst case |acc| = sum |w| * 2^15 + |bias| must stay below 2^47 for every channel
    (TFLite's 64-bit requantization multiplies it by a 16-bit multiplier in int64)."""
    bound = np.asarray(w_abs_sum, dtype=object) * (1 << 15)
    if bias is not None:
        bound = bound + np.abs(bias.astype(object))
    worst = int(max(bound.ravel(), default=0))
    if worst >= INT64_ACC_LIMIT:
        raise UnsupportedError(f"{op.kind} (16x8): accumulator may reach {worst} >= 2^47 "
                               "(TFLite's 64-bit requantization needs less)", node=op.name)


def check_shifts64(op: Op, shift: np.ndarray) -> None:
    if int(np.max(shift)) > MAX_REQUANT64_SHIFT:
        raise UnsupportedError(f"{op.kind} (16x8): requantization multiplier of 2^"
                               f"{int(np.max(shift)) - 1} or more (TFLite's 64-bit "
                               "requantization shifts left by at most 7)", node=op.name)


def requant64(acc, mult, shift) -> np.ndarray:
    """TFLite's ``MultiplyByQuantizedMultiplier(int64_t x, int32_t m, int shift)``.

    The Q31 multiplier is reduced to 16 bits (``(m + 2^15) >> 16``, 0x7FFF once it would
    round to 2^15) and applied with one rounding: ``(x * m16 + 2^(14 - shift)) >>
    (15 - shift)``, floor division; the result is truncated to int32 like the C++ cast.
    ``mult``/``shift`` broadcast along the last axis (per channel)."""
    x = np.asarray(acc, dtype=np.int64)
    m = np.asarray(mult, dtype=np.int64)
    s = np.asarray(shift, dtype=np.int64)
    reduced = np.where(m < 0x7FFF0000, (m + (1 << 15)) >> 16, 0x7FFF)
    total = 15 - s
    r = (x * reduced + (np.int64(1) << (total - 1))) >> total
    return (r + 2**31) % 2**32 - 2**31


def clamp16(v: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.asarray(v, dtype=np.int64), lo, hi).astype(np.int16)
