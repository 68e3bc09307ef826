"""signal_filter_bank_log (TFLite Micro's SignalFilterBankLog, ``signal/src/filter_bank_log.cc``
and ``log.cc``): ``y[c] = min(Log32(x[c] << input_correction_bits, output_scale), 32767)``
(uint32 -> int16), 0 where the shifted value is 0 or 1. The left shift is uint32: bits
shifted out are lost (it wraps). Log32 is TFLM's fixed point natural log:

- ``e = msb32(v) - 1`` (the integer part of log2 v); ``f = v - 2^e`` scaled to 16 fraction
  bits (``<< (16 - e)`` or ``>> (e - 16)``, int32);
- the fraction corrected from a 128-segment table, ``lut[k] = round((log2(1 + k/128) -
  k/128) * 2^16)`` (k = 0..128; TFLM's kLogLut, derived here, :func:`log_lut`): with ``s =
  f >> 9``, ``frac = f + lut[s] + (((lut[s+1] - lut[s]) * (f - 512 s)) >> 16)`` (int32,
  arithmetic shift);
- ``log2 = (e << 16) + frac``; ``loge = (45426 * log2 + 32768) >> 16`` (uint64, then
  uint32; 45426 = round(ln 2 * 2^16)); the result ``(output_scale * loge + 32768) >> 16``
  in uint32 arithmetic (the product wraps modulo 2^32 as TFLM's does).

Kernel ``td_signal_filter_bank_log``; the table is the args' ``lut`` array. TFLM takes a
1-D uint32 input and a 1-D int16 output; here of the same size, input_correction_bits in
[0, 31] (a larger count is undefined in TFLM's C++), output_scale in [0, 2^31). Anything
else is refused naming the node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._signal_common import msb32

LOG_SEGMENTS_LOG2 = 7
LOG_SCALE_LOG2 = 16
LOG_COEFF = 45426                # round(ln(2) * 2^16)


def log_lut() -> np.ndarray:
    """The 129 fraction corrections of Log32 (uint16), see the module doc."""
    k = np.arange((1 << LOG_SEGMENTS_LOG2) + 1, dtype=np.float64)
    x = k / (1 << LOG_SEGMENTS_LOG2)
    return np.floor((np.log2(1 + x) - x) * (1 << LOG_SCALE_LOG2) + 0.5).astype(np.uint16)


@dataclass(frozen=True, eq=False)
class SignalFilterBankLogArgs(KernelArgs):
    C_FUNC = "td_signal_filter_bank_log"
    size: int                    # channels
    output_scale: int
    correction_bits: int         # input left shift, [0, 31]
    lut: np.ndarray = array_field("uint16_t")     # 129 entries


def prepare(g: Graph, op: Op) -> SignalFilterBankLogArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "uint32" or y.dtype != "int16" or len(x.shape) != 1 or \
            len(y.shape) != 1 or x.size != y.size or x.size < 1:
        raise UnsupportedError(f"signal_filter_bank_log: takes a 1-D uint32 input to an "
                               f"int16 output of its size, got {x.dtype} {list(x.shape)} -> "
                               f"{y.dtype} {list(y.shape)}", node=op.name)
    bits, scale = int(op.attrs["input_correction_bits"]), int(op.attrs["output_scale"])
    if not 0 <= bits <= 31 or not 0 <= scale <= 2**31 - 1:
        raise UnsupportedError(f"signal_filter_bank_log: input_correction_bits {bits} "
                               f"outside [0, 31] or output_scale {scale} outside "
                               "[0, 2^31)", node=op.name)
    return SignalFilterBankLogArgs(int(x.size), scale, bits, log_lut())


def log32(v: np.ndarray, out_scale: int, lut: np.ndarray) -> np.ndarray:
    """TFLM's Log32 of uint32 values > 1 (int64 arrays), as uint32 values in int64."""
    e = msb32(v).astype(np.int64) - 1
    f = v - (np.int64(1) << e)
    f = np.where(e < LOG_SCALE_LOG2, f << np.maximum(LOG_SCALE_LOG2 - e, 0),
                 f >> np.maximum(e - LOG_SCALE_LOG2, 0))
    seg = f >> (LOG_SCALE_LOG2 - LOG_SEGMENTS_LOG2)
    t = np.asarray(lut, np.int64)
    c0, c1 = t[seg], t[seg + 1]
    rel = ((c1 - c0) * (f - (seg << (LOG_SCALE_LOG2 - LOG_SEGMENTS_LOG2)))) >> LOG_SCALE_LOG2
    frac = (f + c0 + rel) & 0xFFFFFFFF
    log2 = ((e << LOG_SCALE_LOG2) + frac) & 0xFFFFFFFF
    half = 1 << (LOG_SCALE_LOG2 - 1)
    loge = ((LOG_COEFF * log2 + half) >> LOG_SCALE_LOG2) & 0xFFFFFFFF
    return (((out_scale * loge + half) & 0xFFFFFFFF) >> LOG_SCALE_LOG2)


def run(a: SignalFilterBankLogArgs, x):
    v = (np.asarray(x, np.uint64).ravel() << np.uint64(a.correction_bits)) \
        & np.uint64(0xFFFFFFFF)
    v = v.astype(np.int64)
    big = v > 1
    out = log32(np.where(big, v, 2), a.output_scale, a.lut)
    return np.where(big, np.minimum(out, 32767), 0).astype(np.int16)


register("signal_filter_bank_log", prepare, run, SignalFilterBankLogArgs)
