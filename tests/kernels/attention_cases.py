"""Random one-op graphs of the integer-graph kinds (ir/ops/attention.py, ir/ops/shape.py
and the any-width variants), ``(rng, prefix) -> (graph, inputs)``: shared by the kernel
tests (C vs golden under ASan/UBSan), the golden tests and the fusion tests."""

from __future__ import annotations

import numpy as np

from tests.graphs import act, const, one_op
from tinydeploy.ir.graph import Graph

ZPS = (0, -128)          # signed values, and unsigned ones stored as int8 with zp -128


def t(name: str, shape, dtype: str = "int8", zp: int = 0):
    return act(name, tuple(int(d) for d in shape), 1.0, zp, dtype)


def values(rng, tensor) -> np.ndarray:
    info = np.iinfo(np.dtype(tensor.dtype))
    return rng.integers(int(info.min), int(info.max), size=tensor.shape, endpoint=True
                        ).astype(tensor.dtype)


def _with_inputs(rng, g: Graph):
    return g, [values(rng, g.t(n)) for n in g.inputs]


def matmul(rng, p: str, bias: bool | None = None):
    """A batched, broadcast, possibly transposed product of two activations or of an
    activation and a constant, with an optional bias and integer alpha/beta."""
    m, n, k = (int(rng.integers(1, 7)) for _ in range(3))
    nb = int(rng.integers(0, 3))
    batch = [int(rng.integers(1, 4)) for _ in range(nb)]
    ba = [d if rng.random() < 0.7 else 1 for d in batch]
    bb = [d if rng.random() < 0.7 else 1 for d in batch]
    ta, tb = bool(rng.random() < 0.4), bool(rng.random() < 0.5)
    out_batch = list(np.broadcast_shapes(tuple(ba), tuple(bb)))
    a = t(p + "a", ba + ([k, m] if ta else [m, k]), "int8", int(rng.choice(ZPS)))
    if rng.random() < 0.3:
        w = const(p + "b", rng.integers(-128, 128, size=bb + ([n, k] if tb else [k, n]))
                  .astype(np.int8), 1.0)
    else:
        w = t(p + "b", bb + ([n, k] if tb else [k, n]), "int8", int(rng.choice(ZPS)))
    ins = [a, w]
    use_bias = rng.random() < 0.5 if bias is None else bias
    if use_bias:
        shape = [n] if rng.random() < 0.5 else out_batch[-1:] + [m, n]
        ins.append(const(p + "c", rng.integers(-9999, 9999, size=shape).astype(np.int32), 1.0))
    else:
        ins.append(None)                 # the kernel gets NULL
    y = t(p + "y", out_batch + [m, n], "int32")
    g = one_op("matmul", ins, y, name=p + "op", k=k, trans_a=ta, trans_b=tb,
               alpha=int(rng.integers(-3, 4)), beta=int(rng.integers(-3, 4)))
    return _with_inputs(rng, g)


def _rows_shape(rng):
    return [int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 40))]


def isoftmax(rng, p: str):
    shape = _rows_shape(rng)
    log2 = int(rng.choice([1, 9, 64, 255]))
    coeff_b = int(rng.integers(log2, 400))
    n = int(rng.choice([128, 256]))
    x = t(p + "x", shape, "int8", int(rng.choice(ZPS)))
    g = one_op("isoftmax", [x], t(p + "y", shape, "int8", -128 if n > 128 else 0),
               name=p + "op", coeff_a=int(rng.integers(0, 3)), coeff_b=coeff_b,
               coeff_c=int(rng.integers(1, 70000)), log2=log2, n_levels=n)
    return _with_inputs(rng, g)


def itamax(rng, p: str):
    shape = _rows_shape(rng)
    g = one_op("itamax", [t(p + "x", shape, "int8", int(rng.choice(ZPS)))],
               t(p + "y", shape, "int8", -128), name=p + "op", n_levels=256)
    return _with_inputs(rng, g)


def itapartialmax(rng, p: str):
    gw = int(rng.integers(1, 9))
    shape = [int(rng.integers(1, 4)), int(rng.integers(1, 5)), gw * int(rng.integers(1, 6))]
    g = one_op("itapartialmax", [t(p + "x", shape)], t(p + "y", shape, "int8", 0),
               name=p + "op", n_levels=256, group_width=gw)
    return _with_inputs(rng, g)


def igelu(rng, p: str):
    shape = [int(rng.integers(1, 4)), int(rng.integers(1, 20))]
    g = one_op("igelu", [t(p + "x", shape, "int8", int(rng.choice(ZPS)))],
               t(p + "y", shape, "int32"), name=p + "op", b=int(rng.integers(-300, 1)),
               one=int(rng.integers(0, 3000)))
    return _with_inputs(rng, g)


def ihardswish(rng, p: str):
    shape = [int(rng.integers(1, 4)), int(rng.integers(1, 20))]
    six = int(rng.integers(0, 2000))
    g = one_op("ihardswish", [t(p + "x", shape, "int8", int(rng.choice(ZPS)))],
               t(p + "y", shape, "int32"), name=p + "op", one_over_six=int(rng.integers(-60, 60)),
               three=int(rng.integers(-1000, 1000)), six=six)
    return _with_inputs(rng, g)


def norm(rng, p: str, kind: str):
    shape = _rows_shape(rng)
    length = shape[-1]
    ins = [t(p + "x", shape, "int8", int(rng.choice(ZPS))),
           const(p + "w", rng.integers(-2**22, 2**22, size=length).astype(np.int32), 1.0)]
    if kind == "ilayernorm":
        ins.append(const(p + "b", rng.integers(-2**20, 2**20, size=length).astype(np.int32),
                         1.0))
    zp = int(rng.choice([0, -5]))
    g = one_op(kind, ins, t(p + "y", shape, "int8", zp), name=p + "op",
               log2d=int(rng.integers(10, 20)), clip=(-120 - zp, 127))
    return _with_inputs(rng, g)


def inonorm(rng, p: str):
    shape = [int(rng.integers(1, 3)), int(rng.integers(1, 6)), int(rng.integers(1, 9))]
    w_size = int(np.prod(shape[int(rng.integers(1, 3)):]))
    g = one_op("inonorm", [t(p + "x", shape, "int8", int(rng.choice(ZPS))),
                           const(p + "w", rng.integers(-100, 100, size=w_size)
                                 .astype(np.int32), 1.0),
                           const(p + "b", rng.integers(-3000, 3000, size=shape[-1])
                                 .astype(np.int32), 1.0)],
               t(p + "y", shape), name=p + "op", mul=int(rng.integers(-500, 500)),
               log2d=int(rng.integers(8, 18)), clip=(-128, 127))
    return _with_inputs(rng, g)


def integer_div(rng, p: str):
    shape = [int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 6))]
    b_shape = [d if rng.random() < 0.5 else 1 for d in shape]
    a = t(p + "a", shape, str(rng.choice(["int8", "int16"])))
    b = t(p + "b", b_shape, "int8", -128)                          # b >= 0
    g = one_op("integer_div", [a, b], t(p + "y", shape, "int32"), name=p + "op",
               delta=int(rng.integers(1, 16)), eps=int(rng.integers(1, 9)),
               eta=int(rng.integers(1, 300)), b_range=(0, 255))
    return _with_inputs(rng, g)


def reduce(rng, p: str):
    shape = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(1, 5)))]
    axes = sorted({int(a) for a in rng.integers(0, len(shape), size=2)})
    keep = bool(rng.random() < 0.5)
    out = [1 if d in axes else s for d, s in enumerate(shape)] if keep else \
        [s for d, s in enumerate(shape) if d not in axes] or [1]
    zp = int(rng.choice(ZPS))
    mode = str(rng.choice(["sum", "mean"]))
    y = t(p + "y", out, "int8", zp) if mode == "mean" and rng.random() < 0.5 else \
        t(p + "y", out, "int32")
    g = one_op("reduce", [t(p + "x", shape, "int8", zp)], y, name=p + "op", axes=tuple(axes),
               mode=mode)
    return _with_inputs(rng, g)


def add_mul_any(rng, p: str, kind: str):
    shape = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(1, 4)))]
    b_shape = [d if rng.random() < 0.5 else 1 for d in shape][int(rng.integers(0, 2)):]
    a = t(p + "a", shape, str(rng.choice(["int8", "int16"])), 0)
    b = t(p + "b", b_shape or [1], str(rng.choice(["int8", "int16"])), 0)
    attrs = {"mults": (int(rng.integers(-3, 4)), int(rng.integers(-3, 4)))} \
        if kind == "add" else {}
    g = one_op(kind, [a, b], t(p + "y", shape, "int32"), name=p + "op", **attrs)
    return _with_inputs(rng, g)


def requant_any(rng, p: str):
    shape = [int(rng.integers(1, 4)), int(rng.integers(1, 6))]
    c = shape[-1] if rng.random() < 0.5 else 1
    src = str(rng.choice(["int8", "int16"]))
    zp = int(rng.choice(ZPS)) if src == "int8" else 0
    out = str(rng.choice(["int8", "int16", "int32"]))
    info = np.iinfo(out)
    g = one_op("requant", [t(p + "x", shape, src, zp)], t(p + "y", shape, out),
               name=p + "op", mul=rng.integers(-2**12, 2**12, size=c),
               add=rng.integers(-2**20, 2**20, size=c), div=int(2 ** rng.integers(0, 16)),
               rounding="floor", clip=(int(info.min) + 3, int(info.max) - 3))
    return _with_inputs(rng, g)


def slice_(rng, p: str):
    shape = [int(rng.integers(1, 6)) for _ in range(int(rng.integers(1, 5)))]
    starts, steps, out = [], [], []
    for n in shape:
        st = int(rng.choice([1, 1, 2, -1]))
        s0 = int(rng.integers(0, n))
        count = len(range(s0, n if st > 0 else -1, st))
        starts.append(s0)
        steps.append(st)
        out.append(int(rng.integers(1, count + 1)))
    dtype = str(rng.choice(["int8", "int16", "int32"]))
    g = one_op("slice", [t(p + "x", shape, dtype)], t(p + "y", out, dtype), name=p + "op",
               starts=tuple(starts), steps=tuple(steps))
    return _with_inputs(rng, g)


def gather(rng, p: str):
    shape = [int(rng.integers(1, 5)) for _ in range(int(rng.integers(1, 4)))]
    axis = int(rng.integers(0, len(shape)))
    idx = rng.integers(0, shape[axis], size=int(rng.integers(1, 4)))
    out = shape[:axis] + [len(idx)] + shape[axis + 1:]
    dtype = str(rng.choice(["int8", "int16", "int32"]))
    g = one_op("gather", [t(p + "x", shape, dtype)], t(p + "y", out, dtype), name=p + "op",
               axis=axis, indices=tuple(int(i) for i in idx))
    return _with_inputs(rng, g)


def transpose_wide(rng, p: str):
    shape = [int(rng.integers(1, 5)) for _ in range(int(rng.integers(2, 5)))]
    perm = [int(i) for i in rng.permutation(len(shape))]
    dtype = str(rng.choice(["int16", "int32"]))
    g = one_op("transpose", [t(p + "x", shape, dtype)],
               t(p + "y", [shape[i] for i in perm], dtype), name=p + "op", perm=tuple(perm))
    return _with_inputs(rng, g)


def concat_wide(rng, p: str):
    shape = [int(rng.integers(1, 4)) for _ in range(3)]
    axis = int(rng.integers(0, 3))
    other = list(shape)
    other[axis] = int(rng.integers(1, 4))
    out = list(shape)
    out[axis] += other[axis]
    dtype = str(rng.choice(["int16", "int32"]))
    g = one_op("concat", [t(p + "a", shape, dtype), t(p + "b", other, dtype)],
               t(p + "y", out, dtype), name=p + "op", axis=axis)
    return _with_inputs(rng, g)


def pad_any(rng, p: str):
    shape = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(1, 4)))]
    pads = [(int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in shape]
    dtype = str(rng.choice(["int8", "int16", "int32"]))
    zp = int(rng.choice(ZPS)) if dtype == "int8" else 0
    value = int(rng.integers(0 if zp else -5, 6))
    g = one_op("pad", [t(p + "x", shape, dtype, zp)],
               t(p + "y", [n + a + b for n, (a, b) in zip(shape, pads)], dtype, zp),
               name=p + "op", pads=tuple(pads), value=value or 1)
    return _with_inputs(rng, g)


def layernorm(rng, p: str):
    shape = _rows_shape(rng)
    length = shape[-1]
    x = act(p + "x", shape, float(rng.uniform(0.005, 0.2)), int(rng.integers(-20, 20)))
    y = act(p + "y", shape, float(rng.uniform(0.01, 0.1)), int(rng.integers(-10, 10)))
    g = one_op("layernorm", [x], y, name=p + "op", gamma=rng.uniform(-2, 2, length),
               beta=rng.uniform(-1, 1, length), epsilon=float(rng.choice([1e-5, 1e-3])))
    return _with_inputs(rng, g)


def softmax_exp(rng, p: str):
    shape = _rows_shape(rng)
    x = act(p + "x", shape, float(rng.uniform(0.01, 0.3)), int(rng.integers(-20, 20)))
    y = act(p + "y", shape, float(rng.uniform(1 / 300, 1 / 100)), -128)
    return _with_inputs(rng, one_op("softmax_exp", [x], y, name=p + "op"))


def insert(rng, p: str):
    shape = [int(rng.integers(1, 5)) for _ in range(int(rng.integers(1, 5)))]
    part = [int(rng.integers(1, n + 1)) for n in shape]
    starts = tuple(int(rng.integers(0, n - m + 1)) for n, m in zip(shape, part))
    dtype = str(rng.choice(["int8", "int16", "int32"]))
    g = one_op("insert", [t(p + "base", shape, dtype), t(p + "src", part, dtype)],
               t(p + "y", shape, dtype), name=p + "op", starts=starts)
    return _with_inputs(rng, g)


CASES = {
    "matmul": matmul, "isoftmax": isoftmax, "itamax": itamax, "itapartialmax": itapartialmax,
    "igelu": igelu, "ihardswish": ihardswish,
    "ilayernorm": lambda rng, p: norm(rng, p, "ilayernorm"),
    "irmsnorm": lambda rng, p: norm(rng, p, "irmsnorm"), "inonorm": inonorm,
    "integer_div": integer_div, "reduce": reduce,
    "add_any": lambda rng, p: add_mul_any(rng, p, "add"),
    "mul_any": lambda rng, p: add_mul_any(rng, p, "mul"), "requant_any": requant_any,
    "slice": slice_, "gather": gather, "transpose_wide": transpose_wide,
    "concat_wide": concat_wide, "pad_any": pad_any, "layernorm": layernorm,
    "softmax_exp": softmax_exp, "insert": insert,
}
