"""signal_fft_auto_scale (TFLite Micro's SignalFftAutoScale, ``signal/src/fft_auto_scale.cc``
and ``max_abs.cc``): outputs ``(y, scale_bits)``, ``scale_bits = max(0, 15 - msb32(m))``
and ``y[i] = x[i] << scale_bits`` (int16, wrapping), where ``m`` is TFLM's reference
MaxAbs16 - an int16 running maximum: ``m = v`` if ``v > m``, else ``m = -v`` (stored back
to int16) if ``-v > m``. A -32768 wraps that to -32768, after which the next values reset
it (``v > -32768``): :func:`max_abs16` follows the loop exactly, and a negative ``m`` gives
``msb32 = 32``, so 0 bits. Kernel ``td_signal_fft_auto_scale`` (its second output is an
int32 scalar).

TFLM takes a 1-D int16 input and output of that size and a rank-0 int32 scale; anything
else is refused naming the node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._signal_common import msb32


@dataclass(frozen=True, eq=False)
class SignalFftAutoScaleArgs(KernelArgs):
    C_FUNC = "td_signal_fft_auto_scale"
    size: int


def prepare(g: Graph, op: Op) -> SignalFftAutoScaleArgs:
    x, y, s = g.t(op.inputs[0]), g.t(op.outputs[0]), g.t(op.outputs[1])
    if x.dtype != "int16" or y.dtype != "int16" or s.dtype != "int32":
        raise UnsupportedError(f"signal_fft_auto_scale: takes int16 -> (int16, int32), got "
                               f"{x.dtype} -> ({y.dtype}, {s.dtype})", node=op.name)
    if len(x.shape) != 1 or len(y.shape) != 1 or len(s.shape) != 0 or x.size != y.size \
            or x.size < 1:
        raise UnsupportedError(f"signal_fft_auto_scale: input {list(x.shape)} and output "
                               f"{list(y.shape)} must be the same 1-D size, the scale "
                               f"{list(s.shape)} a scalar (TFLite Micro's shapes)",
                               node=op.name)
    return SignalFftAutoScaleArgs(int(x.size))


def max_abs16(x: np.ndarray) -> int:
    """TFLM's reference MaxAbs16 (an int16 running value, see the module doc)."""
    v = np.asarray(x, np.int64).ravel()
    low = np.flatnonzero(v == -32768)
    if low.size == 0:
        return int(np.abs(v).max(initial=0))
    m = -32768                                    # after the last -32768: the loop itself
    for e in v[int(low[-1]) + 1:]:
        e = int(e)
        if e > m:
            m = e
        elif -e > m:
            m = ((-e + 32768) % 65536) - 32768
    return m


def run(a: SignalFftAutoScaleArgs, x):
    m = max_abs16(x)
    bits = max(0, 15 - int(msb32(np.uint32(m % 2**32))))
    y = (np.asarray(x, np.int64) << bits).astype(np.uint64).astype(np.uint16).view(np.int16)
    return y.reshape(np.shape(x)), np.array(bits, np.int32)


register("signal_fft_auto_scale", prepare, run, SignalFftAutoScaleArgs)
