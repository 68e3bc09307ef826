"""logistic and tanh (16x8): TFLite's int16 LOGISTIC and TANH, both interpolating the
sigmoid table :data:`.luts.SIGMOID_Q16` (tanh(x) = 2 sigmoid(2x) - 1); kernels
``td_logistic_s16`` and ``td_tanh_s16``. Output scale 2^-15, zero points 0.

The input is rescaled so that 2^17 represents 10.7 (``(x * mult + round) >> shift``): a
power-of-two input scale gives ``mult = 3 << shift``, ``shift = 0``; otherwise ``mult``
is ``s_in * 3 * 4096`` doubled (``shift`` times) until it passes 16383.5, truncated.
Of ``|v|``, the high bits pick a table interval (``>> 9`` for logistic, ``>> 8`` for
tanh), the low bits interpolate; beyond the table the result saturates. The sign is
applied by symmetry, with TFLite's rounding offsets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register_variant, require_same_size
from tinydeploy.quant.golden.int16._common import int16_io, require_int16
from tinydeploy.quant.golden.int16.luts import SIGMOID_Q16

INPUT_INT_BITS = 3
OUTPUT_FRAC_BITS = 15


@dataclass(frozen=True, eq=False)
class LogisticS16Args(KernelArgs):
    C_FUNC = "td_logistic_s16"
    size: int
    input_multiplier: int        # <= 32767
    input_shift: int             # right shift with rounding, >= 0
    table: np.ndarray = array_field("uint16_t")    # [256] sigmoid(i / 24) in 0.16


@dataclass(frozen=True, eq=False)
class TanhS16Args(LogisticS16Args):
    C_FUNC = "td_tanh_s16"


def checked_log2(x: float) -> tuple[bool, int]:
    """TFLite's CheckedLog2 in float32: (is a power of two within 1e-3, rounded log2)."""
    f = np.float32
    lg = f(f(math.log(float(f(x)))) * (f(1.0) / f(math.log(2.0))))
    r = f(math.copysign(math.floor(abs(float(lg)) + 0.5), float(lg)))
    return bool(abs(float(f(lg - r))) < 1e-3), int(r)


def input_rescale(op: Op, scale: float, pot_shifts: tuple[int, ...]) -> tuple[int, int]:
    """(multiplier, right shift) as the kernel applies them (power-of-two case resolved)."""
    pot, log2 = checked_log2(scale)
    shift = (15 - INPUT_INT_BITS) + log2
    if pot and shift in pot_shifts:
        return 3 << shift, 0
    mult, shift = float(np.float32(scale)) * 4096.0 * 3.0, 0
    while mult <= 32767.0 / 2.0 and shift <= 30:
        shift, mult = shift + 1, mult * 2.0
    if int(mult) > 32767:
        raise UnsupportedError(f"{op.kind}: int16 input scale {scale} is too large (TFLite's "
                               "multiplier must stay below 2^15)", node=op.name)
    return int(mult), shift


def _prepare(g: Graph, op: Op, cls: type, pot_shifts: tuple[int, ...]) -> LogisticS16Args:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    require_int16(op, x, y)
    pot, log2 = checked_log2(y.quant.s)
    if not pot or log2 != -OUTPUT_FRAC_BITS:
        raise UnsupportedError(f"{op.kind}: int16 output must have scale 2^-15 (TFLite's), "
                               f"got {y.quant.s}", node=op.name)
    mult, shift = input_rescale(op, x.quant.s, pot_shifts)
    return cls(x.size, mult, shift, SIGMOID_Q16)


def _rescaled(a: LogisticS16Args, x: np.ndarray) -> np.ndarray:
    rnd = (1 << (a.input_shift - 1)) if a.input_shift > 0 else 0
    return (np.asarray(x).astype(np.int64) * a.input_multiplier + rnd) >> a.input_shift


def run_logistic(a: LogisticS16Args, x: np.ndarray) -> np.ndarray:
    v = _rescaled(a, x)
    mag = np.abs(v)
    uh = np.minimum(mag >> 9, 254)
    t = a.table.astype(np.int64)
    ua, ub = t[uh], t[uh + 1]
    r = np.where((mag >> 9) >= 255, 0x7FFF << 10, (ua << 9) + (mag & 0x1FF) * (ub - ua))
    r = np.where(v >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1)
    return (r >> 10).astype(np.int16).reshape(np.shape(x))


def run_tanh(a: TanhS16Args, x: np.ndarray) -> np.ndarray:
    v = _rescaled(a, x)
    mag = np.abs(v)
    uh = np.minimum(mag >> 8, 254)
    t = a.table.astype(np.int64)
    ua, ub = t[uh], t[uh + 1]
    r = np.where((mag >> 8) >= 255, 0xFFFF << 8, (ua << 8) + (mag & 0xFF) * (ub - ua))
    r = np.where(v >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1)
    return (r >> 8).astype(np.int16).reshape(np.shape(x))


register_variant("logistic", int16_io, lambda g, op: _prepare(g, op, LogisticS16Args, (0,)),
                 run_logistic, LogisticS16Args)
register_variant("tanh", int16_io, lambda g, op: _prepare(g, op, TanhS16Args, (0, 1)),
                 run_tanh, TanhS16Args)
