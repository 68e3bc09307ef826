"""Rules of the optimized int16 kernels of integer graphs and of their int8 direct conv
(runtime/kernels/opt/td_conv2d_s16_rq_opt.h, td_conv2d_rq_direct_opt.h,
td_add_tables_s8_s16_opt.h; args from quant/opt/conv2d_s16.py, conv2d_rq_direct.py,
add_s16.py): the convolution's geometry, packed arrays, staging scratch and requant
descriptors, and that its sums of stored values stay within int32; the add's tables or
linear form and int16 outputs."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.preconditions import INT32_MAX, Operand, Spec, _Check, register
from tinydeploy.quant.preconditions._common import _conv_geometry, _xmax
from tinydeploy.quant.preconditions.opt import CH, ESIZE_DTYPE, _rq_descriptors

def _conv_s16(c: _Check) -> Spec:
    return _conv_blocks(c, "int16", 2)


def _conv_direct(c: _Check) -> Spec:
    """td_conv2d_rq_direct_opt: the same rules with an int8 input."""
    return _conv_blocks(c, "int8", 1)


def _conv_nchw(dtype: str):
    """td_conv2d_rq_nchw_s8_opt / _u8_opt: the direct conv's rules on a pointwise layer
    of one image in blocks of 4 channels only; a uint8 input's stored values reach 255."""
    def rule(c: _Check) -> Spec:
        a = c.a
        for f in ("k_h", "k_w", "stride_h", "stride_w", "batches"):
            c.within(f, 1, 1, "a pointwise layer of one image, stride 1")
        for f in ("pad_top", "pad_left"):
            c.within(f, 0, 0, "no padding")
        if a.in_h != a.out_h or a.in_w != a.out_w:
            c.fail(f"output {a.out_h}x{a.out_w} != input {a.in_h}x{a.in_w}: no padding")
        c.within("n8", 0, 0, "blocks of 4 channels only")
        quads = -(-int(a.out_c) // 4)
        c.within("n4", quads, quads, "ceil(out_c / 4) blocks of 4 channels")
        spec = _conv_blocks(c, "int8", 1, quads=True)
        if dtype == "uint8":
            w = np.asarray(a.wts, dtype=np.int64).reshape(-1, int(a.k), 4)
            worst = int(np.abs(w).sum(axis=1).max(initial=0)) * 255
            if worst > INT32_MAX:
                c.fail(f"sums of the stored values reach {worst} > INT32_MAX")
            spec = Spec([Operand("input", spec.inputs[0].nbytes, ("uint8",))], spec.output)
        return spec
    return rule


def _conv_blocks(c: _Check, dtype: str, size: int, quads: bool = False) -> Spec:
    a = c.a
    n_in, _, n_out = _conv_geometry(c, False)
    c.within("groups", 1, 1, "one group")
    off = c.offset("input_offset", dtype, negated=True)
    c.within("pad_value", -off, -off, "padding taps hold -input_offset")
    if a.esize not in ESIZE_DTYPE:
        c.fail(f"esize = {a.esize}: outputs are 1, 2 or 4 bytes")
    k = c.within("k", a.k_h * a.k_w * a.in_c, a.k_h * a.k_w * a.in_c, "k_h * k_w * in_c")
    if not quads:
        c.within("n4", 0, 1, "at most one block of 4 channels")
    n8 = c.within("n8", 0, a.out_c, "blocks of 8 channels")
    nch = 8 * n8 + 4 * int(a.n4)
    if not a.out_c <= nch < a.out_c + (8 if int(a.n4) == 0 else 4):
        c.fail(f"{n8} blocks of 8 and {int(a.n4)} of 4 channels do not fit out_c = {a.out_c}")
    g = 4 if n8 == 0 else 2
    if a.scratch_bytes < g * size * k:
        c.fail(f"scratch_bytes = {a.scratch_bytes} < {g * size * k}: {g} staged windows "
               "per core")
    w = np.asarray(c.array("wts", nch * k), dtype=np.int64)
    w = [w[: 8 * n8 * k].reshape(-1, k, 8), w[8 * n8 * k:].reshape(-1, k, 4)]
    worst = max(int(np.abs(b).sum(axis=1).max(initial=0)) for b in w) * \
        max(_xmax(dtype, off), 1 << (8 * size - 1))
    if worst > INT32_MAX:
        c.fail(f"sums of the stored values reach {worst} > INT32_MAX")
    chan = np.asarray(c.array("chan", nch * CH), np.int64).reshape(-1, CH)
    if np.any((chan[:, 1] != 0) & (((chan[:, 1] != 1) | (chan[:, 2] != 0))
                                   & ((chan[:, 1] != 2) | (chan[:, 2] != 1) | (chan[:, 6] < 32))
                                   | (chan[:, 3] < 0))):
        c.fail("chan: word 1 is 1 for an int32 multiply-shift channel (mode 0), 2 for an "
               "int64 one shifting by 32 or more (mode 1), both with M >= 0, else 0")
    _rq_descriptors(c, chan)
    return Spec([Operand("input", n_in * size, (dtype,))],
                Operand("output", n_out * a.esize, (ESIZE_DTYPE[a.esize],)))


def _add_s16(c: _Check) -> Spec:
    a = c.a
    c.positive("size")
    lin = c.within("linear", 0, 1, "a flag")
    c.within("shift", 0, 31, "a shift of 0..31 bits")
    c.within("trunc", 0, 1, "a flag")
    c.within("hi", int(a.lo), 2**31 - 1, "hi >= lo")
    c.within("out_offset", -32768 - int(a.lo), 32767 - int(a.hi), "outputs must fit int16")
    n = int(a.size)
    spec = Spec([Operand("a", n, ("int8",)), Operand("b", n, ("int8",))],
                Operand("output", n * 2, ("int16",)))
    if lin:
        x = np.arange(-128, 128, dtype=object)
        va, vb = x * int(a.am), x * int(a.bm)
        lo = min(va) + min(vb) + int(a.c)
        hi = max(va) + max(vb) + int(a.c)
        if lo < int(a.lo) + int(a.out_offset) or hi > int(a.hi) + int(a.out_offset):
            c.fail(f"a * am + b * bm + c reaches [{lo}, {hi}], beyond the clamp")
        return spec
    ta = np.asarray(c.array("ta", 256), dtype=np.int64)
    tb = np.asarray(c.array("tb", 256), dtype=np.int64)
    if int(np.abs(ta).max() + np.abs(tb).max()) >= 2**31:
        c.fail("ta[a] + tb[b] can leave int32")
    return spec


register("td_conv2d_s16_rq_opt", _conv_s16)
register("td_conv2d_rq_direct_opt", _conv_direct)
register("td_conv2d_rq_nchw_s8_opt", _conv_nchw("int8"))
register("td_conv2d_rq_nchw_u8_opt", _conv_nchw("uint8"))
register("td_add_tables_s8_s16_opt", _add_s16)
