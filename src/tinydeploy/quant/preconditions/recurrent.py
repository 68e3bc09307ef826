"""Rules of the recurrent kernels: ``td_lstm_s8`` and ``td_lstm_s16`` (TFLite Micro's
integer LSTM, 8x8 and 16x8) and ``td_svdf_s8`` (its integer SVDF, int16 state)."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.preconditions import (INT32_MAX, SHIFT_HI, SHIFT_LO, Operand, Spec,
                                            _Check, register, requant_bound)
from tinydeploy.quant.preconditions._common import _acc_bound, _weights_abs, _xmax


def _lstm(dt: str):
    wide = dt == "int16"
    k = 2 if wide else 1

    def rule(c: _Check) -> Spec:
        """td_lstm_{s8,s16}: per gate two fully-connected sums (int32; 16x8: int64 below
        2^47), the int16 products of the gates and the cell rescale (int32)."""
        return _lstm_rule(c, dt, wide, k)
    return rule


def _lstm_rule(c: _Check, dt: str, wide: bool, k: int) -> Spec:
    a = c.a
    c.positive("n_batch", "n_time", "n_input", "n_state")
    for flag in ("time_major", "cell_sigmoid", "clip"):
        c.within(flag, 0, 1, "a 0/1 flag")
    n_x = c.product("input elements", a.n_batch, a.n_time, a.n_input)
    n_y = c.product("output elements", a.n_batch, a.n_time, a.n_state)
    n_s, n_i = int(a.n_state), int(a.n_input)
    c.product("input weights", n_s, n_i)
    c.product("recurrent weights", n_s, n_s)
    xo = c.offset("x_offset", dt, negated=True)
    ho = c.offset("h_offset", dt, negated=True)
    c.offset("h_zp", dt, negated=False)
    c.within("cell_clip", 0, 32767, "a clip of the int16 cell state")
    fc_shifts = (SHIFT_LO, 7) if wide else (SHIFT_LO, SHIFT_HI)    # td_requant64: <= 7
    c.requant_pair("x_mult", "x_shift", 4, shift_range=fc_shifts)
    c.requant_pair("h_mult", "h_shift", 4, shift_range=fc_shifts)
    if wide:
        for name in ("x_offset", "h_offset", "h_zp"):
            c.within(name, 0, 0, "int16 activations are symmetric")
    for g in range(4):
        wx = _weights_abs(c, 1 + g, n_s, n_i, "oc_first", 128)
        wh = _weights_abs(c, 5 + g, n_s, n_s, "oc_first", 128)
        if wide:
            bias = c.const(9 + g)
            b = 0 if bias is None else int(np.abs(np.asarray(bias, dtype=object)).max())
            worst = max(int(max(wx)) * _xmax(dt, xo) + b, int(max(wh)) * _xmax(dt, ho))
            if worst >= 1 << 47:
                c.fail(f"gate {g}: the int64 accumulator may reach {worst} >= 2^47")
        else:
            _acc_bound(c, f"gate {g} input sum", wx, _xmax(dt, xo), c.const(9 + g))
            _acc_bound(c, f"gate {g} recurrent sum", wh, _xmax(dt, ho), None)
    prod = 1 << 30                     # |int16 * int16| <= 2^30
    for m, s, what in (("f_mult", "f_shift", "f * c"), ("i_mult", "i_shift", "i * g"),
                       ("o_mult", "o_shift", "tanh(c) * o")):
        c.requant_pair(m, s)
        b = requant_bound(prod, c.v(m), c.v(s))
        c.fits_int32(f"requant({what}) + the zero point",
                     None if b is None else b + abs(int(a.h_zp)),
                     "the int32 arithmetic would overflow")
    c.within("tanh_shift", 0, 31, "a right shift")
    c.within("tanh_mult", 0, (1 << 31) // 32768 - 1, "c * tanh_mult must fit int32")
    c.array("table", 256)
    bt, bb = ("int64", 8) if wide else ("int32", 4)
    ins = [Operand("input", k * n_x, (dt,))]
    ins += [Operand("weights", n_s * n_i, ("int8",)) for _ in range(4)]
    ins += [Operand("weights", n_s * n_s, ("int8",)) for _ in range(4)]
    ins += [Operand("bias", bb * n_s, (bt,)) for _ in range(4)]
    return Spec(ins, Operand("output", k * n_y, (dt,)))


def _svdf(state_t: str):
    return lambda c: _svdf_rule(c, state_t)


def _svdf_rule(c: _Check, state_t: str) -> Spec:
    """td_svdf_s8 (int16 state) / td_svdf_s8_s8 (int8 state): feature sums (int32,
    requantized to the state type), time sums over the state, unit sums of rank filters
    plus the bias (int32)."""
    a = c.a
    c.positive("n_batch", "n_input", "n_filter", "n_memory", "rank")
    if int(a.n_filter) % int(a.rank):
        c.fail(f"n_filter = {int(a.n_filter)} is not a multiple of rank = {int(a.rank)}")
    n_b, n_i, n_f, n_m = (int(v) for v in (a.n_batch, a.n_input, a.n_filter, a.n_memory))
    n_u = n_f // int(a.rank)
    c.product("state elements", n_b, n_f, n_m)
    c.product("input elements", n_b, n_i)
    c.product("feature weights", n_f, n_i)
    xo = c.offset("x_offset", "int8", negated=True)
    c.offset("state_zp", state_t, negated=False)
    c.offset("out_offset", "int8", negated=False)
    c.requant_pair("mult_1", "shift_1")
    c.requant_pair("mult_2", "shift_2")
    _acc_bound(c, "feature sum", _weights_abs(c, 1, n_f, n_i, "oc_first", 128), _xmax("int8", xo),
               None)
    # the time and unit sums wrap modulo 2^32 as TFLM's do (td_svdf_s8.h): any int32 value
    # reaches the requantization, whose left shift (unsigned in td_requant) must not let
    # the result plus the output offset overflow
    raw = requant_bound(INT32_MAX, a.mult_2, a.shift_2)
    c.fits_int32("the requantized unit sum plus the output offset",
                 None if raw is None else raw + 128, "the int32 add would overflow")
    ins = [Operand("input", n_b * n_i, ("int8",)), Operand("weights", n_f * n_i, ("int8",)),
           Operand("weights", (2 if state_t == "int16" else 1) * n_f * n_m, (state_t,)),
           Operand("bias", 4 * n_u, ("int32",))]
    return Spec(ins, Operand("output", n_b * n_u, ("int8",)))


register("td_lstm_s8", _lstm("int8"))
register("td_svdf_s8", _svdf("int16"))
register("td_svdf_s8_s8", _svdf("int8"))
register("td_lstm_s16", _lstm("int16"))
