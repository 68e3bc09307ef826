"""Rules of the kernels of TFLite Micro's further builtins: the int8 table kernel
(``td_lut_s8``: LEAKY_RELU, HARD_SWISH, ABS, RSQRT in int8, and the ``lut`` kind of QDQ
models), the int16 LEAKY_RELU and ABS, the two-input ops (PRELU, SQUARED_DIFFERENCE, DIV,
MAXIMUM, MINIMUM), TRANSPOSE_CONV, ..."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.preconditions import (MAX_DIMS, SHIFT_LO, Operand, Spec, _Check,
                                            register, requant_bound)
from tinydeploy.quant.preconditions._common import _acc_bound, _weights_abs, _xmax
from tinydeploy.quant.preconditions.cnn import _bcast
from tinydeploy.quant.preconditions.elementwise import _reduction

_TYPE = {"s8": "int8", "s16": "int16"}
_BYTES = {"int8": 1, "int16": 2}


def _lut_s8(c: _Check) -> Spec:
    """td_lut_s8: out[i] = table[in[i] + 128]."""
    a = c.a
    c.positive("size")
    c.array("table", 256)
    return Spec([Operand("input", a.size, ("int8",))], Operand("output", a.size, ("int8",)))


def _leaky_relu_s16(c: _Check) -> Spec:
    a = c.a
    c.positive("size")
    c.within("alpha_negative", 0, 1, "a 0/1 flag")
    for m, s in (("mult_identity", "shift_identity"), ("mult_alpha", "shift_alpha")):
        c.requant_pair(m, s)
        c.fits_int32(f"requant by {m}", requant_bound(1 << 15, c.v(m), c.v(s)),
                     "the left shift of an int16 value would wrap")
    return Spec([Operand("input", 2 * a.size, ("int16",))],
                Operand("output", 2 * a.size, ("int16",)))


def _abs_s16(c: _Check) -> Spec:
    a = c.a
    c.positive("size")
    c.within("rescale", 0, 1, "a 0/1 flag")
    c.requant_pair("multiplier", "shift")
    c.fits_int32("the rescaled |x|", requant_bound(1 << 15, a.multiplier, a.shift),
                 "the left shift of an int16 value would wrap")
    return Spec([Operand("input", 2 * a.size, ("int16",))],
                Operand("output", 2 * a.size, ("int16",)))


def _prelu(sfx: str):
    dt = _TYPE[sfx]

    def rule(c: _Check) -> Spec:
        """td_prelu_{s8,s16}: v >= 0 ? M1(v) : M2(v * alpha), plus the output offset."""
        a = c.a
        nd = c.within("ndim", 1, MAX_DIMS, f"the broadcast walk has at most {MAX_DIMS} dims")
        shape, xs, als = c.array("shape", nd), c.array("x_strides", nd), \
            c.array("alpha_strides", nd)
        if any(int(d) < 1 for d in shape) or any(int(v) < 0 for v in (*xs, *als)):
            c.fail("empty dimensions or negative strides")
        n = c.product("output elements", *shape)
        ext_x = c.product("x extent", 1, 1 + sum((int(d) - 1) * int(v) for d, v in zip(shape, xs)))
        ext_a = c.product("alpha extent", 1,
                          1 + sum((int(d) - 1) * int(v) for d, v in zip(shape, als)))
        xo = c.offset("x_offset", dt, negated=True)
        ao = c.offset("alpha_offset", "int8", negated=True)
        c.offset("out_offset", dt, negated=False)
        c.requant_pair("mult_pos", "shift_pos")
        c.requant_pair("mult_neg", "shift_neg")
        for what, v, m, sh in (("x", _xmax(dt, xo), "mult_pos", "shift_pos"),
                               ("x * alpha", _xmax(dt, xo) * _xmax("int8", ao), "mult_neg",
                                "shift_neg")):
            b = requant_bound(v, c.v(m), c.v(sh))
            c.fits_int32(f"requant({what}) + the output offset",
                         None if b is None else b + abs(int(a.out_offset)),
                         "the int32 arithmetic would overflow")
        k = _BYTES[dt]
        return Spec([Operand("x", k * ext_x, (dt,)), Operand("alpha", ext_a, ("int8",))],
                    Operand("output", k * n, (dt,)))
    return rule


def _squared_difference(sfx: str):
    dt = _TYPE[sfx]

    def rule(c: _Check) -> Spec:
        """td_squared_difference_{s8,s16}: ((a', b') rescaled as for SUB) squared, M."""
        a = c.a
        n, ext_a, ext_b = _bcast(c)
        ao = c.offset("a_offset", dt, negated=True)
        bo = c.offset("b_offset", dt, negated=True)
        c.offset("out_offset", dt, negated=False)
        c.activation("act_min", "act_max", dt)
        ls = c.within("left_shift", 0, 30, "(1 << left_shift) must be an int32")
        xa, xb = _xmax(dt, ao) << ls, _xmax(dt, bo) << ls
        c.fits_int32("the shifted inputs", max(xa, xb), "the int32 product would overflow")
        c.requant_pair("a_multiplier", "a_shift", shift_range=(SHIFT_LO, 0))
        c.requant_pair("b_multiplier", "b_shift", shift_range=(SHIFT_LO, 0))
        c.requant_pair("out_multiplier", "out_shift")
        ba, bb = requant_bound(xa, a.a_multiplier, a.a_shift), \
            requant_bound(xb, a.b_multiplier, a.b_shift)
        d = None if ba is None or bb is None else ba + bb
        c.fits_int32("the squared difference", None if d is None else d * d,
                     "the int32 square would overflow")
        raw = requant_bound(d * d, a.out_multiplier, a.out_shift)
        c.fits_int32("the requantized square plus the output offset",
                     None if raw is None else raw + abs(int(a.out_offset)),
                     "the int32 add would overflow")
        k = _BYTES[dt]
        return Spec([Operand("a", k * ext_a, (dt,)), Operand("b", k * ext_b, (dt,))],
                    Operand("output", k * n, (dt,)))
    return rule


def _div_s8(c: _Check) -> Spec:
    """td_div_s8: reciprocal, quotient, rescale with a shift of at most 63 bits."""
    n, ext_a, ext_b = _bcast(c)
    c.offset("a_offset", "int8", negated=True)
    c.offset("b_offset", "int8", negated=True)
    c.offset("out_offset", "int8", negated=False)
    c.activation("act_min", "act_max", "int8")
    c.requant_pair("out_multiplier", "out_shift", shift_range=(-24, 23))
    return Spec([Operand("a", ext_a, ("int8",)), Operand("b", ext_b, ("int8",))],
                Operand("output", n, ("int8",)))


def _extremum(sfx: str):
    dt = _TYPE[sfx]

    def rule(c: _Check) -> Spec:
        """td_{maximum,minimum}_{s8,s16}: the larger/smaller stored integer."""
        n, ext_a, ext_b = _bcast(c)
        k = _BYTES[dt]
        return Spec([Operand("a", k * ext_a, (dt,)), Operand("b", k * ext_b, (dt,))],
                    Operand("output", k * n, (dt,)))
    return rule


for _s in ("s8", "s16"):
    register(f"td_prelu_{_s}", _prelu(_s))
    register(f"td_squared_difference_{_s}", _squared_difference(_s))
    register(f"td_maximum_{_s}", _extremum(_s))
    register(f"td_minimum_{_s}", _extremum(_s))
register("td_div_s8", _div_s8)


def _binary_s32(c: _Check) -> Spec:
    """td_binary_s32: raw int32 div (truncating; 0 for a zero divisor), max, min, clamp."""
    n, ext_a, ext_b = _bcast(c)
    c.within("op", 0, 2, "0 div, 1 maximum, 2 minimum")
    if int(c.a.act_min) > int(c.a.act_max):
        c.fail(f"act_min {c.a.act_min} > act_max {c.a.act_max}")
    return Spec([Operand("a", 4 * ext_a, ("int32",)), Operand("b", 4 * ext_b, ("int32",))],
                Operand("output", 4 * n, ("int32",)))


register("td_binary_s32", _binary_s32)
def _transpose_conv(sfx: str):
    dt = _TYPE[sfx]

    def rule(c: _Check) -> Spec:
        """td_transpose_conv_{s8,s16}: each output sums at most ceil(k / s) taps per axis."""
        a = c.a
        c.positive("batches", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "k_h",
                   "k_w", "stride_h", "stride_w")
        c.nonneg("pad_top", "pad_left")
        n_in = c.product("input elements", a.batches, a.in_h, a.in_w, a.in_c)
        n_out = c.product("output elements", a.batches, a.out_h, a.out_w, a.out_c)
        n_w = c.product("weight elements", a.out_c, a.k_h, a.k_w, a.in_c)
        c.product("reach (rows)", 1, a.out_h + a.pad_top + a.k_h)
        c.product("reach (columns)", 1, a.out_w + a.pad_left + a.k_w)
        io = c.offset("input_offset", dt, negated=True)
        c.offset("output_offset", dt, negated=False)
        c.activation("act_min", "act_max", dt)
        per = a.k_h * a.k_w * a.in_c
        w_abs = _weights_abs(c, 1, a.out_c, per, "oc_first", 128)
        if dt == "int16":
            c.within("input_offset", 0, 0, "int16 activations are symmetric")
            c.requant_pair("out_mult", "out_shift", a.out_c, shift_range=(SHIFT_LO, 7))
            bound = [int(v) * (1 << 15) for v in w_abs]
            b = c.const(2)
            if b is not None:
                bound = [x + abs(int(v)) for x, v in zip(bound, np.asarray(b).ravel())]
            if max(bound, default=0) >= 1 << 47:
                c.fail("the int64 accumulator may reach 2^47 (td_requant64's limit)")
        else:
            c.requant_pair("out_mult", "out_shift", a.out_c)
            _acc_bound(c, "accumulator", w_abs, _xmax(dt, io), c.const(2))
        k = _BYTES[dt]
        return Spec([Operand("input", k * n_in, (dt,)), Operand("weights", n_w, ("int8",)),
                     Operand("bias", (8 if dt == "int16" else 4) * a.out_c,
                             ("int64" if dt == "int16" else "int32",), optional=True)],
                    Operand("output", k * n_out, (dt,)))
    return rule


def _reduce_max_s8(c: _Check) -> Spec:
    """td_reduce_max_s8: the largest value of each reduced sub-tensor."""
    n_out, count, extent = _reduction(c)
    return Spec([Operand("input", extent, ("int8",))], Operand("output", n_out, ("int8",)))


def _arg_s8(c: _Check) -> Spec:
    """td_arg_max_s8 / td_arg_min_s8: [outer, axis_len, inner] -> int32 [outer, inner]."""
    a = c.a
    c.positive("outer", "axis_len", "inner")
    n_in = c.product("input elements", a.outer, a.axis_len, a.inner)
    n_out = c.product("output elements", a.outer, a.inner)
    return Spec([Operand("input", n_in, ("int8",))], Operand("output", 4 * n_out, ("int32",)))


_CAST = [("int8", 1), ("int16", 2), ("int32", 4), ("float32", 4), ("uint32", 4)]


def _cast(c: _Check) -> Spec:
    """td_cast_any: static_cast between the five types."""
    a = c.a
    c.positive("size")
    (src, bi), (dst, bo) = (_CAST[c.within(f, 0, 4, "a type code 0..4")]
                            for f in ("in_type", "out_type"))
    c.product("bytes", a.size, 4)
    return Spec([Operand("input", bi * a.size, (src,))],
                Operand("output", bo * a.size, (dst,)))


def _l2_normalization_s8(c: _Check) -> Spec:
    a = c.a
    c.positive("outer", "depth")
    c.within("depth", 1, 33025, "the int32 sum of up to 255^2 per element")
    c.offset("input_zero_point", "int8", negated=False)
    n = c.product("elements", a.outer, a.depth)
    return Spec([Operand("input", n, ("int8",))], Operand("output", n, ("int8",)))


def _resize_bilinear_s8(c: _Check) -> Spec:
    a = c.a
    c.positive("batches", "in_h", "in_w", "channels", "out_h", "out_w")
    for names, size, n in ((("y0", "y1"), a.in_h, a.out_h), (("x0", "x1"), a.in_w, a.out_w)):
        for name in names:
            if any(not 0 <= int(v) < size for v in c.array(name, n)):
                c.fail(f"{name} has a source index outside [0, {size})")
    for name, n in (("wy", a.out_h), ("wx", a.out_w)):
        if any(not -1024 <= int(v) <= 2048 for v in c.array(name, n)):
            c.fail(f"{name} has a weight outside [-1024, 2048]")
    n_in = c.product("input elements", a.batches, a.in_h, a.in_w, a.channels)
    n_out = c.product("output elements", a.batches, a.out_h, a.out_w, a.channels)
    return Spec([Operand("input", n_in, ("int8",))], Operand("output", n_out, ("int8",)))


def _batch_matmul(sfx: str):
    dt = _TYPE[sfx]

    def rule(c: _Check) -> Spec:
        """td_batch_matmul_{s8,s16}: strided operands, broadcast batch walk."""
        a = c.a
        c.positive("m", "n", "k")
        c.nonneg("a_row", "a_col", "b_row", "b_col")
        batch = [int(v) for v in c.array("batch", 3)]
        ab, bb = ([int(v) for v in c.array(f, 3)] for f in ("a_batch", "b_batch"))
        if min(batch) < 1 or min(ab + bb) < 0:
            c.fail(f"batch {batch}, strides {ab} {bb}: dims > 0, strides >= 0")
        ext_a = c.product("a extent", 1, 1 + sum((d - 1) * s for d, s in zip(batch, ab)) +
                          (a.m - 1) * a.a_row + (a.k - 1) * a.a_col)
        ext_b = c.product("b extent", 1, 1 + sum((d - 1) * s for d, s in zip(batch, bb)) +
                          (a.k - 1) * a.b_row + (a.n - 1) * a.b_col)
        n_out = c.product("output elements", *batch, a.m, a.n)
        ao = c.offset("a_offset", dt, negated=True)
        bo = c.offset("b_offset", dt, negated=True)
        c.offset("out_offset", dt, negated=False)
        c.activation("act_min", "act_max", dt)
        acc = int(a.k) * _xmax(dt, ao) * _xmax(dt, bo)
        if dt == "int16":
            for name in ("a_offset", "b_offset", "out_offset"):
                c.within(name, 0, 0, "int16 activations are symmetric")
            c.requant_pair("out_multiplier", "out_shift", shift_range=(SHIFT_LO, 7))
            if acc >= 1 << 47:
                c.fail(f"the int64 accumulator may reach {acc} >= 2^47")
        else:
            c.requant_pair("out_multiplier", "out_shift")
            c.fits_int32("the accumulator", acc, "the int32 sum would overflow")
            raw = requant_bound(acc, a.out_multiplier, a.out_shift)
            c.fits_int32("the requantized sum plus the output offset",
                         None if raw is None else raw + abs(int(a.out_offset)),
                         "the int32 add would overflow")
        k = _BYTES[dt]
        return Spec([Operand("a", k * ext_a, (dt,)), Operand("b", k * ext_b, (dt,))],
                    Operand("output", k * n_out, (dt,)))
    return rule


register("td_lut_s8", _lut_s8)
register("td_l2_normalization_s8", _l2_normalization_s8)
register("td_resize_bilinear_s8", _resize_bilinear_s8)
register("td_batch_matmul_s8", _batch_matmul("s8"))
register("td_batch_matmul_s16", _batch_matmul("s16"))
register("td_reduce_max_s8", _reduce_max_s8)
register("td_arg_max_s8", _arg_s8)
register("td_arg_min_s8", _arg_s8)
register("td_cast_any", _cast)
register("td_transpose_conv_s8", _transpose_conv("s8"))
register("td_transpose_conv_s16", _transpose_conv("s16"))
register("td_leaky_relu_s16", _leaky_relu_s16)
register("td_abs_s16", _abs_s16)
