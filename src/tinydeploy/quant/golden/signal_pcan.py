"""signal_pcan (uint32 x, uint32 noise estimate, int16 gain LUT -> uint32): TFLite Micro's
per-channel automatic gain control (signal/src/pcan_argc_fixed.cc,
ApplyPcanAutoGainControlFixed), kernel ``td_signal_pcan``.

Per channel i, with n = noise_estimate[i]:

- gain = WideDynamicFunction(n, lut): ``lut[n]`` for n <= 2; otherwise with k = msb(n) (the
  1-based index of n's top bit, 2..32) and l = lut[4k - 6 ..]:
  ``frac = (k < 11 ? n << (11 - k) : n >> (k - 11)) & 0x3FF``,
  ``r = (((l[2] * frac) >> 5) + 32 l[1]) * frac`` (int32: never overflows for int16
  entries), ``r = ((r + 2^14) >> 15) + l[0]``, truncated to int16; the int16 gain then
  sign-extends to uint32 (a negative gain is a huge one, as in TFLM).
- snr = ((x[i] * gain) >> snr_shift) mod 2^32 (the product in uint64);
- y[i] = PcanShrink(snr): ``snr^2 >> 20`` for snr < 2^13, else ``(snr >> 6) - 64``
  (kPcanSnrBits = 12, kPcanOutputBits = 6).

The LUT is read at indices up to 4 * 32 - 4 = 124 (a noise estimate >= 2^31), so it must
have at least 125 entries (TFLM's kWideDynamicFunctionLUTSize); a shorter one is refused,
naming the node, since TFLM would read past it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._signal_common import msb32

LUT_MIN = 4 * 32 - 3            # entries WideDynamicFunction may read (kWideDynamicFunctionLUTSize)
SNR_BITS, OUTPUT_BITS = 12, 6   # kPcanSnrBits, kPcanOutputBits
_M32 = 0xFFFFFFFF


@dataclass(frozen=True, eq=False)
class PcanArgs(KernelArgs):
    C_FUNC = "td_signal_pcan"
    num_channels: int
    lut_size: int                # entries of gain_lut (>= LUT_MIN)
    snr_shift: int


def prepare(g: Graph, op: Op) -> PcanArgs:
    x, noise, lut = (g.t(n) for n in op.inputs[:3])
    y = g.t(op.outputs[0])
    n = x.size
    for role, t, dt in (("input", x, "uint32"), ("noise estimate", noise, "uint32"),
                        ("gain LUT", lut, "int16"), ("output", y, "uint32")):
        if t.dtype != dt or len(t.shape) != 1:
            raise UnsupportedError(f"signal_pcan: {role} '{t.name}' must be a 1-D {dt} "
                                   f"tensor, got {t.dtype} {list(t.shape)}", node=op.name)
    if noise.size != n or y.size != n:
        raise UnsupportedError(f"signal_pcan: input, noise estimate and output must have "
                               f"the same number of channels, got {n}, {noise.size} and "
                               f"{y.size}", node=op.name)
    if lut.size < LUT_MIN:
        raise UnsupportedError(f"signal_pcan: gain LUT '{lut.name}' has {lut.size} entries, "
                               f"fewer than the {LUT_MIN} a noise estimate up to 2^32 - 1 "
                               "indexes (TFLM would read past it)", node=op.name)
    return PcanArgs(n, lut.size, int(op.attrs["snr_shift"]))


def wide_dynamic(n: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """TFLM's WideDynamicFunction of each noise estimate (int16 gains)."""
    n = np.asarray(n, np.int64)
    lut = np.asarray(lut, np.int64)
    big = n > 2
    k = np.where(big, msb32(n).astype(np.int64), 2)
    base = 4 * k - 6
    l0, l1, l2 = lut[base], lut[base + 1], lut[base + 2]
    frac = np.where(k < 11, n << np.maximum(11 - k, 0), n >> np.maximum(k - 11, 0)) & 0x3FF
    r = ((l2 * frac) >> 5) + 32 * l1
    r = ((r * frac + (1 << 14)) >> 15) + l0
    r = (r + 2**15) % 2**16 - 2**15                   # (int16_t) truncation
    return np.where(big, r, lut[np.minimum(n, 2)]).astype(np.int16)


def shrink(snr: np.ndarray) -> np.ndarray:
    """TFLM's PcanShrink (uint32)."""
    snr = np.asarray(snr, np.int64)
    low = np.minimum(snr, 2 << SNR_BITS)              # (the other branch: no int64 wrap)
    small = (low * low) >> (2 + 2 * SNR_BITS - OUTPUT_BITS)
    large = (snr >> (SNR_BITS - OUTPUT_BITS)) - (1 << OUTPUT_BITS)
    return np.where(snr < (2 << SNR_BITS), small, large)


def run(a: PcanArgs, x, noise, lut):
    gain = wide_dynamic(np.asarray(noise).reshape(-1), np.asarray(lut).reshape(-1))
    gain = gain.astype(np.int64) & _M32                # int16 -> uint32: sign-extended
    snr = ((np.asarray(x, np.uint64).reshape(-1) * gain.astype(np.uint64))
           >> np.uint64(a.snr_shift)) & np.uint64(_M32)
    return shrink(snr.astype(np.int64)).astype(np.uint32)


register("signal_pcan", prepare, run, PcanArgs)
