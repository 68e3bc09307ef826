"""signal_filter_bank_spectral_subtraction (uint32 -> uint32, uint32 noise estimate): TFLite
Micro's FilterbankSpectralSubtraction (signal/src/filter_bank_spectral_subtraction.cc),
kernel ``td_signal_spectral_subtraction``.

Per channel i (smoothing s and 1 - s: ``smoothing`` / ``one_minus_smoothing`` on even
channels, the ``alternate_`` pair on odd ones; TFLM holds every option as uint32, so a
negative option is its value modulo 2^32):

    up       = (x[i] << smoothing_bits) mod 2^32
    noise[i] = ((up * s + noise[i] * (1 - s)) mod 2^64 >> spectral_subtraction_bits) mod 2^32
    est      = min(noise[i], up)            (clamping: noise[i] = est too)
    floor    = ((x[i] * min_signal_remaining) >> spectral_subtraction_bits) mod 2^32
    y[i]     = max((up - est) >> smoothing_bits, floor)

The noise estimate is the op's second output and its state, held across calls
(``graph.meta["state"]``): :func:`run` takes its current value after the input and returns
``(y, noise)``; TFLM starts it (Prepare, Reset) at 0 (:func:`reset_values`). TFLM loops over
``num_channels`` whatever the tensors hold, so every tensor must have exactly that many
elements (TFLM would read or write past them otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register

_M32 = 0xFFFFFFFF


@dataclass(frozen=True, eq=False)
class SpectralSubtractionArgs(KernelArgs):
    C_FUNC = "td_signal_spectral_subtraction"
    num_channels: int
    smoothing: int                       # even channels (Q smoothing_bits)
    one_minus_smoothing: int
    alternate_smoothing: int             # odd channels
    alternate_one_minus_smoothing: int
    smoothing_bits: int
    spectral_subtraction_bits: int
    min_signal_remaining: int            # Q spectral_subtraction_bits
    clamping: int                        # 0/1


def prepare(g: Graph, op: Op) -> SpectralSubtractionArgs:
    n = int(op.attrs["num_channels"])
    for role, name in (("input", op.inputs[0]), ("output", op.outputs[0]),
                       ("noise estimate", op.outputs[1] if len(op.outputs) > 1 else "")):
        if not name:
            raise UnsupportedError("signal_filter_bank_spectral_subtraction: needs the noise "
                                   "estimate as its second output", node=op.name)
        t = g.t(name)
        if t.dtype != "uint32" or len(t.shape) != 1 or t.size != n:
            raise UnsupportedError(
                f"signal_filter_bank_spectral_subtraction: {role} '{name}' must be a 1-D "
                f"uint32 tensor of num_channels = {n} elements (TFLM loops over num_channels),"
                f" got {t.dtype} {list(t.shape)}", node=op.name)
    a = op.attrs
    return SpectralSubtractionArgs(
        n, int(a["smoothing"]), int(a["one_minus_smoothing"]), int(a["alternate_smoothing"]),
        int(a["alternate_one_minus_smoothing"]), int(a["smoothing_bits"]),
        int(a["spectral_subtraction_bits"]), int(a["min_signal_remaining"]),
        int(bool(a["clamping"])))


def reset_values(g: Graph, op: Op) -> tuple[np.ndarray]:
    """The noise estimate TFLM starts from (Prepare and Reset memset it): 0."""
    t = g.t(op.outputs[1])
    return (np.zeros(t.shape, t.np_dtype),)


def run(a: SpectralSubtractionArgs, x, noise):
    """Returns (y, noise estimate)."""
    shape = np.shape(noise)
    x = np.asarray(x, np.uint64).reshape(-1)
    est = np.asarray(noise, np.uint64).reshape(-1)
    odd = (np.arange(a.num_channels) & 1) == 1
    s = np.where(odd, a.alternate_smoothing & _M32, a.smoothing & _M32).astype(np.uint64)
    oms = np.where(odd, a.alternate_one_minus_smoothing & _M32,
                   a.one_minus_smoothing & _M32).astype(np.uint64)
    sb, ssb = np.uint64(a.smoothing_bits), np.uint64(a.spectral_subtraction_bits)
    up = (x << sb) & np.uint64(_M32)
    # uint64 products of two values below 2^32 fit; their sum wraps modulo 2^64 (numpy's
    # unsigned arrays wrap, as C's uint64_t does)
    new = ((up * s + est * oms) >> ssb) & np.uint64(_M32)
    capped = np.minimum(new, up)
    if a.clamping:
        new = capped
    floor = ((x * np.uint64(a.min_signal_remaining & _M32)) >> ssb) & np.uint64(_M32)
    y = np.maximum((up - capped) >> sb, floor)
    return y.astype(np.uint32), new.astype(np.uint32).reshape(shape)


register("signal_filter_bank_spectral_subtraction", prepare, run, SpectralSubtractionArgs)
