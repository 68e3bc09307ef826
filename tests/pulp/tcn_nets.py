"""Temporal convolutional networks written the way NEMO exports them (integer-deployable,
opset 9, float32 tensors holding integers, [N, C, L] layout): residual blocks of two
causal dilated 1-D convolutions (a left Pad of (K-1)*d zeros, then a Conv without pads),
each requantized by NEMO's chain (Mul kappa, Add lambda, Cast, Mul, Div, Cast, Clip to
0..255), and a residual add of the block's input (Mul, Mul, Add, Div, Floor) that NEMO
leaves unclipped: its values exceed uint8 (int16 in the IR) and flow on into the next
block's Pad and residual Add, where they are narrowed."""

from __future__ import annotations

import numpy as np
import onnx

from tests.pulp.nets import G, nemo_requant


def causal_conv(g: G, x: str, rng, cin: int, cout: int, k: int, dil: int) -> str:
    p = g.node("Pad", [x], pads=[0, 0, (k - 1) * dil, 0, 0, 0], mode="constant", value=0.0)
    w = rng.integers(-60, 61, size=(cout, cin, k)).astype(np.float32)
    b = rng.integers(-300, 300, size=cout).astype(np.float32)
    return g.node("Conv", [p, g.const(w), g.const(b)], kernel_shape=[k], dilations=[dil],
                  pads=[0, 0], strides=[1])


def requant_1d(g: G, acc: str, rng, c: int, div: int = 2**21) -> str:
    """nemo_requant with [1, C, 1] constants (1-D layout)."""
    first = len(g.inits)
    v = nemo_requant(g, acc, rng, c, div=div)
    for init in g.inits[first:]:
        if len(init.dims) == 4:
            init.dims[:] = [1, init.dims[1], 1]
    return v


def residual(g: G, a: str, b: str, rng, clip: bool) -> str:
    ma, mb = (float(rng.integers(24, 64)) for _ in range(2))
    s = g.node("Add", [g.node("Mul", [a, g.const(ma)]), g.node("Mul", [b, g.const(mb)])])
    s = g.node("Floor", [g.node("Div", [s, g.const(32.0)])])
    return g.node("Clip", [s], min=0.0, max=255.0) if clip else s


def nemo_tcn_net(seed: int = 0, channels: int = 6, length: int = 24, k: int = 3,
                 dilations=(1, 2, 4), clip_residual: bool = False) -> "onnx.ModelProto":
    rng = np.random.default_rng(seed)
    g = G(9)
    v = requant_1d(g, causal_conv(g, "x", rng, 2, channels, k, 1), rng, channels)
    for d in dilations:
        a = requant_1d(g, causal_conv(g, v, rng, channels, channels, k, d), rng, channels)
        a = requant_1d(g, causal_conv(g, a, rng, channels, channels, k, d), rng, channels)
        v = residual(g, a, v, rng, clip_residual)
    v = g.node("Clip", [v], min=0.0, max=255.0)
    return g.model((1, 2, length), [v])


def dilated_chain_net(seed: int = 0, channels: int = 8, length: int = 64,
                      dilations=(1, 2, 4, 8), k: int = 3) -> "onnx.ModelProto":
    """A plain chain of causal dilated 1-D convolutions, each requantized (no residual)."""
    rng = np.random.default_rng(seed)
    g = G(9)
    v, cin = "x", 1
    for d in dilations:
        v = requant_1d(g, causal_conv(g, v, rng, cin, channels, k, d), rng, channels)
        cin = channels
    return g.model((1, 1, length), [v])




def residual_into_net(tail: str, seed: int = 0) -> "onnx.ModelProto":
    """One residual block whose unclipped (int16) sum goes on into ``tail``: "maxpool_conv"
    (MaxPool over time, then a causal conv), "pad_add" (two shifted Pads of it added: an
    int16 graph output in NCL layout), "maxpool" (the pooled int16 sums as the output),
    "avgpool" (AveragePool + Floor) or "gap_gemm" (GlobalAveragePool, Flatten, Gemm)."""
    rng = np.random.default_rng(seed)
    g = G(9)
    v = requant_1d(g, causal_conv(g, "x", rng, 2, 6, 3, 1), rng, 6)
    a = requant_1d(g, causal_conv(g, v, rng, 6, 6, 3, 2), rng, 6)
    s = residual(g, a, v, rng, clip=False)
    if tail == "avgpool":                  # mean over pairs of steps, floored
        out = g.node("Floor", [g.node("AveragePool", [s], kernel_shape=[2], strides=[2])])
    elif tail == "gap_gemm":               # mean over time, then a classifier
        v = g.node("Floor", [g.node("GlobalAveragePool", [s])])
        w = rng.integers(-50, 50, (3, 6)).astype(np.float32)
        out = g.node("Gemm", [g.node("Flatten", [v], axis=1), g.const(w),
                              g.const(rng.integers(-99, 99, 3).astype(np.float32))], transB=1)
    elif tail.startswith("maxpool"):
        out = g.node("MaxPool", [s], kernel_shape=[2], strides=[2])
        if tail == "maxpool_conv":
            out = requant_1d(g, causal_conv(g, out, rng, 6, 4, 3, 1), rng, 4)
    else:
        out = g.node("Add", [g.node("Pad", [s], pads=[0, 0, 2, 0, 0, 0], mode="constant",
                                    value=0.0),
                             g.node("Pad", [s], pads=[0, 0, 0, 0, 0, 2], mode="constant",
                                    value=0.0)])
    return g.model((1, 2, 24), [out])
