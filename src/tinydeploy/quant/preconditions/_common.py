"""Helpers shared by several kernel families: conv and pool geometry, the int32
accumulator bound of the MAC kernels, the value checks of the add kernels."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.preconditions import (_RANGE, INT32_MAX, SHIFT_LO, _Check,
                                            requant_bound)


def _xmax(dtype: str, offset: int) -> int:
    lo, hi = _RANGE[dtype]
    return max(abs(lo + offset), abs(hi + offset))


def _acc_bound(c: _Check, what: str, w_abs_sum: np.ndarray, x_max: int, bias) -> None:
    """sum |w| * max |x + offset| + |bias| per channel must fit int32 (the accumulator)."""
    bound = np.asarray(w_abs_sum, dtype=object) * x_max
    if bias is not None:
        bound = bound + np.abs(np.asarray(bias, dtype=object).ravel())
    worst = int(max(bound.ravel(), default=0))
    if worst > INT32_MAX:
        c.fail(f"{what}: the int32 accumulator may overflow (worst case |acc| = {worst} > "
               f"{INT32_MAX})")


def _weights_abs(c: _Check, k: int, n_chan: int, per_chan: int, layout: str, w_max: int,
                 offset: int = 0) -> np.ndarray:
    """Per output channel sum |w + offset| of const input ``k`` (worst case if unknown)."""
    w = c.const(k)
    if w is None or np.asarray(w).size != n_chan * per_chan:
        return np.full(n_chan, (w_max + abs(offset)) * per_chan, dtype=object)
    w = np.asarray(w).astype(np.int64) + offset
    w = w.reshape(n_chan, per_chan) if layout == "oc_first" else w.reshape(per_chan, n_chan).T
    return np.abs(w).sum(axis=1).astype(object)


def _conv_geometry(c: _Check, depthwise: bool) -> tuple[int, int, int]:
    """(input elements, weight elements, output elements) of a conv/depthwise args."""
    a = c.a
    mult = "depth_multiplier" if depthwise else "groups"
    c.positive("batches", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "k_h", "k_w",
               mult, "stride_h", "stride_w", "dilation_h", "dilation_w")
    c.nonneg("pad_top", "pad_left")
    if depthwise:
        if a.out_c != a.in_c * a.depth_multiplier:
            c.fail(f"out_c = {a.out_c} != in_c * depth_multiplier = "
                   f"{a.in_c * a.depth_multiplier}")
    elif a.in_c % a.groups or a.out_c % a.groups:
        c.fail(f"groups = {a.groups} does not divide in_c = {a.in_c} and out_c = {a.out_c}")
    n_in = c.product("input elements", a.batches, a.in_h, a.in_w, a.in_c)
    n_out = c.product("output elements", a.batches, a.out_h, a.out_w, a.out_c)
    taps = c.product("weight elements", a.out_c, a.k_h, a.k_w,
                     1 if depthwise else a.in_c // a.groups)
    c.product("window reach (rows)", 1, (a.out_h - 1) * a.stride_h + (a.k_h - 1) * a.dilation_h
              + 1)
    c.product("window reach (columns)", 1, (a.out_w - 1) * a.stride_w
              + (a.k_w - 1) * a.dilation_w + 1)
    return n_in, taps, n_out


def _pool_geometry(c: _Check) -> tuple[int, int]:
    a = c.a
    c.positive("batches", "in_h", "in_w", "channels", "out_h", "out_w", "kernel_h", "kernel_w",
               "stride_h", "stride_w")
    c.nonneg("pad_top", "pad_left")
    for o_n, s, p, k, size, axis in (
            (a.out_h, a.stride_h, a.pad_top, a.kernel_h, a.in_h, "row"),
            (a.out_w, a.stride_w, a.pad_left, a.kernel_w, a.in_w, "column")):
        c.product(f"window reach ({axis}s)", 1, (o_n - 1) * s + k)
        origin = np.arange(o_n, dtype=np.int64) * s - p
        empty = np.minimum(size, origin + k) <= np.maximum(0, origin)
        if empty.any():            # avg pools divide by the window's element count
            c.fail(f"output {axis} {int(np.argmax(empty))}: the pooling window lies entirely "
                   "in the padding (an empty window: the average would divide by zero)")
    n_in = c.product("input elements", a.batches, a.in_h, a.in_w, a.channels)
    n_out = c.product("output elements", a.batches, a.out_h, a.out_w, a.channels)
    return n_in, n_out


def _add_values(c: _Check, a_dt: str, b_dt: str, o_dt: str) -> None:
    """Value checks shared by td_add_s8 and td_add_sb: every int32 step stays in range."""
    a = c.a
    c.activation("act_min", "act_max", o_dt)
    ls = c.within("left_shift", 0, 30, "(1 << left_shift) must be an int32")
    xa = _xmax(a_dt, int(a.a_offset)) << ls
    xb = _xmax(b_dt, int(a.b_offset)) << ls
    c.fits_int32("(a + a_offset) << left_shift", xa, "the int32 product would overflow")
    c.fits_int32("(b + b_offset) << left_shift", xb, "the int32 product would overflow")
    c.requant_pair("a_multiplier", "a_shift", shift_range=(SHIFT_LO, 0))
    c.requant_pair("b_multiplier", "b_shift", shift_range=(SHIFT_LO, 0))
    c.requant_pair("out_multiplier", "out_shift", shift_range=(SHIFT_LO, 0))
    ba = requant_bound(xa, a.a_multiplier, a.a_shift)
    bb = requant_bound(xb, a.b_multiplier, a.b_shift)
    s = None if ba is None or bb is None else ba + bb
    c.fits_int32("the sum of the rescaled inputs", s, "the int32 add would overflow")
    raw = requant_bound(s, a.out_multiplier, a.out_shift)
    c.fits_int32("the requantized sum plus the output offset",
                 None if raw is None else raw + abs(int(a.out_offset)),
                 "the int32 add would overflow")

