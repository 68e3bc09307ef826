"""abs (int8, int16): TFLite Micro's quantized ABS: ``|x - zp_in|``, rescaled by
``s_in / s_out`` (in double, ``MultiplyByQuantizedMultiplier``) only when the two
float32 scales differ, plus ``zp_out``, clamped to the type. int8 is a table
(:mod:`._lut8`); int16 (zero points 0) is kernel ``td_abs_s16``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import _lut8, register, require_same_size
from tinydeploy.quant.golden.int16._common import require_int16
from tinydeploy.quant.requant import multiply_by_quantized_multiplier, quantize_multiplier


@dataclass(frozen=True, eq=False)
class AbsS16Args(KernelArgs):
    C_FUNC = "td_abs_s16"
    size: int
    rescale: int             # 0: the scales are equal, no multiplier
    multiplier: int
    shift: int


def values(p: dict, x, lo: int, hi: int) -> np.ndarray:
    v = np.abs(np.asarray(x, dtype=np.int64) - p["zi"])
    if p["rescale"]:
        v = multiply_by_quantized_multiplier(v, p["m"], p["s"])
    return np.clip(v + p["zo"], lo, hi)


def prepare(g: Graph, op: Op):
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    (si, zi), (so, zo) = _lut8.quant8(op, x), _lut8.quant8(op, y)
    m, s = quantize_multiplier(si / so)
    p = dict(zi=zi, zo=zo, rescale=int(si != so), m=m, s=s)
    if x.dtype == "int16":
        require_int16(op, x, y)
        return AbsS16Args(x.size, p["rescale"], m, s)
    return _lut8.lut_args(g, op, lambda v: values(p, v, -128, 127))


def run(a, x: np.ndarray) -> np.ndarray:
    if isinstance(a, _lut8.LutS8Args):
        return _lut8.run_lut(a, x)
    p = dict(zi=0, zo=0, rescale=a.rescale, m=a.multiplier, s=a.shift)
    return values(p, x, -32768, 32767).astype(np.int16)


register("abs", prepare, run, AbsS16Args)
