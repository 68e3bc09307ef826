"""Rules of the integer-graph kernels (Deeploy's operators, transformers, language models):
the matrix product, the integer softmaxes, activations and norms, the integer division
and reductions, and the kernels that convert integers of any width (``td_*_any``; those
that only move them: ``movement.py``). Fused ``td_matmul_s8*_rq``, ``td_igelu_s8*_rq`` and
``td_ihardswish_s8*_rq`` kernels are checked by the fused rule (``pulp.py``) with the
accumulator rules registered here."""

from __future__ import annotations

from tinydeploy.quant.preconditions import (_DTYPE_BYTES, _RANGE, INT32_MAX, MAX_DIMS,
                                            Operand, Spec, _Check, register)
from tinydeploy.quant.preconditions._common import _xmax
from tinydeploy.quant.preconditions.pulp import _requant_params

_WIDTH = {1: ("int8", "uint8"), 2: ("int16",), 4: ("int32",)}
_INT_OF = {1: "int8", 2: "int16", 4: "int32"}


def _width(c: _Check, name: str, allowed=(1, 2, 4)) -> int:
    w = int(c.v(name))
    if w not in allowed:
        c.fail(f"{name} = {w}: elements are {'/'.join(map(str, allowed))} bytes wide")
    return w


def _dims(c: _Check, name: str, n: int = MAX_DIMS, lo: int = 1) -> list[int]:
    d = [int(v) for v in c.array(name, n)]
    if any(v < lo for v in d):
        c.fail(f"{name} = {d}: entries must be >= {lo}")
    return d


def _extent(c: _Check, what: str, dims, strides, base: int = 0) -> int:
    """1 + the largest element offset a walk reaches (strides >= 0)."""
    return c.product(what, 1, 1 + base + sum((d - 1) * s for d, s in zip(dims, strides)))


def _matmul(c: _Check) -> Spec:
    """td_matmul_s8_s32: alpha * sum (A + oa)(B + ob) + beta * bias, strided operands."""
    a = c.a
    c.positive("m", "channels", "k")
    batch = _dims(c, "batch", 4)
    strides = {n: _dims(c, n, 4, 0) for n in ("a_batch", "b_batch", "c_batch")}
    c.nonneg("a_m", "a_k", "b_k", "b_n", "c_m", "c_n")
    ao = c.offset("a_offset", "int8", negated=True)
    bo = c.offset("b_offset", "int8", negated=True)
    n_a = _extent(c, "A extent", batch + [a.m, a.k], strides["a_batch"] + [a.a_m, a.a_k])
    n_b = _extent(c, "B extent", batch + [a.k, a.channels],
                  strides["b_batch"] + [a.b_k, a.b_n])
    for what, reach, size in (("A", n_a, int(a.a_size)), ("B", n_b, int(a.b_size))):
        if reach > size:
            c.fail(f"the strides reach {reach} elements of {what}, its buffer holds {size}")
    n_c = _extent(c, "bias extent", batch + [a.m, a.channels],
                  strides["c_batch"] + [a.c_m, a.c_n])
    n_out = c.product("output elements", *batch, a.m, a.channels)
    bias = c.const(2)
    worst = int(a.k) * _xmax("int8", ao) * _xmax("int8", bo) * abs(int(a.alpha))
    c.fits_int32("sum_k (A + a_offset)(B + b_offset) * alpha", worst,
                 "the int32 accumulator would overflow")
    if bias is not None:
        worst += abs(int(a.beta)) * int(abs(bias.astype("int64")).max(initial=0))
        c.fits_int32("alpha * sum + beta * bias", worst, "the int32 result would overflow")
    return Spec([Operand("a", int(a.a_size), ("int8",)), Operand("b", int(a.b_size), ("int8",)),
                 Operand("bias", 4 * n_c, ("int32",), optional=True)],
                Operand("output", 4 * n_out, ("int32",)))


def _rows(c: _Check) -> int:
    c.positive("rows", "length")
    return c.product("elements", c.a.rows, c.a.length)


def _isoftmax(c: _Check) -> Spec:
    """td_isoftmax_s8: every e < 2^31, row sums and e * (n_levels - 1) < 2^32, sum > 0."""
    a = c.a
    n = _rows(c)
    c.within("log2", 1, INT32_MAX, "a positive halving period")
    c.within("n_levels", 2, 256, "at most 256 output levels (int8)")
    c.within("coeff_a", 0, INT32_MAX, "coeff_a >= 0")
    c.within("coeff_c", 0, 2**31 - 1, "coeff_c >= 0")
    ca, cb, cc, l2 = int(a.coeff_a), int(a.coeff_b), int(a.coeff_c), int(a.log2)
    e_max = ca * max(cb * cb, (cb - l2 + 1) ** 2) + cc
    if e_max >= 2**31:
        c.fail(f"exponentials up to {e_max} reach 2^31")
    if ca * cb * cb + cc <= 0:
        c.fail("the exponential of the row maximum is 0: the row sum could be 0")
    if e_max * int(a.length) >= 2**32 or e_max * (int(a.n_levels) - 1) >= 2**32:
        c.fail("the row sum or e * (n_levels - 1) reaches 2^32 (uint32 arithmetic)")
    c.within("out_offset", -128, 127 - (int(a.n_levels) - 1), "outputs must fit int8")
    return Spec([Operand("input", n, ("int8",))], Operand("output", n, ("int8",)))


def _itamax(c: _Check) -> Spec:
    n = _rows(c)
    if int(c.a.length) > 2**23:
        c.fail("rows longer than 2^23: the uint32 row sum could overflow")
    c.within("out_offset", -128, -128, "the [0, 255] output needs zero point -128")
    return Spec([Operand("input", n, ("int8",))], Operand("output", n, ("int8",)))


def _itapartialmax(c: _Check) -> Spec:
    a = c.a
    n = _rows(c)
    c.positive("group_width")
    if int(a.length) % int(a.group_width) or int(a.length) > 2**23:
        c.fail(f"group_width = {int(a.group_width)} must divide length = {int(a.length)} "
               "(at most 2^23)")
    c.within("out_offset", -128, 0, "outputs [0, 127] must fit int8")
    return Spec([Operand("input", n, ("int8",))], Operand("output", n, ("int8",)))


def _activation(c: _Check, reach: int) -> Spec:
    a = c.a
    c.positive("size", "channels")
    if int(a.size) % int(a.channels):
        c.fail(f"channels = {int(a.channels)} does not divide size = {int(a.size)}")
    c.offset("x_offset", "int8", negated=True)
    c.fits_int32("the activation", reach, "the int32 arithmetic would overflow")
    return Spec([Operand("input", int(a.size), ("int8",))],
                Operand("output", 4 * int(a.size), ("int32",)))


def _igelu(c: _Check) -> Spec:
    a = c.a
    c.within("b", -(2**15) + 1, 0, "b <= 0 and |b| < 2^15")
    c.within("one", 0, 2**30 - 1, "0 <= one < 2^30")
    one, b = int(a.one), int(a.b)
    return _activation(c, 256 * (one + b * b + one))


def _ihardswish(c: _Check) -> Spec:
    a = c.a
    c.within("six", 0, INT32_MAX, "six >= 0")
    c.within("three", -(2**20), 2**20, "|three| < 2^20")
    return _activation(c, 256 * int(a.six) * abs(int(a.one_over_six)))


def _norm(n_params: int, w_reach: int):
    def rule(c: _Check) -> Spec:
        """td_ilayernorm_s8 / td_irmsnorm_s8: int32 row sums, int64 products."""
        a = c.a
        n = _rows(c)
        if int(a.length) * 2**16 >= 2**31:
            c.fail(f"length = {int(a.length)}: the int32 sums of squares could overflow")
        c.offset("x_offset", "int8", negated=True)
        c.within("log2d", 0, 62, "a shift of 0..62 bits")
        c.within("out_offset", -128, 127, "an int8 zero point")
        lo, hi = _RANGE["int8"]
        if not (lo <= int(a.clip_lo) + int(a.out_offset) and
                int(a.clip_hi) + int(a.out_offset) <= hi and int(a.clip_lo) <= int(a.clip_hi)):
            c.fail("clip + out_offset does not fit int8")
        params = [c.const(k) for k in range(1, 1 + n_params)]
        big = sum(int(abs(p.astype("int64")).max(initial=0)) * r
                  for p, r in zip(params, (w_reach, 1)) if p is not None)
        if big >= 2**62:
            c.fail("weight and bias too large for the 64-bit arithmetic")
        ops = [Operand("input", n, ("int8",))] + [
            Operand(name, 4 * int(a.length), ("int32",))
            for name in ("weight", "bias")[:n_params]]
        return Spec(ops, Operand("output", n, ("int8",)))
    return rule


def _inonorm(c: _Check) -> Spec:
    a = c.a
    c.positive("size", "w_period", "b_period")
    for p in ("w_period", "b_period"):
        if int(a.size) % int(getattr(a, p)):
            c.fail(f"{p} = {int(getattr(a, p))} does not divide size = {int(a.size)}")
    c.offset("x_offset", "int8", negated=True)
    c.within("log2d", 0, 62, "a shift of 0..62 bits")
    w, b = c.const(1), c.const(2)
    big = (256 * (0 if w is None else int(abs(w.astype("int64")).max(initial=0))) +
           (0 if b is None else int(abs(b.astype("int64")).max(initial=0)))) * abs(int(a.mul))
    if big >= 2**62:
        c.fail("(x * weight + bias) * mul reaches 2^62")
    if not (-128 <= int(a.clip_lo) + int(a.out_offset) <= int(a.clip_hi) + int(a.out_offset)
            <= 127):
        c.fail("clip + out_offset does not fit int8")
    return Spec([Operand("input", int(a.size), ("int8",)),
                 Operand("weight", 4 * int(a.w_period), ("int32",)),
                 Operand("bias", 4 * int(a.b_period), ("int32",))],
                Operand("output", int(a.size), ("int8",)))


def _integer_div(c: _Check) -> Spec:
    a = c.a
    wa, wb = _width(c, "a_bytes"), _width(c, "b_bytes")
    shape = _dims(c, "shape")
    bs = _dims(c, "b_strides", lo=0)
    n = c.product("elements", *shape)
    if int(a.eta) <= 0 or int(a.eps) <= 0:
        c.fail("eta and eps must be > 0")
    lo = max(int(a.b_min), _RANGE[_INT_OF[wb]][0] + int(a.b_offset))
    if int(a.eta) * lo + int(a.eps) <= 0:
        c.fail("the divisor eta * b + eps can be <= 0")
    if abs(int(a.delta) * int(a.eta)) * 2**31 >= 2**62:
        c.fail("delta * eta * a reaches 2^62")
    a_max = _xmax(_INT_OF[wa], int(a.a_offset))
    if abs(int(a.delta) * int(a.eta)) * a_max // (int(a.eta) * lo + int(a.eps)) + 1 > INT32_MAX:
        c.fail("the quotient can exceed int32")
    return Spec([Operand("a", wa * n, _WIDTH[wa]),
                 Operand("b", wb * _extent(c, "b extent", shape, bs), _WIDTH[wb])],
                Operand("output", 4 * n, ("int32",)))


def _reduce(out: str):
    def rule(c: _Check) -> Spec:
        a = c.a
        kd, ks = _dims(c, "keep_dims"), _dims(c, "keep_strides", lo=0)
        rd, rs = _dims(c, "red_dims"), _dims(c, "red_strides", lo=0)
        count = c.product("reduced elements", *rd)
        if int(a.count) != count or count * 256 >= 2**31:
            c.fail(f"count = {int(a.count)} must be prod(red_dims) = {count} with 256 * "
                   "count < 2^31")
        c.within("mode", 0, 1, "0 (sum) or 1 (mean)")
        c.offset("x_offset", "int8", negated=True)
        if out == "int8" and (int(a.mode) != 1 or int(a.out_offset) != -int(a.x_offset)):
            c.fail("an int8 output holds means with the input's zero point only")
        ext = c.product("input extent", 1, 1 + sum((d - 1) * s for d, s in
                                                   zip(kd + rd, ks + rs)))
        n = c.product("outputs", *kd)
        return Spec([Operand("input", ext, ("int8",))],
                    Operand("output", _DTYPE_BYTES[out] * n, (out,)))
    return rule


def _binary(mul: bool):
    def rule(c: _Check) -> Spec:
        a = c.a
        nd = c.within("ndim", 1, MAX_DIMS, "1..6 merged dims")
        shape = _dims(c, "shape")[MAX_DIMS - nd:]
        sa = _dims(c, "a_strides", lo=0)[MAX_DIMS - nd:]
        sb = _dims(c, "b_strides", lo=0)[MAX_DIMS - nd:]
        wa, wb = _width(c, "a_bytes"), _width(c, "b_bytes")
        ra = _xmax(_INT_OF[wa], int(a.a_offset))
        rb = _xmax(_INT_OF[wb], int(a.b_offset))
        worst = ra * rb if mul else ra * abs(int(a.a_mult)) + rb * abs(int(a.b_mult))
        if c.x_range is not None:            # the value range the frontend proved
            worst = min(worst, max(abs(int(v)) for v in c.x_range))
        if not getattr(a, "WRAPS", False):      # TFLite's raw int32 arithmetic wraps
            c.fits_int32("|y|", worst, "the int32 result would overflow")
        n = c.product("elements", *shape)
        return Spec([Operand("a", wa * _extent(c, "a extent", shape, sa), _WIDTH[wa]),
                     Operand("b", wb * _extent(c, "b extent", shape, sb), _WIDTH[wb])],
                    Operand("output", 4 * n, ("int32",)))
    return rule


def _requant_any(c: _Check) -> Spec:
    a = c.a
    wi, wo = _width(c, "in_bytes", (1, 2)), _width(c, "out_bytes")
    c.positive("size")
    if c.x_range is None:
        lo, hi = _RANGE[_INT_OF[wi]]
        c.x_range = (lo + int(a.in_offset), hi + int(a.in_offset))
    _requant_params(c, a, _INT_OF[wo])
    if int(a.size) % int(a.channels):
        c.fail(f"size = {int(a.size)} is not a multiple of channels = {int(a.channels)}")
    return Spec([Operand("input", wi * int(a.size), _WIDTH[wi])],
                Operand("output", wo * int(a.size), _WIDTH[wo]))


def _layernorm(c: _Check) -> Spec:
    """td_layernorm_s8: exact row sums in 64 bits, the fixed-point normalized value."""
    a = c.a
    n = _rows(c)
    length = int(a.length)
    if length * 255 >= 2**24:
        c.fail(f"length = {length}: rows too long")
    for f in ("var_shift", "norm_shift", "out_shift"):
        c.within(f, 0, 62, "a shift of 0..62 bits")
    c.offset("x_offset", "int8", negated=True)
    gain, bias = c.array("gain", length), c.array("bias", length)
    v_max, c_max = length * length * 255 * 255 // 4 + 1, length * 255
    if (v_max << int(a.var_shift)) + int(a.eps) >= 2**62 or int(a.eps) < 0:
        c.fail("the scaled variance reaches 2^62")
    if c_max << int(a.norm_shift) >= 2**62:
        c.fail("the scaled centered value reaches 2^62")
    n_max = (int(length ** 0.5) + 2) << (int(a.norm_shift) - int(a.var_shift) // 2)
    big = n_max * max((abs(int(g)) for g in gain), default=0) + \
        max((abs(int(b)) for b in bias), default=0)
    if big >= 2**63:
        c.fail("n * gain + bias can reach 2^63")
    return Spec([Operand("input", n, ("int8",))], Operand("output", n, ("int8",)))


def _softmax_exp(c: _Check) -> Spec:
    a = c.a
    n = _rows(c)
    if int(a.length) > 4096:
        c.fail(f"length = {int(a.length)}: rows of at most 4096 values")
    c.within("out_shift", 1, 30, "a shift of 1..30 bits")
    table = [int(v) for v in c.array("table", 256)]
    if min(table) < 0 or max(table) > 2**30 or table[0] <= 0:
        c.fail("table entries must lie in [0, 2^30], the first > 0")
    if max(table) * int(a.out_mul) >= 2**62 or int(a.out_mul) <= 0 or \
            (int(a.length) * max(table)) << int(a.out_shift) >= 2**62:
        c.fail("table * out_mul or the shifted row sum reaches 2^62")
    c.within("out_offset", -128, 127, "an int8 zero point")
    return Spec([Operand("input", n, ("int8",))], Operand("output", n, ("int8",)))


register("td_layernorm_s8", _layernorm)
register("td_softmax_exp_s8", _softmax_exp)
register("td_matmul_s8_s32", _matmul)
register("td_isoftmax_s8", _isoftmax)
register("td_itamax_s8", _itamax)
register("td_itapartialmax_s8", _itapartialmax)
register("td_igelu_s8_s32", _igelu)
register("td_ihardswish_s8_s32", _ihardswish)
register("td_ilayernorm_s8", _norm(2, 512))
register("td_irmsnorm_s8", _norm(1, 256))
register("td_inonorm_s8", _inonorm)
register("td_integer_div_s32", _integer_div)
register("td_reduce_s8_s32", _reduce("int32"))
register("td_reduce_s8_s8", _reduce("int8"))
register("td_add_any_s32", _binary(False))
register("td_mul_any_s32", _binary(True))
register("td_requant_any", _requant_any)
