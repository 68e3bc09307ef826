"""TFLite's raw int32 DIV, MAXIMUM and MINIMUM (no quantization: the integers themselves,
e.g. micro_speech's feature scaling), any numpy-style broadcast, as variants of the
``div``, ``maximum`` and ``minimum`` kinds. Kernel ``td_binary_s32`` (``op``: 0 div, 1
maximum, 2 minimum), the operands read as in :mod:`._broadcast`.

DIV is TFLM's ``reference_ops::Div<int32_t>``: C's division, truncating toward zero, then
the fused activation's clamp (TFLite's int32 activation range). Where TFLM's C++ is
undefined we define: a zero divisor gives 0 and INT32_MIN / -1 gives INT32_MIN (what the
hardware's wrap-around would); a constant divisor holding a 0 is refused at compile time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import _broadcast, register_variant
from tinydeploy.quant.golden._integer import require

OPS = {"div": 0, "maximum": 1, "minimum": 2}
_I32 = (-2**31, 2**31 - 1)
_ACT = {"none": _I32, "relu": (0, 2**31 - 1), "relu6": (0, 6), "relu_n1_to_1": (-1, 1)}


@dataclass(frozen=True, eq=False)
class BinaryS32Args(KernelArgs):
    C_FUNC = "td_binary_s32"
    op: int                                   # 0 div, 1 maximum, 2 minimum
    act_min: int                              # the fused activation's clamp
    act_max: int
    ndim: int                                 # dims of the merged broadcast walk
    shape: np.ndarray = array_field()
    a_strides: np.ndarray = array_field()     # element strides, 0 = broadcast
    b_strides: np.ndarray = array_field()


def _raw_int32(g: Graph, op: Op) -> bool:
    return all(g.t(n).dtype == "int32" and g.t(n).quant is None
               for n in (*op.inputs[:2], op.outputs[0]))


def prepare(g: Graph, op: Op) -> BinaryS32Args:
    b = g.t(op.inputs[1])
    act = op.attrs.get("act", "none")
    require(act in _ACT, op, f"fused activation {act} on an int32 {op.kind}")
    if op.kind == "div" and b.is_const:
        require(bool(np.all(np.asarray(b.data) != 0)), op,
                f"the constant divisor '{b.name}' holds a 0 (TFLite Micro divides by it)")
    shape, sa, sb = _broadcast.broadcast_layout(g, op)
    lo, hi = _ACT[act]
    return BinaryS32Args(OPS[op.kind], lo, hi, len(shape), np.array(shape, np.int32),
                         np.array(sa, np.int32), np.array(sb, np.int32))


def run(k: BinaryS32Args, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = _broadcast.gather(a, k.shape, k.a_strides).astype(np.int64)
    z = _broadcast.gather(b, k.shape, k.b_strides).astype(np.int64)
    if k.op == 0:
        q = np.abs(x) // np.where(z == 0, 1, np.abs(z))
        y = np.where(z == 0, 0, np.where((x < 0) != (z < 0), -q, q))
        y = np.where(y == 2**31, -2**31, y)              # INT32_MIN / -1 wraps
    else:
        y = np.maximum(x, z) if k.op == 1 else np.minimum(x, z)
    return np.clip(y, k.act_min, k.act_max).astype(np.int32).reshape(-1)


for _kind in OPS:
    register_variant(_kind, _raw_int32, prepare, run, BinaryS32Args)
