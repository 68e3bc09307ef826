"""Signal op kinds: TFLite Micro's signal library (``signal/src``), the integer audio front
end of micro_speech: window -> FFT auto-scale -> real FFT -> energy -> mel filter bank ->
square root -> spectral subtraction (noise reduction) -> PCAN (automatic gain control) ->
log. Tensors are int16, int32 and the unsigned uint32/uint64 these ops use; a complex
spectrum is interleaved (re, im) pairs along the last dimension.

The arithmetic of each kind is its golden in ``quant/golden/signal_*.py`` (bit-exact with
TFLM's kernels); here only what each takes and means.
"""

from __future__ import annotations

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.ir.ops import OpDef, register


def _per_element(g: Graph, op: Op) -> int:
    return g.t(op.outputs[0]).size


def _rfft_macs(g: Graph, op: Op) -> int:
    n = int(op.attrs["fft_length"])
    return (n // 2) * max(1, n.bit_length() - 1) * 2        # ~ butterflies of a real FFT


def _filter_bank_macs(g: Graph, op: Op) -> int:
    return int(g.t(op.inputs[1]).size)                      # one MAC per weight


register(OpDef(
    "signal_window", ("x", "weights"), {"shift": "right shift of each product"},
    _per_element,
    "y[i] = clamp16((x[i] * weights[i mod n]) >> shift) (int32 product, arithmetic shift), "
    "the input walked flat in chunks of the window's length n (micro_speech: [1, 480] "
    "with 480 weights)."))

register(OpDef(
    "signal_fft_auto_scale", ("x",), {},
    _per_element,
    "Outputs (y, scale_bits): the int16 frame shifted left by as many bits as its "
    "largest magnitude allows (scale_bits, an int32 scalar), so the FFT keeps precision."))

register(OpDef(
    "signal_rfft", ("x",),
    {"fft_length": "FFT size: even, >= the frame, fft_length / 2 with prime factors <= 5"},
    _rfft_macs,
    "Real FFT of each int16 (or int32) frame (zero-padded to fft_length): fft_length / 2 + 1 "
    "complex bins, interleaved (re, im), in TFLM's fixed-point kiss_fft (scaled by "
    "1/fft_length)."))

register(OpDef(
    "signal_energy", ("x",), {"start_index": "first bin", "end_index": "one past the last"},
    _per_element,
    "y[k] = re[k]^2 + im[k]^2 (uint32) for start_index <= k < end_index; 0 elsewhere "
    "(TFLM leaves those elements unwritten)."))

register(OpDef(
    "signal_filter_bank",
    ("x", "weights", "unweights", "channel_frequency_starts", "channel_weight_starts",
     "channel_widths"),
    {"num_channels": "output channels"},
    _filter_bank_macs,
    "Triangular (mel) filter bank over uint32 energies (TFLM's FilterbankAccumulateChannels): "
    "channel i of num_channels + 1 sums weights[j] * x[k] over its bins; y[c] (uint64) is "
    "that sum of channel c + 1 plus the sum of unweights[j] * x[k] over channel c's bins "
    "(channel 0 only feeds channel 1)."))

register(OpDef(
    "signal_filter_bank_square_root", ("x", "scale_bits"), {},
    _per_element,
    "y = round(sqrt(x)) >> scale_bits (uint64 -> uint32, saturating); scale_bits is the "
    "FFT auto-scale's int32 scalar."))

register(OpDef(
    "signal_filter_bank_spectral_subtraction", ("x",),
    {"num_channels": "channels", "smoothing": "even channels' smoothing (Q smoothing_bits)",
     "one_minus_smoothing": "(1 - smoothing) in the same Q format",
     "alternate_smoothing": "odd channels' smoothing",
     "alternate_one_minus_smoothing": "(1 - alternate_smoothing)",
     "smoothing_bits": "fraction bits of the smoothing values",
     "min_signal_remaining": "floor of the remaining signal (Q spectral_subtraction_bits)",
     "clamping": "0/1: clamp the noise estimate to the signal",
     "spectral_subtraction_bits": "fraction bits of min_signal_remaining"},
    _per_element,
    "Noise reduction: a running noise estimate per channel (smoothed over calls) is "
    "subtracted from the signal, keeping at least min_signal_remaining of it. Outputs (y, "
    "noise_estimate): the noise estimate is the state, held across calls "
    "(graph.meta['state'], starts at 0) and updated in place."))

register(OpDef(
    "signal_pcan", ("x", "noise_estimate", "gain_lut"), {"snr_shift": "SNR shift"},
    _per_element,
    "Per-channel automatic gain control (PCAN): each uint32 channel is divided by a "
    "power of its noise estimate looked up in gain_lut (int16), then compressed."))

register(OpDef(
    "signal_filter_bank_log", ("x",),
    {"output_scale": "multiplier of the log", "input_correction_bits": "input left shift"},
    _per_element,
    "y = output_scale * log(x << input_correction_bits) in TFLM's fixed point (int16, "
    "saturating; 0 where the shifted value is 0 or 1)."))
