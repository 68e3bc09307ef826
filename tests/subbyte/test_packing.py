"""Packed storage (quant/packing.py): bit order, round trips, byte counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinydeploy.ir.graph import Tensor
from tinydeploy.quant.packing import (dtype_range, from_storage, pack_bits, storage_nbytes,
                                      to_storage, unpack_bits)


@st.composite
def packable(draw):
    bits = draw(st.sampled_from([2, 4, 8]))
    signed = draw(st.booleans())
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    values = draw(st.lists(st.integers(lo, hi), max_size=40))
    return bits, signed, values


@settings(max_examples=50, deadline=None)
@given(packable())
def test_unpack_of_pack_is_identity(case):
    bits, signed, values = case
    packed = pack_bits(values, bits)
    assert packed.dtype == np.uint8 and packed.size == -(-len(values) * bits // 8)
    back = unpack_bits(packed, bits, len(values), signed)
    assert back.dtype == (np.int8 if signed else np.uint8)
    assert back.tolist() == values


@settings(max_examples=50, deadline=None)
@given(packable())
def test_unused_bits_of_last_byte_are_zero(case):
    bits, _, values = case
    packed = pack_bits(values, bits)
    used = len(values) * bits - (packed.size - 1) * 8
    if packed.size:
        assert int(packed[-1]) >> used == 0


def test_int4_bit_order_is_low_nibble_first():
    # element 0 in bits 0-3, element 1 in bits 4-7 (two's complement -1 = 0xF)
    assert pack_bits([1, -1, 2], 4).tolist() == [0xF1, 0x02]


def test_int2_bit_order_is_lowest_pair_first():
    # 0 | 1 << 2 | 2 << 4 | 3 << 6 = 0xE4; then -1 = 0b11 alone in the last byte
    assert pack_bits([0, 1, 2, 3, -1], 2).tolist() == [0xE4, 0x03]
    assert unpack_bits([0xE4], 2, 4, signed=True).tolist() == [0, 1, -2, -1]


def test_value_outside_bits_is_error():
    with pytest.raises(ValueError, match="out of the 4-bit range"):
        pack_bits([16], 4)
    with pytest.raises(ValueError, match="out of range"):
        to_storage(np.array([8], np.int8), "int4")


@pytest.mark.parametrize("dtype", ["int4", "uint4", "int2", "uint2", "int8", "float32"])
def test_storage_round_trip_keeps_shape_and_values(dtype):
    rng = np.random.default_rng(1)
    shape = (2, 3, 5)
    if dtype == "float32":
        x = rng.standard_normal(shape).astype(np.float32)
    else:
        lo, hi = dtype_range(dtype)
        x = rng.integers(lo, hi, size=shape, endpoint=True).astype(Tensor("t", shape,
                                                                           dtype).np_dtype)
    raw = to_storage(x, dtype)
    assert len(raw) == storage_nbytes(shape, dtype) == Tensor("t", shape, dtype).nbytes
    np.testing.assert_array_equal(from_storage(raw, dtype, shape), x)


@pytest.mark.parametrize("dtype,shape,nbytes", [
    ("int4", (3, 3), 5), ("uint4", (4,), 2), ("int2", (5,), 2), ("uint2", (1, 8), 2),
    ("int8", (3, 3), 9), ("int32", (2,), 8), ("float32", (3,), 12)])
def test_tensor_nbytes_counts_packed_bytes(dtype, shape, nbytes):
    t = Tensor("t", shape, dtype)
    assert t.nbytes == nbytes
    assert t.bits == {"int4": 4, "uint4": 4, "int2": 2, "uint2": 2}.get(dtype, t.bits)
