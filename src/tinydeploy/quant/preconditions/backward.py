"""Rules of the float32 backward kernels of on-device training (golden
quant/golden/float32/backward*.py): act_grad, ce_loss, the conv gradients w.r.t. input and
weights, the avg/max pool gradients. Shapes and strides keep every read and write inside
the planned buffers; the kernels' int32 index arithmetic does not overflow."""

from __future__ import annotations

from tinydeploy.quant.preconditions import INT32_MAX, Operand, Spec, _Check, register
from tinydeploy.quant.preconditions.float32 import _f

N_ACT_GRAD_FNS = 3


def _act_grad(c: _Check) -> Spec:
    c.positive("size")
    c.within("fn", 0, N_ACT_GRAD_FNS - 1, "an activation code of td_act_grad_f32.h")
    n = int(c.a.size)
    return Spec([_f("dy", n), _f("y", n)], _f("dx", n))


def _ce_loss(c: _Check) -> Spec:
    c.positive("rows", "n", "batch")
    n = c.product("elements", c.a.rows, c.a.n)
    return Spec([_f("log_prob", n), Operand("labels", 8 * int(c.a.rows), ("int64",))],
                _f("loss", 1))


def _reach(c: _Check, what: str, value: int) -> None:
    if value > INT32_MAX:
        c.fail(f"{what} = {value} exceeds INT32_MAX: the kernel's int32 index arithmetic "
               "would overflow")


def _geometry(c: _Check, dilated: bool) -> None:
    """Window coordinates (forward and gather form) stay within int32."""
    a = c.a
    dh, dw = (int(a.dh), int(a.dw)) if dilated else (1, 1)
    for o, size, k, s, p, d in ((a.out_h, a.h, a.kh, a.sh, a.pad_t, dh),
                                (a.out_w, a.w, a.kw, a.sw, a.pad_l, dw)):
        span = (int(k) - 1) * d
        _reach(c, "window reach", (int(o) - 1) * int(s) + span + 1)
        _reach(c, "input reach", int(size) + int(p) + span)


def _conv_common(c: _Check) -> tuple[int, int, int]:
    a = c.a
    c.positive("n", "h", "w", "c_in", "out_h", "out_w", "c_out", "kh", "kw", "sh", "sw",
               "dh", "dw", "groups", "w_size")
    c.nonneg("pad_t", "pad_l", "w_so", "w_sky", "w_skx", "w_si")
    g = int(a.groups)
    if int(a.c_in) % g or int(a.c_out) % g:
        c.fail(f"groups = {g} does not divide {int(a.c_in)} -> {int(a.c_out)} channels")
    _geometry(c, True)
    n_x = c.product("input elements", a.n, a.h, a.w, a.c_in)
    n_y = c.product("dy elements", a.n, a.out_h, a.out_w, a.c_out)
    return n_x, n_y, int(a.c_in) // g


def _dims(a, cin_g: int) -> list[tuple[int, int]]:
    return [(int(a.w_so), int(a.c_out)), (int(a.w_sky), int(a.kh)),
            (int(a.w_skx), int(a.kw)), (int(a.w_si), cin_g)]


def _conv_grad_input(c: _Check) -> Spec:
    n_x, n_y, cin_g = _conv_common(c)
    reach = 1 + sum((e - 1) * s for s, e in _dims(c.a, cin_g))
    if reach > int(c.a.w_size):
        c.fail(f"the weight strides reach {reach} elements, the weights hold "
               f"{int(c.a.w_size)}")
    return Spec([_f("dy", n_y), _f("weights", int(c.a.w_size))], _f("dx", n_x))


def _conv_grad_weight(c: _Check) -> Spec:
    n_x, n_y, cin_g = _conv_common(c)
    expect = 1
    for s, e in sorted(d for d in _dims(c.a, cin_g) if d[1] > 1):
        if s != expect:
            c.fail(f"the weight strides do not lay the weights densely (a stride {s} where "
                   f"{expect} follows): some elements would be written twice or never")
        expect *= e
    if expect != int(c.a.w_size):
        c.fail(f"the weight strides cover {expect} elements, w_size = {int(c.a.w_size)}")
    return Spec([_f("dy", n_y), _f("x", n_x)], _f("dw", int(c.a.w_size)))


def _pool_common(c: _Check) -> tuple[int, int]:
    a = c.a
    c.positive("n", "h", "w", "c", "out_h", "out_w", "kh", "kw", "sh", "sw")
    c.nonneg("pad_t", "pad_l")
    _geometry(c, False)
    if int(a.pad_t) >= int(a.kh) or int(a.pad_l) >= int(a.kw) or \
            (int(a.out_h) - 1) * int(a.sh) - int(a.pad_t) >= int(a.h) or \
            (int(a.out_w) - 1) * int(a.sw) - int(a.pad_l) >= int(a.w):
        c.fail("a window lies wholly in the padding (no element to pool)")
    c.product("window elements", a.kh, a.kw)
    return (c.product("input elements", a.n, a.h, a.w, a.c),
            c.product("dy elements", a.n, a.out_h, a.out_w, a.c))


def _avg_pool_grad(c: _Check) -> Spec:
    n_x, n_y = _pool_common(c)
    c.within("count_pad", 0, 1, "a flag")
    return Spec([_f("dy", n_y)], _f("dx", n_x))


def _max_pool_grad(c: _Check) -> Spec:
    n_x, n_y = _pool_common(c)
    return Spec([_f("dy", n_y), _f("x", n_x)], _f("dx", n_x))


register("td_act_grad_f32", _act_grad)
register("td_ce_loss_f32", _ce_loss)
register("td_conv2d_grad_input_f32", _conv_grad_input)
register("td_conv2d_grad_weight_f32", _conv_grad_weight)
register("td_avg_pool2d_grad_f32", _avg_pool_grad)
register("td_max_pool2d_grad_f32", _max_pool_grad)
