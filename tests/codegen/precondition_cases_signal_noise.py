"""Valid args and violations of the precondition rules of the signal library's noise kernels
(quant/preconditions/signal_noise.py), for tests/codegen/test_preconditions.py."""

from __future__ import annotations

from tinydeploy.quant.golden.signal_filter_bank_spectral_subtraction import \
    SpectralSubtractionArgs
from tinydeploy.quant.golden.signal_pcan import PcanArgs

SUBTRACT = SpectralSubtractionArgs(num_channels=40, smoothing=409, one_minus_smoothing=15975,
                                   alternate_smoothing=983,
                                   alternate_one_minus_smoothing=15401, smoothing_bits=10,
                                   spectral_subtraction_bits=14, min_signal_remaining=819,
                                   clamping=0)
PCAN = PcanArgs(num_channels=40, lut_size=125, snr_shift=6)

CASES_SIGNAL_NOISE = {
    "td_signal_spectral_subtraction": (SUBTRACT, [
        ({"num_channels": 0}, "num_channels = 0 must be > 0"),
        ({"smoothing_bits": 32}, "smoothing_bits = 32 outside [0, 31]"),
        ({"spectral_subtraction_bits": -1}, "spectral_subtraction_bits = -1 outside"),
        ({"clamping": 2}, "clamping = 2 outside [0, 1]"),
        ({"num_channels": 2**30}, "channel bytes = 4294967296 exceeds INT32_MAX")]),
    "td_signal_pcan": (PCAN, [
        ({"lut_size": 124}, "lut_size = 124 outside [125, "),
        ({"snr_shift": 32}, "snr_shift = 32 outside [0, 31]"),
        ({"num_channels": -1}, "num_channels = -1 must be > 0")]),
}
