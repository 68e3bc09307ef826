"""Valid args and violations of the precondition rules of the spectral signal kernels
(quant/preconditions/signal_fft.py), for tests/codegen/test_preconditions.py."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.golden import _kissfft
from tinydeploy.quant.golden.signal_filter_bank import SignalFilterBankArgs
from tinydeploy.quant.golden.signal_rfft import SignalRfftArgs, SignalRfftS32Args


def rfft_args(fft_length: int = 512, input_length: int = 480, n_frames: int = 2,
              bits: int = 16) -> SignalRfftArgs:
    stages = _kissfft.factors(fft_length // 2)
    fx = _kissfft.Fixed(bits)
    cls = SignalRfftArgs if bits == 16 else SignalRfftS32Args
    return cls(n_frames, input_length, fft_length, len(stages), np.asarray(stages, np.int32),
               _kissfft.twiddles(fft_length // 2, fx),
               _kissfft.super_twiddles(fft_length // 2, fx))


_R = rfft_args()
_TW_MIN = _R.twiddles.copy()
_TW_MIN[3, 1] = -32768
_RADIX7 = np.array([[4, 64], [7, 1]], np.int32)
_R32 = rfft_args(120, 90, 3, bits=32)
_TW32_MIN = _R32.twiddles.copy()
_TW32_MIN[7, 0] = -2**31

CASES_SIGNAL_FFT = {
    "td_signal_rfft_s16": (_R, [
        ({"fft_length": 3}, "fft_length = 3 outside [4, 65536]"),
        ({"fft_length": 514}, "not kissfft's factors of 257"),
        ({"input_length": 513}, "input_length = 513 outside [1, 512]"),
        ({"n_frames": 0}, "n_frames = 0 must be > 0"),
        ({"n_stages": 3}, "factors has 8 entries, the kernel reads 6"),
        ({"n_stages": 2, "factors": _RADIX7}, "stage 1: radix 7 x 1 != 64"),
        ({"twiddles": _R.twiddles[:-1]}, "twiddles has 510 entries, the kernel reads 512"),
        ({"super_twiddles": _R.super_twiddles[:-1]}, "super_twiddles has 254 entries"),
        ({"twiddles": _TW_MIN}, "magnitude 32768")]),
    "td_signal_rfft_s32": (_R32, [
        ({"fft_length": 128}, "stage 0: radix 4 x 15 != 64"),
        ({"input_length": 121}, "input_length = 121 outside [1, 120]"),
        ({"twiddles": _TW32_MIN}, "magnitude 2147483648")]),
    "td_signal_filter_bank": (SignalFilterBankArgs(40, 40, 257, 316, 316, 41, 41, 41), [
        ({"n_out": 41}, "n_out = 41 > num_channels = 40"),
        ({"num_channels": 0}, "num_channels = 0 must be > 0"),
        ({"n_widths": 40}, "n_widths = 40 outside [41, "),
        ({"n_input": 0}, "n_input = 0 must be > 0")]),
}
