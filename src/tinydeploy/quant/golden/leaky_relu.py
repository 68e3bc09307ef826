"""leaky_relu (int8, int16): TFLite's quantized LEAKY_RELU (``QuantizeLeakyRelu``).

``v = x - zp_in``; ``y = zp_out + (v >= 0 ? M_id(v) : sign * M_alpha(v))``, clamped to the
type, with ``M_id = s_in / s_out`` and ``M_alpha = s_in * alpha / s_out`` (in double, of
the float32 scales and alpha); a negative alpha is applied as a positive multiplier and a
sign. int8 is a table (:mod:`._lut8`); int16 (zero points 0) is kernel
``td_leaky_relu_s16``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import _lut8, register, require_same_size
from tinydeploy.quant.golden.int16._common import require_int16
from tinydeploy.quant.requant import multiply_by_quantized_multiplier, quantize_multiplier


@dataclass(frozen=True, eq=False)
class LeakyReluS16Args(KernelArgs):
    C_FUNC = "td_leaky_relu_s16"
    size: int
    mult_identity: int
    shift_identity: int
    mult_alpha: int              # |multiplier| of the negative side
    shift_alpha: int
    alpha_negative: int          # 1: the negative side's result is negated


def signed_multiplier(real: float, op: Op) -> tuple[int, int, int]:
    """(|multiplier|, shift, negative) as TFLite's QuantizeMultiplier of a signed real."""
    if real < 0:
        q, _ = math.frexp(-real)
        if math.floor(q * 2**31 + 0.5) == 2**31:   # TFLite keeps -2^31: negating overflows
            raise UnsupportedError(f"{op.kind}: alpha multiplier {real} rounds to -2^31 "
                                   "(TFLite's negation of it overflows)", node=op.name)
    m, s = quantize_multiplier(abs(real))
    return m, s, int(real < 0)


def _params(g: Graph, op: Op) -> dict:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    (si, zi), (so, zo) = _lut8.quant8(op, x), _lut8.quant8(op, y)
    alpha = float(np.float32(op.attrs.get("alpha", 0.2)))     # stored as float32
    ma, sa, neg = signed_multiplier(si * alpha / so, op)
    mi, s_i = quantize_multiplier(si / so)
    return dict(zi=zi, zo=zo, mi=mi, si=s_i, ma=ma, sa=sa, neg=neg)


def values(p: dict, x, lo: int, hi: int) -> np.ndarray:
    v = np.asarray(x, dtype=np.int64) - p["zi"]
    pos = multiply_by_quantized_multiplier(v, p["mi"], p["si"])
    alp = multiply_by_quantized_multiplier(v, p["ma"], p["sa"])
    y = p["zo"] + np.where(v >= 0, pos, -alp if p["neg"] else alp)
    return np.clip(y, lo, hi)


def prepare(g: Graph, op: Op):
    p = _params(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype == "int16":
        require_int16(op, x, y)
        return LeakyReluS16Args(x.size, p["mi"], p["si"], p["ma"], p["sa"], p["neg"])
    return _lut8.lut_args(g, op, lambda v: values(p, v, -128, 127))


def run(a, x: np.ndarray) -> np.ndarray:
    if isinstance(a, _lut8.LutS8Args):
        return _lut8.run_lut(a, x)
    p = dict(zi=0, zo=0, mi=a.mult_identity, si=a.shift_identity, ma=a.mult_alpha,
             sa=a.shift_alpha, neg=a.alpha_negative)
    return values(p, x, -32768, 32767).astype(np.int16)


register("leaky_relu", prepare, run, LeakyReluS16Args)
