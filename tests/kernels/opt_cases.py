"""Random layer cases for the optimized kernels (kernels/opt/).

A case is ``(args, x, w, b)``: a golden ``KernelArgs`` (conv2d, depthwise_conv2d or
fully_connected) and int8 input, int8 weights, int32 bias (or None). The expected output
is the numpy golden's ``run(args, x, w, b)``, independent of both C kernels.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from tinydeploy.quant.golden.conv2d import Conv2dArgs
from tinydeploy.quant.golden.conv2d import run as conv_golden
from tinydeploy.quant.golden.depthwise_conv2d import DepthwiseConv2dArgs
from tinydeploy.quant.golden.depthwise_conv2d import run as dw_golden
from tinydeploy.quant.golden.fully_connected import FullyConnectedArgs
from tinydeploy.quant.golden.fully_connected import run as fc_golden
from tinydeploy.quant.requant import INT32_MAX, quantize_multiplier

REPO = Path(__file__).resolve().parents[2]
KERNELS = REPO / "src" / "tinydeploy" / "runtime" / "kernels"
GOLDEN = {Conv2dArgs: conv_golden, DepthwiseConv2dArgs: dw_golden, FullyConnectedArgs: fc_golden}


def golden(case) -> np.ndarray:
    args, x, w, b = case
    return GOLDEN[type(args)](args, x, w, b).ravel()


# ---- requantization parameters -------------------------------------------------------

def requant_params(rng: np.random.Generator, n: int, edge: bool, per_tensor: bool = False
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (mult, shift) from random scales (``per_tensor``: all channels equal);
    ``edge`` mixes in the corner cases of the fast requantization (shift 0 / -1 / -21 /
    -22 / > 0, M = 2^30, M = 0)."""
    scales = np.exp(rng.uniform(math.log(1e-5), math.log(0.9), n))
    pairs = [quantize_multiplier(float(s)) for s in scales]
    if edge:
        corner = [(2**30, 0), (2**31 - 1, 0), (2**30, -1), (1518500250, -1), (2**30 + 7, -21),
                  (2**31 - 1, -22), (1431655765, 1), (2**30, 3), (0, 0), (1073741824, -31),
                  (1717986918, -2), (2**30, -5)]
        for i in range(n):
            if rng.random() < 0.5:
                pairs[i] = corner[int(rng.integers(len(corner)))]
    if per_tensor:
        pairs = pairs[:1] * n
    mult = np.array([p[0] for p in pairs], dtype=np.int32)
    shift = np.array([p[1] for p in pairs], dtype=np.int32)
    return mult, shift


def act_range(rng: np.random.Generator, out_zp: int) -> tuple[int, int]:
    kind = int(rng.integers(3))
    if kind == 0:
        return -128, 127
    if kind == 1:
        return out_zp, 127                      # relu
    lo = int(rng.integers(-128, 100))
    return lo, int(rng.integers(lo, 128))


def weights(rng: np.random.Generator, shape, small: bool) -> np.ndarray:
    if small:
        return rng.integers(-40, 41, shape).astype(np.int8)
    return rng.integers(-128, 128, shape).astype(np.int8)


def bias_for(rng: np.random.Generator, w_abs: np.ndarray, in_off: int, mode: str):
    """int32 bias keeping |bias| + sum|w| * max|x + off| <= INT32_MAX (the codegen check).
    mode: "none", "small", or "huge" (accumulators beyond 2^29: the slow requant path)."""
    if mode == "none":
        return None
    x_max = max(abs(-128 + in_off), abs(127 + in_off))
    room = INT32_MAX - w_abs.astype(np.int64) * x_max
    assert np.all(room > 0)
    if mode == "small":
        mag = np.minimum(room, 1 << 20)
    else:
        mag = room
    return (rng.uniform(-1, 1, len(w_abs)) * mag).astype(np.int64).astype(np.int32)


# ---- case generators -----------------------------------------------------------------

def conv_case(rng: np.random.Generator, n=1, h=5, w=5, cin=3, cout=5, k=(3, 3),
              stride=(1, 1), dilation=(1, 1), pads=(1, 1, 1, 1), groups=1, edge=False,
              bias="small", small_w=False, per_tensor=False):
    kh, kw = k
    out_h = (h + pads[0] + pads[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    out_w = (w + pads[1] + pads[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    assert out_h >= 1 and out_w >= 1
    in_off, out_zp = -int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
    wt = weights(rng, (cout, kh, kw, cin // groups), small_w)
    b = bias_for(rng, np.abs(wt.astype(np.int64)).reshape(cout, -1).sum(1), in_off, bias)
    mult, shift = requant_params(rng, cout, edge, per_tensor)
    lo, hi = act_range(rng, out_zp)
    args = Conv2dArgs(n, h, w, cin, out_h, out_w, cout, kh, kw, groups, *stride, *dilation,
                      pads[0], pads[1], in_off, out_zp, lo, hi, mult, shift)
    x = rng.integers(-128, 128, (n, h, w, cin)).astype(np.int8)
    return args, x, wt, b


def random_conv_case(rng: np.random.Generator, edge=False):
    """Random conv: 1-D or 2-D, strides, dilation, asymmetric pads, groups, batch."""
    one_d = rng.random() < 0.25
    kh = 1 if one_d else int(rng.integers(1, 5))
    kw = int(rng.integers(1, 6))
    stride = (1 if one_d else int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dil = (1 if one_d else int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    eh, ew = (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1
    h = 1 if one_d else int(rng.integers(eh, eh + 7))
    w = int(rng.integers(ew, ew + 9))
    pads = (0 if one_d else int(rng.integers(0, kh)), int(rng.integers(0, kw)),
            0 if one_d else int(rng.integers(0, kh)), int(rng.integers(0, kw)))
    groups = int(rng.choice([1, 1, 1, 2, 3]))
    return conv_case(rng, n=int(rng.integers(1, 3)), h=h, w=w,
                     cin=groups * int(rng.integers(1, 7)), cout=groups * int(rng.integers(1, 15)),
                     k=(kh, kw), stride=stride, dilation=dil, pads=pads, groups=groups,
                     edge=edge, bias=str(rng.choice(["none", "small", "small", "huge"])),
                     small_w=bool(rng.random() < 0.5), per_tensor=bool(rng.random() < 0.3))


def dw_case(rng: np.random.Generator, n=1, h=5, w=5, cin=3, dm=1, k=(3, 3), stride=(1, 1),
            dilation=(1, 1), pads=(1, 1, 1, 1), edge=False, bias="small", small_w=False,
            per_tensor=False):
    kh, kw = k
    out_h = (h + pads[0] + pads[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    out_w = (w + pads[1] + pads[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    assert out_h >= 1 and out_w >= 1
    cout = cin * dm
    in_off, out_zp = -int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
    wt = weights(rng, (kh, kw, cout), small_w)
    b = bias_for(rng, np.abs(wt.astype(np.int64)).reshape(-1, cout).sum(0), in_off, bias)
    mult, shift = requant_params(rng, cout, edge, per_tensor)
    lo, hi = act_range(rng, out_zp)
    args = DepthwiseConv2dArgs(n, h, w, cin, out_h, out_w, cout, kh, kw, dm, *stride,
                               *dilation, pads[0], pads[1], in_off, out_zp, lo, hi, mult, shift)
    x = rng.integers(-128, 128, (n, h, w, cin)).astype(np.int8)
    return args, x, wt, b


def random_dw_case(rng: np.random.Generator, edge=False):
    one_d = rng.random() < 0.2
    kh = 1 if one_d else int(rng.choice([1, 2, 3, 3, 3, 5]))
    kw = int(rng.choice([1, 2, 3, 3, 3, 4]))
    stride = (1 if one_d else int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dil = (1, 1) if rng.random() < 0.7 else (1 if one_d else int(rng.integers(1, 3)),
                                             int(rng.integers(1, 3)))
    eh, ew = (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1
    h = 1 if one_d else int(rng.integers(eh, eh + 8))
    w = int(rng.integers(ew, ew + 10))
    pads = (0 if one_d else int(rng.integers(0, kh)), int(rng.integers(0, kw)),
            0 if one_d else int(rng.integers(0, kh)), int(rng.integers(0, kw)))
    return dw_case(rng, n=int(rng.integers(1, 3)), h=h, w=w, cin=int(rng.integers(1, 9)),
                   dm=int(rng.choice([1, 1, 1, 2, 3])), k=(kh, kw), stride=stride,
                   dilation=dil, pads=pads, edge=edge,
                   bias=str(rng.choice(["none", "small", "small", "huge"])),
                   small_w=bool(rng.random() < 0.5), per_tensor=bool(rng.random() < 0.3))


def fc_case(rng: np.random.Generator, n=1, cin=16, cout=8, per_channel=True, edge=False,
            bias="small", small_w=False):
    in_off, out_zp = -int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
    w_off = 0 if per_channel else -int(rng.integers(-128, 128))
    wt = weights(rng, (cout, cin), small_w)
    w_abs = np.abs(wt.astype(np.int64) + w_off).sum(1)
    b = bias_for(rng, w_abs, in_off, bias)
    mult, shift = requant_params(rng, cout, edge, per_tensor=not per_channel)
    lo, hi = act_range(rng, out_zp)
    args = FullyConnectedArgs(n, cin, cout, in_off, w_off, out_zp, lo, hi, mult, shift)
    x = rng.integers(-128, 128, (n, cin)).astype(np.int8)
    return args, x, wt, b


def random_fc_case(rng: np.random.Generator, edge=False):
    return fc_case(rng, n=int(rng.integers(1, 4)), cin=int(rng.integers(1, 90)),
                   cout=int(rng.integers(1, 23)), per_channel=bool(rng.random() < 0.6),
                   edge=edge, bias=str(rng.choice(["none", "small", "small", "huge"])),
                   small_w=bool(rng.random() < 0.5))


# ---- as program cases ------------------------------------------------------------------

def as_case(case, cores: int = 1):
    """An ``(args, x, w, b)`` tuple as an opt_program.Case (golden computed here)."""
    from tests.kernels.opt_program import Case

    args, x, w, b = case
    return Case(args, [x, w, b], golden(case).astype(np.int8), cores=cores)


def add_case(rng: np.random.Generator, shape_a=(1, 4, 4, 8), shape_b=None, cores: int = 1):
    """A TFLite int8 add (random scales, zero points, activation) as a program case."""
    from tests.graphs import act as _act
    from tests.graphs import one_op
    from tests.kernels.opt_program import Case
    from tinydeploy.quant.golden import golden as _golden

    shape_b = shape_a if shape_b is None else shape_b
    out_shape = np.broadcast_shapes(shape_a, shape_b)
    ta = _act("a", shape_a, float(rng.uniform(0.01, 0.2)), int(rng.integers(-128, 128)))
    tb = _act("b", shape_b, float(rng.uniform(0.01, 0.2)), int(rng.integers(-128, 128)))
    ty = _act("y", out_shape, float(rng.uniform(0.01, 0.3)), int(rng.integers(-128, 128)))
    g = one_op("add", [ta, tb], ty, act=str(rng.choice(["none", "relu", "relu6"])))
    gold = _golden("add")
    args = gold.prepare(g, g.ops[0])
    x = rng.integers(-128, 128, shape_a).astype(np.int8)
    y = rng.integers(-128, 128, shape_b).astype(np.int8)
    return Case(args, [x, y], gold.run(args, x, y).astype(np.int8).ravel(), acts=(0, 1),
                cores=cores)


def requant_args(rng: np.random.Generator, channels: int, out: str = "int8", fp32: int = 0,
                 rounding: int = 0, pow2: bool = True, acc_scale: float = 2**16,
                 fine: tuple[int, int] | None = None):
    """A random integer-graph requant (mul, add, div per channel) that maps accumulators of
    about ``acc_scale`` onto the output range (``fine``: a divisor 2^fine[0..1) times
    acc_scale, as NEMO's: multipliers of 2^20 and more, 64-bit products)."""
    from tinydeploy.quant.golden import requant as rq

    cls = {"int8": rq.RequantArgs, "int16": rq.RequantS16Args}[out]
    info = np.iinfo(np.dtype(out))
    d = int(rng.integers(8, 25)) if fine is None else \
        int(acc_scale).bit_length() + int(rng.integers(*fine))
    div = np.full(channels, 1 << d) if pow2 else rng.integers(3, 1 << 20, channels)
    span = float(info.max - info.min) / 2
    mul = np.maximum(1, (div.astype(float) * span / acc_scale
                         * rng.uniform(0.3, 3.0, channels))).astype(np.int64)
    mul = np.where(rng.random(channels) < 0.15, -mul, mul)
    add = (rng.uniform(-1, 1, channels) * div * span / 2).astype(np.int64)
    lo, hi = (int(info.min), int(info.max)) if rng.random() < 0.5 else (0, int(info.max) // 2)
    zp = int(rng.integers(-5, 6)) if out == "int16" else int(rng.integers(info.min - lo, 1))
    return cls(size=1, channels=channels, fp32=fp32, rounding=rounding, clip_lo=lo,
               clip_hi=min(hi, int(info.max) - max(zp, 0)), out_offset=zp,
               mul2=int(rng.choice([1, 1, 3])), mul=mul, add=add,
               div=np.asarray(div, np.int64))


def conv_rq_case(rng: np.random.Generator, h=6, w=7, cin=8, cout=9, k=(3, 3), stride=(1, 1),
                 dilation=(1, 1), pads=(1, 1, 1, 1), groups=1, out="int8", raw=False,
                 cores=1, **rq_kw):
    """A fused conv + integer requant (or a raw int32 conv) as a program case."""
    from tests.kernels.opt_program import Case
    from tinydeploy.quant.golden import _accumulate as acc_mod
    from tinydeploy.quant.golden import requant as rq_mod
    from tinydeploy.quant.golden.fused_requant import FUSED

    kh, kw = k
    oh = (h + pads[0] + pads[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (w + pads[1] + pads[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    off = int(rng.choice([0, 128, -int(rng.integers(-128, 128))]))
    acc = acc_mod.Conv2dS32Args(1, h, w, cin, oh, ow, cout, kh, kw, groups, *stride,
                                *dilation, pads[0], pads[1], off)
    wt = rng.integers(-128, 128, (cout, kh, kw, cin // groups)).astype(np.int8)
    b = rng.integers(-2**18, 2**18, cout).astype(np.int32)
    x = rng.integers(-128, 128, (1, h, w, cin)).astype(np.int8)
    s = acc_mod.run_conv2d(acc, x, wt, b)
    if raw:
        return Case(acc, [x, wt, b], s.astype(np.int32).ravel(), cores=cores)
    scale = float(np.abs(s).max() + 1)
    rq = requant_args(rng, cout, out, acc_scale=scale, **rq_kw)
    a = FUSED[(type(acc), type(rq))](acc, rq)
    return Case(a, [x, wt, b], rq_mod.run(rq, s).ravel(), cores=cores)


def dw_rq_case(rng: np.random.Generator, h=6, w=7, cin=8, dm=1, k=(3, 3), stride=(1, 1),
               dilation=(1, 1), pads=(1, 1, 1, 1), out="int8", raw=False, cores=1, **rq_kw):
    """A fused depthwise + integer requant (or raw int32) as a program case."""
    from tests.kernels.opt_program import Case
    from tinydeploy.quant.golden import _accumulate as acc_mod
    from tinydeploy.quant.golden import requant as rq_mod
    from tinydeploy.quant.golden.fused_requant import FUSED

    kh, kw = k
    oh = (h + pads[0] + pads[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (w + pads[1] + pads[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    off = int(rng.choice([0, 128, -int(rng.integers(-128, 128))]))
    cout = cin * dm
    acc = acc_mod.DepthwiseConv2dS32Args(1, h, w, cin, oh, ow, cout, kh, kw, dm, *stride,
                                         *dilation, pads[0], pads[1], off)
    wt = rng.integers(-128, 128, (kh, kw, cout)).astype(np.int8)
    b = rng.integers(-2**16, 2**16, cout).astype(np.int32)
    x = rng.integers(-128, 128, (1, h, w, cin)).astype(np.int8)
    s = acc_mod.run_depthwise(acc, x, wt, b)
    if raw:
        return Case(acc, [x, wt, b], s.astype(np.int32).ravel(), cores=cores)
    rq = requant_args(rng, cout, out, acc_scale=float(np.abs(s).max() + 1), **rq_kw)
    a = FUSED[(type(acc), type(rq))](acc, rq)
    return Case(a, [x, wt, b], rq_mod.run(rq, s).ravel(), cores=cores)
