"""Rules of the packed sub-byte kernels (``*_sb``): 2, 4 or 8-bit storage of inputs,
weights and outputs, as described by their ``*_bits`` / ``*_signed`` fields."""

from __future__ import annotations

from tinydeploy.quant.packing import packed_nbytes
from tinydeploy.quant.preconditions import _RANGE, Operand, Spec, _Check, register
from tinydeploy.quant.preconditions._common import (_acc_bound, _add_values, _conv_geometry,
                                                    _pool_geometry, _weights_abs, _xmax)


def _sb_requant(c: _Check, n: int, o_dt: str) -> None:
    c.offset("output_offset", "int8" if o_dt.startswith("int") else "uint8", negated=False)
    c.activation("act_min", "act_max", o_dt)
    c.requant_pair("out_mult", "out_shift", n)


def _conv_sb(c: _Check, depthwise: bool) -> Spec:
    a = c.a
    x_dt, o_dt = c.bits("in_bits", "in_signed"), c.bits("out_bits", "out_signed")
    w_dt = c.bits("w_bits")
    n_in, taps, n_out = _conv_geometry(c, depthwise)
    io = c.offset("input_offset", "int8" if x_dt.startswith("int") else "uint8", negated=True)
    _sb_requant(c, a.out_c, o_dt)
    per = a.k_h * a.k_w * (1 if depthwise else a.in_c // a.groups)
    w_abs = _weights_abs(c, 1, a.out_c, per, "taps_first" if depthwise else "oc_first",
                         -_RANGE[w_dt][0])
    _acc_bound(c, "accumulator", w_abs, _xmax(x_dt, io), c.const(2))
    return Spec([Operand("input", packed_nbytes(n_in, a.in_bits), (x_dt,)),
                 Operand("weights", packed_nbytes(taps, a.w_bits), (w_dt,)),
                 Operand("bias", 4 * a.out_c, ("int32",), optional=True)],
                Operand("output", packed_nbytes(n_out, a.out_bits), (o_dt,)))


def _fc_sb(c: _Check) -> Spec:
    a = c.a
    x_dt, o_dt = c.bits("in_bits", "in_signed"), c.bits("out_bits", "out_signed")
    w_dt = c.bits("w_bits")
    c.positive("batches", "in_features", "out_features")
    n_in = c.product("input elements", a.batches, a.in_features)
    n_w = c.product("weight elements", a.out_features, a.in_features)
    n_out = c.product("output elements", a.batches, a.out_features)
    io = c.offset("input_offset", "int8" if x_dt.startswith("int") else "uint8", negated=True)
    _sb_requant(c, a.out_features, o_dt)
    w_abs = _weights_abs(c, 1, a.out_features, a.in_features, "oc_first", -_RANGE[w_dt][0])
    _acc_bound(c, "accumulator", w_abs, _xmax(x_dt, io), c.const(2))
    return Spec([Operand("input", packed_nbytes(n_in, a.in_bits), (x_dt,)),
                 Operand("weights", packed_nbytes(n_w, a.w_bits), (w_dt,)),
                 Operand("bias", 4 * a.out_features, ("int32",), optional=True)],
                Operand("output", packed_nbytes(n_out, a.out_bits), (o_dt,)))


def _add_sb(c: _Check) -> Spec:
    a = c.a
    a_dt, b_dt = c.bits("a_bits", "a_signed"), c.bits("b_bits", "b_signed")
    o_dt = c.bits("out_bits", "out_signed")
    c.positive("size")
    c.product("elements", a.size)
    wide = {d: ("int8" if d.startswith("int") else "uint8") for d in (a_dt, b_dt, o_dt)}
    spec = Spec([Operand("a", packed_nbytes(a.size, a.a_bits), (a_dt,)),
                 Operand("b", packed_nbytes(a.size, a.b_bits), (b_dt,))],
                Operand("output", packed_nbytes(a.size, a.out_bits), (o_dt,)))
    # offsets are zero points of the storage's 8-bit family; values are those of the dtype
    c.offset("a_offset", wide[a_dt], negated=True)
    c.offset("b_offset", wide[b_dt], negated=True)
    c.offset("out_offset", wide[o_dt], negated=False)
    _add_values(c, a_dt, b_dt, o_dt)
    return spec


def _pool_sb(c: _Check) -> Spec:
    a = c.a
    x_dt, o_dt = c.bits("in_bits", "in_signed"), c.bits("out_bits", "out_signed")
    n_in, n_out = _pool_geometry(c)
    c.activation("act_min", "act_max", o_dt)
    return Spec([Operand("input", packed_nbytes(n_in, a.in_bits), (x_dt,))],
                Operand("output", packed_nbytes(n_out, a.out_bits), (o_dt,)))


register("td_conv2d_sb", lambda c: _conv_sb(c, False))
register("td_depthwise_conv2d_sb", lambda c: _conv_sb(c, True))
register("td_fully_connected_sb", _fc_sb)
register("td_add_sb", _add_sb)
register("td_avg_pool2d_sb", _pool_sb)
register("td_max_pool2d_sb", _pool_sb)
