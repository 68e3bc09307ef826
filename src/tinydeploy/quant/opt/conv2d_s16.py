"""td_conv2d_s16_rq_opt: the optimized convolution of integer-deployable graphs with an
int16 input (kernels/opt/td_conv2d_s16_rq_opt.h) - fused with a requantization to int8 or
int16, or the raw int32 sums: blocks of 8 (then 4) output channels x 2 pixels (a single
block of 4 channels: x 4 pixels), int8 weights
packed [block][tap][R], per channel the start value (bias + input_offset * sum(w)) and the
requantization descriptor of ``_pulp_rq.py``. Grouped convolutions keep the reference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.quant.args import array_field, scalar_field
from tinydeploy.quant.golden import requant as _rq
from tinydeploy.quant.golden._accumulate import Conv2dS16S32Args
from tinydeploy.quant.golden.fused_requant import FUSED
from tinydeploy.quant.opt import python_field, register
from tinydeploy.quant.opt._pulp_rq import S32, S64, descriptors
from tinydeploy.quant.opt._tflite_rq import CH, wrap32
from tinydeploy.quant.opt.conv2d import ConvGeometryArgs, geometry

ESIZE = {_rq.RequantArgs: 1, _rq.RequantS16Args: 2}
I16 = (-(1 << 15), (1 << 15) - 1)


@dataclass(frozen=True, eq=False)
class Conv2dS16RqOptArgs(ConvGeometryArgs):
    C_FUNC: ClassVar[str] = "td_conv2d_s16_rq_opt"
    IN_SIZE: ClassVar[int] = 2          # input element bytes
    pad_value: int
    k: int
    n8: int
    n4: int
    esize: int
    scratch_bytes: int
    output_offset: int
    rq_lo: int
    rq_hi: int
    rq_fp32: int
    rq_rounding: int
    rq_mul2: int = scalar_field("int64_t")
    chan: np.ndarray = array_field("int32_t")
    wts: np.ndarray = array_field("int8_t")
    gmul: np.ndarray = array_field("int64_t")
    gadd: np.ndarray = array_field("int64_t")
    gdiv: np.ndarray = array_field("int64_t")
    cores: int = python_field(1)

    def scratch_size(self) -> int:
        return self.scratch_bytes

    def parallel_units(self) -> int:
        return -(-self.batches * self.out_h * self.out_w // group_pixels(self.n8))

    def c_config(self) -> dict[str, tuple[int, ...]]:
        """TD_CVD_PATHS (td_opt_config.h): the block functions of its channel blocks, the
        int8 inline store when every channel's form is inline (word 1 == 1: as the C
        decides), else the general store, and its td_opt_rq_any when a channel has
        form 0."""
        form = np.asarray(self.chan).reshape(-1, CH)[:self.out_c, 1]
        paths = {1} if self.n8 == 0 else {2} | ({3} if self.n4 else set())
        inline = self.esize == 1 and bool(np.all(form == 1))
        paths.add(4 if inline else 5)
        if not inline and bool(np.any(form == 0)):
            paths.add(6)
        return {"TD_CVD_PATHS": tuple(sorted(paths))}

    def inplace_margin(self) -> int | None:
        """Groups of pixels in order on one core, every write of a group counted before
        its reads (its blocks write while later blocks still read the group's windows); the
        team's cores work on groups far apart: no in-place plan then."""
        if self.cores != 1:
            return None
        return margin_of_groups(self.batches, self.in_h, self.in_w, self.in_c * self.IN_SIZE,
                                self.out_h, self.out_w, self.out_c * self.esize, self.stride_h,
                                self.stride_w, self.pad_top, self.pad_left,
                                group_pixels(self.n8))


def group_pixels(n8: int) -> int:
    """Output pixels the kernel computes together: 4 when all channels fit one block of 4
    (n8 = 0), else 2."""
    return 4 if n8 == 0 else 2


def margin_of_groups(n: int, ih: int, iw: int, pixel_in: int, oh: int, ow: int,
                     pixel_out: int, sh: int, sw: int, pt: int, pl: int, g: int = 2) -> int:
    """Bytes the output must start below its dying input when group k (pixels g k ..
    g k + g - 1, global over the batches) writes its outputs before it reads its windows
    (which start at the least clipped window corner), later groups after: the largest (end
    of the outputs of groups <= k) - (first input byte groups >= k read)."""
    total = n * oh * ow
    p = np.arange(total, dtype=np.int64)
    b, rest = p // (oh * ow), p % (oh * ow)
    row0 = np.clip(rest // ow * sh - pt, 0, ih - 1)
    col0 = np.clip(rest % ow * sw - pl, 0, iw - 1)
    first = ((b * ih + row0) * iw + col0) * pixel_in
    suffix = np.minimum.accumulate(first[::-1])[::-1]
    starts = p[::g]
    ends = np.minimum(starts + g, total) * pixel_out
    return max(0, int((ends - suffix[starts]).max()))


def blocks(out_c: int) -> tuple[int, int]:
    """(n8, n4): blocks of 8 channels while more than 4 are left (the last one padded),
    then one of 4 for the rest."""
    n8 = out_c // 8 + (out_c % 8 > 4)
    return n8, int(out_c - 8 * n8 > 0)


def inline_form(rq, d: list[int]) -> int:
    """Word 1 of a channel: 1 for TD_RQ_S32, 2 for TD_RQ_S64 with a shift >= 32, when
    M >= 0 (the kernel inlines both without a clamp: between the clamp thresholds of a
    non-decreasing channel the value lies within it), else 0 (td_opt_rq_any)."""
    if rq is None or d[1] < 0:
        return 0
    return 1 if d[0] == S32 else 2 if d[0] == S64 and 32 <= d[4] <= 62 else 0


def make(a, consts, cores: int = 1, lean: bool = False) -> Conv2dS16RqOptArgs | None:
    acc, rq = (a.acc, a.rq) if hasattr(a, "rq") else (a, None)
    w = consts[1]
    pad = -acc.input_offset
    if w is None or type(acc) is not Conv2dS16S32Args or acc.groups != 1 \
            or not I16[0] <= pad <= I16[1]:
        return None                  # grouped, or a padding value outside int16: reference
    x_max = max(abs(I16[0] + acc.input_offset), abs(I16[1] + acc.input_offset))
    return build(Conv2dS16RqOptArgs, acc, rq, consts, x_max, cores)


def build(cls, acc, rq, consts, x_max: int, cores: int, quads: bool = False):
    """``cls`` (this kernel's args or its int8 twin's, conv2d_rq_direct.py) for ``acc``
    (+ ``rq``): the channel blocks, their start values and descriptors (``x_max``: the
    largest |x + input_offset| of the input type), and a staged window of scratch per
    pixel of a group (:func:`group_pixels`). ``quads``: blocks of 4 channels only (n8 = 0,
    n4 of them: the NCHW kernels)."""
    w = consts[1]
    b = consts[2] if len(consts) > 2 and consts[2] is not None else None
    flat = np.asarray(w, dtype=np.int64).reshape(acc.out_c, -1)
    bias = np.zeros(acc.out_c, np.int64) if b is None else np.asarray(b, np.int64).ravel()
    bound = np.abs(bias) + np.abs(flat).sum(axis=1) * x_max
    desc, layer = descriptors(rq, bound)
    n8, n4 = (0, -(-acc.out_c // 4)) if quads else blocks(acc.out_c)
    k = flat.shape[1]
    chan, wts, oc = [], [], 0
    for r in [8] * n8 + [4] * n4:
        block = np.zeros((k, r), np.int64)
        for j in range(r):
            c = min(oc + j, acc.out_c - 1)            # padding channels repeat the last
            start = wrap32(int(bias[c] + acc.input_offset * flat[c].sum()))
            chan += [start, inline_form(rq, desc[c]), *desc[c], 0]
            if c == oc + j:
                block[:, j] = flat[c]
        wts.append(block.ravel())
        oc += r
    assert len(chan) == oc * CH
    return cls(
        **geometry(acc), pad_value=-acc.input_offset, k=k, n8=n8, n4=n4,
        esize=ESIZE[type(rq)] if rq is not None else 4, scratch_bytes=group_pixels(n8) * k * cls.IN_SIZE,
        output_offset=int(rq.out_offset) if rq is not None else 0, **layer,
        chan=np.array(chan, np.int64), wts=np.concatenate(wts), cores=cores)


register(Conv2dS16S32Args, make)
for (_acc, _rqt), _cls in FUSED.items():
    if _acc is Conv2dS16S32Args:
        register(_cls, make)
