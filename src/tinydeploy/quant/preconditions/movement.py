"""Rules of the kernels that move integers of any width without changing them
(``td_*_any``: slices, gathers, concatenation, padding, KV-cache appends, the inserts of
depth-first attention)."""

from __future__ import annotations

from tinydeploy.quant.preconditions import _RANGE, INT32_MAX, Operand, Spec, _Check, register
from tinydeploy.quant.preconditions.attention import _INT_OF, _dims, _width
from tinydeploy.quant.preconditions.attention import _WIDTH as _INT_WIDTH

# the tensor dtypes of each element width: copies move float32 tensors as 4-byte elements
_WIDTH = {**_INT_WIDTH, 4: (*_INT_WIDTH[4], "float32")}


def _strided_copy(c: _Check) -> Spec:
    a = c.a
    e = _width(c, "elem_bytes")
    shape, strides = _dims(c, "out_shape"), _dims(c, "in_strides", lo=-INT32_MAX)
    lo = int(a.in_offset) + sum((d - 1) * s for d, s in zip(shape, strides) if s < 0)
    hi = int(a.in_offset) + sum((d - 1) * s for d, s in zip(shape, strides) if s > 0)
    if lo < 0 or hi >= int(a.in_size):
        c.fail(f"the walk reads elements {lo}..{hi}, outside the input's {int(a.in_size)}")
    n = c.product("elements", *shape)
    return Spec([Operand("input", e * int(a.in_size), _WIDTH[e])],
                Operand("output", e * n, _WIDTH[e]))


def _gather(c: _Check) -> Spec:
    a = c.a
    e = _width(c, "elem_bytes")
    c.positive("outer", "axis_len", "inner", "num_indices")
    idx = [int(v) for v in c.array("indices", int(a.num_indices))]
    if any(not 0 <= i < int(a.axis_len) for i in idx):
        c.fail(f"indices {idx[:8]} outside [0, {int(a.axis_len)})")
    n_in = c.product("input elements", a.outer, a.axis_len, a.inner)
    n_out = c.product("output elements", a.outer, a.num_indices, a.inner)
    return Spec([Operand("input", e * n_in, _WIDTH[e])], Operand("output", e * n_out, _WIDTH[e]))


def _concat2(c: _Check) -> Spec:
    a = c.a
    e = _width(c, "elem_bytes")
    c.positive("outer", "a_row", "b_row")
    return Spec([Operand("a", e * c.product("a elements", a.outer, a.a_row), _WIDTH[e]),
                 Operand("b", e * c.product("b elements", a.outer, a.b_row), _WIDTH[e])],
                Operand("output", e * c.product("elements", a.outer, int(a.a_row) +
                                                int(a.b_row)), _WIDTH[e]))


def _pad(c: _Check) -> Spec:
    e = _width(c, "elem_bytes")
    ins, outs, before = _dims(c, "in_shape"), _dims(c, "out_shape"), _dims(c, "pad_before",
                                                                             lo=0)
    for k, (i, o, b) in enumerate(zip(ins, outs, before)):
        if i + b > o:
            c.fail(f"dim {k}: in_shape {i} + pad_before {b} > out_shape {o}")
    lo, hi = _RANGE[_INT_OF[e]]
    c.within("fill", lo, hi, f"the fill must fit {_INT_OF[e]}")
    return Spec([Operand("input", e * c.product("input elements", *ins), _WIDTH[e])],
                Operand("output", e * c.product("output elements", *outs), _WIDTH[e]))


def _kv_append(c: _Check) -> Spec:
    a = c.a
    e = _width(c, "elem_bytes")
    c.positive("outer", "rows", "row", "capacity")
    if not 0 <= int(a.at) <= int(a.capacity) - int(a.rows):
        c.fail(f"rows {int(a.at)}..{int(a.at) + int(a.rows)} beyond the cache's "
               f"{int(a.capacity)}")
    return Spec([Operand("new", e * c.product("new elements", a.outer, a.rows, a.row),
                         _WIDTH[e])],
                Operand("cache", e * c.product("cache elements", a.outer, a.capacity, a.row),
                        _WIDTH[e]))


def _insert(c: _Check) -> Spec:
    """td_insert_any: out = base with src written at a region."""
    a = c.a
    e = _width(c, "elem_bytes")
    c.positive("out_size")
    shape, strides = _dims(c, "src_shape"), _dims(c, "out_strides", lo=0)
    c.nonneg("offset")
    hi = int(a.offset) + sum((d - 1) * s for d, s in zip(shape, strides))
    if hi >= int(a.out_size):
        c.fail(f"the region reaches element {hi} of the output's {int(a.out_size)}")
    n = c.product("src elements", *shape)
    return Spec([Operand("base", e * int(a.out_size), _WIDTH[e]),
                 Operand("src", e * n, _WIDTH[e])],
                Operand("output", e * int(a.out_size), _WIDTH[e]))


register("td_strided_copy_any", _strided_copy)
register("td_gather_any", _gather)
register("td_concat2_any", _concat2)
register("td_pad_any", _pad)
register("td_kv_append_any", _kv_append)
register("td_insert_any", _insert)
