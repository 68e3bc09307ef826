"""Rules of the 16x8 kernels (int16 activations, int8 weights, int64 bias): conv2d,
depthwise conv2d, fully connected (64-bit requantization), add, sub, mul, pooling,
softmax, logistic, tanh, mean, (de)quantize and requantize, and the any-width concat."""

from __future__ import annotations

from typing import Callable

from tinydeploy.quant.preconditions import (INT32_MAX, SHIFT_LO, Operand, Spec, _Check,
                                            register, requant_bound)
from tinydeploy.quant.preconditions._common import (_add_values, _conv_geometry,
                                                    _pool_geometry, _weights_abs)
from tinydeploy.quant.preconditions.cnn import _bcast
from tinydeploy.quant.preconditions.elementwise import _float_cast, _reduction, _requantize

ACC64_LIMIT = 1 << 47        # td_requant64: |acc| below this keeps x * m16 within int64
SHIFT64_HI = 7               # ... and 15 - shift >= 8
_BYTES = {"int8": 1, "int16": 2}


def _acc64(c: _Check, w_abs, bias) -> None:
    bound = [int(w) * (1 << 15) for w in w_abs]
    if bias is not None:
        bound = [b + abs(int(v)) for b, v in zip(bound, bias.ravel())]
    worst = max(bound, default=0)
    if worst >= ACC64_LIMIT:
        c.fail(f"the int64 accumulator may reach {worst} >= 2^47 (td_requant64's limit)")


def _conv_s16(c: _Check, depthwise: bool) -> Spec:
    """td_conv2d_s16 / td_depthwise_conv2d_s16."""
    a = c.a
    n_in, taps, n_out = _conv_geometry(c, depthwise)
    c.activation("act_min", "act_max", "int16")
    c.requant_pair("out_mult", "out_shift", a.out_c, shift_range=(SHIFT_LO, SHIFT64_HI))
    per = a.k_h * a.k_w * (1 if depthwise else a.in_c // a.groups)
    w_abs = _weights_abs(c, 1, a.out_c, per, "taps_first" if depthwise else "oc_first", 128)
    _acc64(c, w_abs, c.const(2))
    return Spec([Operand("input", 2 * n_in, ("int16",)), Operand("weights", taps, ("int8",)),
                 Operand("bias", 8 * a.out_c, ("int64",), optional=True)],
                Operand("output", 2 * n_out, ("int16",)))


def _fc_s16(c: _Check) -> Spec:
    """td_fully_connected_s16."""
    a = c.a
    c.positive("batches", "in_features", "out_features")
    n_in = c.product("input elements", a.batches, a.in_features)
    n_w = c.product("weight elements", a.out_features, a.in_features)
    n_out = c.product("output elements", a.batches, a.out_features)
    c.activation("act_min", "act_max", "int16")
    c.requant_pair("out_mult", "out_shift", a.out_features, shift_range=(SHIFT_LO, SHIFT64_HI))
    _acc64(c, _weights_abs(c, 1, a.out_features, a.in_features, "oc_first", 128), c.const(2))
    return Spec([Operand("input", 2 * n_in, ("int16",)), Operand("weights", n_w, ("int8",)),
                 Operand("bias", 8 * a.out_features, ("int64",), optional=True)],
                Operand("output", 2 * n_out, ("int16",)))


def _rescaled_binary(dtype: str) -> Callable[[_Check], Spec]:
    def rule(c: _Check) -> Spec:
        """td_add_s16, td_sub_s8, td_sub_s16: TFLite's rescaled add/sub."""
        n, ext_a, ext_b = _bcast(c)
        c.offset("a_offset", dtype, negated=True)
        c.offset("b_offset", dtype, negated=True)
        c.offset("out_offset", dtype, negated=False)
        _add_values(c, dtype, dtype, dtype)      # |a - b| is bounded like |a + b|
        k = _BYTES[dtype]
        return Spec([Operand("a", k * ext_a, (dtype,)), Operand("b", k * ext_b, (dtype,))],
                    Operand("output", k * n, (dtype,)))
    return rule


def _mul_s16(c: _Check) -> Spec:
    """td_mul_s16: out = M(a * b), zero points 0."""
    a = c.a
    n, ext_a, ext_b = _bcast(c)
    for name in ("a_offset", "b_offset", "out_offset"):
        c.within(name, 0, 0, "int16 MUL has zero points 0")
    c.activation("act_min", "act_max", "int16")
    c.requant_pair("out_multiplier", "out_shift")
    c.fits_int32("the requantized product", requant_bound(1 << 30, a.out_multiplier,
                                                          a.out_shift),
                 "the product's left shift would wrap")
    return Spec([Operand("a", 2 * ext_a, ("int16",)), Operand("b", 2 * ext_b, ("int16",))],
                Operand("output", 2 * n, ("int16",)))


def _pool_s16(c: _Check) -> Spec:
    """td_avg_pool2d_s16 / td_max_pool2d_s16."""
    a = c.a
    n_in, n_out = _pool_geometry(c)
    c.within("kernel_h", 1, 65535 // max(1, int(a.kernel_w)),
             "an int32 sum of at most 65535 int16 values cannot overflow")
    c.activation("act_min", "act_max", "int16")
    return Spec([Operand("input", 2 * n_in, ("int16",))], Operand("output", 2 * n_out, ("int16",)))


def _softmax_s16(c: _Check) -> Spec:
    a = c.a
    c.positive("outer", "depth")
    c.within("depth", 1, 65535, "each exp adds up to 32767 to the int32 sum of a row")
    n = c.product("elements", a.outer, a.depth)
    c.requant_pair("input_multiplier", "input_shift")
    c.array("exp_lut", 513)
    c.array("recip_lut", 513)
    return Spec([Operand("input", 2 * n, ("int16",))], Operand("output", 2 * n, ("int16",)))


def _sigmoid_s16(c: _Check) -> Spec:
    """td_logistic_s16 / td_tanh_s16."""
    a = c.a
    c.positive("size")
    c.within("input_multiplier", 0, 32767, "x * multiplier must fit int32")
    c.within("input_shift", 0, 31, "a right shift of an int32")
    table = [int(v) for v in c.array("table", 256)]
    if any(u > v for u, v in zip(table, table[1:])):
        c.fail("table is not non-decreasing (the interpolation works on unsigned slopes)")
    return Spec([Operand("input", 2 * a.size, ("int16",))],
                Operand("output", 2 * a.size, ("int16",)))


def _mean_s16(c: _Check) -> Spec:
    a = c.a
    n_out, count, extent = _reduction(c)
    c.within("input_zp", 0, 0, "int16 activations are symmetric")
    c.within("output_zp", 0, 0, "int16 activations are symmetric")
    c.fits_int32("the int32 sum", count << 15, "the int32 sum of int16 values would overflow")
    c.within("multiplier", 0, INT32_MAX, "td_requant needs 0 <= mult < 2^31")
    c.shifts("shift", a.shift)
    c.fits_int32("the requantized mean", requant_bound(count << 15, a.multiplier, a.shift),
                 "the left shift would wrap")
    return Spec([Operand("input", 2 * extent, ("int16",))],
                Operand("output", 2 * n_out, ("int16",)))


def _concat_any(c: _Check) -> Spec:
    a = c.a
    e = c.within("elem_bytes", 1, 4, "1, 2 or 4 bytes")
    if e == 3:
        c.fail("elem_bytes = 3: elements are 1, 2 or 4 bytes")
    c.positive("num_inputs", "outer")
    sizes = [int(v) for v in c.array("copy_sizes", int(a.num_inputs))]
    if any(v < 0 for v in sizes):
        c.fail(f"copy_sizes {sizes} must be >= 0")
    dtypes = {1: ("int8", "uint8"), 2: ("int16",), 4: ("int32", "uint32", "float32")}[e]
    ins = [Operand(f"in{k}", e * c.product(f"input {k} elements", a.outer, v), dtypes)
           for k, v in enumerate(sizes)]
    out = c.product("output elements", a.outer, sum(sizes))
    return Spec(ins, Operand("output", e * out, dtypes))


register("td_conv2d_s16", lambda c: _conv_s16(c, False))
register("td_depthwise_conv2d_s16", lambda c: _conv_s16(c, True))
register("td_fully_connected_s16", _fc_s16)
register("td_add_s16", _rescaled_binary("int16"))
register("td_sub_s8", _rescaled_binary("int8"))
register("td_sub_s16", _rescaled_binary("int16"))
register("td_mul_s16", _mul_s16)
register("td_avg_pool2d_s16", _pool_s16)
register("td_max_pool2d_s16", _pool_s16)
register("td_softmax_s16", _softmax_s16)
register("td_logistic_s16", _sigmoid_s16)
register("td_tanh_s16", _sigmoid_s16)
register("td_mean_s16", _mean_s16)
register("td_requantize_s16_s8", _requantize("int16", "int8"))
register("td_requantize_s8_s16", _requantize("int8", "int16"))
register("td_requantize_s16", _requantize("int16", "int16"))
register("td_quantize_f32_s16", _float_cast("float32", "int16"))
register("td_dequantize_s16_f32", _float_cast("int16", "float32"))
register("td_concat_any", _concat_any)
