"""requant of an 8- or 16-bit input (integer graphs): Deeploy's RequantShift applied to a
value that is not an int32 accumulator (a residual branch, a softmax output, a KV-cache
entry), to int8/int16/int32. The arithmetic is :mod:`.requant`'s, on the source value
``x + in_offset`` (``in_offset`` = -zero point of the input):

    y = clamp(floor((x_src * mul[c] + add[c]) * mul2 / div[c]), lo, hi) + zero point of y

A variant of the ``requant`` kind for int8/int16 inputs; element sizes are arguments
(``td_requant_any``: one loop for the six type pairs, bound by memory).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register_variant, require_same_size
from tinydeploy.quant.golden import requant as _rq
from tinydeploy.quant.golden._integer import ELEM_BYTES, dtypes, offset

_IN = ("int8", "int16")
_OUT = ("int8", "int16", "int32")


@dataclass(frozen=True, eq=False)
class RequantAnyArgs(_rq.RequantArgs):
    C_FUNC = "td_requant_any"

    in_bytes: int = 1         # element size of the input (1 or 2)
    out_bytes: int = 1        # element size of the output (1, 2 or 4)
    in_offset: int = 0        # -zero point of the input


def prepare(g: Graph, op: Op) -> RequantAnyArgs:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    dtypes(op, x, _IN, "input")
    dtypes(op, y, _OUT, "output")
    info = np.iinfo(np.dtype(x.dtype))
    off = offset(x)
    attrs = dict(op.attrs)
    attrs.setdefault("x_range", (int(info.min) + off, int(info.max) + off))
    view = g.tensors.copy()
    as32 = x.__class__(x.name, x.shape, "int32", None)
    view[x.name] = as32
    base = _rq.prepare(type(g)(g.name, view, g.ops, g.inputs, g.outputs, g.source, g.meta),
                       op.with_(attrs=attrs))
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    return RequantAnyArgs(**fields, in_bytes=ELEM_BYTES[x.dtype], out_bytes=ELEM_BYTES[y.dtype],
                          in_offset=off)


def run(a: RequantAnyArgs, x: np.ndarray) -> np.ndarray:
    out = {1: np.int8, 2: np.int16, 4: np.int32}[a.out_bytes]
    v = (x.astype(np.int64).reshape(-1, a.channels) + a.in_offset) * a.mul
    if a.fp32 & 1:
        v = _rq.round_f32(v)
    v = v + a.add
    if a.fp32 & 2:
        v = _rq.round_f32(v)
    q = _rq.divide(v * np.int64(a.mul2), a.div, a.rounding)
    return (np.clip(q, a.clip_lo, a.clip_hi) + a.out_offset).astype(out).reshape(-1)


register_variant("requant", lambda g, op: g.t(op.inputs[0]).dtype in _IN, prepare, run,
                 RequantAnyArgs)
