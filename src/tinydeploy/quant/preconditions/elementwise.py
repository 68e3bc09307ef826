"""Rules of the elementwise and data-movement kernels: requantize, quantize,
dequantize, softmax, logistic, tanh, mean, pad, transpose, concat."""

from __future__ import annotations

from typing import Callable

import numpy as np

from tinydeploy.quant.preconditions import (_DTYPE_BYTES, FLT_MAX, INT32_MAX, INT32_MIN,
                                            MAX_DIMS, Q31_HI, SOFTMAX_MAX_DEPTH, Operand, Spec,
                                            _Check, register, requant_bound)
from tinydeploy.quant.preconditions._common import _xmax


def _requantize(src: str, dst: str) -> Callable[[_Check], Spec]:
    def rule(c: _Check) -> Spec:
        """td_requantize_{s8,s8_u8,u8_s8,s16_s8,s8_s16,s16} and between int8/int16 and
        int32: out = zp + M(x - zp_in), clamped."""
        a = c.a
        c.positive("size")
        io = c.offset("input_offset", src, negated=True)
        c.offset("output_offset", dst, negated=False)
        c.activation("act_min", "act_max", dst)
        c.requant_pair("multiplier", "shift")
        if src == "int32" and io != 0:
            c.fits_int32("the input plus its offset", _xmax(src, io),
                         "the int32 add would overflow")
        raw = requant_bound(_xmax(src, io), a.multiplier, a.shift)
        if int(a.output_offset) != 0:      # td_requant's result itself is within int32
            c.fits_int32("the requantized value plus the output offset",
                         None if raw is None else raw + abs(int(a.output_offset)),
                         "the int32 add would overflow (the multiplier is too large)")
        return Spec([Operand("input", _DTYPE_BYTES[src] * a.size, (src,))],
                    Operand("output", _DTYPE_BYTES[dst] * a.size, (dst,)))
    return rule


def _float_scale(c: _Check, name: str) -> None:
    s = float(c.v(name))
    if not (np.isfinite(s) and 0.0 < abs(s) <= FLT_MAX and float(np.float32(s)) != 0.0):
        c.fail(f"{name} = {s} is not a finite, non-zero float32")


def _float_cast(src: str, dst: str) -> Callable[[_Check], Spec]:
    """td_quantize_f32_{s8,s16}: q = round(x / scale) + zero_point (NaN, +-inf saturate);
    td_dequantize_{s8,u8,s16}_f32: y = scale * (x - zero_point)."""
    quantized = dst if src == "float32" else src

    def rule(c: _Check) -> Spec:
        a = c.a
        c.positive("size")
        _float_scale(c, "scale")
        c.offset("zero_point", quantized, negated=False)
        return Spec([Operand("input", _DTYPE_BYTES[src] * a.size, (src,))],
                    Operand("output", _DTYPE_BYTES[dst] * a.size, (dst,)))
    return rule


def _softmax(c: _Check, out: str = "int8") -> Spec:
    """td_softmax_s8 (td_softmax_s8_s16: int16 output): TFLite's fixed-point softmax over
    rows of ``depth``."""
    a = c.a
    c.positive("outer", "depth")
    c.within("depth", 1, SOFTMAX_MAX_DEPTH,
             "each exp adds up to 2^19 to the int32 sum of a row")
    n = c.product("elements", a.outer, a.depth)
    c.q31("input_multiplier", a.input_multiplier, allow_zero=False)
    sh = c.within("input_left_shift", 0, 31, "the shift is done in uint32_t")
    dm = c.within("diff_min", INT32_MIN, 0, "the row maximum (d = 0) must count, or the sum "
                  "of exps is 0 and its reciprocal shifts by 32 bits")
    if min(-dm, 255) << sh > 2**31:
        c.fail(f"diff_min = {dm} with input_left_shift = {sh}: d << shift leaves int32")
    return Spec([Operand("input", n, ("int8",))],
                Operand("output", _DTYPE_BYTES[out] * n, (out,)))


def _q4_activation(c: _Check) -> Spec:
    """td_logistic_s8 / td_tanh_s8: Q4.27 input rescaling, gemmlowp function."""
    a = c.a
    c.positive("size")
    c.offset("input_zero_point", "int8", negated=False)
    c.within("input_range_radius", 0, INT32_MAX, "a radius")
    c.within("input_multiplier", 0, Q31_HI - 1, "td_requant needs 0 <= mult < 2^31")
    c.shifts("input_left_shift", a.input_left_shift)
    return Spec([Operand("input", a.size, ("int8",))], Operand("output", a.size, ("int8",)))


def _dims(c: _Check, name: str, lo: int = 1) -> list[int]:
    d = [int(v) for v in c.array(name, MAX_DIMS)]
    if any(v < lo for v in d):
        c.fail(f"{name} = {d}: entries must be >= {lo}")
    return d


def _reduction(c: _Check) -> tuple[int, int, int]:
    """(output elements, reduced elements, input extent in elements) of the kept/reduced
    dims and strides of a reduction's args (td_mean_s8.h), checking count against them."""
    kd, ks = _dims(c, "keep_dims"), _dims(c, "keep_strides", 0)
    rd, rs = _dims(c, "red_dims"), _dims(c, "red_strides", 0)
    n_out = c.product("output elements", *kd)
    count = c.product("reduced elements", *rd)
    if int(c.a.count) != count:
        c.fail(f"count = {int(c.a.count)} != product of red_dims = {count}")
    extent = c.product("input extent", 1,
                       1 + sum((d - 1) * s for d, s in zip(kd + rd, ks + rs)))
    return n_out, count, extent


def _mean(c: _Check) -> Spec:
    """td_mean_s8: int32 sums over the reduced dims, requantized."""
    a = c.a
    n_out, count, extent = _reduction(c)
    zp = c.offset("input_zp", "int8", negated=False)
    c.offset("output_zp", "int8", negated=False)
    c.fits_int32("input_zp * count", abs(zp) * count, "the int32 product would overflow")
    v = 128 * count + abs(zp) * count
    c.fits_int32("sum - input_zp * count", v, "the int32 sum would overflow")
    c.within("multiplier", 0, Q31_HI - 1, "td_requant needs 0 <= mult < 2^31")
    c.shifts("shift", a.shift)
    raw = requant_bound(v, a.multiplier, a.shift)
    c.fits_int32("the requantized mean plus the output zero point",
                 None if raw is None else raw + abs(int(a.output_zp)),
                 "the int32 add would overflow")
    return Spec([Operand("input", extent, ("int8",))], Operand("output", n_out, ("int8",)))


def _pad(c: _Check) -> Spec:
    """td_pad_s8: copy rows into a zero-point-filled output."""
    ins, outs = _dims(c, "in_shape"), _dims(c, "out_shape")
    before = _dims(c, "pad_before", 0)
    for k, (i, o, b) in enumerate(zip(ins, outs, before)):
        if i + b > o:
            c.fail(f"dim {k}: in_shape {i} + pad_before {b} > out_shape {o} (rows would be "
                   "written past the output)")
    c.offset("pad_value", "int8", negated=False)
    return Spec([Operand("input", c.product("input elements", *ins), ("int8",))],
                Operand("output", c.product("output elements", *outs), ("int8",)))


def _transpose(dtype: str) -> Callable[[_Check], Spec]:
    def rule(c: _Check) -> Spec:
        """td_transpose_{s8,u8}: out[i] = in[sum i_d * in_strides[d]]."""
        d, s = _dims(c, "out_shape"), _dims(c, "in_strides", 0)
        n = c.product("elements", *d)
        extent = c.product("input extent", 1, 1 + sum((x - 1) * y for x, y in zip(d, s)))
        return Spec([Operand("input", extent, (dtype,))], Operand("output", n, (dtype,)))
    return rule


def _concat(c: _Check) -> Spec:
    """td_concat_s8: per outer row, copy_sizes[i] bytes of input i."""
    a = c.a
    c.positive("num_inputs", "outer")
    sizes = [int(v) for v in c.array("copy_sizes", int(a.num_inputs))]
    if any(v < 0 for v in sizes):
        c.fail(f"copy_sizes {sizes} must be >= 0")
    ins = [Operand(f"in{k}", c.product(f"input {k} elements", a.outer, v), ("int8",))
           for k, v in enumerate(sizes)]
    return Spec(ins, Operand("output", c.product("output elements", a.outer, sum(sizes)),
                             ("int8",)))


register("td_requantize_s8", _requantize("int8", "int8"))
register("td_requantize_s8_u8", _requantize("int8", "uint8"))
register("td_requantize_u8_s8", _requantize("uint8", "int8"))
for _a, _b in (("s8", "s32"), ("s32", "s8"), ("s16", "s32"), ("s32", "s16")):
    register(f"td_requantize_{_a}_{_b}",
             _requantize(*({"s8": "int8", "s16": "int16", "s32": "int32"}[k] for k in (_a, _b))))
register("td_quantize_f32_s8", _float_cast("float32", "int8"))
register("td_dequantize_s8_f32", _float_cast("int8", "float32"))
register("td_dequantize_u8_f32", _float_cast("uint8", "float32"))
register("td_softmax_s8", _softmax)
register("td_softmax_s8_s16", lambda c: _softmax(c, "int16"))
register("td_logistic_s8", _q4_activation)
register("td_tanh_s8", _q4_activation)
register("td_mean_s8", _mean)
register("td_pad_s8", _pad)
register("td_transpose_s8", _transpose("int8"))
register("td_transpose_u8", _transpose("uint8"))
register("td_concat_s8", _concat)
