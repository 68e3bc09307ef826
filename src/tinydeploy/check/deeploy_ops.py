"""Deeploy's integer operators for the ONNX reference evaluator: the independent reference
of integer transformers and language models (validate).

Each class restates one operator from its definition - quantlib's ``PACTInteger*``
autograd functions (the Python that produced Deeploy's ``outputs.npz``) and, where they
differ, Deeploy's generic C kernels (``TargetLibraries/Generic/src``) - with numpy on
int64 (or float64 where quantlib computes in floating point and the values stay exact),
sharing nothing with the compiler's goldens. ``ReduceMean`` is overridden: on an integer
graph Deeploy's kernel returns the mean rounded half up, not the float mean.
"""

from __future__ import annotations

import math

import numpy as np
from onnx.reference.op_run import OpRun


def _i(v) -> int:
    return int(np.asarray(v).ravel()[0])


def _int(x) -> np.ndarray:
    return np.asarray(x).astype(np.int64)


def _out(y: np.ndarray) -> tuple[np.ndarray]:
    return (np.asarray(y).astype(np.float64),)


class ISoftmax(OpRun):
    op_domain = ""

    def _run(self, x, coeffA=None, coeffB=None, coeffC=None, log2=None, n_levels=None):
        a, b, c, l2, n = (_i(v) for v in (coeffA, coeffB, coeffC, log2, n_levels))
        v = _int(x)
        x_tilde = v - v.max(axis=-1, keepdims=True)
        z = np.floor_divide(-x_tilde, l2)
        p = x_tilde + z * l2
        y = np.floor_divide(a * (p + b) ** 2 + c, np.left_shift(1, np.minimum(z, 62)))
        return _out(np.floor_divide(y * (n - 1), y.sum(axis=-1, keepdims=True)))


class ITAMax(OpRun):
    op_domain = ""

    def _run(self, x, n_levels=None):
        n = float(_i(n_levels))
        bits = math.log2(n)
        v = np.asarray(x, dtype=np.float64)
        diff = v.max(axis=-1, keepdims=True) - v
        shift = np.floor(diff * bits / 2**bits + 0.5)
        exp_sum = np.floor(np.sum(n / 2**shift, axis=-1, keepdims=True))
        inv = np.floor(n * (n - 1) / exp_sum)
        return _out(np.floor(inv / 2**shift))


class ITAPartialMax(OpRun):
    """As ``ITAPartialMax_s8`` computes it (Deeploy's C: scale 127, running max from
    -128), one row at a time."""
    op_domain = ""

    def _run(self, x, n_levels=None, group_width=None, groups=None):
        gw = _i(group_width)
        v = _int(x)
        rows = v.reshape(-1, v.shape[-1])
        out = np.zeros_like(rows)
        for r, row in enumerate(rows):
            top, acc = -128, 0
            for g in range(0, row.size, gw):
                part = [int(t) for t in row[g:g + gw]]
                cur = max(part)
                drop = (cur - top + 16) >> 5 if cur > top else 0
                top = max(top, cur)
                acc = (acc >> drop) + sum(256 >> ((top - t + 16) >> 5) for t in part)
            out[r] = [(127 * 256 // acc) >> ((top - int(t) + 16) >> 5) for t in row]
        return _out(out.reshape(v.shape))


class IGELU(OpRun):
    op_domain = ""

    def _run(self, x, b=None, one=None):
        b, one = float(_i(b)), float(_i(one))
        v = np.asarray(x, dtype=np.float64)
        big_l = np.sign(v) * (-(np.clip(np.abs(v), None, -b) + b) ** 2 + one)
        return _out(v * np.floor((one + big_l) / 2))


class IHardswish(OpRun):
    op_domain = ""

    def _run(self, x, one_over_six=None, three=None, six=None):
        v = np.asarray(x, dtype=np.float64)
        return _out(v * (np.clip(v + _i(three), 0, _i(six)) * _i(one_over_six)))


def _isqrt(a: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda s: math.isqrt(int(s)))(a).astype(np.int64)


def _trunc_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    q = np.floor_divide(np.abs(a), b)
    return np.where(a < 0, -q, q)


class ILayerNorm(OpRun):
    op_domain = ""

    def _run(self, x, weight, bias, D=None, n_levels=None):
        v, n = _int(x), _i(n_levels)
        length = v.shape[-1]
        nom = v - _trunc_div(v.sum(axis=-1, keepdims=True), length)
        denom = _isqrt(np.floor_divide((nom * nom).sum(axis=-1, keepdims=True), length) + 1)
        y = _trunc_div(nom * _int(weight), denom) + _int(bias)
        return _out(np.clip(np.floor_divide(y, _i(D)), -(n // 2), n // 2 - 1))


class IRMSNorm(OpRun):
    op_domain = ""

    def _run(self, x, weight, D=None, n_levels=None):
        v, n = _int(x), _i(n_levels)
        length = v.shape[-1]
        denom = _isqrt(np.floor_divide((v * v).sum(axis=-1, keepdims=True), length) + 1)
        y = np.floor_divide(_trunc_div(v * _int(weight), denom), _i(D))
        return _out(np.clip(y, -(n // 2), n // 2 - 1))


class INoNorm(OpRun):
    op_domain = ""

    def _run(self, x, weight, bias, D=None, mul=None, n_levels=None):
        n = _i(n_levels)
        y = np.floor_divide((_int(x) * _int(weight) + _int(bias)) * _i(mul), _i(D))
        return _out(np.clip(y, -(n // 2), n // 2 - 1))


class TrueIntegerDiv(OpRun):
    """x * floor(Delta * eta / (y * eta + eps)): what Deeploy computes after folding the
    division into the RequantShift that follows it."""
    op_domain = ""

    def _run(self, x, Delta=None, eps=None, eta=None, y=None):
        return _out(_int(x) * ((_i(Delta) * _i(eta)) // (_i(y) * _i(eta) + _i(eps))))


class IntegerDiv(OpRun):
    op_domain = ""

    def _run(self, a, b, Delta=None, eps=None, eta=None):
        num = _i(Delta) * _i(eta) * _int(a)
        den = _i(eta) * _int(b) + _i(eps)
        s = num + np.where(num >= 0, 1, -1) * (den >> 1)
        return _out(_trunc_div(s, den))


class IntegerMean(OpRun):
    op_domain = ""

    def _run(self, x, axes=None, keepdims=1):
        ax = tuple(int(a) for a in np.atleast_1d(axes))
        mean = np.mean(np.asarray(x, dtype=np.float64), axis=ax, keepdims=bool(keepdims))
        return _out(np.floor(mean + 0.5))


class ReduceMean(OpRun):
    """ONNX ReduceMean on an integer graph: the mean rounded half up (Deeploy's kernel)."""
    op_domain = ""

    def _run(self, x, axes=None, keepdims=1, noop_with_empty_axes=0):
        ax = None if axes is None else tuple(int(a) for a in np.atleast_1d(axes))
        mean = np.mean(np.asarray(x, dtype=np.float64), axis=ax, keepdims=bool(keepdims))
        return _out(np.floor(mean + 0.5))


OPS = [ISoftmax, ITAMax, ITAPartialMax, IGELU, IHardswish, ILayerNorm, IRMSNorm, INoNorm,
       TrueIntegerDiv, IntegerDiv, IntegerMean]
class Dequant(OpRun):
    """Deeploy's Dequant (its C template): ``(q - zero_point) * scale``, in float64 here."""
    op_domain = ""

    def _run(self, x, scale=None, zero_point=None, bit_width=None, signed=None):
        return _out((np.asarray(x, dtype=np.float64) - float(zero_point)) * float(scale))


NAMES = {"Dequant": Dequant, "iSoftmax": ISoftmax, "ITAMax": ITAMax, "ITAPartialMax": ITAPartialMax,
         "iGELU": IGELU, "iHardswish": IHardswish, "iLayerNorm": ILayerNorm,
         "iRMSNorm": IRMSNorm, "iNoNorm": INoNorm, "TrueIntegerDiv": TrueIntegerDiv,
         "IntegerDiv": IntegerDiv, "IntegerMean": IntegerMean}


def op_classes(model, integer: bool = False) -> list[type]:
    """The classes a model needs, each in the domain its nodes use (class names must be
    the op types, so each is subclassed per domain); ``integer``: the graph computes on
    integers (ReduceMean rounds)."""
    out, seen = [], set()
    for n in model.graph.node:
        base = NAMES.get(n.op_type)
        if base is None or (n.op_type, n.domain) in seen:
            continue
        seen.add((n.op_type, n.domain))
        out.append(type(n.op_type, (base,), {"op_domain": n.domain}))
    if any(n.op_type == "ReduceMean" for n in model.graph.node) and (out or integer):
        out.append(ReduceMean)
    return out
