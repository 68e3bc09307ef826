"""The micro_speech wake-word pipeline, built by the tests (never read from TFLite Micro's
files): the audio preprocessor as TFLM's ``audio_preprocessor.py`` chains it (one 30 ms
frame of int16 audio -> 40 int8 features: window, FFT auto-scale, real FFT, energy with the
bins outside the filter bank zeroed, mel filter bank, square root, spectral subtraction,
PCAN, log, then the int32 rescaling to int8), with its tables computed the way TFLM's
Python signal ops compute them (Hann window, mel filter bank, PCAN gain LUT; float32 where
they use C floats), and a small keyword-spotting CNN over 49 frames x 40 features.

Any valid tables prove bit-exactness; these follow TFLM's so the features look like the
real preprocessor's.
"""

from __future__ import annotations

import numpy as np

from tests.graphs import act
from tests.netbuild import Net
from tests.tflite_writer import TFLiteBuilder, graph_to_tflite

SAMPLE_RATE = 16000
FRAME = 480                 # 30 ms
STRIDE = 320                # 20 ms
FFT = 512
CHANNELS = 40
FRAMES = 49                 # one second of audio
WINDOW_BITS = 12
WEIGHT_BITS = 12            # filter bank weight scaling bits
LOW_HZ, HIGH_HZ = 125.0, 7500.0
ALIGNMENT, BLOCK = 4, 4     # filter bank alignment (bytes) and channel block size
SMOOTHING_BITS = 10
SPECTRAL_BITS = 14
PCAN_STRENGTH, PCAN_OFFSET, PCAN_GAIN_BITS, PCAN_SNR_BITS = 0.95, 80.0, 21, 12
POST_SCALE_BITS = 6
CORRECTION_BITS = FFT.bit_length() - 1 - WEIGHT_BITS // 2       # 9 - 6 = 3


def hann_weights(n: int = FRAME, shift: int = WINDOW_BITS) -> np.ndarray:
    w = 0.5 - 0.5 * np.cos(np.pi * 2 / n * (np.arange(n) + 0.5))
    return np.round(w * (1 << shift)).astype(np.int16)


def _mel(freq) -> np.float32:
    """1127 * log1p(f / 700) in float32, as TFLM's FreqToMel (C floats)."""
    f = np.float32(freq)
    return np.float32(1127.0) * np.log1p(f / np.float32(700.0), dtype=np.float32)


def filter_bank_tables(spectrum: int = FFT // 2 + 1, channels: int = CHANNELS):
    """(start_index, end_index, weights, unweights, channel_frequency_starts,
    channel_weight_starts, channel_widths) as TFLM's filter_bank_ops computes them."""
    align = max(1, ALIGNMENT // 2)
    mel_lo, mel_hi = _mel(LOW_HZ), _mel(HIGH_HZ)
    spacing = (mel_hi - mel_lo) / np.float32(channels + 1)
    centers = mel_lo + spacing * np.arange(1, channels + 2, dtype=np.float32)
    hz_per_bin = (SAMPLE_RATE / 2) / (spectrum - 1)
    start = round(1 + LOW_HZ / hz_per_bin)
    f_starts, w_starts, widths = (np.zeros(channels + 1, np.int64) for _ in range(3))
    act_starts, act_widths = np.zeros(channels + 1, np.int64), np.zeros(channels + 1, np.int64)
    chan_start, w_index, zeros = start, 0, False
    for c in range(channels + 1):
        f = chan_start
        while _mel(f * hz_per_bin) <= centers[c]:
            f += 1
        width = f - chan_start
        act_starts[c], act_widths[c] = chan_start, width
        if width == 0:
            f_starts[c], w_starts[c], widths[c] = 0, 0, BLOCK
            if not zeros:
                zeros = True
                w_starts[:c] += BLOCK
                w_index += BLOCK
        else:
            aligned = (chan_start // align) * align
            padded = ((chan_start - aligned + width - 1) // BLOCK + 1) * BLOCK
            f_starts[c], w_starts[c], widths[c] = aligned, w_index, padded
            w_index += padded
        chan_start = f
    weights, unweights = np.zeros(w_index, np.int16), np.zeros(w_index, np.int16)
    end = 0
    for c in range(channels + 1):
        freq = int(act_starts[c])
        den = np.float32(centers[c] - (mel_lo if c == 0 else centers[c - 1]))
        for j in range(int(act_widths[c])):
            wf = np.float32(centers[c] - _mel(freq * hz_per_bin)) / den
            k = int(w_starts[c] + act_starts[c] - f_starts[c] + j)
            weights[k] = int(wf * (1 << WEIGHT_BITS))
            unweights[k] = int((1 - wf) * (1 << WEIGHT_BITS))
            freq += 1
        end = max(end, freq)
    return (start, end, weights, unweights, *(a.astype(np.int16)
                                              for a in (f_starts, w_starts, widths)))


def pcan_gain_lut(strength: float = PCAN_STRENGTH, offset: float = PCAN_OFFSET,
                  input_bits: int = SMOOTHING_BITS - CORRECTION_BITS,
                  gain_bits: int = PCAN_GAIN_BITS) -> np.ndarray:
    """TFLM's wide dynamic function LUT (4 * 32 - 3 int16 entries), float32 math."""
    def gain(x: int) -> int:
        xf = np.float32(np.float32(x) / np.float32(1 << input_bits))
        g = np.float32(1 << gain_bits) * np.power(np.float32(xf + np.float32(offset)),
                                                  np.float32(-strength), dtype=np.float32)
        return 32767 if g > 32767 else int(np.float32(g + np.float32(0.5)))
    lut = np.zeros(4 * 32 - 3 + 6, np.int64)      # indexed 4 * interval - 6 + k
    lut[0], lut[1] = gain(0), gain(1)
    for interval in range(2, 33):
        x0 = 1 << (interval - 1)
        x1 = x0 + (x0 >> 1)
        x2 = x0 + (x0 - 1) if interval == 32 else 2 * x0
        y0, y1, y2 = gain(x0), gain(x1), gain(x2)
        a1 = 4 * (y1 - y0) - (y2 - y0)
        base = 4 * interval - 6
        lut[base:base + 4] = (y0, a1, (y2 - y0) - a1, 0)
    return ((lut[:4 * 32 - 3] + 2**15) % 2**16 - 2**15).astype(np.int16)


def preprocessor_model() -> bytes:
    """One frame int16 [1, 480] -> int8 [40] features, op for op as micro_speech's."""
    start, end, weights, unweights, f_starts, w_starts, widths = filter_bank_tables()
    bins = FFT // 2 + 1
    w = TFLiteBuilder()

    def t(name, shape, dtype):
        return w.tensor(name, shape, dtype)

    audio = t("audio_frame", (1, FRAME), "int16")
    win = t("window", (1, FRAME), "int16")
    w.op("CUSTOM:SignalWindow", [audio, w.tensor("hann", (FRAME,), "int16",
                                                 data=hann_weights())], [win],
         ("flexbuffer", {"shift": WINDOW_BITS}))
    flat = t("frame", (FRAME,), "int16")
    w.op("RESHAPE", [win, w.const("shape", [FRAME])], [flat],
         ("ReshapeOptions", {"NewShape": [FRAME]}))
    scaled, shift = t("scaled", (FRAME,), "int16"), t("scale_bits", (), "int32")
    w.op("CUSTOM:SignalFftAutoScale", [flat], [scaled, shift], ("flexbuffer", {}))
    spec = t("spectrum", (2 * bins,), "int16")
    w.op("CUSTOM:SignalRfft", [scaled], [spec], ("flexbuffer", {"T": 7, "fft_length": FFT}))
    energy = t("energy", (bins,), "uint32")
    w.op("CUSTOM:SignalEnergy", [spec], [energy],
         ("flexbuffer", {"end_index": end, "start_index": start}))
    e32 = t("energy_i32", (bins,), "int32")
    w.op("CAST", [energy], [e32])
    kept = t("energy_kept", (end - start,), "int32")
    w.op("STRIDED_SLICE", [e32, w.const("begin", [start]), w.const("end", [end]),
                           w.const("strides", [1])], [kept], ("StridedSliceOptions", {}))
    joined = t("energy_joined", (bins,), "int32")
    w.op("CONCATENATION", [w.const("zeros_head", np.zeros(start)), kept,
                           w.const("zeros_tail", np.zeros(bins - end))], [joined],
         ("ConcatenationOptions", {"Axis": 0}))
    e_u = t("energy_u32", (bins,), "uint32")
    w.op("CAST", [joined], [e_u])
    fb = t("filter_bank", (CHANNELS,), "uint64")
    tables = [w.tensor(n, a.shape, "int16", data=a) for n, a in (
        ("weights", weights), ("unweights", unweights), ("channel_frequency_starts", f_starts),
        ("channel_weight_starts", w_starts), ("channel_widths", widths))]
    w.op("CUSTOM:SignalFilterBank", [e_u, *tables], [fb],
         ("flexbuffer", {"num_channels": CHANNELS}))
    sq = t("filter_bank_sqrt", (CHANNELS,), "uint32")
    w.op("CUSTOM:SignalFilterBankSquareRoot", [fb, shift], [sq], ("flexbuffer", {}))
    clean, noise = t("noise_reduced", (CHANNELS,), "uint32"), t("noise", (CHANNELS,), "uint32")
    one = 1 << SPECTRAL_BITS
    even, odd = int(0.025 * one), int(0.06 * one)
    w.op("CUSTOM:SignalFilterBankSpectralSubtraction", [sq], [clean, noise], ("flexbuffer", {
        "alternate_one_minus_smoothing": one - odd, "alternate_smoothing": odd,
        "clamping": False, "min_signal_remaining": int(0.05 * one),
        "num_channels": CHANNELS, "one_minus_smoothing": one - even, "smoothing": even,
        "smoothing_bits": SMOOTHING_BITS, "spectral_subtraction_bits": SPECTRAL_BITS}))
    agc = t("pcan", (CHANNELS,), "uint32")
    lut = pcan_gain_lut()
    w.op("CUSTOM:SignalPCAN", [clean, noise, w.tensor("gain_lut", lut.shape, "int16",
                                                      data=lut)], [agc],
         ("flexbuffer", {"snr_shift": PCAN_GAIN_BITS - CORRECTION_BITS - PCAN_SNR_BITS}))
    log = t("log", (CHANNELS,), "int16")
    w.op("CUSTOM:SignalFilterBankLog", [agc], [log], ("flexbuffer", {
        "input_correction_bits": CORRECTION_BITS, "output_scale": 1 << POST_SCALE_BITS}))
    x = t("log_i32", (CHANNELS,), "int32")
    w.op("CAST", [log], [x])
    div = int(25.6 * 26 + 0.5)
    for name, kind, k, opts in (("scaled256", "MUL", 256, ("MulOptions", {})),
                                ("rounded", "ADD", div // 2, ("AddOptions", {})),
                                ("divided", "DIV", div, ("DivOptions", {})),
                                ("offset", "ADD", -128, ("AddOptions", {})),
                                ("upper", "MINIMUM", 127, None),
                                ("lower", "MAXIMUM", -128, None)):
        y = t(name, (CHANNELS,), "int32")
        w.op(kind, [x, w.const(f"k_{name}", k)], [y], opts)
        x = y
    features = t("features", (CHANNELS,), "int8")
    w.op("CAST", [x], [features])
    return w.finish([audio], [features], description="micro_speech-style audio preprocessor")


def kws_model(seed: int = 0, classes: int = 4) -> bytes:
    """A tiny keyword spotter over [1, 49, 40, 1] int8 features (micro_speech's input
    quantization: scale 26/255-ish, zero point -128): conv 10x8 stride 2 + ReLU -> fully
    connected -> softmax."""
    net = Net("kws_tiny", seed)
    rng = net.rng
    x = net.input("features", (1, FRAMES, CHANNELS, 1), 0.1019, -128)
    w = net.const("w_conv", rng.integers(-127, 128, (8, 10, 8, 1)).astype(np.int8),
                  scale=rng.uniform(0.5, 1.5, 8) * 0.01, zp=0, axis=0)
    b = net.const("b_conv", rng.integers(-500, 500, 8).astype(np.int32))
    c = net.op("conv2d", [x, w, b], act("conv", (1, 25, 20, 8), 0.08, -128), stride=(2, 2),
               dilation=(1, 1), pads=(4, 3, 5, 4), act="relu")
    flat = net.op("reshape", [c], act("flat", (1, 4000), 0.08, -128))
    wf = net.const("w_fc", rng.integers(-127, 128, (classes, 4000)).astype(np.int8),
                   scale=0.002, zp=0, axis=0)
    bf = net.const("b_fc", rng.integers(-2000, 2000, classes).astype(np.int32))
    fc = net.op("fully_connected", [flat, wf, bf], act("logits", (1, classes), 0.2, 10),
                act="none")
    y = net.op("softmax", [fc], act("probs", (1, classes), 1 / 256, -128), beta=1.0)
    return graph_to_tflite(net.graph([y]))


def seeded_clip(seed: int, seconds: float = 1.0) -> np.ndarray:
    """1 s of int16 audio: a few tones with a moving envelope, noise and silence, seeded;
    loud enough to clip now and then (full-scale samples reach the FFT's edge cases)."""
    rng = np.random.default_rng(seed)
    n = int(SAMPLE_RATE * seconds)
    t = np.arange(n) / SAMPLE_RATE
    sig = np.zeros(n)
    for _ in range(rng.integers(1, 4)):
        f0 = rng.uniform(80, 4000)
        env = np.clip(np.sin(np.pi * (t - rng.uniform(0, 0.5)) / rng.uniform(0.2, 0.8)), 0, 1)
        sig += rng.uniform(500, 12000) * env * np.sin(2 * np.pi * f0 * t * (1 + 0.1 * t))
    sig += rng.normal(0, rng.uniform(5, 800), n)
    sig[: int(rng.integers(0, n // 4))] *= rng.uniform(0, 0.05)      # near-silent lead-in
    return np.clip(np.round(sig), -32768, 32767).astype(np.int16)


def frames(clip: np.ndarray) -> list[np.ndarray]:
    """The 49 overlapping 30 ms frames (20 ms stride) of a one-second clip, as [1, 480]."""
    return [clip[k * STRIDE:k * STRIDE + FRAME].reshape(1, FRAME) for k in range(FRAMES)]
