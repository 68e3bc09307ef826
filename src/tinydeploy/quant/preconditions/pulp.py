"""Rules of the integer-deployable (PULP/Deeploy) kernels: the raw int32 accumulators
(``*_s32``), the requant ``td_requant_s32_*`` and the fused ``*_rq`` kernels."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.preconditions import (_DTYPE_BYTES, _RANGE, INT32_MAX, INT32_MIN,
                                            RQ_LIMIT, RULES, Operand, Spec, _acc_channels,
                                            _Check, register, register_fused)
from tinydeploy.quant.preconditions._common import (_acc_bound, _conv_geometry,
                                                    _pool_geometry, _weights_abs, _xmax)


_S16 = ("td_conv2d_s16_s32", "td_fully_connected_s16_s32")


def _acc_in_dtype(a) -> str:
    return "int16" if a.C_FUNC in _S16 else "int8"


def _conv_s32(c: _Check, depthwise: bool) -> Spec:
    a = c.a
    dt = _acc_in_dtype(a)
    n_in, taps, n_out = _conv_geometry(c, depthwise)
    io = c.offset("input_offset", dt, negated=True)
    per = a.k_h * a.k_w * (1 if depthwise else a.in_c // a.groups)
    w_abs = _weights_abs(c, 1, a.out_c, per, "taps_first" if depthwise else "oc_first", 128)
    _acc_bound(c, "accumulator", w_abs, _xmax(dt, io), c.const(2))
    return Spec([Operand("input", n_in * _DTYPE_BYTES[dt], (dt,)),
                 Operand("weights", taps, ("int8",)),
                 Operand("bias", 4 * a.out_c, ("int32",), optional=True)],
                Operand("output", 4 * n_out, ("int32",)))


def _fc_s32(c: _Check) -> Spec:
    a = c.a
    dt = _acc_in_dtype(a)
    c.positive("batches", "in_features", "out_features")
    n_in = c.product("input elements", a.batches, a.in_features)
    n_w = c.product("weight elements", a.out_features, a.in_features)
    n_out = c.product("output elements", a.batches, a.out_features)
    io = c.offset("input_offset", dt, negated=True)
    w_abs = _weights_abs(c, 1, a.out_features, a.in_features, "oc_first", 128)
    _acc_bound(c, "accumulator", w_abs, _xmax(dt, io), c.const(2))
    return Spec([Operand("input", n_in * _DTYPE_BYTES[dt], (dt,)),
                 Operand("weights", n_w, ("int8",)),
                 Operand("bias", 4 * a.out_features, ("int32",), optional=True)],
                Operand("output", 4 * n_out, ("int32",)))


def _add_s32(c: _Check) -> Spec:
    """td_add_s8_s32: (a + a_offset) * a_mult + (b + b_offset) * b_mult in int32."""
    a = c.a
    c.positive("size")
    ao = c.offset("a_offset", "int8", negated=True)
    bo = c.offset("b_offset", "int8", negated=True)
    ta = _xmax("int8", ao) * abs(int(a.a_mult))
    tb = _xmax("int8", bo) * abs(int(a.b_mult))
    c.fits_int32("|(a + a_offset) * a_mult|", ta, "the int32 product would overflow")
    c.fits_int32("|(b + b_offset) * b_mult|", tb, "the int32 product would overflow")
    c.fits_int32("the weighted sum", ta + tb, "the int32 sum would overflow")
    return Spec([Operand("a", a.size, ("int8",)), Operand("b", a.size, ("int8",))],
                Operand("output", 4 * a.size, ("int32",)))


def _sum_pool_s32(c: _Check) -> Spec:
    """td_sum_pool2d_s8_s32: int32 window sums of x + input_offset."""
    a = c.a
    n_in, n_out = _pool_geometry(c)
    io = c.offset("input_offset", "int8", negated=True)
    c.fits_int32("the window sum", a.kernel_h * a.kernel_w * _xmax("int8", io),
                 "the int32 sum would overflow")
    return Spec([Operand("input", n_in, ("int8",))], Operand("output", 4 * n_out, ("int32",)))


def _sum_pool_s16_s32(c: _Check) -> Spec:
    """td_sum_pool2d_s16_s32: int32 window sums of int16 x + input_offset."""
    a = c.a
    n_in, n_out = _pool_geometry(c)
    io = c.offset("input_offset", "int16", negated=True)
    c.fits_int32("the window sum", a.kernel_h * a.kernel_w * _xmax("int16", io),
                 "the int32 sum would overflow")
    return Spec([Operand("input", 2 * n_in, ("int16",))],
                Operand("output", 4 * n_out, ("int32",)))


_RQ_OUT = {"td_requant_s32_s8": "int8", "td_requant_s32_s16": "int16",
           "td_requant_s32_s32": "int32"}


def _requant_params(c: _Check, rq, dst: str, prefix: str = "") -> None:
    """td_requant_value's parameters (also the rq_* members of the fused kernels)."""
    p = prefix
    ch = int(rq.channels)
    if ch < 1:
        c.fail(f"{p}channels = {ch} must be > 0")
    if not 0 <= int(rq.fp32) <= 3:
        c.fail(f"{p}fp32 = {int(rq.fp32)} outside [0, 3]")
    if int(rq.rounding) not in (0, 1):
        c.fail(f"{p}rounding = {int(rq.rounding)}: 0 (floor) or 1 (toward zero)")
    mul, add, div = (np.asarray(getattr(rq, n), dtype=object).ravel()
                     for n in ("mul", "add", "div"))
    for n, arr in (("mul", mul), ("add", add), ("div", div)):
        if arr.size != ch:
            c.fail(f"{p}{n} has {arr.size} entries, the kernel reads {ch}")
    if any(int(d) <= 0 for d in div):
        c.fail(f"{p}div has a divisor <= 0 (the kernel divides by it)")
    lo, hi = _RANGE[dst]
    zp = int(rq.out_offset)
    if not (int(rq.clip_lo) <= int(rq.clip_hi) and lo <= int(rq.clip_lo) + zp
            and int(rq.clip_hi) + zp <= hi):
        c.fail(f"{p}clip [{int(rq.clip_lo)}, {int(rq.clip_hi)}] + {p}out_offset {zp} does not "
               f"fit {dst}")
    xr = c.x_range or (INT32_MIN, INT32_MAX)
    x_abs = max(abs(int(xr[0])), abs(int(xr[1])))
    worst = x_abs * max(abs(int(m)) for m in mul) + max(abs(int(v)) for v in add)
    mul2 = abs(int(rq.mul2))
    if worst * max(mul2, 1) >= RQ_LIMIT:
        c.fail(f"{p}requant intermediates up to {worst * max(mul2, 1)} reach 2^62: the int64 "
               "arithmetic of td_requant_value could overflow")


def _requant_s32(c: _Check) -> Spec:
    """td_requant_s32_{s8,s16,s32}: int32 -> requant_value -> + zero point."""
    a = c.a
    dst = _RQ_OUT[a.C_FUNC]
    c.positive("size")
    _requant_params(c, a, dst)
    if int(a.size) % int(a.channels):
        c.fail(f"size = {int(a.size)} is not a multiple of channels = {int(a.channels)}")
    return Spec([Operand("input", 4 * int(a.size), ("int32",))],
                Operand("output", _DTYPE_BYTES[dst] * int(a.size), (dst,)))


# accumulators without a channel dim of their own: element i requantizes with channel
# i % rq_channels (the output's last axis)
_WALKED = ("td_add_s8_s32", "td_add_any_s32", "td_mul_any_s32")


def _fused(c: _Check) -> Spec:
    """td_<acc>_<in>[_<out>]_rq: an accumulator kernel with td_requant_value fused in."""
    a = c.a
    acc_rule = RULES.get(a.acc.C_FUNC)
    if acc_rule is None:
        c.fail(f"no precondition rule for the accumulator {a.acc.C_FUNC}")
    inner = _Check(a.acc, c.layer, c.kind, c.x_range, c.consts)
    spec = acc_rule(inner)
    dst = _RQ_OUT.get(a.rq.C_FUNC)
    if dst is None:
        c.fail(f"no precondition rule for the requant {a.rq.C_FUNC}")
    _requant_params(c, a.rq, dst, "rq_")
    n = spec.output.nbytes // 4                 # the int32 accumulators
    if int(a.rq.size) != n:
        c.fail(f"the requant covers {int(a.rq.size)} values, the accumulator gives {n}")
    chans = None if a.acc.C_FUNC in _WALKED else _acc_channels(a.acc)
    if chans is not None and int(a.rq.channels) != chans:
        c.fail(f"rq_channels = {int(a.rq.channels)} != the accumulator's {chans} channels "
               "(the kernel indexes the requant arrays by channel)")
    if chans is None and n % int(a.rq.channels):
        c.fail(f"{n} values are not a multiple of rq_channels = {int(a.rq.channels)}")
    return Spec(spec.inputs, Operand("output", _DTYPE_BYTES[dst] * n, (dst,)))


register("td_conv2d_s8_s32", lambda c: _conv_s32(c, False))
register("td_conv2d_s16_s32", lambda c: _conv_s32(c, False))
register("td_depthwise_conv2d_s8_s32", lambda c: _conv_s32(c, True))
register("td_fully_connected_s8_s32", _fc_s32)
register("td_fully_connected_s16_s32", _fc_s32)
register("td_add_s8_s32", _add_s32)
register("td_sum_pool2d_s8_s32", _sum_pool_s32)
register("td_sum_pool2d_s16_s32", _sum_pool_s16_s32)
register("td_requant_s32_s8", _requant_s32)
register("td_requant_s32_s16", _requant_s32)
register("td_requant_s32_s32", _requant_s32)
register_fused(_fused)
