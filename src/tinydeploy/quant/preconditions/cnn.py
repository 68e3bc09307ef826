"""Rules of the int8 CNN kernels: conv2d, depthwise conv2d, fully connected, avg/max
pool, add and mul (reference and opt)."""

from __future__ import annotations

from tinydeploy.quant.preconditions import (MAX_DIMS, Operand, Spec, _Check, register,
                                            requant_bound)
from tinydeploy.quant.preconditions._common import (_acc_bound, _add_values, _conv_geometry,
                                                    _pool_geometry, _weights_abs, _xmax)


def _conv_s8(c: _Check, depthwise: bool) -> Spec:
    """td_conv2d_s8 / td_depthwise_conv2d_s8 (reference and opt)."""
    a = c.a
    n_in, taps, n_out = _conv_geometry(c, depthwise)
    c.offset("input_offset", "int8", negated=True)
    c.offset("output_offset", "int8", negated=False)
    c.activation("act_min", "act_max", "int8")
    c.requant_pair("out_mult", "out_shift", a.out_c)
    per = a.k_h * a.k_w * (1 if depthwise else a.in_c // a.groups)
    w_abs = _weights_abs(c, 1, a.out_c, per, "taps_first" if depthwise else "oc_first", 128)
    _acc_bound(c, "accumulator", w_abs, _xmax("int8", a.input_offset), c.const(2))
    return Spec([Operand("input", n_in, ("int8",)), Operand("weights", taps, ("int8",)),
                 Operand("bias", 4 * a.out_c, ("int32",), optional=True)],
                Operand("output", n_out, ("int8",)))


def _fc_s8(c: _Check) -> Spec:
    """td_fully_connected_s8 (reference and opt)."""
    a = c.a
    c.positive("batches", "in_features", "out_features")
    n_in = c.product("input elements", a.batches, a.in_features)
    n_w = c.product("weight elements", a.out_features, a.in_features)
    n_out = c.product("output elements", a.batches, a.out_features)
    c.offset("input_offset", "int8", negated=True)
    c.offset("weight_offset", "int8", negated=True)
    c.offset("output_offset", "int8", negated=False)
    c.activation("act_min", "act_max", "int8")
    c.requant_pair("out_mult", "out_shift", a.out_features)
    w_abs = _weights_abs(c, 1, a.out_features, a.in_features, "oc_first", 128,
                         a.weight_offset)
    _acc_bound(c, "accumulator", w_abs, _xmax("int8", a.input_offset), c.const(2))
    return Spec([Operand("input", n_in, ("int8",)), Operand("weights", n_w, ("int8",)),
                 Operand("bias", 4 * a.out_features, ("int32",), optional=True)],
                Operand("output", n_out, ("int8",)))


def _pool_s8(c: _Check) -> Spec:
    """td_avg_pool2d_s8 / td_max_pool2d_s8 / td_max_pool2d_s8_opt."""
    n_in, n_out = _pool_geometry(c)
    c.activation("act_min", "act_max", "int8")
    return Spec([Operand("input", n_in, ("int8",))], Operand("output", n_out, ("int8",)))


def _bcast(c: _Check) -> tuple[int, int, int]:
    """The broadcast walk of add/mul: (output elements, a extent, b extent)."""
    nd = c.within("ndim", 1, MAX_DIMS, f"the broadcast walk has at most {MAX_DIMS} dims")
    shape = c.array("shape", nd)
    sa, sb = c.array("a_strides", nd), c.array("b_strides", nd)
    if any(int(d) < 1 for d in shape):
        c.fail(f"shape {list(map(int, shape))} has an empty dimension")
    if any(int(s) < 0 for s in (*sa, *sb)):
        c.fail("negative broadcast strides")
    n = c.product("output elements", *shape)
    ext_a = c.product("a extent", 1, 1 + sum((int(d) - 1) * int(s) for d, s in zip(shape, sa)))
    ext_b = c.product("b extent", 1, 1 + sum((int(d) - 1) * int(s) for d, s in zip(shape, sb)))
    return n, ext_a, ext_b


def _add_s8(c: _Check) -> Spec:
    """td_add_s8: TFLite's add (inputs << left_shift, three multipliers below one)."""
    n, ext_a, ext_b = _bcast(c)
    c.offset("a_offset", "int8", negated=True)
    c.offset("b_offset", "int8", negated=True)
    c.offset("out_offset", "int8", negated=False)
    _add_values(c, "int8", "int8", "int8")
    return Spec([Operand("a", ext_a, ("int8",)), Operand("b", ext_b, ("int8",))],
                Operand("output", n, ("int8",)))


def _mul_s8(c: _Check) -> Spec:
    """td_mul_s8: out = zp + M((a - zp_a) (b - zp_b))."""
    a = c.a
    n, ext_a, ext_b = _bcast(c)
    ao = c.offset("a_offset", "int8", negated=True)
    bo = c.offset("b_offset", "int8", negated=True)
    c.offset("out_offset", "int8", negated=False)
    c.activation("act_min", "act_max", "int8")
    c.requant_pair("out_multiplier", "out_shift")
    raw = requant_bound(_xmax("int8", ao) * _xmax("int8", bo), a.out_multiplier, a.out_shift)
    c.fits_int32("the requantized product plus the output offset",
                 None if raw is None else raw + abs(int(a.out_offset)),
                 "the int32 add would overflow (the multiplier is too large)")
    return Spec([Operand("a", ext_a, ("int8",)), Operand("b", ext_b, ("int8",))],
                Operand("output", n, ("int8",)))


register("td_conv2d_s8", lambda c: _conv_s8(c, False))
register("td_depthwise_conv2d_s8", lambda c: _conv_s8(c, True))
register("td_fully_connected_s8", _fc_s8)
register("td_avg_pool2d_s8", _pool_s8)
register("td_max_pool2d_s8", _pool_s8)
register("td_max_pool2d_s8_opt", _pool_s8)    # same geometry (quant/opt/max_pool2d.py)
register("td_add_s8", _add_s8)
register("td_mul_s8", _mul_s8)
