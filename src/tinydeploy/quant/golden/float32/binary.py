"""add, sub, mul, div, pow, maximum, minimum (float32): numpy-broadcast elementwise
arithmetic in float32 (kernel td_binary_f32; ``pow`` is a float-only kind).

The output is walked in row-major order over its shape left-extended to 6 dims; each
input is read through its broadcast strides. A fused ``act`` (TFLite float models) is
applied to the result (td_f32_common.h).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register, register_variant
from tinydeploy.quant.golden.float32._common import (F32, MAX_DIMS, act_code, all_f32,
                                                     apply_act, broadcast_strides, is_f32,
                                                     padded, require)

OPS = ("add", "sub", "mul", "div", "pow", "maximum", "minimum")


@dataclass(frozen=True, eq=False)
class BinaryF32Args(KernelArgs):
    C_FUNC = "td_binary_f32"

    op: int
    act: int
    a_size: int
    b_size: int
    out_shape: np.ndarray = array_field()
    a_strides: np.ndarray = array_field()
    b_strides: np.ndarray = array_field()


def prepare(g: Graph, op: Op) -> BinaryF32Args:
    require(len(op.inputs) == 2, op, "takes two inputs")
    a, b, y = all_f32(g, op, 2)
    shape = tuple(y.shape)
    require(len(shape) <= MAX_DIMS, op, f"more than {MAX_DIMS} dims")
    try:
        want = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        want = None
    require(want is not None and int(np.prod(want)) == y.size and len(want) <= MAX_DIMS,
            op, f"{list(a.shape)} and {list(b.shape)} do not broadcast to {list(shape)}")
    shape = tuple(want)
    return BinaryF32Args(OPS.index(op.kind), act_code(op), a.size, b.size, padded(shape, 1),
                         padded(broadcast_strides(a.shape, shape), 0),
                         padded(broadcast_strides(b.shape, shape), 0))


def _view(x: np.ndarray, shape, strides) -> np.ndarray:
    flat = np.ascontiguousarray(x, dtype=F32).reshape(-1)
    return np.lib.stride_tricks.as_strided(flat, tuple(int(d) for d in shape),
                                           tuple(int(s) * 4 for s in strides), writeable=False)


def run(k: BinaryF32Args, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    u, v = _view(a, k.out_shape, k.a_strides), _view(b, k.out_shape, k.b_strides)
    kind = OPS[k.op]
    with np.errstate(all="ignore"):
        if kind == "add":
            y = u + v
        elif kind == "sub":
            y = u - v
        elif kind == "mul":
            y = u * v
        elif kind == "div":
            y = u / v
        elif kind == "pow":
            y = np.power(u.astype(np.float64), v.astype(np.float64)).astype(F32)
        elif kind == "maximum":
            y = np.where(u > v, u, v)
        else:
            y = np.where(u < v, u, v)
    return apply_act(np.asarray(y, dtype=F32).reshape(-1), k.act)


register("pow", prepare, run, BinaryF32Args)
for _kind in ("add", "sub", "mul", "div", "maximum", "minimum"):
    register_variant(_kind, is_f32, prepare, run, BinaryF32Args)
