"""Math shared by conv2d, depthwise_conv2d and fully_connected (TFLite int8 semantics).

All three ops compute, per output element,

    acc = sum_k w[k] * (x[k] + input_offset)  [+ bias]        (int32 in TFLite Micro)
    y   = clamp(MultiplyByQuantizedMultiplier(acc, mult[c], shift[c]) + output_offset,
                act_min, act_max)

with ``input_offset = -input_zero_point``; padding positions contribute nothing (TFLite
skips them, which equals padding with the input zero point).

Accumulator assumption (int32 overflow): TFLite Micro accumulates in ``int32_t`` and
relies on filters being small enough that the sum cannot overflow. We do not rely on
luck: :func:`check_accumulator` bounds every channel's accumulator, for *any* input, by
``sum_k |w[k]| * max|x + input_offset| + |bias|`` (weights are constants, so the bound is
exact per channel) and rejects the op if that can exceed ``INT32_MAX``. Every partial
sum is bounded by the same value, so with the check passing the C kernels' plain int32
arithmetic never overflows (no UB), and the numpy golden's int64 sums equal TFLite's.
Real models are far below the bound (|x + offset| <= 255, so it takes more than 8.4M in
summed |weights| per output channel to fail).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op, Tensor
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.requant import (INT32_MAX, activation_range,
                                      multiply_by_quantized_multiplier,
                                      quantize_multiplier_array)


@dataclass(frozen=True, eq=False)
class Conv2dGeometry(KernelArgs):
    """The members every conv2d kernel's args start with (:func:`conv2d_geometry`)."""
    batches: int
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    k_h: int
    k_w: int
    groups: int          # in_c / filter depth; output channels split evenly into groups
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_top: int
    pad_left: int


@dataclass(frozen=True, eq=False)
class DepthwiseGeometry(KernelArgs):
    """The members every depthwise_conv2d kernel's args start with
    (:func:`depthwise_geometry`)."""
    batches: int
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int           # in_c * depth_multiplier
    k_h: int
    k_w: int
    depth_multiplier: int
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_top: int
    pad_left: int


def f32(v) -> float:
    """The value as TFLite stores it (float32), widened to a Python float (double)."""
    return float(np.float32(v))


def require_int8(op: Op, *tensors: Tensor) -> None:
    for t in tensors:
        if t.dtype != "int8" or t.quant is None:
            got = t.dtype if t.quant is not None else f"{t.dtype} without quantization"
            raise UnsupportedError(f"{op.kind}: tensor '{t.name}' must be quantized int8, "
                                   f"got {got}", node=op.name)


def weight_scales(op: Op, w: Tensor, c_out: int, axis: int) -> np.ndarray:
    """Filter scales as float32 values, one per output channel (per-tensor repeated)."""
    q = w.quant
    s = np.asarray(q.scale, dtype=np.float32).astype(np.float64)
    if s.size == 1:
        return np.repeat(s, c_out)
    if s.size != c_out or (q.axis is not None and q.axis != axis):
        raise UnsupportedError(f"{op.kind}: weight '{w.name}' has {s.size} scales on axis "
                               f"{q.axis}, expected {c_out} on axis {axis}", node=op.name)
    return s


def require_symmetric_weights(op: Op, w: Tensor) -> None:
    """TFLite's per-channel kernels ignore the filter zero point; we refuse it instead."""
    if np.any(np.asarray(w.quant.zero_point) != 0):
        raise UnsupportedError(f"{op.kind}: weight '{w.name}' has a non-zero zero point "
                               "(TFLite's kernel would ignore it; int8 weights must be "
                               "symmetric here)", node=op.name)


def channel_multipliers(in_scale: float, w_scales: np.ndarray, out_scale: float
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (multiplier, shift) as PopulateConvolutionQuantizationParams derives them.

    The effective scale is ``double(in) * double(w[c]) / double(out)`` of the float32
    scales, evaluated left to right like the C++ expression.
    """
    i, o = f32(in_scale), f32(out_scale)
    reals = [i * float(s) / o for s in w_scales]
    return quantize_multiplier_array(reals)


def act_bounds(g: Graph, op: Op) -> tuple[int, int]:
    out = g.t(op.outputs[0])
    return activation_range(op.attrs.get("act", "none"), f32(out.quant.s), out.quant.zp,
                            out.dtype)


def bias_data(g: Graph, op: Op, c_out: int) -> np.ndarray | None:
    """The int32 bias as constant data, or None when absent (or not a constant)."""
    name = op.inputs[2] if len(op.inputs) > 2 else ""
    if not name:
        return None
    b = g.t(name)
    if b.dtype != "int32" or b.size != c_out:
        raise UnsupportedError(f"{op.kind}: bias '{name}' must be int32[{c_out}], got "
                               f"{b.dtype}{list(b.shape)}", node=op.name)
    return None if b.data is None else np.asarray(b.data, dtype=np.int64).reshape(c_out)


def check_accumulator(op: Op, w_abs_sum: np.ndarray, input_offset: int,
                      bias: np.ndarray | None) -> None:
    """Reject the op if some channel's int32 accumulator could overflow (see module doc).

    ``w_abs_sum[c]``: sum of |effective weight| over channel c's filter taps.
    """
    x_max = max(abs(-128 + input_offset), abs(127 + input_offset))
    bound = np.asarray(w_abs_sum, dtype=np.int64) * x_max
    if bias is not None:
        bound = bound + np.abs(bias)
    worst = int(bound.max(initial=0))
    if worst > INT32_MAX:
        raise UnsupportedError(f"{op.kind}: int32 accumulator may overflow (worst case "
                               f"|acc| = {worst} > {INT32_MAX})", node=op.name)


def spatial_attrs(op: Op) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int, int, int]]:
    """(stride, dilation, pads) with TFLite defaults (1, 1, no padding)."""
    stride = tuple(int(v) for v in op.attrs.get("stride", (1, 1)))
    dilation = tuple(int(v) for v in op.attrs.get("dilation", (1, 1)))
    pads = tuple(int(v) for v in op.attrs.get("pads", (0, 0, 0, 0)))
    if (len(stride), len(dilation), len(pads)) != (2, 2, 4):
        raise UnsupportedError(f"{op.kind}: stride {stride}, dilation {dilation} and pads "
                               f"{pads} must have 2, 2 and 4 values", node=op.name)
    if min(stride) < 1 or min(dilation) < 1 or min(pads) < 0:
        raise UnsupportedError(f"{op.kind}: bad stride {stride}, dilation {dilation} or "
                               f"pads {pads}", node=op.name)
    return stride, dilation, pads


def check_out_size(op: Op, in_hw, k_hw, stride, dilation, pads, out_hw) -> None:
    """The output extent must be what the explicit pads give (no silent cropping)."""
    top, left, bottom, right = pads
    for name, i, k, s, d, p, o in (("height", in_hw[0], k_hw[0], stride[0], dilation[0],
                                    top + bottom, out_hw[0]),
                                   ("width", in_hw[1], k_hw[1], stride[1], dilation[1],
                                    left + right, out_hw[1])):
        if i + p > INT32_MAX or d * (k - 1) > INT32_MAX:    # the kernels index in int32
            raise UnsupportedError(f"{op.kind}: padded {name} {i + p} or dilated kernel "
                                   f"{d * (k - 1) + 1} beyond int32", node=op.name)
        span = i + p - d * (k - 1)
        expect = (span - 1) // s + 1 if span > 0 else 0
        if expect != o or o < 1:
            raise UnsupportedError(f"{op.kind}: output {name} {o} != {expect} from input "
                                   f"{i}, kernel {k}, stride {s}, dilation {d}, pads {p}",
                                   node=op.name)


def shifted_windows(x: np.ndarray, input_offset: int, k_hw, stride, dilation, pad_tl,
                    out_hw):
    """Yield ``(ky, kx, view)``: the (N, OH, OW, C) input samples that filter tap (ky, kx)
    meets, as int64 with the input offset added and 0 at padding positions."""
    n, in_h, in_w, c = x.shape
    (kh, kw), (sh, sw), (dh, dw), (top, left), (oh, ow) = k_hw, stride, dilation, pad_tl, out_hw
    bottom = max(0, (oh - 1) * sh + (kh - 1) * dh + 1 - in_h - top)
    right = max(0, (ow - 1) * sw + (kw - 1) * dw + 1 - in_w - left)
    xp = np.pad(x.astype(np.int64) + input_offset,
                ((0, 0), (top, bottom), (left, right), (0, 0)))
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dh, kx * dw
            yield ky, kx, xp[:, y0:y0 + (oh - 1) * sh + 1:sh, x0:x0 + (ow - 1) * sw + 1:sw, :]


def conv2d_geometry(op: Op, x: Tensor, w: Tensor, y: Tensor) -> tuple[int, ...]:
    """The geometry members every conv2d Args starts with (batches, in_h, in_w, in_c,
    out_h, out_w, out_c, k_h, k_w, groups, stride_h, stride_w, dilation_h, dilation_w,
    pad_top, pad_left) for x NHWC, w OHWI and y NHWC, after checking that they agree."""
    n, in_h, in_w, in_c = x.shape
    c_out, kh, kw, w_c = w.shape
    if y.shape[0] != n or y.shape[3] != c_out or in_c % w_c or c_out % (in_c // w_c):
        raise UnsupportedError(f"conv2d: shapes x{list(x.shape)} w{list(w.shape)} "
                               f"y{list(y.shape)} do not match", node=op.name)
    stride, dilation, pads = spatial_attrs(op)
    check_out_size(op, (in_h, in_w), (kh, kw), stride, dilation, pads, y.shape[1:3])
    return (n, in_h, in_w, in_c, y.shape[1], y.shape[2], c_out, kh, kw, in_c // w_c,
            *stride, *dilation, pads[0], pads[1])


def depthwise_geometry(op: Op, x: Tensor, w: Tensor, y: Tensor) -> tuple[int, ...]:
    """The geometry members every depthwise_conv2d Args starts with (as
    :func:`conv2d_geometry`, depth_multiplier in place of groups) for x NHWC, w [k_h, k_w,
    out_c] and y NHWC, after checking that they agree."""
    n, in_h, in_w, in_c = x.shape
    kh, kw, c_out = w.shape
    dm = int(op.attrs.get("depth_multiplier", c_out // max(in_c, 1)))
    if y.shape[0] != n or y.shape[3] != c_out or c_out != in_c * dm:
        raise UnsupportedError(f"depthwise_conv2d: shapes x{list(x.shape)} w{list(w.shape)} "
                               f"y{list(y.shape)} do not match depth_multiplier {dm}",
                               node=op.name)
    stride, dilation, pads = spatial_attrs(op)
    check_out_size(op, (in_h, in_w), (kh, kw), stride, dilation, pads, y.shape[1:3])
    return (n, in_h, in_w, in_c, y.shape[1], y.shape[2], c_out, kh, kw, dm,
            *stride, *dilation, pads[0], pads[1])


def fc_geometry(op: Op, x: Tensor, w: Tensor, y: Tensor, w_shape=None) -> tuple[int, int, int]:
    """(batches, in_features, out_features) of a fully connected layer with weights of
    ``w_shape`` (default ``w.shape``) [out, in], after checking that the shapes agree."""
    shape = tuple(w.shape if w_shape is None else w_shape)
    if len(shape) != 2:
        raise UnsupportedError(f"fully_connected: weight must be [out, in], got "
                               f"{list(w.shape)}", node=op.name)
    c_out, c_in = shape
    batches = x.size // c_in
    if batches * c_in != x.size or y.size != batches * c_out or y.shape[-1] != c_out:
        raise UnsupportedError(f"fully_connected: shapes x{list(x.shape)} w{list(w.shape)} "
                               f"y{list(y.shape)} do not match", node=op.name)
    return batches, c_in, c_out


def conv2d_sum(a, x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
               input_offset: int) -> np.ndarray:
    """The exact int64 sums ``sum w * (x + input_offset) [+ b]`` of a grouped conv2d with
    the geometry of ``a`` (a :class:`Conv2dGeometry`), shaped [batches, out_h, out_w, out_c]."""
    x = x.reshape(a.batches, a.in_h, a.in_w, a.in_c)
    w = w.astype(np.int64)
    ci, co = a.in_c // a.groups, a.out_c // a.groups
    acc = np.zeros((a.batches * a.out_h * a.out_w, a.out_c), dtype=np.int64)
    for ky, kx, win in shifted_windows(x, input_offset, (a.k_h, a.k_w),
                                       (a.stride_h, a.stride_w),
                                       (a.dilation_h, a.dilation_w),
                                       (a.pad_top, a.pad_left), (a.out_h, a.out_w)):
        cols = win.reshape(-1, a.in_c)
        for gi in range(a.groups):
            acc[:, gi * co:(gi + 1) * co] += (cols[:, gi * ci:(gi + 1) * ci]
                                              @ w[gi * co:(gi + 1) * co, ky, kx, :].T)
    if b is not None:
        acc += b.astype(np.int64).reshape(a.out_c)
    return acc.reshape(a.batches, a.out_h, a.out_w, a.out_c)


def depthwise_sum(a, x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
                  input_offset: int) -> np.ndarray:
    """The exact int64 sums of a depthwise conv2d with the geometry of ``a`` (a
    :class:`DepthwiseGeometry`), shaped [batches, out_h, out_w, out_c]."""
    x = x.reshape(a.batches, a.in_h, a.in_w, a.in_c)
    w = w.astype(np.int64).reshape(a.k_h, a.k_w, a.in_c, a.depth_multiplier)
    acc = np.zeros((a.batches, a.out_h, a.out_w, a.in_c, a.depth_multiplier), dtype=np.int64)
    for ky, kx, win in shifted_windows(x, input_offset, (a.k_h, a.k_w),
                                       (a.stride_h, a.stride_w),
                                       (a.dilation_h, a.dilation_w),
                                       (a.pad_top, a.pad_left), (a.out_h, a.out_w)):
        acc += win[..., None] * w[ky, kx]
    acc = acc.reshape(a.batches, a.out_h, a.out_w, a.out_c)
    if b is not None:
        acc += b.astype(np.int64).reshape(a.out_c)
    return acc


def requantize(acc: np.ndarray, mult: np.ndarray, shift: np.ndarray, output_offset: int,
               act_min: int, act_max: int) -> np.ndarray:
    """int32 accumulators (channels last) -> int8 outputs, like the TFLite epilogue.

    Adding the output offset wraps in int32 as TFLite's ``int32_t`` add does on two's
    complement targets (reachable only when the requantized value is within 128 of the
    int32 limits, i.e. with multipliers > 1 and huge accumulators).
    """
    y = multiply_by_quantized_multiplier(acc, mult, shift) + output_offset
    y = (y + 2**31) % 2**32 - 2**31
    return np.clip(y, act_min, act_max).astype(np.int8)
