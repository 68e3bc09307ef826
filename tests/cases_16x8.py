"""Random one-op graphs of TFLite's 16x8 mode (int16 activations, int8 weights, int64
bias), one generator per op kind, for the golden-vs-TFLite-Micro and C-vs-golden tests.

``CASES[kind](rng, prefix)`` returns a one-op graph whose tensor and op names start with
``prefix`` (so many can be merged into one C build). Scales are chosen so outputs spread
over the int16 range rather than all clamping or all rounding to zero.
"""

from __future__ import annotations

import math

import numpy as np

from tests.graphs import act, const, one_op
from tinydeploy.ir.graph import Graph

F32 = np.float32


def f32(v: float) -> float:
    return float(F32(v))


def s16(name: str, shape, scale: float) -> object:
    return act(name, shape, f32(scale), 0, "int16")


def _act(rng) -> str:
    return str(rng.choice(["none", "none", "relu", "relu6", "relu_n1_to_1"]))


def _weights(rng, p: str, shape, axis: int, c_out: int, per_channel: bool):
    w_s = rng.uniform(0.002, 0.05, size=c_out if per_channel else 1).astype(F32)
    data = rng.integers(-127, 128, size=shape).astype(np.int8)
    return const(p + "w", data, scale=w_s.astype(np.float64), zp=0,
                 axis=axis if per_channel else None), float(np.mean(w_s))


def _bias(rng, p: str, c_out: int, spread: float, x, w):
    """An int64 bias quantized with s_x * s_w (TFLite Micro checks the bias scale)."""
    if rng.random() < 0.25:
        return None
    lim = max(1, int(spread))
    scale = np.broadcast_to(x.quant.s * w.quant.scale, (c_out,)).astype(F32)
    return const(p + "b", rng.integers(-lim, lim, size=c_out, endpoint=True).astype(np.int64),
                 scale=scale.astype(np.float64), zp=0, axis=0 if c_out > 1 else None)


def _out_scale(rng, in_s: float, w_s: float, taps: int) -> float:
    """About the accumulator's spread over the int16 range."""
    return in_s * w_s * 20000.0 * 60.0 * math.sqrt(taps) / 20000.0 * rng.uniform(0.3, 3.0)


def conv2d(rng, p: str) -> Graph:
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    dh, dw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    h, w = int(rng.integers((kh - 1) * dh + 1, 9)), int(rng.integers((kw - 1) * dw + 1, 9))
    groups = int(rng.choice([1, 1, 1, 2]))
    cin, cout = groups * int(rng.integers(1, 5)), groups * int(rng.integers(1, 5))
    pads = tuple(int(v) for v in rng.integers(0, 2, size=4))
    oh = (h + pads[0] + pads[2] - (kh - 1) * dh - 1) // sh + 1
    ow = (w + pads[1] + pads[3] - (kw - 1) * dw - 1) // sw + 1
    n = int(rng.integers(1, 3))
    in_s = f32(rng.uniform(1e-4, 1e-2))
    wt, w_s = _weights(rng, p, (cout, kh, kw, cin // groups), 0, cout, rng.random() < 0.7)
    taps = kh * kw * cin // groups
    x = s16(p + "x", (n, h, w, cin), in_s)
    b = _bias(rng, p, cout, 60 * 20000 * math.sqrt(taps), x, wt)
    return one_op("conv2d", [x, wt, b],
                  s16(p + "y", (n, oh, ow, cout), _out_scale(rng, in_s, w_s, taps)),
                  name=p + "conv", stride=(sh, sw), dilation=(dh, dw), pads=pads,
                  act=_act(rng))


def depthwise_conv2d(rng, p: str) -> Graph:
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    h, w = int(rng.integers(kh, 9)), int(rng.integers(kw, 9))
    cin, dm = int(rng.integers(1, 5)), int(rng.choice([1, 1, 2]))
    pads = tuple(int(v) for v in rng.integers(0, 2, size=4))
    oh = (h + pads[0] + pads[2] - kh) // sh + 1
    ow = (w + pads[1] + pads[3] - kw) // sw + 1
    in_s = f32(rng.uniform(1e-4, 1e-2))
    wt, w_s = _weights(rng, p, (kh, kw, cin * dm), 2, cin * dm, rng.random() < 0.7)
    x = s16(p + "x", (1, h, w, cin), in_s)
    b = _bias(rng, p, cin * dm, 60 * 20000 * math.sqrt(kh * kw), x, wt)
    return one_op("depthwise_conv2d", [x, wt, b],
                  s16(p + "y", (1, oh, ow, cin * dm), _out_scale(rng, in_s, w_s, kh * kw)),
                  name=p + "dw", stride=(sh, sw), dilation=(1, 1), pads=pads, act=_act(rng),
                  depth_multiplier=dm)


def fully_connected(rng, p: str) -> Graph:
    rows, c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 40)), int(rng.integers(1, 9))
    in_s = f32(rng.uniform(1e-4, 1e-2))
    wt, w_s = _weights(rng, p, (c_out, c_in), 0, c_out, rng.random() < 0.5)
    x = s16(p + "x", (rows, c_in), in_s)
    b = _bias(rng, p, c_out, 60 * 20000 * math.sqrt(c_in), x, wt)
    return one_op("fully_connected", [x, wt, b],
                  s16(p + "y", (rows, c_out), _out_scale(rng, in_s, w_s, c_in)),
                  name=p + "fc", act=_act(rng))


def _bshapes(rng) -> tuple[tuple, tuple]:
    rank = int(rng.integers(1, 5))
    out = tuple(int(d) for d in rng.integers(1, 5, size=rank))
    kind = int(rng.integers(0, 4))
    b = (out if kind == 0 else out[int(rng.integers(0, rank)):] if kind == 1 else
         tuple(1 if rng.random() < 0.5 else d for d in out) if kind == 2 else (1,))
    return (b, out) if rng.random() < 0.5 else (out, b)


def _binary(kind: str, out_scale):
    def make(rng, p: str) -> Graph:
        sa, sb = _bshapes(rng)
        s_a, s_b = f32(rng.uniform(1e-4, 1e-2)), f32(rng.uniform(1e-4, 1e-2))
        y = np.broadcast_shapes(sa, sb)
        return one_op(kind, [s16(p + "a", sa, s_a), s16(p + "b", sb, s_b)],
                      s16(p + "y", y, out_scale(s_a, s_b) * rng.uniform(0.3, 3.0)),
                      name=p + kind, act=_act(rng))
    return make


def _pool(kind: str):
    def make(rng, p: str) -> Graph:
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        h, w, c = int(rng.integers(kh, 9)), int(rng.integers(kw, 9)), int(rng.integers(1, 5))
        same = rng.random() < 0.5               # avg pool: TFLite's SAME or VALID only
        oh, ow = (-(-h // sh), -(-w // sw)) if same else ((h - kh) // sh + 1,
                                                          (w - kw) // sw + 1)
        th = max((oh - 1) * sh + kh - h, 0)
        tw = max((ow - 1) * sw + kw - w, 0)
        s = f32(rng.uniform(1e-4, 1e-2))
        return one_op(kind, [s16(p + "x", (1, h, w, c), s)], s16(p + "y", (1, oh, ow, c), s),
                      name=p + kind, kernel=(kh, kw), stride=(sh, sw),
                      pads=(th // 2, tw // 2, th - th // 2, tw - tw // 2), act=_act(rng))
    return make


def softmax(rng, p: str) -> Graph:
    shape = tuple(int(d) for d in rng.integers(1, 12, size=int(rng.integers(1, 4))))
    return one_op("softmax", [s16(p + "x", shape, rng.uniform(1e-5, 2e-3))],
                  s16(p + "y", shape, 1.0 / 32768), name=p + "softmax",
                  beta=f32(rng.choice([1.0, 1.0, 0.5, 2.0])))


def _sigmoid(kind: str):
    def make(rng, p: str) -> Graph:
        shape = tuple(int(d) for d in rng.integers(1, 9, size=int(rng.integers(1, 4))))
        s = (2.0 ** -int(rng.integers(9, 14)) if rng.random() < 0.4
             else f32(rng.uniform(1e-5, 2e-3)))
        return one_op(kind, [s16(p + "x", shape, s)], s16(p + "y", shape, 2.0 ** -15),
                      name=p + kind)
    return make


def concat(rng, p: str) -> Graph:
    rank = int(rng.integers(1, 5))
    base = [int(d) for d in rng.integers(1, 4, size=rank)]
    axis = int(rng.integers(0, rank))
    n = int(rng.choice([1, 3, 4]))
    shapes = [base[:axis] + [int(rng.integers(1, 4))] + base[axis + 1:] for _ in range(n)]
    s = f32(rng.uniform(1e-4, 1e-2))
    out = list(base)
    out[axis] = sum(sh[axis] for sh in shapes)
    return one_op("concat", [s16(f"{p}x{k}", sh, s) for k, sh in enumerate(shapes)],
                  s16(p + "y", out, s), name=p + "concat", axis=axis)


def quantize(rng, p: str) -> Graph:
    shape = tuple(int(d) for d in rng.integers(1, 6, size=int(rng.integers(1, 4))))
    src, dst = [("float32", "int16"), ("int16", "int8"), ("int8", "int16"),
                ("int16", "int16")][int(rng.integers(0, 4))]

    def t(name, dtype, ratio=1.0):
        if dtype == "float32":
            return act(name, shape, 0.0, 0, "float32")
        if dtype == "int8":
            return act(name, shape, f32(rng.uniform(0.01, 0.1) * ratio),
                       int(rng.integers(-128, 128)))
        return s16(name, shape, rng.uniform(1e-4, 1e-2) * ratio)
    return one_op("quantize", [t(p + "x", src)], t(p + "y", dst), name=p + "quantize",
                  act="none")


def dequantize(rng, p: str) -> Graph:
    shape = tuple(int(d) for d in rng.integers(1, 6, size=int(rng.integers(1, 4))))
    return one_op("dequantize", [s16(p + "x", shape, rng.uniform(1e-5, 1.0))],
                  act(p + "y", shape, 0.0, 0, "float32"), name=p + "dequantize")


def mean(rng, p: str) -> Graph:
    rank = int(rng.integers(1, 5))
    shape = [int(d) for d in rng.integers(1, 6, size=rank)]
    axes = tuple(sorted({int(a) for a in rng.integers(0, rank, size=int(rng.integers(1, 3)))}))
    keep = bool(rng.random() < 0.5)
    out = [1 if d in axes else s for d, s in enumerate(shape)] if keep else \
        [s for d, s in enumerate(shape) if d not in axes] or [1]
    s = f32(rng.uniform(1e-4, 1e-2))
    return one_op("mean", [s16(p + "x", shape, s)], s16(p + "y", out, s * rng.uniform(0.5, 2)),
                  name=p + "mean", axes=axes, keepdims=keep)


def pad(rng, p: str) -> Graph:
    rank = int(rng.integers(1, 5))
    shape = [int(d) for d in rng.integers(1, 5, size=rank)]
    pads = tuple((int(a), int(b)) for a, b in rng.integers(0, 3, size=(rank, 2)))
    s = f32(rng.uniform(1e-4, 1e-2))
    return one_op("pad", [s16(p + "x", shape, s)],
                  s16(p + "y", [d + a + b for d, (a, b) in zip(shape, pads)], s),
                  name=p + "pad", pads=pads)


def transpose(rng, p: str) -> Graph:
    rank = int(rng.integers(2, 6))
    shape = [int(d) for d in rng.integers(1, 5, size=rank)]
    perm = tuple(int(v) for v in rng.permutation(rank))
    s = f32(rng.uniform(1e-4, 1e-2))
    return one_op("transpose", [s16(p + "x", shape, s)],
                  s16(p + "y", [shape[d] for d in perm], s), name=p + "transpose", perm=perm)


CASES = {
    "conv2d": conv2d, "depthwise_conv2d": depthwise_conv2d,
    "fully_connected": fully_connected,
    "add": _binary("add", max), "sub": _binary("sub", max),
    "mul": _binary("mul", lambda a, b: a * b * 20000.0),
    "avg_pool2d": _pool("avg_pool2d"), "max_pool2d": _pool("max_pool2d"),
    "softmax": softmax, "logistic": _sigmoid("logistic"), "tanh": _sigmoid("tanh"),
    "concat": concat, "quantize": quantize, "dequantize": dequantize, "mean": mean,
    "pad": pad, "transpose": transpose,
}


def relu(rng, p: str) -> Graph:
    """TFLite Micro's int16 RELU (rescaling) / RELU6 (same quantization in and out)."""
    shape = tuple(int(d) for d in rng.integers(1, 6, size=int(rng.integers(1, 4))))
    kind = str(rng.choice(["relu", "relu6"]))
    s_in = f32(rng.uniform(1e-4, 1e-2))
    s_out = s_in if kind == "relu6" else f32(s_in * rng.uniform(0.5, 2.0))
    return one_op("quantize", [s16(p + "x", shape, s_in)], s16(p + "y", shape, s_out),
                  name=p + kind, act=kind)


CASES["relu"] = relu
