"""Rules of the optimized elementwise and row kernels of integer graphs
(runtime/kernels/opt/td_table_s8_opt.h, td_table_u8_s8_opt.h, td_table_s8_u8_opt.h, td_transpose_s8_opt.h,
td_transpose_u8_opt.h, td_add_tables_s8_opt.h, td_binary_s8_rq_opt.h,
td_ilayernorm_s8_opt.h, td_isoftmax_s8_opt.h; args from quant/opt/table_s8.py,
requantize_u8.py, transpose.py, ilayernorm.py, isoftmax.py): the tables' lengths and value
ranges, the transposes' reads inside their input, for the add that every sum of two
entries stays within int32 and the shift is one the kernel can do, for the LayerNorm that
its 32-bit arithmetic cannot overflow."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.preconditions import Operand, Spec, _Check, register
from tinydeploy.quant.preconditions.attention import _dims, _extent


def _table(src: str, dst: str = "int8"):
    def check(c: _Check) -> Spec:
        """256 ``dst`` entries indexed by an int8 (td_table_s8_opt, _s8_u8_opt) or uint8
        input; an offset (-1: none) that every entry really is."""
        c.positive("size")
        t = np.asarray(c.array("table", 256), dtype=np.int64)
        lo = 0 if dst == "uint8" else -128
        if t.min() < lo or t.max() > lo + 255:
            c.fail(f"table: an entry outside {dst}")
        off = int(c.a.offset)
        if off != -1:
            c.within("offset", 0, 255, "-1 or a byte offset")
            byte = np.arange(256, dtype=np.int64) ^ (0x80 if src == "int8" else 0)
            if np.any((t & 0xFF) != (byte + off) & 0xFF):
                c.fail(f"offset {off}: the table is not input byte + {off} (mod 256)")
        n = int(c.a.size)
        return Spec([Operand("input", n, (src,))], Operand("output", n, (dst,)))
    return check


def _transpose(dtype: str):
    def check(c: _Check) -> Spec:
        a = c.a
        sizes, strides = (a.n0, a.n1, a.n2), (a.s0, a.s1, a.s2)
        if any(int(n) < 1 for n in sizes) or any(int(s) < 0 for s in strides):
            c.fail(f"sizes {sizes} / strides {strides}: sizes >= 1, strides >= 0")
        n = int(np.prod([int(v) for v in sizes]))
        last = sum((int(k) - 1) * int(s) for k, s in zip(sizes, strides))
        if last >= n:
            c.fail(f"the last read {last} lies beyond the {n} input values")
        return Spec([Operand("input", n, (dtype,))], Operand("output", n, (dtype,)))
    return check


def _add_tables(c: _Check) -> Spec:
    a = c.a
    c.positive("size")
    c.within("shift", 0, 31, "a shift of 0..31 bits")
    c.within("trunc", 0, 1, "a flag")
    c.within("hi", int(a.lo), 2**31 - 1, "hi >= lo")
    c.within("out_offset", -128 - int(a.lo), 127 - int(a.hi), "outputs must fit int8")
    ta = np.asarray(c.array("ta", 256), dtype=np.int64)
    tb = np.asarray(c.array("tb", 256), dtype=np.int64)
    if int(np.abs(ta).max() + np.abs(tb).max()) >= 2**31:
        c.fail("ta[a] + tb[b] can leave int32")
    n = int(a.size)
    return Spec([Operand("a", n, ("int8",)), Operand("b", n, ("int8",))],
                Operand("output", n, ("int8",)))


def _ilayernorm(c: _Check) -> Spec:
    a = c.a
    c.positive("rows", "length")
    if int(a.length) > 2**15:
        c.fail(f"length = {int(a.length)}: rows of at most 2^15 values (int32 sums)")
    c.offset("x_offset", "int8", negated=True)
    c.within("log2d", 0, 31, "a shift of 0..31 bits")
    c.within("clip_hi", int(a.clip_lo), 2**31 - 1, "clip_hi >= clip_lo")
    c.within("out_offset", -128 - int(a.clip_lo), 127 - int(a.clip_hi),
             "outputs must fit int8")
    w = np.asarray(c.array("weight", int(a.length)), dtype=np.int64)
    b = np.asarray(c.array("bias", int(a.length)), dtype=np.int64)
    if 255 * int(np.abs(w).max()) + int(np.abs(b).max()) >= 2**31:
        c.fail("255 * |weight| + |bias| reaches 2^31 (int32 arithmetic)")
    n = c.product("elements", a.rows, a.length)
    return Spec([Operand("input", n, ("int8",))], Operand("output", n, ("int8",)))


def _binary(c: _Check) -> Spec:
    a = c.a
    nd = c.within("ndim", 1, 6, "1..6 merged dims")
    shape = _dims(c, "shape")[6 - nd:]
    sa, sb = _dims(c, "a_strides", lo=0)[6 - nd:], _dims(c, "b_strides", lo=0)[6 - nd:]
    c.within("mul", 0, 1, "a flag")
    c.within("shift", 0, 31, "a shift of 0..31 bits")
    c.within("trunc", 0, 1, "a flag")
    c.within("hi", int(a.lo), 2**31 - 1, "hi >= lo")
    c.within("out_offset", -128 - int(a.lo), 127 - int(a.hi), "outputs must fit int8")
    ta = np.abs(np.asarray(c.array("ta", 256), dtype=np.int64)).max()
    tb = np.abs(np.asarray(c.array("tb", 256), dtype=np.int64)).max()
    reach = int(ta * tb) + abs(int(a.kc)) if int(a.mul) else int(ta + tb)
    if reach >= 2**31:
        c.fail("the tables' combination can leave int32")
    n = c.product("elements", *shape)
    return Spec([Operand("a", _extent(c, "a extent", shape, sa), ("int8",)),
                 Operand("b", _extent(c, "b extent", shape, sb), ("int8",))],
                Operand("output", n, ("int8",)))


def _isoftmax(c: _Check) -> Spec:
    a = c.a
    c.positive("rows", "length")
    c.within("levels", 1, 255, "n_levels - 1 of an int8 output")
    c.within("out_offset", -128, 127 - int(a.levels), "outputs must fit int8")
    e = np.asarray(c.array("exp", 256), dtype=np.int64)
    big = int(e.max())
    if e.min() < 0 or e[0] <= 0 or big >= 2**31 or big * int(a.length) >= 2**32 or \
            big * int(a.levels) >= 2**32:
        c.fail("exp: entries must be >= 0 with e(0) > 0, and the row sum and "
               "e * levels below 2^32")
    n = c.product("elements", a.rows, a.length)
    return Spec([Operand("input", n, ("int8",))], Operand("output", n, ("int8",)))


register("td_table_s8_opt", _table("int8"))
register("td_table_u8_s8_opt", _table("uint8"))
register("td_table_s8_u8_opt", _table("int8", "uint8"))
register("td_transpose_s8_opt", _transpose("int8"))
register("td_transpose_u8_opt", _transpose("uint8"))
register("td_add_tables_s8_opt", _add_tables)
register("td_ilayernorm_s8_opt", _ilayernorm)
register("td_binary_s8_rq_opt", _binary)
register("td_isoftmax_s8_opt", _isoftmax)
