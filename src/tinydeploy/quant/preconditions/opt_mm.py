"""Rules of the optimized products of integer graphs (runtime/kernels/opt/td_opt_mm.h:
td_fully_connected_s8_rq_opt, td_matmul_s8_rq_opt; args from quant/opt/matmul_rq.py).

Besides the geometry, each rule checks the packed arrays' lengths and the per-column
requantization words: a known mode, a shift its arithmetic can take, and for the int32
mode that ``|s| * |mul| + |kc| < 2^31`` over every sum the operands allow (the kernel
computes ``s * mul + kc`` in 32 bits); a fully connected layer in mode 2 instead holds a
valid descriptor per column (td_opt_rq.h) and ``|s| + |C| < 2^31``. The operands are the
activations only."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.preconditions import Operand, Spec, _Check, register
from tinydeploy.quant.preconditions.attention import _dims, _extent
from tinydeploy.quant.preconditions.opt import CH, _rq_descriptors

def _any_chan(c: _Check, n: int, s_max) -> None:
    """Mode 2 of the fully connected layer: C per column in kc (high word 0) and in word
    0 of its descriptor, the accumulator s + C within int32, valid descriptors."""
    a = c.a
    c.within("lo", -128 - int(a.out_offset), 127 - int(a.out_offset),
             "clamp bounds whose outputs fit int8")
    c.within("hi", int(a.lo), 127 - int(a.out_offset), "hi >= lo, outputs fit int8")
    kc = np.asarray(c.array("kc", 2 * n), dtype=np.int64).reshape(n, 2)
    chan = np.asarray(c.array("chan", n * CH), np.int64).reshape(n, CH)
    for k in range(n):
        if int(kc[k, 1]) != 0 or int(chan[k, 0]) != int(kc[k, 0]):
            c.fail(f"column {k}: C in kc and in its descriptor differ")
        if int(s_max[k]) + abs(int(kc[k, 0])) >= 2**31:
            c.fail(f"column {k}: the accumulator s + C can leave int32")
    if np.any(chan[:, 2] == 3):
        c.fail("chan: raw int32 sums need int32 outputs")
    _rq_descriptors(c, chan, ("lo", "hi"))


def _chan(c: _Check, n: int, s_max) -> None:
    """The requantization words: kc per column, (mul, shift) once or per column, the
    layer's mode and what it implies for every column."""
    a = c.a
    c.within("lo", -(2**31), 2**31 - 1, "an int32 bound")
    c.within("hi", int(a.lo), 2**31 - 1, "an int32 bound >= lo")
    c.within("out_offset", -128 - int(a.lo), 127 - int(a.hi), "outputs must fit int8")
    c.within("trunc", 0, 1, "a flag")
    mode = c.within("mode", 0, 1, "0 (int32) or 1 (int64)")
    step = int(a.rq_step)
    if step not in (0, 2):
        c.fail(f"rq_step = {step}: 0 (one mul and shift) or 2 (one per column)")
    kc = np.asarray(c.array("kc", 2 * n), dtype=np.int64).reshape(n, 2)
    rq = np.asarray(c.array("rq", 2 if step == 0 else 2 * n), dtype=np.int64).reshape(-1, 2)
    for k in range(n):
        mul, sh = (int(v) for v in rq[0 if step == 0 else k])
        lo_w, hi_w = int(kc[k, 0]), int(kc[k, 1])
        kv = hi_w * 2**32 + (lo_w & 0xFFFFFFFF)
        reach = int(s_max[k]) * abs(mul) + abs(kv)
        if mode == 0 and (not 0 <= sh <= 31 or reach >= 2**31 or hi_w != (lo_w >> 32)):
            c.fail(f"column {k}: the int32 requantization can overflow or shifts {sh} bits")
        if mode == 1 and (not 0 <= sh <= 62 or reach >= 2**63):
            c.fail(f"column {k}: the int64 requantization can overflow or shifts {sh} bits")


def _fc(c: _Check) -> Spec:
    a = c.a
    c.positive("batches", "in_features", "out_features")
    n_in = c.product("input elements", a.batches, a.in_features)
    n_out = c.product("output elements", a.batches, a.out_features)
    panels = -(-int(a.out_features) // 8)
    w = np.asarray(c.array("wts", panels * 8 * int(a.in_features)), dtype=np.int64)
    if w.size and (w.min() < -128 or w.max() > 127):
        c.fail("wts: a weight outside int8")
    s_max = np.abs(w.reshape(panels, int(a.in_features), 8)).sum(axis=1).reshape(-1) * 128
    if int(a.mode) == 2:
        _any_chan(c, int(a.out_features), s_max)
    else:
        _chan(c, int(a.out_features), s_max)
    return Spec([Operand("input", n_in, ("int8",))], Operand("output", n_out, ("int8",)))


def _matmul(c: _Check) -> Spec:
    a = c.a
    c.positive("m", "n", "k")
    batch = _dims(c, "batch", 4)
    ab, bb = _dims(c, "a_batch", 4, 0), _dims(c, "b_batch", 4, 0)
    c.nonneg("a_m", "b_k", "b_n")
    n_a = _extent(c, "A extent", batch + [a.m, a.k], ab + [a.a_m, 1])
    n_b = _extent(c, "B extent", batch + [a.k, a.n], bb + [a.b_k, a.b_n])
    for what, reach, size in (("A", n_a, int(a.a_size)), ("B", n_b, int(a.b_size))):
        if reach > size:
            c.fail(f"the strides reach {reach} elements of {what}, its buffer holds {size}")
    n_out = c.product("output elements", *batch, a.m, a.n)
    ao = c.offset("a_offset", "int8", negated=True)
    a_max = max(abs(-128 + ao), abs(127 + ao))
    _chan(c, int(a.n), [int(a.k) * a_max * 128] * int(a.n))
    return Spec([Operand("a", int(a.a_size), ("int8",)), Operand("b", int(a.b_size), ("int8",))],
                Operand("output", n_out, ("int8",)))


register("td_fully_connected_s8_rq_opt", _fc)
register("td_matmul_s8_rq_opt", _matmul)
