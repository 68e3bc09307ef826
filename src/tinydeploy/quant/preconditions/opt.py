"""Rules of the optimized kernels (runtime/kernels/opt/*_opt.h, args from quant/opt/).

Besides the reference kernel's conditions on the geometry, each rule checks what makes the
packed data safe to walk: array lengths as the fields imply, every block header inside
its arrays and its group's channels, shifts below 32 where the fast requantization
shifts, Q31 pairs where the reference requantization runs, and a scratch block large
enough for the chosen path (per core). The operands are the activations only: the
constants travel inside the struct.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.preconditions import (MAX_DIMS, Operand, Spec, _Check, register,
                                            requant_bound)
from tinydeploy.quant.preconditions._common import _conv_geometry

CH = 12                 # TD_OPT_CH
BLK = 6                 # conv block header words


def _chan(c: _Check, name: str, n: int, mode_word: int | None = None,
          modes=None) -> np.ndarray:
    """TD_OPT_CH words per channel; fast channels need 1 <= sh <= 31, reference ones a
    td_requant pair. ``mode_word``: the word holding the mode (0 fast, else reference);
    ``modes``: the mode of each channel given from elsewhere (conv blocks)."""
    arr = np.asarray(c.array(name, n * CH), dtype=np.int64).reshape(n, CH)
    for k in range(n):
        fast = (modes[k] == 0) if modes is not None else arr[k, mode_word] == 0
        if fast:
            if not 1 <= arr[k, 5] <= 31:
                c.fail(f"{name}[{k}]: shift {int(arr[k, 5])} of the fast requantization "
                       "outside [1, 31]")
        else:
            c.q31(f"{name}[{k}] multiplier", int(arr[k, 6]))
            c.shifts(f"{name}[{k}] shift", int(arr[k, 7]))
    return arr


def _conv_s8_opt(c: _Check) -> Spec:
    return _conv_opt(c, rq=False)


def _conv_rq_opt(c: _Check) -> Spec:
    return _conv_opt(c, rq=True)


ESIZE_DTYPE = {1: "int8", 2: "int16", 4: "int32"}


def _rq_descriptors(c: _Check, chan: np.ndarray, bounds: tuple[str, str] = ("rq_lo", "rq_hi")
                    ) -> None:
    """Words 2..9 of the integer-graph channels (td_opt_rq.h); ``bounds``: the fields of
    the clamp bounds."""
    a = c.a
    n_gen = len(np.ravel(a.gdiv))
    for k, d in enumerate(chan):
        mode, s = int(d[2]), int(d[6])
        if mode == 0 and not 0 <= s <= 31 or mode == 1 and not 0 <= s <= 62:
            c.fail(f"chan[{k}]: shift {s} outside the range of its mode {mode}")
        if mode == 2 and not 0 <= int(d[9]) < n_gen:
            c.fail(f"chan[{k}]: table entry {int(d[9])} outside the {n_gen} entries")
        if mode == 3 and a.esize != 4:
            c.fail(f"chan[{k}]: raw sums need int32 outputs (esize {a.esize})")
        if mode == 4 and not (0 <= s <= 62 and 0 <= int(d[10]) and 0 <= int(d[9]) < n_gen):
            c.fail(f"chan[{k}]: guarded float32 form with shift {s}, band {int(d[10])}")
        if mode == 5 and not (2 <= int(d[5]) and int(d[10]) == (1 << 32) // int(d[5])):
            c.fail(f"chan[{k}]: divisor {int(d[5])} with reciprocal {int(d[10])}")
        if mode not in (0, 1, 2, 3, 4, 5):
            c.fail(f"chan[{k}]: unknown requantization mode {mode}")
    if any(int(v) <= 0 for v in np.ravel(a.gdiv)):
        c.fail("gdiv: divisors must be positive")
    lo, hi = (int(getattr(a, f)) for f in bounds)
    if lo > hi:
        c.fail(f"{bounds[0]} = {lo} > {bounds[1]} = {hi}")


def _rq32_block(a, mode: int, ch0: int, r: int) -> bool:
    """A TD_CV_RQ32 (6), RQ32H (7) or RQ64 (8) block's channels and output size
    (td_opt_cv_epi.h)."""
    d = np.asarray(a.chan, np.int64).reshape(-1, CH)[ch0:ch0 + r]
    form = (d[:, 2] == 1) & (d[:, 6] >= 32) if mode == 8 else d[:, 2] == 0
    return a.esize == (2 if mode == 7 else 1) and bool(np.all(form))


def _conv_opt(c: _Check, rq: bool) -> Spec:
    a = c.a
    n_in, _, n_out = _conv_geometry(c, False)
    c.offset("input_offset", "int8", negated=True)
    if rq:
        c.within("kind", 1, 1, "the integer-graph kernel")
        if a.esize not in ESIZE_DTYPE:
            c.fail(f"esize = {a.esize}: outputs are 1, 2 or 4 bytes")
    else:
        c.within("kind", 0, 0, "the TFLite kernel")
        c.within("esize", 1, 1, "int8 outputs")
        c.offset("output_offset", "int8", negated=False)
    c.activation("act_min", "act_max", "int8")
    cg, og = a.in_c // a.groups, a.out_c // a.groups
    if a.k != a.k_h * a.k_w * cg:
        c.fail(f"k = {a.k} != k_h * k_w * in_c / groups = {a.k_h * a.k_w * cg}")
    c.within("path", 0, 1, "im2col (0) or row (1)")
    c.within("split", 0, 1 if a.groups == 1 else 0, "by passes (0) or by blocks (1, one group)")
    row = a.path == 1
    if row:
        for f, v in (("k_w", 3), ("stride_w", 1), ("dilation_w", 1), ("groups", 1)):
            c.within(f, v, v, "the row path reads 3 taps of consecutive pixels, one group")
        c.within("k_h", 1, 16, "the row path keeps one ring row per kernel row (16 at most)")
        c.within("span", (a.k_h - 1) * a.dilation_h + 1, (a.k_h - 1) * a.dilation_h + 1,
                 "ring rows = the window's height")
        c.within("span", 1, 16, "held rows are tracked for 16 ring slots")
        c.within("rp", 4, 8, "4 or 8 pixels per row block")
        if a.rp not in (4, 8) or a.wp != -(-a.out_w // a.rp) * a.rp:
            c.fail(f"wp = {a.wp} must be out_w rounded up to rp = {a.rp}")
        need = (a.span + 1) * cg * a.wp * 4
    else:
        c.within("col_groups", 1, 1 << 20, "groups of 4 pixels staged per pass")
        need = a.col_groups * 2 * a.k * 4
    if a.scratch_bytes < need:
        c.fail(f"scratch_bytes = {a.scratch_bytes} < {need}, what the path stages per core")
    n_blk = a.n_blocks * a.groups
    blk = np.asarray(c.array("blk", n_blk * BLK), dtype=np.int64).reshape(n_blk, BLK)
    n_chan = len(np.asarray(a.chan).ravel()) // CH
    modes = np.zeros(n_chan, dtype=np.int64)
    for b, (r, valid, mode, oc, ch0, w0) in enumerate(blk):
        g = b // a.n_blocks
        want = ({2, 4} if row else {4, 5})
        modes_ok = (3, 2, 6, 7, 8) if rq else (0, 1, 2, 4, 5)   # 4, 5: FASTZ, FASTP (im2col)
        if (r not in want or not 1 <= valid <= r or mode not in modes_ok
                or row and mode in (2, 4, 5)):
            c.fail(f"block {b}: (R, valid, mode) = ({r}, {valid}, {mode}) not a block of the "
                   f"{'row' if row else 'im2col'} path")
        if not g * og <= oc or oc + valid > (g + 1) * og:
            c.fail(f"block {b}: channels [{oc}, {oc + valid}) outside group {g}")
        if ch0 < 0 or ch0 + r > n_chan or w0 < 0:
            c.fail(f"block {b}: its constants or weights run past their arrays")
        elif rq and mode in (6, 7, 8) and not _rq32_block(a, mode, ch0, r):
            c.fail(f"block {b}: mode {mode} (TD_CV_RQ32/RQ32H/RQ64) needs TD_RQ_S32 (RQ64: "
                   f"S64 with S >= 32) channels and its output size (esize {a.esize})")
        modes[ch0:ch0 + r] = np.maximum(modes[ch0:ch0 + r], 0 if mode in (0, 4, 5) else 1)
    covered = np.zeros(a.out_c, dtype=np.int64)
    for r, valid, _, oc, _, _ in blk:
        covered[oc:oc + valid] += 1
    if np.any(covered != 1):
        c.fail("the blocks do not cover every output channel exactly once")
    w_arr = "wts8" if rq else "wts"
    if len(np.ravel(getattr(a, w_arr))) < max([int(x[5]) + a.k * int(x[0]) for x in blk] or [0]):
        c.fail(f"{w_arr}: the blocks' weights run past the array")
    if rq:
        _rq_descriptors(c, np.asarray(c.array("chan", n_chan * CH), np.int64).reshape(-1, CH))
        return Spec([Operand("input", n_in, ("int8",))],
                    Operand("output", n_out * a.esize, (ESIZE_DTYPE[a.esize],)))
    _chan(c, "chan", n_chan, modes=modes)
    return Spec([Operand("input", n_in, ("int8",))], Operand("output", n_out, ("int8",)))


def _dw_rq_opt(c: _Check) -> Spec:
    return _dw_s8_opt(c, rq=True)


def _dw_s8_opt(c: _Check, rq: bool = False) -> Spec:
    a = c.a
    n_in, taps, n_out = _conv_geometry(c, True)
    c.offset("input_offset", "int8", negated=True)
    if not rq:
        c.offset("output_offset", "int8", negated=False)
        c.within("esize", 1, 1, "int8 outputs")
    elif a.esize not in ESIZE_DTYPE:
        c.fail(f"esize = {a.esize}: outputs are 1, 2 or 4 bytes")
    c.activation("act_min", "act_max", "int8")
    c.array("wts", taps)
    span = (a.k_h - 1) * a.dilation_h + 1
    c.within("span", span, span, "input rows of a window")
    c.within("rows", 1, a.out_h, "output rows per visit")
    ring = (a.rows - 1) * a.stride_h + span
    c.within("ring", ring, ring, "ring rows = the input rows of a visit")
    c.within("ring", 1, 32, "held rows are tracked for 32 ring slots")
    c.within("k_h", 1, 16, "rows[16] per window")
    reach = (a.out_w - 1) * a.stride_w + (a.k_w - 1) * a.dilation_w + 1
    c.within("wpad", max(reach, a.pad_left + a.in_w), max(reach, a.pad_left + a.in_w),
             "staged rows hold the left padding, the row and every column a window reaches")
    x_type = _dw_layout(c)
    lead = -(a.pad_left * a.px_in) % 4        # TD_DW_LEAD
    staged = (a.in_c - 1) * a.ch_in + a.wpad if a.planar else a.wpad * a.in_c
    c.within("row_bytes", lead + staged, 1 << 30,
             "a staged row holds its lead and every channel's wpad bytes")
    if a.row_bytes % 4:
        c.fail(f"row_bytes = {a.row_bytes} must be a multiple of 4 (word copies)")
    rows = a.ring + (0 if a.planar else 1)         # (NCHW: padding rows in their slots)
    if a.scratch_bytes < rows * a.row_bytes:
        c.fail(f"scratch_bytes = {a.scratch_bytes} < {rows} rows * row_bytes = "
               f"{rows * a.row_bytes} per core")
    if rq:
        chan = np.asarray(c.array("chan", a.out_c * CH), np.int64).reshape(-1, CH)
        if np.any((chan[:, 1] < 2) | (chan[:, 1] > 4)) or np.any(
                (chan[:, 1] == 2) & ((chan[:, 2] != 0) | (chan[:, 3] < 0))) or np.any(
                (chan[:, 1] == 4) & ((chan[:, 2] != 5) | (a.esize != 1))):
            c.fail("chan: integer-graph modes are 2 (int32 multiply-shift), 4 (reciprocal "
                   "division, int8 outputs) or 3 (any)")
        if np.any((chan[:, 1] == 2) & ((chan[:, 7] > chan[:, 8]) | (a.esize != 1))):
            c.fail("chan: a mode-2 channel (int8 outputs) needs its clamp thresholds in order")
        _rq_descriptors(c, chan)
        if np.any((chan[:, 1] == 2) & (chan[:, 11] < 0)):
            c.fail("chan: a mode-2 channel's pixel-pair range (word 11) is negative")
        return Spec([Operand("input", n_in, (x_type,))],
                    Operand("output", n_out * a.esize, (ESIZE_DTYPE[a.esize],)))
    chan = _chan(c, "chan", a.out_c, mode_word=1)
    if np.any((chan[:, 1] != 0) & (chan[:, 1] != 1)):
        c.fail("chan: a mode word is neither 0 (fast) nor 1 (reference)")
    return Spec([Operand("input", n_in, (x_type,))], Operand("output", n_out, ("int8",)))


def _dw_layout(c: _Check) -> str:
    """The steps of the layout (NHWC, or NCHW: planar) as make sets them; the input's
    type (uint8 for planar 2)."""
    a = c.a
    planar = c.within("planar", 0, 2, "0 NHWC, 1 NCHW, 2 NCHW from uint8")
    if planar:
        want = dict(px_in=1, px_out=1, ch_out=a.out_h * a.out_w, row_out=a.out_w)
        c.within("ch_in", a.wpad, 1 << 30, "an NCHW staged row holds each channel's row")
        if a.ch_in % 4:
            c.fail(f"ch_in = {a.ch_in} must be a multiple of 4 (word copies)")
    else:
        want = dict(px_in=a.in_c, ch_in=1, px_out=a.out_c, ch_out=1,
                    row_out=a.out_w * a.out_c)
    for name, v in want.items():
        c.within(name, v, v, "the layout's step")
    return "uint8" if planar == 2 else "int8"


def _fc_s8_opt(c: _Check) -> Spec:
    a = c.a
    c.positive("batches", "in_features", "out_features")
    n_in = c.product("input elements", a.batches, a.in_features)
    c.product("weight elements", a.out_features, a.in_features)
    n_out = c.product("output elements", a.batches, a.out_features)
    c.offset("weight_offset", "int8", negated=True)
    c.offset("output_offset", "int8", negated=False)
    c.activation("act_min", "act_max", "int8")
    c.array("wts", a.out_features * a.in_features)
    chan = _chan(c, "chan", a.out_features, mode_word=1)
    if np.any((chan[:, 1] != 0) & (chan[:, 1] != 1)):
        c.fail("chan: a mode word is neither 0 (fast) nor 1 (reference)")
    return Spec([Operand("input", n_in, ("int8",))], Operand("output", n_out, ("int8",)))


def _add_s8_opt(c: _Check) -> Spec:
    a = c.a
    nd = c.within("ndim", 1, MAX_DIMS, f"the broadcast walk has at most {MAX_DIMS} dims")
    shape = c.array("shape", nd)
    sa, sb = c.array("a_strides", nd), c.array("b_strides", nd)
    if any(int(d) < 1 for d in shape) or any(int(s) < 0 for s in (*sa, *sb)):
        c.fail("empty dimension or negative stride in the broadcast walk")
    n = c.product("output elements", *shape)
    ext_a = c.product("a extent", 1, 1 + sum((int(d) - 1) * int(s) for d, s in zip(shape, sa)))
    ext_b = c.product("b extent", 1, 1 + sum((int(d) - 1) * int(s) for d, s in zip(shape, sb)))
    c.offset("out_offset", "int8", negated=False)
    c.activation("act_min", "act_max", "int8")
    c.within("fast", 0, 1, "a flag")
    c.requant_pair("out_multiplier", "out_shift", shift_range=(-31, 0))
    ta, tb = c.array("ta", 256), c.array("tb", 256)
    q = c.array("q", 6)
    if a.fast and not 1 <= int(q[3]) <= 31:
        c.fail(f"q: shift {int(q[3])} of the fast requantization outside [1, 31]")
    worst = int(max(abs(int(v)) for v in ta)) + int(max(abs(int(v)) for v in tb))
    c.fits_int32("the sum of the rescaled inputs", worst, "the int32 add would overflow")
    raw = requant_bound(worst, a.out_multiplier, a.out_shift)
    c.fits_int32("the requantized sum plus the output offset",
                 None if raw is None else raw + abs(int(a.out_offset)),
                 "the int32 add would overflow")
    return Spec([Operand("a", ext_a, ("int8",)), Operand("b", ext_b, ("int8",))],
                Operand("output", n, ("int8",)))


register("td_conv2d_s8_opt", _conv_s8_opt)
register("td_conv2d_rq_opt", _conv_rq_opt)
register("td_add_s8_opt", _add_s8_opt)
register("td_depthwise_conv2d_s8_opt", _dw_s8_opt)
register("td_depthwise_conv2d_rq_opt", _dw_rq_opt)
register("td_fully_connected_s8_opt", _fc_s8_opt)
