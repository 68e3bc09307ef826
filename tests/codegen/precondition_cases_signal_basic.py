"""Valid args and violations of the precondition rules of the element-wise signal kernels
(quant/preconditions/signal_basic.py), for tests/codegen/test_preconditions.py."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.golden.signal_energy import SignalEnergyArgs
from tinydeploy.quant.golden.signal_fft_auto_scale import SignalFftAutoScaleArgs
from tinydeploy.quant.golden.signal_filter_bank_log import SignalFilterBankLogArgs, log_lut
from tinydeploy.quant.golden.signal_filter_bank_square_root import \
    SignalFilterBankSquareRootArgs
from tinydeploy.quant.golden.signal_window import SignalWindowArgs

CASES_SIGNAL_BASIC = {
    "td_signal_window": (SignalWindowArgs(960, 480, 12), [
        ({"size": 961}, "is not a multiple of window = 480"),
        ({"window": 0}, "window = 0 must be > 0"),
        ({"shift": 32}, "shift = 32 outside [0, 31]")]),
    "td_signal_fft_auto_scale": (SignalFftAutoScaleArgs(480), [
        ({"size": 0}, "size = 0 must be > 0")]),
    "td_signal_energy": (SignalEnergyArgs(514, 257, 5, 241), [
        ({"end_index": 258}, "end_index = 258 past the 257 bins"),
        ({"size": 100}, "end_index = 241 past the 257 bins of the input or the 100"),
        ({"end_index": 4}, "end_index = 4 outside [5, "),
        ({"start_index": -1}, "start_index = -1 outside")]),
    "td_signal_filter_bank_square_root": (SignalFilterBankSquareRootArgs(40), [
        ({"size": 0}, "size = 0 must be > 0")]),
    "td_signal_filter_bank_log": (SignalFilterBankLogArgs(40, 64, 3, log_lut()), [
        ({"correction_bits": 32}, "correction_bits = 32 outside [0, 31]"),
        ({"output_scale": -1}, "output_scale = -1 outside"),
        ({"lut": np.zeros(128, np.uint16)}, "lut has 128 entries, the kernel reads 129")]),
}
