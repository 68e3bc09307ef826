"""softmax (16x8): TFLite's int16 ``SoftmaxInt16`` over the last axis (kernel
``td_softmax_s16``), output scale 1/32768 and zero point 0.

Per row: ``d = x - max`` is scaled so that [-65535, 0] spans exp's table input
[-10, 0] (``MultiplyByQuantizedMultiplier`` by ``s_in * beta / (10 / 65535)``),
recentred by +32767 and saturated to int16, then looked up in the exp table (Q0.15).
The exps are summed in int32; the sum, normalized to its leading one and recentred,
is looked up in the 1/(1+x) table; each exp times that reciprocal, shifted back by the
normalization with rounding, clamped to [0, 32767], is the output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register_variant, require_same_size
from tinydeploy.quant.golden.int16._common import int16_io, require_int16
from tinydeploy.quant.golden.int16.luts import lut_lookup, softmax_luts
from tinydeploy.quant.requant import multiply_by_quantized_multiplier, quantize_multiplier

MAX_DEPTH = 65535      # each exp adds at most 32767 to the int32 sum of a row


@dataclass(frozen=True, eq=False)
class SoftmaxS16Args(KernelArgs):
    C_FUNC = "td_softmax_s16"
    outer: int                                # rows
    depth: int                                # length of the last axis
    input_multiplier: int                     # Q31 of s_in * beta * 65535 / 10 ...
    input_shift: int                          # ... with this shift (> 0 = left)
    exp_lut: np.ndarray = array_field("int16_t")       # [513] exp on [-10, 0]
    recip_lut: np.ndarray = array_field("int16_t")     # [513] 1 / (1 + x) on [0, 1]


def prepare(g: Graph, op: Op) -> SoftmaxS16Args:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    require_int16(op, x, y)
    if abs(y.quant.s - 1.0 / 32768) > 0.001 / 32768:
        raise UnsupportedError(f"softmax: int16 output must have scale 1/32768 (TFLite's), "
                               f"got {y.quant.s}", node=op.name)
    beta = float(np.float32(op.attrs.get("beta", 1.0)))
    mult, shift = quantize_multiplier(float(np.float32(x.quant.s)) * beta / (10.0 / 65535.0))
    depth = x.shape[-1] if x.shape else 1
    if depth > MAX_DEPTH:
        raise UnsupportedError(f"softmax: rows of {depth} > {MAX_DEPTH} overflow TFLite's "
                               "int32 sum of exponentials", node=op.name)
    exp_lut, recip_lut = softmax_luts()
    return SoftmaxS16Args(x.size // depth, depth, mult, shift, exp_lut, recip_lut)


def _clz32(v: np.ndarray) -> np.ndarray:
    return 32 - np.array([int(n).bit_length() for n in np.ravel(v)]).reshape(np.shape(v))


def run(a: SoftmaxS16Args, x: np.ndarray) -> np.ndarray:
    rows = np.ascontiguousarray(x, dtype=np.int64).reshape(a.outer, a.depth)
    diff = rows - rows.max(axis=1, keepdims=True)
    scaled = multiply_by_quantized_multiplier(diff, a.input_multiplier, a.input_shift)
    exps = lut_lookup(np.clip(scaled + 32767, -32768, 32767), a.exp_lut)
    sums = exps.sum(axis=1, keepdims=True)
    headroom = _clz32(sums)                           # CountLeadingZeros + 1 ("plus one")
    shifted = ((sums << (headroom - 1)) + (1 << 13)) >> 14
    recip = lut_lookup(np.clip(shifted - (1 << 15) - (1 << 16), -32768, 32767), a.recip_lut)
    right = 31 - headroom
    out = (exps * recip + (np.int64(1) << (right - 1))) >> right
    return np.clip(out, 0, 32767).astype(np.int16).reshape(np.shape(x))


register_variant("softmax", int16_io, prepare, run, SoftmaxS16Args)
