"""Rules of the float32 kernels (``td_*_f32``): shapes and strides that keep every read
and write inside the planned buffers, codes the kernels know. Buffers are float32 (4
bytes per element); the any-width data movers take float32 as 4-byte elements
(movement.py)."""

from __future__ import annotations

from tinydeploy.quant.preconditions import Operand, Spec, _Check, register
from tinydeploy.quant.preconditions.attention import _dims, _extent

F = ("float32",)
N_UNARY, N_BINARY, N_ACTS = 20, 7, 4


def _f(role: str, n: int, optional: bool = False) -> Operand:
    return Operand(role, 4 * n, F, optional)


def _act(c: _Check) -> None:
    c.within("act", 0, N_ACTS - 1, "a fused activation code of td_f32_common.h")


def _unary(c: _Check) -> Spec:
    c.positive("size")
    c.within("fn", 0, N_UNARY - 1, "a function code of td_unary_f32.h")
    n = int(c.a.size)
    return Spec([_f("input", n)], _f("output", n))


def _binary(c: _Check) -> Spec:
    a = c.a
    c.within("op", 0, N_BINARY - 1, "an operation code of td_binary_f32.h")
    _act(c)
    c.positive("a_size", "b_size")
    shape = _dims(c, "out_shape")
    for name, size in (("a_strides", "a_size"), ("b_strides", "b_size")):
        reach = _extent(c, name, shape, _dims(c, name, lo=0))
        if reach > int(c.v(size)):
            c.fail(f"{name} reach {reach} elements, the input holds {int(c.v(size))}")
    return Spec([_f("a", int(a.a_size)), _f("b", int(a.b_size))],
                _f("output", c.product("output elements", *shape)))


def _matmul(c: _Check) -> Spec:
    a = c.a
    c.positive("batch", "m", "n", "k", "a_size", "b_size")
    c.nonneg("a_rs", "a_cs", "b_rs", "b_cs", "c_rs", "c_cs", "c_size")
    _act(c)
    nb = int(a.batch)
    for off, size, rows, cols, rs, cs in (("a_off", "a_size", a.m, a.k, a.a_rs, a.a_cs),
                                          ("b_off", "b_size", a.k, a.n, a.b_rs, a.b_cs),
                                          ("c_off", "c_size", a.m, a.n, a.c_rs, a.c_cs)):
        if off == "c_off" and int(a.c_size) == 0:
            continue
        offs = [int(v) for v in c.array(off, nb)]
        if min(offs) < 0:
            c.fail(f"{off} has a negative offset")
        reach = max(offs) + 1 + (int(rows) - 1) * int(rs) + (int(cols) - 1) * int(cs)
        if reach > int(c.v(size)):
            c.fail(f"{off}: the product reads {reach} elements, the operand holds "
                   f"{int(c.v(size))}")
    ins = [_f("a", int(a.a_size)), _f("b", int(a.b_size)), _f("bias", int(a.c_size), True)]
    return Spec(ins, _f("output", c.product("output elements", nb, a.m, a.n)))


def _conv(c: _Check) -> Spec:
    a = c.a
    c.positive("n", "h", "w", "c_in", "out_h", "out_w", "c_out", "kh", "kw", "sh", "sw",
               "dh", "dw", "groups", "w_size")
    c.nonneg("pad_t", "pad_l", "w_so", "w_sky", "w_skx", "w_si")
    _act(c)
    g = int(a.groups)
    if int(a.c_in) % g or int(a.c_out) % g:
        c.fail(f"groups = {g} does not divide {int(a.c_in)} -> {int(a.c_out)} channels")
    reach = 1 + (int(a.c_out) - 1) * int(a.w_so) + (int(a.kh) - 1) * int(a.w_sky) + \
        (int(a.kw) - 1) * int(a.w_skx) + (int(a.c_in) // g - 1) * int(a.w_si)
    if reach > int(a.w_size):
        c.fail(f"the weight strides reach {reach} elements, the weights hold {int(a.w_size)}")
    for o, i, k, s, d in ((a.out_h, a.h, a.kh, a.sh, a.dh), (a.out_w, a.w, a.kw, a.sw, a.dw)):
        if (int(o) - 1) * int(s) + (int(k) - 1) * int(d) < 0:
            c.fail("negative window")
    n_in = c.product("input elements", a.n, a.h, a.w, a.c_in)
    n_out = c.product("output elements", a.n, a.out_h, a.out_w, a.c_out)
    return Spec([_f("input", n_in), _f("weights", int(a.w_size)),
                 _f("bias", int(a.c_out), True)], _f("output", n_out))


def _pool(c: _Check) -> Spec:
    a = c.a
    c.positive("n", "h", "w", "c", "out_h", "out_w", "kh", "kw", "sh", "sw")
    c.nonneg("pad_t", "pad_l")
    c.within("mode", 0, 1, "0 max, 1 average")
    c.within("count_pad", 0, 1, "a flag")
    _act(c)
    if int(a.pad_t) >= int(a.kh) or int(a.pad_l) >= int(a.kw) or \
            (int(a.out_h) - 1) * int(a.sh) - int(a.pad_t) >= int(a.h) or \
            (int(a.out_w) - 1) * int(a.sw) - int(a.pad_l) >= int(a.w):
        c.fail("a window lies wholly in the padding (no element to pool)")
    return Spec([_f("input", c.product("input elements", a.n, a.h, a.w, a.c))],
                _f("output", c.product("output elements", a.n, a.out_h, a.out_w, a.c)))


def _reduce(c: _Check) -> Spec:
    a = c.a
    c.within("mode", 0, 2, "0 sum, 1 mean, 2 max")
    c.positive("in_size", "count")
    shape, red = _dims(c, "out_shape"), _dims(c, "red_shape")
    if c.product("reduced elements", *red) != int(a.count):
        c.fail(f"count = {int(a.count)} is not the product of red_shape {red}")
    reach = _extent(c, "reach", shape + red, _dims(c, "out_strides", lo=0) +
                    _dims(c, "red_strides", lo=0))
    if reach > int(a.in_size):
        c.fail(f"the walk reads {reach} elements, the input holds {int(a.in_size)}")
    return Spec([_f("input", int(a.in_size))],
                _f("output", c.product("output elements", *shape)))


def _softmax(c: _Check) -> Spec:
    c.positive("rows", "n")
    n = c.product("elements", c.a.rows, c.a.n)
    return Spec([_f("input", n)], _f("output", n))


def _norm(c: _Check) -> Spec:
    a = c.a
    c.within("mode", 0, 1, "0 layer, 1 rms")
    c.positive("rows", "inner", "scale_stride", "scale_len")
    n = c.product("elements", a.rows, a.inner)
    return Spec([_f("input", n), _f("scale", int(a.scale_len)),
                 _f("bias", int(a.scale_len), True)], _f("output", n))


register("td_unary_f32", _unary)
register("td_binary_f32", _binary)
register("td_matmul_f32", _matmul)
register("td_conv2d_f32", _conv)
register("td_pool2d_f32", _pool)
register("td_reduce_f32", _reduce)
register("td_softmax_f32", _softmax)
register("td_norm_f32", _norm)
register("td_log_softmax_f32", _softmax)


def _softmax_grad(c: _Check) -> Spec:
    c.positive("rows", "n")
    n = c.product("elements", c.a.rows, c.a.n)
    return Spec([_f("dy", n), _f("y", n)], _f("dx", n))


register("td_softmax_grad_f32", _softmax_grad)


def _softmax_ce_grad(c: _Check) -> Spec:
    c.positive("rows", "n", "batch")
    n = c.product("elements", c.a.rows, c.a.n)
    return Spec([_f("log_prob", n), Operand("labels", 8 * int(c.a.rows), ("int64",))],
                _f("dx", n))


register("td_softmax_ce_grad_f32", _softmax_ce_grad)


def _gelu_grad(c: _Check) -> Spec:
    c.positive("size")
    n = int(c.a.size)
    return Spec([_f("dy", n), _f("x", n)], _f("dx", n))


def _norm_grad(c: _Check) -> Spec:
    c.positive("rows", "inner")
    n = c.product("elements", c.a.rows, c.a.inner)
    return Spec([_f("dy", n), _f("x", n), _f("scale", int(c.a.inner))], _f("dx", n))


register("td_gelu_grad_f32", _gelu_grad)
register("td_norm_grad_f32", _norm_grad)
