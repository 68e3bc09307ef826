"""signal_rfft (int16 and int32): TFLite Micro's SignalRfft (``signal/micro/kernels/rfft.cc``
with ``signal/src/rfft_int16.cc`` / ``rfft_int32.cc``): the real FFT of each frame by
kissfft v130 in 16- or 32-bit fixed point (``_kissfft``), kernels ``td_signal_rfft_s16``
and ``td_signal_rfft_s32``.

TFLM copies each frame (the input's last dimension, ``input_length`` samples) into a work
area of ``fft_length`` samples, zero-pads it, and runs ``kiss_fftr``: a complex FFT of
``fft_length / 2`` points over the (even, odd) sample pairs, then the split into
``fft_length / 2 + 1`` bins, interleaved (re, im) in the output's last dimension. Every
stage scales by its radix (``C_FIXDIV``), so the result is the DFT divided by
``fft_length`` (rounded per stage). Leading dimensions are frames, processed one by one.

Python computes kissfft's init (factorization, twiddles with double cos/sin, super
twiddles) once and passes the tables in the args; the C kernel needs no libm. Refused
(naming the node): float inputs (TFLM's float variant; a float model does not reach this
golden), input and output types that differ, an odd fft_length or one whose half has a
prime factor above 5 (TFLM's patched kissfft would dereference a null buffer there),
frames longer than fft_length, and output shapes other than the input's with the last
dimension ``fft_length + 2`` (TFLM would write past them or leave gaps).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import _kissfft, register


@dataclass(frozen=True, eq=False)
class SignalRfftArgs(KernelArgs):
    C_FUNC = "td_signal_rfft_s16"
    C_SCRATCH = True
    n_frames: int
    input_length: int                  # samples per frame (<= fft_length), zero-padded
    fft_length: int
    n_stages: int
    factors: np.ndarray = array_field("int32_t")         # [n_stages, 2]: (radix, m)
    twiddles: np.ndarray = array_field("int16_t")        # [fft_length / 2, 2]: (re, im)
    super_twiddles: np.ndarray = array_field("int16_t")  # [fft_length / 4, 2]

    BITS: ClassVar[int] = 16

    def scratch_size(self) -> int:
        # the complex FFT's fft_length / 2 (re, im) values
        return self.BITS // 8 * self.fft_length

    @property
    def n_bins(self) -> int:
        return self.fft_length // 2 + 1


@dataclass(frozen=True, eq=False)
class SignalRfftS32Args(SignalRfftArgs):
    C_FUNC = "td_signal_rfft_s32"
    BITS = 32
    twiddles: np.ndarray = array_field("int32_t")
    super_twiddles: np.ndarray = array_field("int32_t")


def stages_for(fft_length: int, node: str) -> list[tuple[int, int]]:
    """kissfft's factorization of the complex half, refusing what TFLM cannot run."""
    if fft_length < 4 or fft_length % 2:
        raise UnsupportedError(f"signal_rfft: fft_length = {fft_length} must be even and >= 4 "
                               "(TFLite Micro's kiss_fftr needs an even length; a half of 1 "
                               "point takes kissfft's generic butterfly)", node=node)
    stages = _kissfft.factors(fft_length // 2)
    bad = sorted({p for p, _ in stages if p not in (2, 3, 4, 5)})
    if bad:
        raise UnsupportedError(f"signal_rfft: fft_length = {fft_length}: fft_length / 2 has "
                               f"the factor(s) {bad}; only radices 2, 3, 4, 5 are supported "
                               "(TFLite Micro's kissfft build cannot run the generic "
                               "butterfly)", node=node)
    return stages


def prepare(g: Graph, op: Op) -> SignalRfftArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    n = int(op.attrs["fft_length"])
    if x.dtype not in ("int16", "int32") or y.dtype != x.dtype:
        raise UnsupportedError(f"signal_rfft: only the int16 and int32 FFTs are supported "
                               f"(TFLM 'T' = int16 / int32, the same output type); input "
                               f"'{x.name}' is {x.dtype}, output is {y.dtype}", node=op.name)
    cls = SignalRfftArgs if x.dtype == "int16" else SignalRfftS32Args
    fx = _kissfft.Fixed(cls.BITS)
    stages = stages_for(n, op.name)
    xs, ys = tuple(int(v) for v in x.shape), tuple(int(v) for v in y.shape)
    if not xs or len(xs) != len(ys) or xs[:-1] != ys[:-1] or ys[-1] != n + 2:
        raise UnsupportedError(f"signal_rfft: input {list(xs)} and output {list(ys)}: the "
                               f"output must have the input's shape with the last dimension "
                               f"fft_length + 2 = {n + 2}", node=op.name)
    if not 1 <= xs[-1] <= n:
        raise UnsupportedError(f"signal_rfft: frames of {xs[-1]} samples do not fit "
                               f"fft_length = {n}", node=op.name)
    ncfft = n // 2
    return cls(
        n_frames=int(np.prod(xs[:-1], dtype=np.int64)), input_length=xs[-1], fft_length=n,
        n_stages=len(stages), factors=np.asarray(stages, np.int32).reshape(-1, 2),
        twiddles=_kissfft.twiddles(ncfft, fx), super_twiddles=_kissfft.super_twiddles(ncfft, fx))


def run(a: SignalRfftArgs, x) -> np.ndarray:
    fx = _kissfft.Fixed(a.BITS)
    frames = np.zeros((a.n_frames, a.fft_length), fx.dtype)
    frames[:, :a.input_length] = np.asarray(x, fx.dtype).reshape(a.n_frames, a.input_length)
    stages = [(int(p), int(m)) for p, m in np.asarray(a.factors).reshape(-1, 2)]
    out = _kissfft.rfft(frames, a.fft_length, stages, np.asarray(a.twiddles).reshape(-1, 2),
                        np.asarray(a.super_twiddles).reshape(-1, 2), fx)
    shape = tuple(np.shape(x)[:-1]) + (2 * a.n_bins,)
    return out.reshape(shape)


register("signal_rfft", prepare, run, SignalRfftArgs)
