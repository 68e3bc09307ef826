"""A MobileNetV1 as an int8 IR graph with seeded random weights (no training, no file).

Architecture of Howard et al. 2017 (Table 1): a 3x3/2 conv, 13 depthwise-separable
blocks, global average pool, fully-connected classifier. ``alpha`` scales the channels,
``res`` the input; padding is TensorFlow's SAME. Quantization is plausible (per-channel
int8 weights, ReLU6-free ReLU) but the network classifies nothing: it exists to measure
what a deployment tool does with this shape of network (tiling, DMA, modeled cycles).
"""

from __future__ import annotations

import numpy as np

from tinydeploy.ir.graph import Graph, Op, QuantParams, Tensor

BLOCKS = [(1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512), (1, 512), (1, 512),
          (1, 512), (1, 512), (1, 512), (2, 1024), (1, 1024)]   # (dw stride, pw channels)


def _same(size: int, k: int, s: int) -> tuple[int, int, int]:
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


class _Builder:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.tensors: dict[str, Tensor] = {}
        self.ops: list[Op] = []

    def act(self, name, shape, scale):
        self.tensors[name] = Tensor(name, tuple(shape), "int8", QuantParams.make(scale, -128))
        return name

    def const(self, name, data, scale=None, axis=None):
        q = None if scale is None else QuantParams.make(scale, 0, axis)
        self.tensors[name] = Tensor(name, tuple(data.shape), str(data.dtype), q, data)
        return name

    def weights(self, name, shape, axis):
        w = self.rng.integers(-127, 128, size=shape).astype(np.int8)
        n = shape[axis] if axis is not None else 1
        return self.const(name, w, self.rng.uniform(0.002, 0.01, size=n), axis)

    def bias(self, name, n):
        return self.const(name, self.rng.integers(-1000, 1000, size=n).astype(np.int32))


def mobilenet_v1(alpha: float = 1.0, res: int = 128, classes: int = 1000, seed: int = 0
                 ) -> Graph:
    """MobileNetV1-``alpha`` on ``res`` x ``res`` x 3 int8 input, logits out (int8)."""
    b = _Builder(seed)
    ch = int(32 * alpha)
    x = b.act("input", (1, res, res, 3), 0.0078125)
    h, pt, pb = _same(res, 3, 2)
    y = b.act("conv0", (1, h, h, ch), 0.05)
    b.ops.append(Op("conv2d", "conv0", (x, b.weights("conv0_w", (ch, 3, 3, 3), 0),
                                        b.bias("conv0_b", ch)), (y,),
                    {"stride": (2, 2), "dilation": (1, 1), "pads": (pt, pt, pb, pb),
                     "act": "relu"}))
    x, size = y, h
    for i, (s, c) in enumerate(BLOCKS):
        c = int(c * alpha)
        out, pt, pb = _same(size, 3, s)
        dw = b.act(f"dw{i}", (1, out, out, ch), 0.05)
        b.ops.append(Op("depthwise_conv2d", f"dw{i}",
                        (x, b.weights(f"dw{i}_w", (3, 3, ch), 2), b.bias(f"dw{i}_b", ch)), (dw,),
                        {"stride": (s, s), "dilation": (1, 1), "pads": (pt, pt, pb, pb),
                         "act": "relu", "depth_multiplier": 1}))
        pw = b.act(f"pw{i}", (1, out, out, c), 0.05)
        b.ops.append(Op("conv2d", f"pw{i}", (dw, b.weights(f"pw{i}_w", (c, 1, 1, ch), 0),
                                              b.bias(f"pw{i}_b", c)), (pw,),
                        {"stride": (1, 1), "dilation": (1, 1), "pads": (0, 0, 0, 0),
                         "act": "relu"}))
        x, size, ch = pw, out, c
    pool = b.act("pool", (1, 1, 1, ch), 0.05)
    b.ops.append(Op("avg_pool2d", "pool", (x,), (pool,),
                    {"kernel": (size, size), "stride": (1, 1), "pads": (0, 0, 0, 0),
                     "act": "none"}))
    flat = b.act("flat", (1, ch), 0.05)
    b.ops.append(Op("reshape", "flat", (pool,), (flat,), {}))
    logits = b.act("logits", (1, classes), 0.1)
    b.ops.append(Op("fully_connected", "fc", (flat, b.weights("fc_w", (classes, ch), None),
                                              b.bias("fc_b", classes)), (logits,),
                    {"act": "none"}))
    return Graph(f"mobilenet_v1_{alpha:g}_{res}", b.tensors, b.ops, ["input"], ["logits"])
