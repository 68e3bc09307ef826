"""softmax (int8 -> int8, or int8 -> int16: kernel ``td_softmax_s8_s16``; last axis):
TFLite's fixed-point softmax.

Per row: ``d = x - max(row)``; entries with ``d < diff_min`` contribute nothing and
output -128. Others are scaled to Q5.26 by ``beta * s_in`` (``input_multiplier``,
``input_left_shift``), exponentiated with gemmlowp's ``exp_on_negative_values``, summed in
Q12.19 and normalized by a fixed-point reciprocal of the sum. The output quantization is
fixed by TFLite: scale 1/256, zero point -128 (int16: 1/65536 within TFLite's 0.1%
tolerance, zero point -32768; the output rounded to 16 fractional bits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import _fixedpoint as fp
from tinydeploy.quant.golden import register, require_same_size
from tinydeploy.quant.golden.add import check_int8
from tinydeploy.quant.requant import quantize_multiplier

SCALED_DIFF_INT_BITS = 5     # exp() input is Q5.26
ACCUM_INT_BITS = 12          # sum of exps is Q12.19
OUTPUT_SCALE = 1.0 / 256
OUTPUT_ZERO_POINT = -128
MAX_DEPTH = 4095             # each exp adds up to 2**19 to an int32 sum


@dataclass(frozen=True, eq=False)
class SoftmaxArgs(KernelArgs):
    C_FUNC = "td_softmax_s8"
    outer: int                   # rows
    depth: int                   # length of the last axis
    input_multiplier: int        # Q31 multiplier of beta * s_in * 2**26 ...
    input_left_shift: int        # ... with this left shift (>= 0)
    diff_min: int                # smallest x - max(row) that is not flushed to -128


@dataclass(frozen=True, eq=False)
class SoftmaxS8S16Args(SoftmaxArgs):
    C_FUNC = "td_softmax_s8_s16"


def _beta_multiplier(beta: float, scale: float, node: str) -> tuple[int, int]:
    """TFLite PreprocessSoftmaxScaling (double-rounding build): a multiplier > 1."""
    real = min(beta * scale * (1 << (31 - SCALED_DIFF_INT_BITS)), (1 << 31) - 1.0)
    if not real > 1.0:
        raise UnsupportedError(f"softmax: beta * input scale = {beta * scale} is too small",
                               node=node)
    return quantize_multiplier(real)


def _int16_output(g: Graph, op: Op) -> bool:
    return g.t(op.inputs[0]).dtype == "int8" and g.t(op.outputs[0]).dtype == "int16"


def prepare(g: Graph, op: Op) -> SoftmaxArgs:
    wide = _int16_output(g, op)
    cls = SoftmaxS8S16Args if wide else SoftmaxArgs
    if wide:
        out = g.t(op.outputs[0])
        check_int8(g, op.with_(outputs=()))
        if out.quant is None or out.quant.per_channel or out.quant.zp != -32768 or \
                abs(float(np.float32(out.quant.s)) - 1 / 65536) > 0.001 / 65536:
            raise UnsupportedError("softmax: an int16 output of an int8 softmax must have "
                                   "scale 1/65536 and zero point -32768 (TFLite's)",
                                   node=op.name)
    else:
        check_int8(g, op)
    require_same_size(g, op)
    x, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if not wide and (out.quant.s != OUTPUT_SCALE or out.quant.zp != OUTPUT_ZERO_POINT):
        raise UnsupportedError("softmax: int8 output must have scale 1/256 and zero point "
                               f"-128 (TFLite's), got {out.quant.s} and {out.quant.zp}",
                               node=op.name)
    beta = float(np.float32(op.attrs.get("beta", 1.0)))   # TFLite stores beta as float32
    mult, shift = _beta_multiplier(beta, x.quant.s, op.name)
    # TFLite CalculateInputRadius: floor((2**5 - 1) * 2**26 / 2**shift).
    radius = math.floor(((1 << SCALED_DIFF_INT_BITS) - 1)
                        * (1 << (31 - SCALED_DIFF_INT_BITS)) / (1 << shift))
    depth = x.shape[-1] if x.shape else 1
    if depth > MAX_DEPTH:
        raise UnsupportedError(f"softmax: rows of {depth} > {MAX_DEPTH} overflow TFLite's "
                               "int32 sum of exponentials", node=op.name)
    return cls(outer=x.size // depth, depth=depth, input_multiplier=mult,
               input_left_shift=shift, diff_min=-radius)


def run(args: SoftmaxArgs, x: np.ndarray) -> np.ndarray:
    rows = np.asarray(x).astype(np.int64).reshape(args.outer, args.depth)
    diff = rows - rows.max(axis=1, keepdims=True)
    valid = diff >= args.diff_min
    # MultiplyByQuantizedMultiplierGreaterThanOne; diff >= diff_min keeps the shift in int32.
    scaled = fp.srdhm(np.where(valid, diff, 0) << args.input_left_shift, args.input_multiplier)
    exps = fp.exp_on_negative_values(scaled, SCALED_DIFF_INT_BITS)          # Q0.31
    terms = np.where(valid, fp.rescale(exps, 0, ACCUM_INT_BITS), 0)          # Q12.19
    sums = terms.sum(axis=1, keepdims=True)
    scale, bits_over_unit = fp.get_reciprocal(sums, ACCUM_INT_BITS)
    bits, lo, hi, dt = (16, -32768, 32767, np.int16) if isinstance(args, SoftmaxS8S16Args) \
        else (8, -128, 127, np.int8)
    # TFLite aborts when a row's sum of exps reaches 512 (exponent > 31); we saturate it.
    exponent = np.minimum(bits_over_unit + 31 - bits, 31)
    out = fp.rounding_divide_by_pot(fp.srdhm(scale, exps), exponent) + lo
    out = np.where(valid, np.clip(out, lo, hi), lo)
    return out.astype(dt).reshape(np.shape(x))


register("softmax", prepare, run, SoftmaxArgs)
