"""Random one-op graphs of TFLite Micro's further builtins (SUB, DIV, LEAKY_RELU, ...),
int8 and int16, for the golden-vs-TFLite-Micro and C-vs-golden tests.

``CASES[name](rng, prefix)`` returns a one-op graph (names prefixed); ``name`` is
``<kind>_<dtype>``. Where TFLite Micro rejects some input values at run time (RSQRT of a
negative number, DIV by zero), ``g.meta["avoid"]`` maps the input to the values to leave
out; :func:`case_inputs` draws inputs accordingly (full range otherwise, or every value
for ``sweep=True``).
"""

from __future__ import annotations

import numpy as np

from tests.graphs import act, const, one_op
from tinydeploy.ir.graph import Graph, Tensor

F32 = np.float32


def f32(v) -> float:
    return float(F32(v))


def raw(name: str, shape, dtype: str) -> Tensor:
    """An unquantized tensor (CAST, ARG_MAX: TFLite's plain integers)."""
    return Tensor(name, tuple(int(d) for d in shape), dtype)


def _t(rng, name: str, shape, dtype: str, scale: float | None = None, zp: int | None = None):
    if dtype == "int16":
        return act(name, shape, f32(scale if scale is not None else rng.uniform(1e-4, 1e-2)),
                   0, "int16")
    return act(name, shape, f32(scale if scale is not None else rng.uniform(0.01, 0.1)),
               int(rng.integers(-128, 128)) if zp is None else zp)


def _shape(rng, n: int | None):
    if n is not None:
        return (n,)
    return tuple(int(d) for d in rng.integers(1, 6, size=int(rng.integers(1, 5))))


def _bshapes(rng, n: int | None) -> tuple[tuple, tuple]:
    if n is not None:
        return (n,), (n,)
    out = _shape(rng, None)
    kind = int(rng.integers(0, 4))
    b = (out if kind == 0 else out[int(rng.integers(0, len(out))):] if kind == 1 else
         tuple(1 if rng.random() < 0.5 else d for d in out) if kind == 2 else (1,))
    return (b, out) if rng.random() < 0.5 else (out, b)


def _unary(kind: str, dtype: str, **attrs):
    def make(rng, p: str, n: int | None = None) -> Graph:
        shape = _shape(rng, n)
        extra = {k: v(rng) for k, v in attrs.items()}
        g = one_op(kind, [_t(rng, p + "x", shape, dtype)], _t(rng, p + "y", shape, dtype),
                   name=p + kind, **extra)
        if kind == "rsqrt":                        # TFLite Micro refuses x < zero point
            g.meta["avoid"] = {p + "x": ("below", g.t(p + "x").quant.zp)}
        return g
    return make


def _binary(kind: str, dtype: str, same_quant: bool = False, acts: bool = False):
    def make(rng, p: str, n: int | None = None) -> Graph:
        sa, sb = _bshapes(rng, n)
        a = _t(rng, p + "a", sa, dtype)
        b = (_t(rng, p + "b", sb, dtype, a.quant.s, a.quant.zp) if same_quant
             else _t(rng, p + "b", sb, dtype))
        y_shape = np.broadcast_shapes(sa, sb)
        ratio = {"sub": 2.0, "div": 4.0, "squared_difference": 3.0}.get(kind, 1.0)
        y = (_t(rng, p + "y", y_shape, dtype, a.quant.s, a.quant.zp) if same_quant else
             _t(rng, p + "y", y_shape, dtype,
                a.quant.s * ratio * float(rng.uniform(0.3, 3.0))))
        attrs = {"act": str(rng.choice(["none", "relu", "relu6"]))} if acts else {}
        g = one_op(kind, [a, b], y, name=p + kind, **attrs)
        if kind == "div":
            g.meta["avoid"] = {p + "b": ("equal", b.quant.zp)}
        return g
    return make


def _prelu(dtype: str):
    def make(rng, p: str, n: int | None = None) -> Graph:
        shape = _shape(rng, n)
        a_shape = shape if n is not None else shape[-int(rng.integers(1, len(shape) + 1)):]
        alpha = act(p + "alpha", a_shape, f32(rng.uniform(0.002, 0.02)),
                    int(rng.integers(-128, 128)))
        if n is None and rng.random() < 0.5:
            alpha = const(p + "alpha", rng.integers(-128, 128, a_shape).astype(np.int8),
                          scale=alpha.quant.s, zp=alpha.quant.zp)
        x = _t(rng, p + "x", shape, dtype)
        return one_op("prelu", [x, alpha], _t(rng, p + "y", shape, dtype), name=p + "prelu")
    return make


def _transpose_conv(dtype: str):
    def make(rng, p: str, n: int | None = None) -> Graph:
        from tinydeploy.frontend.tflite_ops_linear import transpose_conv_pads

        kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        ih, iw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        cin, cout = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        same = bool(rng.random() < 0.5)
        oh = ih * sh if same else (ih - 1) * sh + kh
        ow = iw * sw if same else (iw - 1) * sw + kw
        pads = transpose_conv_pads((oh, ow), (kh, kw), (sh, sw), same)
        x = _t(rng, p + "x", (1, ih, iw, cin), dtype)
        w_s = rng.uniform(0.005, 0.05, cout).astype(F32).astype(np.float64)
        w = const(p + "w", rng.integers(-127, 128, (cout, kh, kw, cin)).astype(np.int8),
                  scale=w_s, zp=0, axis=0)
        bt = np.int64 if dtype == "int16" else np.int32
        lim = 30000 if dtype == "int16" else 2000
        b = (None if rng.random() < 0.3 else
             const(p + "b", rng.integers(-lim * 50, lim * 50, cout).astype(bt),
                   scale=(x.quant.s * w_s).astype(F32).astype(np.float64), zp=0,
                   axis=0 if cout > 1 else None))
        spread = x.quant.s * float(w_s.mean()) * (8000 if dtype == "int16" else 60) * \
            np.sqrt(kh * kw * cin)
        y = _t(rng, p + "y", (1, oh, ow, cout), dtype,
               spread / (8000 if dtype == "int16" else 60) * rng.uniform(0.5, 2.0))
        return one_op("transpose_conv", [x, w, b], y, name=p + "tconv", stride=(sh, sw),
                      pads=pads, act=str(rng.choice(["none", "relu"])))
    return make


def _reduce(kind: str, dtype: str):
    def make(rng, p: str, n: int | None = None) -> Graph:
        rank = int(rng.integers(1, 5))
        shape = [int(d) for d in rng.integers(1, 6, size=rank)]
        axes = tuple(sorted({int(a) for a in rng.integers(0, rank, int(rng.integers(1, 3)))}))
        keep = bool(rng.random() < 0.5)
        out = ([1 if d in axes else v for d, v in enumerate(shape)] if keep else
               [v for d, v in enumerate(shape) if d not in axes] or [1])
        x = _t(rng, p + "x", shape, dtype)
        y = (_t(rng, p + "y", out, dtype, x.quant.s, x.quant.zp) if kind == "reduce_max"
             else _t(rng, p + "y", out, dtype, x.quant.s * float(rng.uniform(2, 20))))
        return one_op(kind, [x], y, name=p + kind, axes=axes, keepdims=keep)
    return make


def _arg(kind: str, dtype: str):
    def make(rng, p: str, n: int | None = None) -> Graph:
        shape = [int(d) for d in rng.integers(1, 7, size=int(rng.integers(1, 5)))]
        axis = int(rng.integers(0, len(shape)))
        out = [v for d, v in enumerate(shape) if d != axis] or [1]
        return one_op(kind, [_t(rng, p + "x", shape, dtype)], raw(p + "y", out, "int32"),
                      name=p + kind, axis=axis)
    return make


def _cast(src: str, dst: str):
    def make(rng, p: str, n: int | None = None) -> Graph:
        shape = _shape(rng, n)
        return one_op("cast", [raw(p + "x", shape, src)], raw(p + "y", shape, dst),
                      name=p + "cast")
    return make


def _l2norm(rng, p: str, n: int | None = None) -> Graph:
    shape = _shape(rng, None) if n is None else (n // 256, 256)
    return one_op("l2_normalization", [_t(rng, p + "x", shape, "int8")],
                  _t(rng, p + "y", shape, "int8", 1 / 128, 0), name=p + "l2norm")


def _resize_bilinear(rng, p: str, n: int | None = None) -> Graph:
    ih, iw, c = (int(v) for v in rng.integers(1, 6, 3))
    oh, ow = (int(v) for v in rng.integers(1, 12, 2))
    mode = int(rng.integers(0, 3))
    x = _t(rng, p + "x", (1, ih, iw, c), "int8")
    y = _t(rng, p + "y", (1, oh, ow, c), "int8", x.quant.s, x.quant.zp)
    return one_op("resize_bilinear", [x], y, name=p + "resize", align_corners=mode == 1,
                  half_pixel_centers=mode == 2)


def _batch_matmul(dtype: str):
    def make(rng, p: str, n: int | None = None) -> Graph:
        m, k, nn = (int(v) for v in rng.integers(1, 7, 3))
        ba = [int(v) for v in rng.integers(1, 4, int(rng.integers(0, 3)))]
        bb = [1 if rng.random() < 0.4 else d for d in ba][int(rng.integers(0, len(ba) + 1)):]
        adj_x, adj_y = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
        a = _t(rng, p + "a", (*ba, *((k, m) if adj_x else (m, k))), dtype)
        b = _t(rng, p + "b", (*bb, *((nn, k) if adj_y else (k, nn))), dtype)
        batch = np.broadcast_shapes(tuple(ba), tuple(bb))
        y = _t(rng, p + "y", (*batch, m, nn), dtype, a.quant.s * b.quant.s *
               (60 if dtype == "int8" else 8000) * np.sqrt(k) * float(rng.uniform(0.3, 3)))
        return one_op("batch_matmul", [a, b], y, name=p + "bmm", adj_x=adj_x, adj_y=adj_y)
    return make


CASES = {
    "sub_int8": _binary("sub", "int8", acts=True), "sub_int16": _binary("sub", "int16", acts=True),
    "div_int8": _binary("div", "int8", acts=True),
    "squared_difference_int8": _binary("squared_difference", "int8"),
    "squared_difference_int16": _binary("squared_difference", "int16"),
    "maximum_int8": _binary("maximum", "int8", same_quant=True),
    "maximum_int16": _binary("maximum", "int16", same_quant=True),
    "minimum_int8": _binary("minimum", "int8", same_quant=True),
    "minimum_int16": _binary("minimum", "int16", same_quant=True),
    "prelu_int8": _prelu("int8"), "prelu_int16": _prelu("int16"),
    "leaky_relu_int8": _unary("leaky_relu", "int8",
                              alpha=lambda r: f32(r.choice([0.01, 0.1, 0.2, -0.3, 1.7]))),
    "leaky_relu_int16": _unary("leaky_relu", "int16",
                               alpha=lambda r: f32(r.choice([0.01, 0.1, 0.2, -0.3, 1.7]))),
    "hard_swish_int8": _unary("hard_swish", "int8"),
    "abs_int8": _unary("abs", "int8"), "abs_int16": _unary("abs", "int16"),
    "rsqrt_int8": _unary("rsqrt", "int8"),
    "transpose_conv_int8": _transpose_conv("int8"),
    "transpose_conv_int16": _transpose_conv("int16"),
    "sum_int8": _reduce("sum", "int8"), "sum_int16": _reduce("sum", "int16"),
    "reduce_max_int8": _reduce("reduce_max", "int8"),
    "arg_max_int8": _arg("arg_max", "int8"), "arg_min_int8": _arg("arg_min", "int8"),
    "cast_int8_int32": _cast("int8", "int32"), "cast_int16_int32": _cast("int16", "int32"),
    "cast_int8_int16": _cast("int8", "int16"), "cast_int32_int8": _cast("int32", "int8"),
    "cast_int16_int8": _cast("int16", "int8"),
    "l2_normalization_int8": _l2norm, "resize_bilinear_int8": _resize_bilinear,
    "batch_matmul_int8": _batch_matmul("int8"), "batch_matmul_int16": _batch_matmul("int16"),
}


def case_inputs(g: Graph, rng: np.random.Generator, sweep: bool = False) -> list[np.ndarray]:
    """Inputs over each integer type's range (every value in turn with ``sweep``), without
    the values ``g.meta["avoid"]`` excludes."""
    out = []
    for name in g.inputs:
        t = g.t(name)
        info = np.iinfo(t.dtype)
        if sweep and info.bits <= 16:
            v = np.resize(rng.permutation(np.arange(int(info.min), int(info.max) + 1)), t.size)
        else:
            v = rng.integers(int(info.min), int(info.max), t.size, endpoint=True)
        rule = g.meta.get("avoid", {}).get(name)
        if rule is not None and rule[0] == "below":
            v = np.where(v < rule[1], rule[1] + (v - int(info.min)) % (int(info.max) - rule[1]
                                                                       + 1), v)
        elif rule is not None:
            v = np.where(v == rule[1], rule[1] + (1 if rule[1] < int(info.max) else -1), v)
        out.append(v.reshape(t.shape).astype(t.dtype))
    return out
