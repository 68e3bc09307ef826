"""SignalRfft (int16 and int32) and SignalFilterBank: TFLite Micro == numpy golden == C
(ASan/UBSan), bit for bit, through tests/signal/common.py.

- rfft: one model with an FFT per shape - fft_length 64, 128, 256, 512 (radix 4 and a
  final radix 2: 2 * 4^k halves), 120 (4 * 3 * 5), 90 (3 * 3 * 5, an odd half), 6 and 4
  (the smallest), full frames and frames shorter than fft_length (zero-padded), leading
  dimensions (batches of frames) and none (micro_speech's 1-D frame) - over calls of
  random, full-scale (+-32767, -32768), alternating, impulse, zero, small, sinusoid and
  one-period square frames (the square's bin 1 exceeds half scale: the split's HALF_OF
  sums overflow the scalar); the int32 FFT on a subset with its own full scale;
- filter bank: micro_speech's 40 mel channels over 257 bins (tables built as
  tflite_micro's filter_bank_ops.py builds them) and small random tables (negative and
  full-range weights, so the uint64 sums wrap; channels of no width; an output shorter than
  num_channels), energies up to 2^32 - 1;
- refusals: one line naming the node (float FFT, a radix TFLM's kissfft cannot run, an
  odd length, frames longer than the FFT, tables reading out of bounds or not constant,
  an output longer than num_channels).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.codegen.precondition_cases_signal_fft import rfft_args
from tests.signal.common import check_three_ways
from tests.tflite_writer import TFLiteBuilder
from tinydeploy.cli import main
from tinydeploy.quant import preconditions as pc
from tinydeploy.quant.golden import _kissfft
from tinydeploy.quant.golden.signal_filter_bank import SignalFilterBankArgs
from tinydeploy.quant.golden.signal_rfft import run as rfft_golden

# (leading dims, frame, fft_length)
RFFT_SHAPES = [((3,), 64, 64), ((2,), 100, 128), ((1,), 256, 256), ((2,), 480, 512),
               ((2, 3), 90, 120), ((1,), 90, 90), ((1,), 5, 6), ((2,), 3, 4),
               ((), 480, 512)]


def rfft_model(shapes=RFFT_SHAPES, dtype: str = "int16", t: int = 7) -> bytes:
    w = TFLiteBuilder()
    ins, outs = [], []
    for k, (lead, frame, n) in enumerate(shapes):
        x = w.tensor(f"x{k}", (*lead, frame), dtype)
        y = w.tensor(f"y{k}", (*lead, n + 2), dtype)
        w.op("CUSTOM:SignalRfft", [x], [y], ("flexbuffer", {"T": t, "fft_length": n}))
        ins.append(x)
        outs.append(y)
    return w.finish(ins, outs)


def frames(kind: str, shape, rng, bits: int = 16) -> np.ndarray:
    n, hi = shape[-1], 2**(bits - 1) - 1
    lo = -hi - 1
    if kind == "random":
        v = rng.integers(lo, hi + 1, shape)
    elif kind == "full_scale":
        v = rng.choice([lo, lo + 1, hi], shape)
    elif kind == "min":
        v = np.full(shape, lo)
    elif kind == "alternating":
        v = np.broadcast_to(np.where(np.arange(n) % 2, lo, hi), shape)
    elif kind == "impulse":
        v = np.zeros(shape, np.int64)
        v[..., 0] = hi
        v[..., rng.integers(0, n)] = lo
    elif kind == "zeros":
        v = np.zeros(shape)
    elif kind == "small":
        v = rng.integers(-100, 101, shape)
    elif kind == "square":          # one period: bin 1 beyond half scale (the split's sums
        v = np.broadcast_to(np.where(np.arange(n) < n // 2, hi, lo), shape)   # overflow)
    else:                                              # a full-scale tone
        v = np.broadcast_to(np.round(hi * np.sin(2 * np.pi * 5.3 * np.arange(n) / n)),
                            shape)
    return np.ascontiguousarray(v).astype(f"int{bits}")


KINDS = ["random", "full_scale", "min", "alternating", "impulse", "zeros", "small", "tone",
         "square"]


@pytest.mark.cc
def test_rfft_three_ways(tmp_path):
    rng = np.random.default_rng(14)
    calls = [[frames(k, (*lead, frame), rng) for lead, frame, _ in RFFT_SHAPES]
             for k in KINDS]
    ref = check_three_ways(tmp_path, rfft_model(), calls, name="rfft")
    assert any(np.abs(r[3]).max() > 8000 for r in ref)     # the full-scale cases saturate
    assert all(not r[0].any() for r, k in zip(ref, KINDS) if k == "zeros")


RFFT32_SHAPES = [((2,), 60, 64), ((1,), 480, 512), ((2, 2), 90, 120), ((1,), 45, 90)]


@pytest.mark.cc
def test_rfft_int32_three_ways(tmp_path):
    rng = np.random.default_rng(32)
    calls = [[frames(k, (*lead, frame), rng, 32) for lead, frame, _ in RFFT32_SHAPES]
             for k in KINDS]
    ref = check_three_ways(tmp_path, rfft_model(RFFT32_SHAPES, "int32", 2), calls,
                           name="rfft32")
    assert ref[0][1].dtype == np.int32 and np.abs(ref[1][1]).max() > 2**29


def test_kissfft_factors_and_tables():
    assert _kissfft.factors(256) == [(4, 64), (4, 16), (4, 4), (4, 1)]
    assert _kissfft.factors(32) == [(4, 8), (4, 2), (2, 1)]
    assert _kissfft.factors(60) == [(4, 15), (3, 5), (5, 1)]
    assert _kissfft.factors(45) == [(3, 15), (3, 5), (5, 1)]
    assert _kissfft.factors(7) == [(7, 1)]
    tw = _kissfft.twiddles(8)
    assert tw[0].tolist() == [32767, 0] and tw[2].tolist() == [0, -32767]
    assert _kissfft.super_twiddles(256).shape == (128, 2)


@pytest.mark.parametrize("bits", [16, 32])
@pytest.mark.parametrize("n", [64, 120, 512])
def test_rfft_golden_is_the_dft_over_fft_length(n, bits):
    """Independent of TFLM: the fixed-point result is numpy's DFT / fft_length within the
    rounding of its log(n) stages."""
    rng = np.random.default_rng(n)
    amp = 20000 << (bits - 16)
    x = rng.integers(-amp, amp, (4, n)).astype(f"int{bits}")
    y = rfft_golden(rfft_args(n, n, 4, bits), x).reshape(4, -1, 2).astype(np.float64)
    ref = np.fft.rfft(x.astype(np.float64), axis=-1) / n
    err = np.abs(y[..., 0] + 1j * y[..., 1] - ref).max()
    assert err < 2 * len(_kissfft.factors(n // 2)) + 2, err


# ---- filter bank ----------------------------------------------------------------------

def _mel(f):
    return np.float32(1127.0) * np.log1p(np.float32(f) / np.float32(700.0), dtype=np.float32)


def mel_tables(spectrum_size=257, sample_rate=16000, num_channels=40, lo=125.0, hi=7500.0,
               alignment=4, block=4):
    """micro_speech's tables, built as tflite_micro's filter_bank_ops.py does (12 weight
    bits; ``alignment`` bytes and channel blocks of ``block`` weights, zero-padded):
    (weights, unweights, freq_starts, weight_starts, widths)."""
    n = num_channels + 1
    align = max(1, alignment // 2)
    m_lo, m_hi = _mel(lo), _mel(hi)
    center = m_lo + (m_hi - m_lo) / np.float32(n) * np.arange(1, n + 1, dtype=np.float32)
    hz = (sample_rate / 2) / (spectrum_size - 1)
    fstart, wstart, width = (np.zeros(n, np.int16) for _ in range(3))
    act_start, act_width = np.zeros(n, np.int64), np.zeros(n, np.int64)
    f0 = round(1 + lo / hz)
    wi, zeros = 0, False
    for c in range(n):
        f = f0
        while _mel(f * hz) <= center[c]:
            f += 1
        act_start[c], act_width[c] = f0, f - f0
        if f == f0:                                  # an empty channel: zero weights
            width[c] = block
            if not zeros:
                zeros = True
                wstart[:c] += block
                wi += block
        else:
            a0 = f0 // align * align
            padded = ((f0 - a0 + f - f0 - 1) // block + 1) * block
            fstart[c], wstart[c], width[c] = a0, wi, padded
            wi += padded
        f0 = f
    weights, unweights = np.zeros(wi, np.int16), np.zeros(wi, np.int16)
    for c in range(n):
        den = np.float32(center[c] - (m_lo if c == 0 else center[c - 1]))
        for j in range(act_width[c]):
            wt = np.float32(center[c] - _mel((act_start[c] + j) * hz)) / den
            k = wstart[c] + act_start[c] - fstart[c] + j
            weights[k], unweights[k] = int(wt * 4096), int((1 - wt) * 4096)
    return weights, unweights, fstart, wstart, width


def random_tables(rng, n_in=24, num_channels=6):
    n = num_channels + 1
    widths = rng.integers(1, 6, n).astype(np.int16)
    widths[2], widths[4] = 0, -2                     # channels that read nothing
    fstart = np.array([rng.integers(0, n_in - w + 1) if w > 0 else -7 for w in widths],
                      np.int16)
    n_w = int(widths.clip(0).sum()) + 3
    wstart = np.array([rng.integers(0, n_w - w + 1) if w > 0 else 30000 for w in widths],
                      np.int16)
    weights = rng.integers(-32768, 32768, n_w).astype(np.int16)
    unweights = rng.integers(-32768, 32768, n_w + 2).astype(np.int16)
    weights[0], unweights[0] = -32768, 32767
    return weights, unweights, fstart, wstart, widths


def filter_bank_model(banks) -> bytes:
    """banks: (n_input, num_channels, n_out, tables, tables_const)."""
    w = TFLiteBuilder()
    ins, outs = [], []
    names = ("weights", "unweights", "freq_starts", "weight_starts", "widths")
    for k, (n_in, nc, n_out, tables, const) in enumerate(banks):
        x = w.tensor(f"x{k}", (n_in,), "uint32")
        ts = [w.tensor(f"{nm}{k}", t.shape, "int16", data=t if const else None)
              for nm, t in zip(names, tables)]
        y = w.tensor(f"y{k}", (n_out,), "uint64")
        w.op("CUSTOM:SignalFilterBank", [x, *ts], [y], ("flexbuffer", {"num_channels": nc}))
        ins += [x] + ([] if const else ts)
        outs.append(y)
    return w.finish(ins, outs)


def energies(kind: str, n: int, rng) -> np.ndarray:
    v = {"random": lambda: rng.integers(0, 2**32, n, dtype=np.uint64),
         "max": lambda: np.full(n, 2**32 - 1),
         "zeros": lambda: np.zeros(n),
         "small": lambda: rng.integers(0, 2**16, n),
         "impulse": lambda: np.where(np.arange(n) == rng.integers(0, n), 2**32 - 1, 0)}[kind]()
    return np.asarray(v).astype(np.uint32)


@pytest.mark.cc
def test_filter_bank_three_ways(tmp_path):
    rng = np.random.default_rng(40)
    mel = mel_tables()
    assert mel[0].size == 316 and mel[2].size == 41          # micro_speech's table sizes
    banks = [(257, 40, 40, mel, True), (24, 6, 5, random_tables(rng), True),
             (24, 6, 6, random_tables(rng), True)]
    calls = [[energies(k, b[0], rng) for b in banks]
             for k in ("random", "max", "zeros", "small", "impulse", "random")]
    ref = check_three_ways(tmp_path, filter_bank_model(banks), calls, name="fbank")
    assert ref[1][0].max() > 2**32                 # full-scale energies sum past uint32
    assert any(r[1].max() > 2**63 for r in ref)    # negative weights wrap modulo 2^64


def test_filter_bank_rule_checks_the_tables():
    a = SignalFilterBankArgs(40, 40, 257, 316, 316, 41, 41, 41)
    w, u, fs, ws, cw = mel_tables()
    pc.check_args(a, consts=[None, w, u, fs, ws, cw])
    bad = cw.copy()
    bad[40] = 200
    with pytest.raises(pc.KernelPreconditionError, match="channel 40 reads energies"):
        pc.check_args(a, "L", "k", consts=[None, w, u, fs, ws, bad])
    bad = ws.copy()
    bad[3] = -1
    with pytest.raises(pc.KernelPreconditionError, match="channel 3 reads weights"):
        pc.check_args(a, "L", "k", consts=[None, w, u, fs, bad, cw])


# ---- refusals ---------------------------------------------------------------------------

def _oob_tables():
    w, u, fs, ws, cw = mel_tables()
    cw = cw.copy()
    cw[17] = 400
    return w, u, fs, ws, cw


REFUSED = {
    "float_fft": (lambda: rfft_model([((1,), 64, 64)], "float32", 1),
                  "unsupported operator CUSTOM(SignalRfft)"),
    "radix_7": (lambda: rfft_model([((1,), 14, 14)]), "factor(s) [7]"),
    "odd_length": (lambda: rfft_model([((1,), 63, 63)]), "must be even"),
    "long_frame": (lambda: rfft_model([((1,), 100, 64)]), "frames of 100 samples"),
    "tables_out_of_bounds": (lambda: filter_bank_model([(257, 40, 40, _oob_tables(), True)]),
                             "channel 17 reads energies"),
    "tables_not_constant": (lambda: filter_bank_model([(257, 40, 40, mel_tables(), False)]),
                            "must be a constant 1-D int16 table"),
    "output_too_long": (lambda: filter_bank_model([(257, 40, 41, mel_tables(), True)]),
                        "an output of 41 channels"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_unsupported_is_refused_naming_the_node(case, tmp_path, capsys):
    make, reason = REFUSED[case]
    model = tmp_path / f"{case}.tflite"
    model.write_bytes(make())
    rc = main(["compile", str(model), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "node '0_CUSTOM(Signal" in err and reason in err, err
    assert not (tmp_path / "out").exists()
