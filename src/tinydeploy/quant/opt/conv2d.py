"""td_conv2d_s8_opt: the optimized int8 convolution's args (kernels/opt/td_conv2d_s8_opt.h).

Python decides what the kernel used to decide per call: the path (row ring for 3-wide,
stride-1 kernels with >= 4 channels, else im2col), the block shapes (5/4 channels x 4
pixels, or 2 x 8 / 4 x 4 on the row path, whichever computes fewer padded outputs), the
pixels staged per pass, the split over cores, and the packed blocks: int16 weights * 256
in loop order and TD_OPT_CH constants per channel (``_tflite_rq.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np

from tinydeploy.quant.args import array_field, scalar_field
from tinydeploy.quant.golden.conv2d import Conv2dArgs
from tinydeploy.quant.opt import OptArgs, python_field, register
from tinydeploy.quant.opt._inplace import margin_by_pixels, margin_by_rows
from tinydeploy.quant.opt._tflite_rq import (CH, I32_MAX, I32_MIN, LANE_LIMIT, constant_words,
                                             lane_thresholds, requant_words, requant_words_z,
                                             wrap32, x_max)

FAST, SLOW, WIDE, RQ, FASTZ, FASTP, RQ32, RQ32H, RQ64 = range(9)     # TD_CV_* block modes
ROW_FORM = 16                       # TD_CV_FORMS value of a row block's mode: 16 + mode
IM2COL, ROW = 0, 1                  # TD_CV_PATH_*
BLK = 6                             # words per block header
# TD_CV_PATHS (td_opt_config.h): block functions by block size, the WIDE loops, slow epilogue
BLOCK_PATHS, TAIL_PATHS, ROW_PATHS = {5: 1, 4: 2}, {5: 3, 4: 4}, {4: 5, 2: 6}
WIDE_PATH, SLOW_PATH = 7, 8
COL_BUDGET = 2048                   # bytes of im2col staging aimed at per pass
ROW_BUDGET = 8192                   # largest row ring (bytes)
MAX_ROWS = 16                       # held[] / rows[] in the C


@dataclass(frozen=True, eq=False)
class ConvGeometryArgs(OptArgs):
    """The geometry every optimized convolution's args struct starts with (same members,
    same order as the reference structs)."""

    batches: int
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    k_h: int
    k_w: int
    groups: int
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_top: int
    pad_left: int
    input_offset: int


@dataclass(frozen=True, eq=False)
class Conv2dOptArgs(ConvGeometryArgs):
    C_FUNC: ClassVar[str] = "td_conv2d_s8_opt"
    output_offset: int
    act_min: int
    act_max: int
    path: int
    k: int
    col_groups: int
    rp: int
    wp: int
    span: int
    split: int
    scratch_bytes: int
    n_blocks: int
    blk: np.ndarray = array_field("int32_t")
    chan: np.ndarray = array_field("int32_t")
    wts: np.ndarray = array_field("int16_t")
    kind: int = 0                        # integer graphs (conv2d_rq.py): see the header
    esize: int = 1
    rq_lo: int = 0
    rq_hi: int = 0
    rq_fp32: int = 0
    rq_rounding: int = 0
    rq_mul2: int = scalar_field("int64_t", 0)
    gmul: np.ndarray = array_field("int64_t", None)
    gadd: np.ndarray = array_field("int64_t", None)
    gdiv: np.ndarray = array_field("int64_t", None)
    wts8: np.ndarray = array_field("int8_t", None)
    cores: int = python_field(1)         # the team it was made for (not in the struct)

    def scratch_size(self) -> int:
        return self.scratch_bytes

    def c_config(self) -> dict[str, tuple[int, ...]]:
        """TD_CV_FORMS: the fast epilogues of its blocks (the row blocks' TD_CV_FAST is
        always compiled); TD_CV_PATHS: the block functions it reaches (td_opt_config.h:
        its block sizes, one-pixel tails when a pass ends 1 or 2 pixels after a group of
        4 - else such a tail takes a block through a buffer -, the plain loops of WIDE
        blocks, the reference epilogue of modes without a fast one)."""
        blk = np.asarray(self.blk).reshape(-1, BLK)
        modes, sizes = set(blk[:, 2].tolist()), set(blk[:, 0].tolist())
        paths = {WIDE_PATH} if WIDE in modes else set()
        if modes & {SLOW, RQ}:
            paths.add(SLOW_PATH)
        if self.path == ROW:
            paths |= {ROW_PATHS[r] for r in sizes}
            return {"TD_CV_FORMS": tuple(sorted(ROW_FORM + m
                                                for m in modes & {RQ32, RQ32H, RQ64})),
                    "TD_CV_PATHS": tuple(sorted(paths))}
        paths |= {BLOCK_PATHS[r] for r in sizes}
        if (self.out_h * self.out_w) % 4 in (1, 2):
            paths |= {TAIL_PATHS[r] for r in sizes}
        return {"TD_CV_FORMS": tuple(sorted(modes & {FAST, FASTZ, FASTP, RQ32, RQ32H, RQ64})),
                "TD_CV_PATHS": tuple(sorted(paths))}

    def parallel_units(self) -> int:
        """What the split shares out (check/rv32/harts.py: the modeled speedup)."""
        if self.split == 1:
            return self.n_blocks
        if self.path == ROW:
            return self.out_h * self.batches
        return -(-self.out_h * self.out_w // (4 * self.col_groups)) * self.batches

    def inplace_margin(self) -> int | None:
        """The margin for one core (the run and profile builds) and for the team (the
        parallel build), whichever is larger: one plan serves both."""
        if self.groups != 1:
            return None              # groups are staged one after another: no pixel order
        return max(self._margin(1), self._margin(self.cores))

    def _margin(self, cores: int) -> int:
        geo = (self.batches, self.in_h, self.in_w, self.in_c, self.out_h, self.out_w,
               self.out_c)
        per_round = cores if self.split == 0 else 1
        if self.path == ROW:
            return margin_by_rows(*geo, self.stride_h, self.pad_top, self.span, per_round,
                                  cores == 1, item=self.esize)
        npix, per = self.out_h * self.out_w, 4 * self.col_groups * per_round
        starts = [b * npix + s for b in range(self.batches) for s in range(0, npix, per)]
        return margin_by_pixels(*geo, self.stride_h, self.stride_w, self.pad_top,
                                self.pad_left, starts, item=self.esize)


def channel_table(a, w: np.ndarray, b) -> tuple[list, np.ndarray, list, tuple]:
    """TD_OPT_CH words per output channel (``_tflite_rq.py``), which channels take the fast
    requantization, which keep a low lane exact (sum |w| < 32768), and (words, fast) of
    the TD_CV_FASTZ form (output offset added after the shift: right shifts up to 29)."""
    bias = np.zeros(a.out_c, dtype=np.int64) if b is None else np.asarray(b, dtype=np.int64)
    s, neg = w.sum(axis=1), (w < 0).sum(axis=1)
    sum_abs = np.abs(w).sum(axis=1)
    bound = np.abs(bias) + sum_abs * x_max(a.input_offset)
    rqa = (a.out_mult, a.out_shift, a.output_offset, a.act_min, a.act_max, bound)
    fast, rq = requant_words(*rqa)
    fastz, rqz = requant_words_z(*rqa)
    for c in np.flatnonzero(sum_abs == 0):      # one accumulator, the bias: one output
        for ok, form, zo in ((fast, rq, 0), (fastz, rqz, a.output_offset)):
            k = constant_words(int(np.atleast_1d(a.out_mult)[c]),
                               int(np.atleast_1d(a.out_shift)[c]), *rqa[2:5],
                               int(bias[c]), zo)
            if not ok[c] and k is not None:
                ok[c], form[c] = True, k
    words, zwords = [], []
    for c in range(a.out_c):
        lo_adj = int(bias[c] + (a.input_offset - 129) * s[c])
        head = [wrap32(int(bias[c] + a.input_offset * s[c] + neg[c])), wrap32(lo_adj)]
        for ok, form, out in ((fast, rq, words), (fastz, rqz, zwords)):
            row = head + [int(v) for v in form[c]]
            row[8:10] = (lane_thresholds(row[10], row[11], lo_adj) if ok[c]
                         else [I32_MIN, I32_MAX])
            out.append(row)
    return words, fast, list(sum_abs < LANE_LIMIT), (zwords, fastz)


def _blocks_of_5(n: int) -> int:
    """Blocks of 5 for n channels, as long as the rest splits into blocks of 4."""
    for b5 in range(n // 5, -1, -1):
        if (n - 5 * b5) % 4 == 0:
            return b5
    return n // 5


def _ceil(n: int, m: int) -> int:
    return -(-n // m) * m


def _tap_order(w: np.ndarray, row: bool) -> np.ndarray:
    """One channel's weights [kh, kw, cg] in the order the path reads them."""
    return (w.transpose(0, 2, 1) if row else w).ravel()


def pack(a, w: np.ndarray, words: list, fast, lane_ok: list, cores: int, lean: bool,
         rq_mode: bool, zform: tuple | None = None, rq32: tuple | None = None) -> dict:
    """The plan and the packed blocks of a convolution (any requantization): ``a`` has the
    geometry fields, ``w`` the weights [out_c, k_h, k_w, in_c / groups], ``words`` the
    TD_OPT_CH constants per output channel, ``fast``/``lane_ok`` per channel. Integer
    graphs (``rq_mode``) give blocks of mode TD_CV_RQ and int8 weights; TFLite FAST/SLOW
    and int16 weights * 256, and FASTZ (constants from ``zform`` = (words, fast) of
    :func:`channel_table`) for an im2col block whose channels are not all fast but all
    are in that form; FASTP for an im2col FAST block whose channels' lower clamp
    thresholds are >= 0 (or need no sign test); ``rq32`` = (ok per channel, mode, words64
    per channel or None): an integer-graph block whose channels are all ok takes that mode
    (TD_CV_RQ32 or TD_CV_RQ32H), else one whose channels all have words64 TD_CV_RQ64 with
    them (conv2d_rq.py). Returns the Conv2dOptArgs fields it decides."""
    cg, og = a.in_c // a.groups, a.out_c // a.groups
    k = a.k_h * a.k_w * cg
    w8, w4 = _ceil(a.out_w, 8), _ceil(a.out_w, 4)
    rp = 8 if w8 * _ceil(og, 2) * 231 <= w4 * _ceil(og, 4) * 240 else 4
    wp = w8 if rp == 8 else w4
    span = (a.k_h - 1) * a.dilation_h + 1
    ring = (span + 1) * cg * wp * 4
    row = (a.k_w == 3 and a.stride_w == 1 and a.dilation_w == 1 and cg >= 4
           and a.groups == 1 and a.k_h <= MAX_ROWS and span <= MAX_ROWS
           and ring <= ROW_BUDGET and all(lane_ok) and not lean
           # integer graphs: rows padded by more than a quarter (e.g. 2 pixels computed as 4
           # per row) take im2col, whose groups run on across rows
           and not (rq_mode and 4 * (wp - a.out_w) > a.out_w))
    npix4 = -(-a.out_h * a.out_w // 4)
    col_groups = 1 if lean else max(1, min(8, npix4, COL_BUDGET // (8 * k)))
    blk, chan, wts = [], [], []
    for g in range(a.groups):
        b5 = 0 if row else _blocks_of_5(og)
        oc = g * og
        while oc < (g + 1) * og:
            r = (2 if rp == 8 else 4) if row else (5 if b5 > 0 else 4)
            b5 -= r == 5
            valid = min(r, (g + 1) * og - oc)
            chs = [oc + min(j, valid - 1) for j in range(r)]
            mode = (WIDE if not all(lane_ok[c] for c in chs) else RQ if rq_mode else
                    FAST if all(fast[c] for c in chs) else SLOW)
            if (mode == SLOW and zform is not None and not row
                    and all(zform[1][c] for c in chs)):
                mode = FASTZ
            if mode == FAST and not row and all(words[c][10] >= 0 or words[c][4] == 0
                                                for c in chs):
                mode = FASTP          # no unclamped accumulator below 0: no sign test
            if mode == RQ and rq32 is not None and all(rq32[0][c] for c in chs):
                mode = rq32[1]
            elif mode == RQ and rq32 is not None and all(rq32[2][c] for c in chs):
                mode = RQ64
            blk += [r, valid, mode, oc, len(chan) // CH, len(wts)]
            for c in chs:
                chan += (zform[0][c] if mode == FASTZ else rq32[2][c] if mode == RQ64
                         else words[c])
            taps = np.stack([_tap_order(w[c], row) for c in chs], axis=1)   # [k][r]
            wts += (taps if rq_mode else taps * 256).ravel().tolist()
            oc += valid
    n_blocks = len(blk) // BLK // a.groups
    npass = -(-a.out_h * a.out_w // (4 * col_groups)) if not row else a.out_h
    split = int(cores > 1 and a.groups == 1
                and -(-n_blocks // cores) * npass < -(-npass // cores) * n_blocks)
    return dict(path=ROW if row else IM2COL, k=k, col_groups=col_groups,
                rp=rp if row else 4, wp=wp if row else 0, span=span if row else 0,
                split=split, scratch_bytes=ring if row else col_groups * 2 * k * 4,
                n_blocks=n_blocks, blk=np.array(blk, dtype=np.int64),
                chan=np.array(chan, dtype=np.int64), wts=np.array(wts, dtype=np.int64))


def geometry(a) -> dict:
    """The geometry fields of a conv args struct (any kind)."""
    return {f: getattr(a, f) for f in GEOMETRY}


GEOMETRY = tuple(f.name for f in fields(ConvGeometryArgs))
NO_RQ = dict(kind=0, esize=1, rq_lo=0, rq_hi=0, rq_fp32=0, rq_rounding=0, rq_mul2=0,
             gmul=np.zeros(1, np.int64), gadd=np.zeros(1, np.int64),
             gdiv=np.ones(1, np.int64), wts8=np.zeros(1, np.int64))


def make(a: Conv2dArgs, consts, cores: int = 1, lean: bool = False) -> Conv2dOptArgs | None:
    w = consts[1]
    if w is None:
        return None
    b = consts[2] if len(consts) > 2 and consts[2] is not None else None
    w = np.asarray(w, dtype=np.int64).reshape(a.out_c, a.k_h, a.k_w, -1)
    words, fast, lane_ok, zform = channel_table(a, w.reshape(a.out_c, -1), b)
    packed = pack(a, w, words, fast, lane_ok, cores, lean, rq_mode=False, zform=zform)
    return Conv2dOptArgs(**geometry(a), output_offset=a.output_offset, act_min=a.act_min,
                         act_max=a.act_max, **packed, **NO_RQ, cores=cores)


register(Conv2dArgs, make)
