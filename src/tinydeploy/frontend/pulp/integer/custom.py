"""Handlers of Deeploy's integer operators: iSoftmax, ITAMax, ITAPartialMax, iGELU,
iHardswish, iLayerNorm, iRMSNorm, iNoNorm, and the integer reductions (IntegerMean,
ReduceMean, ReduceSum). The arithmetic is in each kind's golden; here only the attributes
are read and checked, and the ranges and layouts decided. Row-wise ops (softmax, norms)
keep a value's transposed order when its rows are contiguous in it."""

from __future__ import annotations

import numpy as np
from onnx import numpy_helper

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_ops import axis_of
from tinydeploy.frontend.onnx_facts import attrs, opt
from tinydeploy.frontend.pulp.deeploy import _one
from tinydeploy.frontend.pulp.integer.params import exact_ints, over_source
from tinydeploy.frontend.pulp.integer.values import Builder, TVal, storage


def _int(b: Builder, node, name: str, default=None) -> int:
    a = attrs(node)
    if name not in a:
        if default is None:
            raise b.error(f"{node.op_type} needs the attribute {name}", TinyDeployError)
        return default
    v = a[name]
    if hasattr(v, "dims"):                          # a TensorProto attribute
        v = numpy_helper.to_array(v)
    v = _one(b, v, name)
    if v != int(v):
        raise b.error(f"{node.op_type} attribute {name} = {v} is not an integer",
                      TinyDeployError)
    return int(v)


def _log2(b: Builder, node, name: str = "D") -> int:
    d = _int(b, node, name)
    if d < 1 or d & (d - 1):
        raise b.error(f"{name} = {d} is not a power of two", TinyDeployError)
    return d.bit_length() - 1


def _rows(b: Builder, v: TVal) -> tuple[TVal, str]:
    """``v`` as int8 whose IR rows are its source rows (last axis), in place if they are."""
    v = b.narrow(b.applied(v), ("int8",))
    rank = len(v.shape)
    if v.perm is not None and v.perm[-1] == rank - 1:
        return v, b.laid_out(v, v.perm)
    v = b.contiguous(v)
    return v, v.ir


def _row_op(b: Builder, node, kind: str, lo: int, hi: int, params=(), **a) -> None:
    v, ir = _rows(b, b.val(node.input[0]))
    dtype, zp = storage(lo, hi)
    y = b.tensor(node.output[0], b.t(ir).shape, dtype, zp)
    b.op(kind, [ir, *params], [y], **a)
    b.vals[node.output[0]] = TVal(y, v.shape, lo, hi, v.perm)


def isoftmax(b: Builder, node) -> None:
    a = {k: _int(b, node, n) for k, n in (("coeff_a", "coeffA"), ("coeff_b", "coeffB"),
                                          ("coeff_c", "coeffC"), ("log2", "log2"),
                                          ("n_levels", "n_levels"))}
    _row_op(b, node, "isoftmax", 0, a["n_levels"] - 1, **a)


def itamax(b: Builder, node) -> None:
    n = _int(b, node, "n_levels", 256)
    _row_op(b, node, "itamax", 0, n - 1, n_levels=n)


def itapartialmax(b: Builder, node) -> None:
    n = _int(b, node, "n_levels", 256)
    _row_op(b, node, "itapartialmax", 0, n // 2 - 1, n_levels=n,
            group_width=_int(b, node, "group_width"))


def _elementwise(b: Builder, node, kind: str, f, a: dict) -> None:
    """An int8 -> int32 activation; its range is f over every input value."""
    v = b.narrow(b.applied(b.val(node.input[0])), ("int8",))
    xs = np.arange(v.lo, v.hi + 1, dtype=np.int64)
    ys = f(xs)
    y = b.tensor(node.output[0], b.t(v.ir).shape, "int32")
    b.op(kind, [v.ir], [y], **a)
    b.vals[node.output[0]] = TVal(y, v.shape, int(ys.min()), int(ys.max()), v.perm)


def igelu(b: Builder, node) -> None:
    bb, one = _int(b, node, "b"), _int(b, node, "one")

    def f(x):
        d = np.minimum(np.abs(x), -bb) + bb
        return x * ((one + np.sign(x) * (one - d * d)) >> 1)
    _elementwise(b, node, "igelu", f, {"b": bb, "one": one})


def ihardswish(b: Builder, node) -> None:
    k = {n: _int(b, node, n) for n in ("one_over_six", "three", "six")}
    _elementwise(b, node, "ihardswish",
                 lambda x: x * (np.clip(x + k["three"], 0, k["six"]) * k["one_over_six"]), k)


def _levels_clip(b: Builder, node) -> tuple[int, int]:
    n = _int(b, node, "n_levels", 256)
    return -(n // 2), n // 2 - 1


def _row_params(b: Builder, node, length: int, names) -> list[str]:
    out = []
    for k, what in zip(node.input[1:], names):
        p = exact_ints(b, b.const_of(k, what), what).reshape(-1)
        if p.size == 1:
            p = np.repeat(p, length)
        if p.size != length or np.abs(p).max(initial=0) >= 2**31:
            raise b.error(f"{what} must hold {length} int32 values")
        out.append(b.const(k, p.astype(np.int32)))
    return out


def ilayernorm(b: Builder, node) -> None:
    lo, hi = _levels_clip(b, node)
    length = b.val(node.input[0]).shape[-1]
    _row_op(b, node, "ilayernorm", lo, hi, _row_params(b, node, length, ("weight", "bias")),
            log2d=_log2(b, node), clip=(lo, hi))


def irmsnorm(b: Builder, node) -> None:
    lo, hi = _levels_clip(b, node)
    length = b.val(node.input[0]).shape[-1]
    _row_op(b, node, "irmsnorm", lo, hi, _row_params(b, node, length, ("weight",)),
            log2d=_log2(b, node), clip=(lo, hi))


def _periodic(b: Builder, c: np.ndarray, shape, what: str) -> np.ndarray:
    """A parameter broadcast over ``shape`` as the repeating block of its trailing dims."""
    p = over_source(b, c, tuple(shape), what)
    nz = [d for d, n in enumerate(p.shape) if n != 1]
    if not nz:
        return p.reshape(1)
    return np.broadcast_to(p.reshape(p.shape[nz[0]:]), tuple(shape[nz[0]:])).reshape(-1)


def inonorm(b: Builder, node) -> None:
    lo, hi = _levels_clip(b, node)
    v = b.contiguous(b.narrow(b.applied(b.val(node.input[0])), ("int8",)))
    params = []
    for k, what in zip(node.input[1:3], ("weight", "bias")):
        p = _periodic(b, exact_ints(b, b.const_of(k, what), what), v.shape, what)
        if np.abs(p).max(initial=0) >= 2**31:
            raise b.error(f"{what} beyond int32")
        params.append(b.const(k, p.astype(np.int32)))
    dtype, zp = storage(lo, hi)
    y = b.tensor(node.output[0], v.shape, dtype, zp)
    b.op("inonorm", [v.ir, *params], [y], mul=_int(b, node, "mul"), log2d=_log2(b, node),
         clip=(lo, hi))
    b.vals[node.output[0]] = TVal(y, v.shape, lo, hi)


def reduce(b: Builder, node) -> None:
    v = b.contiguous(b.narrow(b.applied(b.val(node.input[0])), ("int8",)))
    a, rank = attrs(node), len(v.shape)
    raw = a.get("axes")
    if raw is None and opt(node, 1):
        raw = exact_ints(b, b.const_of(node.input[1], "axes"), "axes").reshape(-1).tolist()
    if raw is None or len(raw) == 0:
        raw = list(range(rank))
    axes = sorted({axis_of(b, int(x), rank, "axes") for x in np.atleast_1d(raw)})
    keep = bool(a.get("keepdims", 1))
    shape = tuple(1 if d in axes else n for d, n in enumerate(v.shape)) if keep else \
        tuple(n for d, n in enumerate(v.shape) if d not in axes)
    count = int(np.prod([v.shape[d] for d in axes]))
    mean = node.op_type != "ReduceSum"
    t = b.t(v.ir)
    if mean:
        lo, hi = v.lo, v.hi
        dtype, zp = (t.dtype, t.quant.zp) if t.dtype == "int8" else ("int32", 0)
    else:
        lo, hi, dtype, zp = count * v.lo, count * v.hi, "int32", 0
    y = b.tensor(node.output[0], shape or (1,), dtype, zp)
    b.op("reduce", [v.ir], [y], axes=tuple(axes), mode="mean" if mean else "sum")
    b.vals[node.output[0]] = TVal(y, shape or (1,), lo, hi)


HANDLERS = {"iSoftmax": isoftmax, "ITAMax": itamax, "ITAPartialMax": itapartialmax,
            "iGELU": igelu, "iHardswish": ihardswish, "iLayerNorm": ilayernorm,
            "iRMSNorm": irmsnorm, "iNoNorm": inonorm, "IntegerMean": reduce,
            "ReduceMean": reduce, "ReduceSum": reduce}
