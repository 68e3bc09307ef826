"""One-op int8 graphs for the tiling tests: conv, pointwise, depthwise, pools, fc, add."""

from __future__ import annotations

import numpy as np

from tests.graphs import act, const, one_op
from tinydeploy.ir.graph import Graph

KINDS = ("conv", "pointwise", "depthwise", "avg_pool", "max_pool", "fc", "add")


def _out(i: int, k: int, s: int, d: int, p: int) -> int:
    return (i + p - d * (k - 1) - 1) // s + 1


def _quant(rng, c_out: int):
    return dict(in_s=float(rng.uniform(0.02, 0.1)), in_zp=int(rng.integers(-20, 20)),
                w_s=rng.uniform(0.002, 0.02, size=c_out), out_s=float(rng.uniform(0.05, 0.5)),
                out_zp=int(rng.integers(-20, 20)))


def _bias(rng, name: str, c_out: int):
    return const(name, rng.integers(-2000, 2000, size=c_out).astype(np.int32))


def spatial_graph(rng, kind: str, h: int, w: int, cin: int, cout: int, k=(3, 3),
                  stride=(1, 1), dilation=(1, 1), pads=(0, 0, 0, 0), dm: int = 1,
                  groups: int = 1) -> Graph:
    """conv2d / depthwise_conv2d / avg_pool2d / max_pool2d with random weights."""
    oh = _out(h, k[0], stride[0], dilation[0], pads[0] + pads[2])
    ow = _out(w, k[1], stride[1], dilation[1], pads[1] + pads[3])
    q = _quant(rng, cout)
    x = act("x", (1, h, w, cin), q["in_s"], q["in_zp"])
    attrs = dict(stride=tuple(stride), pads=tuple(pads), act="relu")
    if kind in ("avg_pool", "max_pool"):
        y = act("y", (1, oh, ow, cin), q["in_s"], q["in_zp"])
        return one_op(kind.replace("_pool", "_pool2d"), [x], y, kernel=tuple(k), **attrs)
    attrs["dilation"] = tuple(dilation)
    if kind == "depthwise":
        cout = cin * dm
        q = _quant(rng, cout)
        x = act("x", (1, h, w, cin), q["in_s"], q["in_zp"])
        wd = rng.integers(-127, 128, size=(k[0], k[1], cout)).astype(np.int8)
        wt = const("w", wd, scale=q["w_s"], zp=0, axis=2)
        y = act("y", (1, oh, ow, cout), q["out_s"], q["out_zp"])
        return one_op("depthwise_conv2d", [x, wt, _bias(rng, "b", cout)], y,
                      depth_multiplier=dm, **attrs)
    wd = rng.integers(-127, 128, size=(cout, k[0], k[1], cin // groups)).astype(np.int8)
    wt = const("w", wd, scale=q["w_s"], zp=0, axis=0)
    y = act("y", (1, oh, ow, cout), q["out_s"], q["out_zp"])
    return one_op("conv2d", [x, wt, _bias(rng, "b", cout)], y, **attrs)


def fc_graph(rng, rows: int, cin: int, cout: int) -> Graph:
    q = _quant(rng, cout)
    x = act("x", (rows, cin), q["in_s"], q["in_zp"])
    wt = const("w", rng.integers(-127, 128, size=(cout, cin)).astype(np.int8),
               scale=q["w_s"], zp=0, axis=0)
    y = act("y", (rows, cout), q["out_s"], q["out_zp"])
    return one_op("fully_connected", [x, wt, _bias(rng, "b", cout)], y, act="none")


def add_graph(rng, h: int, w: int, c: int) -> Graph:
    a = act("a", (1, h, w, c), 0.05, int(rng.integers(-10, 10)))
    b = act("b", (1, h, w, c), 0.08, int(rng.integers(-10, 10)))
    y = act("y", (1, h, w, c), 0.1, int(rng.integers(-10, 10)))
    return one_op("add", [a, b], y, act="none")


def random_layer(rng: np.random.Generator, kind: str, max_hw: int = 9, max_c: int = 12
                 ) -> Graph:
    """A small random layer of ``kind`` (one of KINDS), with valid pads for its kernel."""
    h, w = int(rng.integers(1, max_hw + 1)), int(rng.integers(1, max_hw + 1))
    cin, cout = int(rng.integers(1, max_c + 1)), int(rng.integers(1, max_c + 1))
    if kind == "fc":
        return fc_graph(rng, int(rng.integers(1, 4)), cin * 4, cout)
    if kind == "add":
        return add_graph(rng, h, w, cin)
    if kind == "pointwise":
        s = int(rng.integers(1, 3))
        return spatial_graph(rng, "conv", h, w, cin, cout, (1, 1), (s, s))
    k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    s = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    d = (1, 1) if kind in ("avg_pool", "max_pool") else (int(rng.integers(1, 3)), 1)
    ext = [(k[i] - 1) * d[i] + 1 for i in range(2)]
    h, w = max(h, ext[0]), max(w, ext[1])
    pads = [int(rng.integers(0, k[0])), int(rng.integers(0, k[1])),
            int(rng.integers(0, k[0])), int(rng.integers(0, k[1]))]
    if kind in ("avg_pool", "max_pool"):   # TFLite: a window must touch the input
        pads = [min(p, kk // 2) for p, kk in zip(pads, (k[0], k[1], k[0], k[1]))]
    dm = int(rng.integers(1, 3)) if kind == "depthwise" else 1
    return spatial_graph(rng, kind, h, w, cin, cout, k, s, d, tuple(pads), dm)
