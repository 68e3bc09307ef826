"""Random one-op float32 graphs of the backward kernels of on-device training (op kinds
ir/ops/backward.py), ``(rng, prefix) -> (graph, inputs)``, and float64 forward
references written from the ops' definitions (independent of the goldens), for
tests/kernels/test_td_f32_grad.py."""

from __future__ import annotations

import numpy as np

from tests.graphs import one_op
from tests.kernels.f32_cases import _geometry, t, vals
from tinydeploy.ir.graph import Tensor

F = np.float32


# ---- case generators -------------------------------------------------------------------

def conv_geometry(rng, depthwise: bool | None = None) -> dict:
    """A random forward conv: shapes, attrs (strides 1/2, dilation 1/2, pads, groups)."""
    if depthwise is None:
        depthwise = bool(rng.random() < 0.35)
    n, h, w = int(rng.integers(1, 3)), int(rng.integers(3, 9)), int(rng.integers(3, 9))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    dil = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    stride, pads, oh, ow = _geometry(rng, h, w, kh, kw, dil)
    if oh < 1 or ow < 1:
        dil = (1, 1)
        stride, pads, oh, ow = _geometry(rng, h, w, kh, kw, dil)
    attrs = {"stride": stride, "dilation": dil, "pads": pads}
    if depthwise:
        c = int(rng.integers(1, 6))
        cin, cout, wshape = c, c, [kh, kw, c]
        attrs["depth_multiplier"] = 1
    else:
        groups = int(rng.choice([1, 1, 2, 3]))
        cin, cout = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
        wshape = [cout, kh, kw, cin // groups]
        attrs["groups"] = groups
    return {"kind": "depthwise_conv2d" if depthwise else "conv2d", "x": [n, h, w, cin],
            "w": wshape, "y": [n, oh, ow, cout], "attrs": attrs}


def conv_grad(rng, p: str, which: str | None = None, geo: dict | None = None):
    geo = geo or conv_geometry(rng)
    which = which or str(rng.choice(["input", "weight"]))
    kind = f"{geo['kind']}_grad_{which}"
    dy = vals(rng, geo["y"], -2, 2)
    if which == "input":
        g = one_op(kind, [t(p + "dy", geo["y"]), t(p + "w", geo["w"])], t(p + "dx", geo["x"]),
                   name=p + "op", act="none", **geo["attrs"])
        return g, [dy, vals(rng, geo["w"], -2, 2)]
    g = one_op(kind, [t(p + "dy", geo["y"]), t(p + "x", geo["x"])], t(p + "dw", geo["w"]),
               name=p + "op", **geo["attrs"])
    return g, [dy, vals(rng, geo["x"], -2, 2)]


def pool_geometry(rng) -> dict:
    n, h, w, c = int(rng.integers(1, 3)), int(rng.integers(2, 9)), int(rng.integers(2, 9)), \
        int(rng.integers(1, 5))
    kh, kw = int(rng.integers(1, min(4, h + 1))), int(rng.integers(1, min(4, w + 1)))
    stride, pads, oh, ow = _geometry(rng, h, w, kh, kw)
    return {"x": [n, h, w, c], "y": [n, oh, ow, c],
            "attrs": {"kernel": (kh, kw), "stride": stride, "pads": pads,
                      "count_include_pad": bool(rng.random() < 0.5)}}


def distinct(rng, shape) -> np.ndarray:
    """Values at least 0.01 apart (no ties: max pooling is differentiable there)."""
    size = int(np.prod(shape))
    return ((rng.permutation(size) - size / 2) * 0.01).astype(F).reshape(shape)


def pool_grad(rng, p: str, which: str | None = None, geo: dict | None = None,
              ties: bool | None = None):
    geo = geo or pool_geometry(rng)
    which = which or str(rng.choice(["avg", "max"]))
    dy = vals(rng, geo["y"], -2, 2)
    if which == "avg":
        g = one_op("avg_pool2d_grad", [t(p + "dy", geo["y"])], t(p + "dx", geo["x"]),
                   name=p + "op", act="none", **geo["attrs"])
        return g, [dy]
    if ties is None:
        ties = bool(rng.random() < 0.5)
    # ties: a few integer values (the first-maximum rule), -0.0 among them
    x = rng.choice(np.array([-1.0, -0.0, 0.0, 2.0], F), size=geo["x"]).astype(F) if ties \
        else distinct(rng, geo["x"])
    g = one_op("max_pool2d_grad", [t(p + "dy", geo["y"]), t(p + "x", geo["x"])],
               t(p + "dx", geo["x"]), name=p + "op", **geo["attrs"])
    return g, [dy, x]


def act_grad(rng, p: str):
    fn = str(rng.choice(["relu", "relu6", "relu_n1_to_1"]))
    shape = [int(rng.integers(1, 6)) for _ in range(int(rng.integers(1, 4)))]
    y = vals(rng, shape, -2, 8)
    special = np.array([0.0, -0.0, 6.0, 1.0, -1.0, np.nan, np.inf, -np.inf], F)
    pick = rng.random(y.shape) < 0.25
    y[pick] = rng.choice(special, size=int(pick.sum()))
    dy = vals(rng, shape, -2, 2)
    dy[rng.random(dy.shape) < 0.1] = F(-0.0)
    g = one_op("act_grad", [t(p + "dy", shape), t(p + "y", shape)], t(p + "dx", shape),
               name=p + "op", fn=fn)
    return g, [dy, y]


def ce_loss(rng, p: str):
    rows, n = int(rng.integers(1, 9)), int(rng.integers(1, 21))
    labels = rng.integers(0, n, size=rows).astype(np.int64)
    if rng.random() < 0.4:
        labels[int(rng.integers(0, rows))] = int(rng.choice([-100, -1, n, n + 7]))
    logits = vals(rng, [rows, n], -6, 6).astype(np.float64)
    lp = logits - logits.max(axis=1, keepdims=True)
    lp = (lp - np.log(np.exp(lp).sum(axis=1, keepdims=True))).astype(F)
    attrs = {"batch": rows + 2} if rng.random() < 0.3 else {}
    g = one_op("ce_loss", [t(p + "lp", [rows, n]), Tensor(p + "lab", (rows,), "int64")],
               t(p + "loss", [1]), name=p + "op", **attrs)
    return g, [lp, labels]


CASES = {"act_grad": act_grad, "conv_grad": conv_grad, "pool_grad": pool_grad,
         "ce_loss": ce_loss}


# ---- float64 forward references (from the ops' definitions) ----------------------------

def conv64(x, w, kind: str, attrs: dict, out_hw) -> np.ndarray:
    """Forward conv2d / depthwise_conv2d in float64: NHWC, OHWI (depthwise [KH, KW, C])."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    if kind == "depthwise_conv2d":
        w = np.transpose(w, (2, 0, 1))[..., None]              # [C, KH, KW, 1]
        groups = x.shape[3]
    else:
        groups = attrs.get("groups", 1)
    sh, sw = attrs["stride"]
    dh, dw = attrs["dilation"]
    pt, pl, pb, pr = attrs["pads"]
    oh, ow = out_hw
    xp = np.pad(x, ((0, 0), (pt, pb + sh * oh), (pl, pr + sw * ow), (0, 0)))
    cout, kh, kw, cin_g = w.shape
    wg = w.reshape(groups, cout // groups, kh, kw, cin_g)
    y = np.zeros((x.shape[0], oh, ow, groups, cout // groups))
    for ky in range(kh):
        for kx in range(kw):
            win = xp[:, ky * dh::sh, kx * dw::sw][:, :oh, :ow]
            win = win.reshape(*win.shape[:3], groups, cin_g)
            y += np.einsum("nhwgc,goc->nhwgo", win, wg[:, :, ky, kx, :])
    return y.reshape(x.shape[0], oh, ow, cout)


def _windows(x, attrs: dict, out_hw):
    """Yield (oy, ox, block [N, rows, cols, C]) of each pooling window's inside part."""
    kh, kw = attrs["kernel"]
    sh, sw = attrs["stride"]
    pt, pl = attrs["pads"][0], attrs["pads"][1]
    for oy in range(out_hw[0]):
        for ox in range(out_hw[1]):
            y0, x0 = oy * sh - pt, ox * sw - pl
            yield oy, ox, x[:, max(y0, 0):y0 + kh, max(x0, 0):x0 + kw]


def avg_pool64(x, attrs: dict, out_hw) -> np.ndarray:
    x = np.asarray(x, np.float64)
    kh, kw = attrs["kernel"]
    y = np.zeros((x.shape[0], *out_hw, x.shape[3]))
    for oy, ox, blk in _windows(x, attrs, out_hw):
        div = kh * kw if attrs.get("count_include_pad") else blk.shape[1] * blk.shape[2]
        y[:, oy, ox] = blk.sum(axis=(1, 2)) / div
    return y


def max_pool64(x, attrs: dict, out_hw) -> np.ndarray:
    x = np.asarray(x, np.float64)
    y = np.zeros((x.shape[0], *out_hw, x.shape[3]))
    for oy, ox, blk in _windows(x, attrs, out_hw):
        y[:, oy, ox] = blk.max(axis=(1, 2))
    return y


def central_diff(f, x: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """d f / d x of a scalar function of float64 ``x``, by central differences."""
    x = np.asarray(x, np.float64)
    out = np.zeros_like(x)
    flat, grad = x.reshape(-1), out.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + h
        hi = f(x)
        flat[i] = keep - h
        lo = f(x)
        flat[i] = keep
        grad[i] = (hi - lo) / (2 * h)
    return out
