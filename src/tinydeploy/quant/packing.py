"""Packed storage of sub-byte integers (int4/uint4/int2/uint2), PULP-NN bit order.

Layout (the C side, ``runtime/kernels/td_pack.h``, uses the same): with ``b`` bits per
element and ``k = 8 / b`` elements per byte, a tensor is packed **flat, in C (row-major)
order over the whole tensor**: element ``i`` occupies bits ``[(i % k) * b, (i % k) * b + b)``
of byte ``i // k``, lowest bits first (element 0 in the least significant bits, as
PULP-NN does). Signed values are stored as their low ``b`` two's-complement bits.

Padding: rows are *not* padded to whole bytes (an NHWC pixel may start in the middle of
a byte); only the last byte of the tensor is padded, and its unused high bits are 0.
So a tensor of ``n`` elements takes ``ceil(n * b / 8)`` bytes (:attr:`Tensor.nbytes`),
and a reshape keeps the same bytes. 8-bit values are stored as plain bytes (``k = 1``).

In numpy (IR constants, golden values) sub-byte tensors stay unpacked: one value per
int8/uint8 element; only C storage and the host runner's record files are packed.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.ir.graph import SUBBYTE_DTYPES

PACKED_BITS = (2, 4)


def is_packed(dtype: str) -> bool:
    """True for the packed sub-byte dtypes (int4, uint4, int2, uint2)."""
    return dtype in SUBBYTE_DTYPES


def dtype_bits(dtype: str) -> int:
    """Bits per stored element of an integer dtype (sub-byte or numpy)."""
    return SUBBYTE_DTYPES[dtype][0] if is_packed(dtype) else 8 * np.dtype(dtype).itemsize


def is_signed(dtype: str) -> bool:
    return not dtype.startswith("uint")


def value_dtype(dtype: str) -> np.dtype:
    """numpy dtype holding the unpacked values of ``dtype``."""
    return np.dtype(SUBBYTE_DTYPES[dtype][1] if is_packed(dtype) else dtype)


def dtype_range(dtype: str) -> tuple[int, int]:
    """(min, max) representable value of an integer dtype, sub-byte included."""
    if is_packed(dtype):
        b = dtype_bits(dtype)
        return (-(1 << (b - 1)), (1 << (b - 1)) - 1) if is_signed(dtype) else (0, (1 << b) - 1)
    info = np.iinfo(np.dtype(dtype))
    return int(info.min), int(info.max)


def packed_nbytes(count: int, bits: int) -> int:
    """Bytes of ``count`` packed ``bits``-bit elements (last byte padded)."""
    return -(-count * bits // 8)


def pack_bits(values, bits: int) -> np.ndarray:
    """Pack integers (any shape, read in C order) into a uint8 array, bit order above.

    Values must fit ``bits`` bits as signed or unsigned numbers; out-of-range values are
    an error (they would wrap silently otherwise).
    """
    v = np.asarray(values).astype(np.int64).ravel()
    if bits == 8:
        if v.size and (v.min() < -128 or v.max() > 255):
            raise ValueError("value out of the 8-bit range")
        return (v & 0xFF).astype(np.uint8)
    if bits not in PACKED_BITS:
        raise ValueError(f"cannot pack {bits}-bit values (2, 4 or 8)")
    if v.size and (v.min() < -(1 << (bits - 1)) or v.max() > (1 << bits) - 1):
        raise ValueError(f"value out of the {bits}-bit range: [{v.min()}, {v.max()}]")
    k = 8 // bits
    padded = np.zeros(packed_nbytes(v.size, bits) * k, dtype=np.int64)
    padded[:v.size] = v & ((1 << bits) - 1)
    lanes = padded.reshape(-1, k) << (np.arange(k, dtype=np.int64) * bits)
    return lanes.sum(axis=1).astype(np.uint8)


def unpack_bits(packed, bits: int, count: int, signed: bool) -> np.ndarray:
    """Inverse of :func:`pack_bits`: ``count`` values as int8 (signed) or uint8."""
    p = np.asarray(packed, dtype=np.uint8).ravel()
    need = packed_nbytes(count, bits)
    if p.size < need:
        raise ValueError(f"{count} {bits}-bit values need {need} bytes, got {p.size}")
    if bits == 8:
        raw = p[:count].astype(np.int64)
    else:
        k = 8 // bits
        shifts = np.arange(k, dtype=np.int64) * bits
        raw = ((p[:need, None].astype(np.int64) >> shifts) & ((1 << bits) - 1)).ravel()[:count]
    if signed:
        raw = np.where(raw >= 1 << (bits - 1), raw - (1 << bits), raw)
        return raw.astype(np.int8)
    return raw.astype(np.uint8)


def to_storage(x, dtype: str) -> bytes:
    """The C storage bytes of an array of ``dtype`` values (packed for sub-byte dtypes)."""
    if is_packed(dtype):
        lo, hi = dtype_range(dtype)
        v = np.asarray(x).astype(np.int64)
        if v.size and (v.min() < lo or v.max() > hi):
            raise ValueError(f"{dtype} value out of range [{lo}, {hi}]")
        return pack_bits(v, dtype_bits(dtype)).tobytes()
    return np.ascontiguousarray(x, dtype=dtype).tobytes()


def storage_nbytes(shape, dtype: str) -> int:
    count = int(np.prod(shape, dtype=np.int64))
    return packed_nbytes(count, dtype_bits(dtype))


def from_storage(raw: bytes, dtype: str, shape) -> np.ndarray:
    """Values of ``dtype`` from C storage bytes (unpacked for sub-byte dtypes)."""
    shape = tuple(int(s) for s in shape)
    count = int(np.prod(shape, dtype=np.int64))
    if is_packed(dtype):
        buf = np.frombuffer(raw, dtype=np.uint8)
        return unpack_bits(buf, dtype_bits(dtype), count, is_signed(dtype)).reshape(shape)
    return np.frombuffer(raw, dtype=dtype, count=count).reshape(shape)
