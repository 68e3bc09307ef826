"""The noise ops of TFLite Micro's signal library, as micro_speech's audio front end runs them:
SignalFilterBankSpectralSubtraction (a per-channel noise estimate held across calls, the
state) and SignalPCAN (gain control by a LUT indexed by that estimate), each and chained.
Every case runs three ways - TFLite Micro's interpreter, the numpy golden, the compiled C
under ASan/UBSan - over 20+ calls with the state carried, and every output (the noise
estimate too) is compared at every call. Models that hold several ops in one graph cover
several configurations with one C build."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

import tinydeploy
from tests.harness import run_user_main
from tests.signal.common import check_three_ways, golden_calls, tflm_calls
from tests.tflite_writer import TFLiteBuilder
from tinydeploy.check import hostrun
from tinydeploy.errors import UnsupportedError
from tinydeploy.frontend import load_model
from tinydeploy.quant.execute import prepare_all

pytestmark = pytest.mark.cc

CALLS = 24
# micro_speech's SignalFilterBankSpectralSubtraction options
MICRO_SPEECH = {"alternate_one_minus_smoothing": 15401, "alternate_smoothing": 983,
                "clamping": False, "min_signal_remaining": 819, "num_channels": 40,
                "one_minus_smoothing": 15975, "smoothing": 409, "smoothing_bits": 10,
                "spectral_subtraction_bits": 14}
SUBTRACT = "CUSTOM:SignalFilterBankSpectralSubtraction"
PCAN = "CUSTOM:SignalPCAN"


def pcan_gain_lut(strength: float = 0.95, offset: float = 80.0, input_bits: int = 7,
                  gain_bits: int = 21) -> np.ndarray:
    """The gain LUT of TFLite Micro's python pcan op (its wide dynamic function LUT): the
    float32 gain ``2^gain_bits * (x / 2^input_bits + offset)^-strength`` (rounded, capped
    at 32767) at 0, 1, and per interval k = 2..32 at x0 = 2^(k-1), 1.5 x0 and 2 x0 (the
    last one 2^32 - 1), stored from index 4k - 6 as y0 and the two coefficients of the
    quadratic through the three points, then a 0. micro_speech's: the defaults
    (strength 0.95, offset 80, smoothing_bits 10 - input_correction_bits 3, gain_bits 21)."""
    f32 = np.float32

    def gain(x: int) -> int:
        g = f32(1 << gain_bits) * np.power(f32(x) / f32(1 << input_bits) + f32(offset),
                                           -f32(strength))
        return 32767 if g > 32767 else int(g + f32(0.5))

    lut = np.zeros(4 * 32 - 3, np.int64)
    lut[0], lut[1] = gain(0), gain(1)
    for k in range(2, 33):
        x0 = 1 << (k - 1)
        y0, y1 = gain(x0), gain(x0 + (x0 >> 1))
        y2 = gain(x0 + (x0 - 1) if k == 32 else 2 * x0)
        a1 = 4 * (y1 - y0) - (y2 - y0)
        lut[4 * k - 6:4 * k - 3] = y0, a1, (y2 - y0) - a1
    return ((lut + 2**15) % 2**16 - 2**15).astype(np.int16)


def test_gain_lut_generator_matches_tflite_micro():
    """The generator reproduces the LUT TFLite Micro's own test expects for micro_speech's
    parameters (125 entries; anchors and a digest of the whole table)."""
    lut = pcan_gain_lut()
    assert lut.shape == (125,)
    assert list(lut[:8]) == [32636, 32633, 32630, -6, 0, 0, 32624, -12]
    assert list(lut[-5:]) == [2, 0, 0, 0, 0] and int(lut.astype(np.int64).sum()) == 455121
    assert hashlib.sha256(lut.astype("<i2").tobytes()).hexdigest()[:16] == "c84d83b8b98ba1e1"


# ---- inputs ---------------------------------------------------------------------------

def wide_u32(rng, n: int, calls: int = CALLS) -> list[np.ndarray]:
    """uint32 vectors over all magnitudes: each element 2^b plus noise for a random b in
    0..32, with 0, 1, 2, 3 and 2^32 - 1 mixed in, some calls all 0 or all 2^32 - 1."""
    out = []
    for k in range(calls):
        if k in (3, 4):
            out.append(np.zeros(n, np.uint32))
            continue
        if k == 9:
            out.append(np.full(n, 2**32 - 1, np.uint32))
            continue
        b = rng.integers(0, 33, n)
        lo = np.where(b > 0, 2.0 ** (b - 1), 0.0)               # b significant bits
        v = np.minimum(lo + np.floor(rng.random(n) * np.maximum(lo, 1.0)), 2**32 - 1)
        v = v.astype(np.uint64)
        special = rng.random(n) < 0.15
        v[special] = rng.choice([0, 1, 2, 3, 2**32 - 1], int(special.sum()))
        out.append(v.astype(np.uint32))
    return out


def speech_like(rng, n: int, calls: int = CALLS) -> list[np.ndarray]:
    """A filter bank's square-rooted energies: quiet frames, then a louder burst."""
    base = rng.integers(20, 400, n)
    return [(base * (1 + 30 * (8 <= k < 14)) + rng.integers(0, 200, n)).astype(np.uint32)
            for k in range(calls)]


# ---- models -----------------------------------------------------------------------------

def subtraction_model(configs: list[dict]) -> bytes:
    """One SignalFilterBankSpectralSubtraction per options dict, each on its own input;
    outputs: every (y, noise estimate) pair."""
    w = TFLiteBuilder()
    ins, outs = [], []
    for k, opts in enumerate(configs):
        n = opts["num_channels"]
        x = w.tensor(f"x{k}", [n], "uint32")
        y, e = w.tensor(f"y{k}", [n], "uint32"), w.tensor(f"noise{k}", [n], "uint32")
        w.op(SUBTRACT, [x], [y, e], ("flexbuffer", opts))
        ins.append(x)
        outs += [y, e]
    return w.finish(ins, outs)


def pcan_model(configs: list[tuple[int, np.ndarray, int]]) -> bytes:
    """One SignalPCAN per (channels, gain LUT, snr_shift), on its own x and noise inputs."""
    w = TFLiteBuilder()
    ins, outs = [], []
    for k, (n, lut, shift) in enumerate(configs):
        x, e = w.tensor(f"x{k}", [n], "uint32"), w.tensor(f"noise{k}", [n], "uint32")
        g = w.tensor(f"lut{k}", [lut.size], "int16", data=lut)
        y = w.tensor(f"y{k}", [n], "uint32")
        w.op(PCAN, [x, e, g], [y], ("flexbuffer", {"snr_shift": shift}))
        ins += [x, e]
        outs.append(y)
    return w.finish(ins, outs)


def chained_model(opts: dict = MICRO_SPEECH, lut: np.ndarray | None = None,
                  snr_shift: int = 6) -> bytes:
    """micro_speech's noise stage: x -> spectral subtraction -> (y, noise) -> PCAN(y,
    noise, LUT); outputs PCAN's result and the noise estimate."""
    n = opts["num_channels"]
    lut = pcan_gain_lut() if lut is None else lut
    w = TFLiteBuilder()
    x = w.tensor("x", [n], "uint32")
    y, e = w.tensor("subtracted", [n], "uint32"), w.tensor("noise", [n], "uint32")
    g = w.tensor("gain_lut", [lut.size], "int16", data=lut)
    z = w.tensor("pcan", [n], "uint32")
    w.op(SUBTRACT, [x], [y, e], ("flexbuffer", opts))
    w.op(PCAN, [y, e, g], [z], ("flexbuffer", {"snr_shift": snr_shift}))
    return w.finish([x], [z, e])


# ---- spectral subtraction ----------------------------------------------------------------

def test_spectral_subtraction_micro_speech_options(tmp_path):
    rng = np.random.default_rng(1)
    xs = speech_like(rng, 40)
    ref = check_three_ways(tmp_path, subtraction_model([MICRO_SPEECH]), [[x] for x in xs])
    noise = [r[1] for r in ref]
    assert len({e.tobytes() for e in noise}) == CALLS       # the estimate moves every call
    assert all(r[0].any() for r in ref)


VARIANTS = [
    {**MICRO_SPEECH, "clamping": True},
    {**MICRO_SPEECH, "num_channels": 7, "clamping": True, "smoothing_bits": 0,
     "spectral_subtraction_bits": 0, "min_signal_remaining": 0},
    {**MICRO_SPEECH, "num_channels": 1, "smoothing_bits": 31,
     "spectral_subtraction_bits": 31},
    # TFLM holds the options as uint32: negative ones are huge smoothings and floors
    {**MICRO_SPEECH, "num_channels": 13, "smoothing": -3000, "one_minus_smoothing": 32767,
     "alternate_smoothing": 32767, "alternate_one_minus_smoothing": -1,
     "min_signal_remaining": -819, "smoothing_bits": 16, "spectral_subtraction_bits": 20},
    {**MICRO_SPEECH, "num_channels": 64, "smoothing": 0, "one_minus_smoothing": 16384,
     "alternate_smoothing": 16384, "alternate_one_minus_smoothing": 0},
]


def test_spectral_subtraction_variants_and_extreme_inputs(tmp_path):
    """Clamping, odd and other channel counts, shifts 0 and 31, negative (wrapping)
    options, inputs over all uint32 magnitudes incl. 0 and 2^32 - 1: one graph, one build."""
    rng = np.random.default_rng(2)
    configs = [MICRO_SPEECH, *VARIANTS]
    streams = [wide_u32(rng, c["num_channels"]) for c in configs]
    calls = [[s[k] for s in streams] for k in range(CALLS)]
    ref = check_three_ways(tmp_path, subtraction_model(configs), calls)
    for i in range(len(configs)):
        assert len({r[2 * i + 1].tobytes() for r in ref}) > 1, f"config {i}: estimate static"
    # clamping keeps the estimate at most the scaled signal, which the unclamped one exceeds
    def up(x):
        return (x.astype(np.uint64) << 10) & 0xFFFFFFFF
    assert all((r[3] <= up(xs[1])).all() for r, xs in zip(ref, calls))
    assert any((r[1] > up(xs[0])).any() for r, xs in zip(ref, calls))


@pytest.mark.parametrize("seed", [10, 11])
def test_random_options_and_luts(tmp_path, seed):
    """Random options over everything the frontend accepts (int16 smoothings and floors,
    shifts 0..31, clamping), random channel counts; random int16 LUTs of 125..139 entries
    and snr_shift 0..31; 20 calls of inputs over all magnitudes."""
    rng = np.random.default_rng(seed)
    configs = []
    for _ in range(4):
        c = {k: int(rng.integers(-2**15, 2**15)) for k in (
            "smoothing", "one_minus_smoothing", "alternate_smoothing",
            "alternate_one_minus_smoothing", "min_signal_remaining")}
        configs.append({**c, "smoothing_bits": int(rng.integers(0, 32)),
                        "spectral_subtraction_bits": int(rng.integers(0, 32)),
                        "clamping": bool(rng.integers(0, 2)),
                        "num_channels": int(rng.integers(1, 200))})
    streams = [wide_u32(rng, c["num_channels"], 20) for c in configs]
    check_three_ways(tmp_path, subtraction_model(configs),
                     [[s[k] for s in streams] for k in range(20)], name="subtract")
    pcans = [(int(rng.integers(1, 200)),
              rng.integers(-2**15, 2**15, int(rng.integers(125, 140))).astype(np.int16),
              int(rng.integers(0, 32))) for _ in range(4)]
    streams2 = [(wide_u32(rng, n, 20), wide_u32(rng, n, 20)) for n, _, _ in pcans]
    check_three_ways(tmp_path, pcan_model(pcans),
                     [[v for xs, es in streams2 for v in (xs[k], es[k])] for k in range(20)],
                     name="pcan")


# ---- PCAN ----------------------------------------------------------------------------------

def test_pcan_micro_speech_and_random_luts(tmp_path):
    """micro_speech's LUT and snr_shift; random int16 LUTs (any entry, so gains wrap and go
    negative), a longer LUT, snr_shift 0 and 31, noise estimates over all uint32 values."""
    rng = np.random.default_rng(3)
    luts = [pcan_gain_lut(), rng.integers(-2**15, 2**15, 125).astype(np.int16),
            rng.integers(-2**15, 2**15, 131).astype(np.int16),
            pcan_gain_lut(0.5, 10.0, 4, 18), np.full(125, -2**15, np.int16),
            np.full(125, 2**15 - 1, np.int16)]
    configs = [(40, luts[0], 6), (40, luts[1], 0), (9, luts[2], 31), (16, luts[3], 12),
               (5, luts[4], 3), (5, luts[5], 17)]
    streams = [(wide_u32(rng, n), wide_u32(rng, n)) for n, _, _ in configs]
    calls = [[v for xs, es in streams for v in (xs[k], es[k])] for k in range(CALLS)]
    ref = check_three_ways(tmp_path, pcan_model(configs), calls)
    for i in range(len(configs)):
        assert len({r[i].tobytes() for r in ref}) > CALLS // 2, f"config {i}: outputs static"


def test_chained_subtraction_then_pcan_like_micro_speech(tmp_path):
    rng = np.random.default_rng(4)
    xs = speech_like(rng, 40)
    ref = check_three_ways(tmp_path, chained_model(), [[x] for x in xs])
    assert len({r[0].tobytes() for r in ref}) > CALLS // 2
    assert len({r[1].tobytes() for r in ref}) == CALLS


def test_chained_clamping_extremes(tmp_path):
    rng = np.random.default_rng(5)
    lut = rng.integers(-2**15, 2**15, 125).astype(np.int16)
    opts = {**MICRO_SPEECH, "num_channels": 24, "clamping": True}
    xs = wide_u32(rng, 24)
    check_three_ways(tmp_path, chained_model(opts, lut, 2), [[x] for x in xs])


# ---- the C program's reset -----------------------------------------------------------------

RESET_MAIN = r"""
#include <stdio.h>
#include <string.h>
#include "NAME.h"
/* STEPS calls, reset, the same calls again: identical outputs (and the first run resets
 * by itself); then writes the first pass's outputs */
int main(void)
{
    static uint32_t x[STEPS][UPPER_INPUT0_SIZE];
    static uint32_t y[2][STEPS][UPPER_OUTPUT0_SIZE], e[2][STEPS][UPPER_OUTPUT1_SIZE];
    if (fread(x, 1, sizeof x, stdin) != sizeof x) return 2;
    for (int pass = 0; pass < 2; ++pass) {
        if (pass == 1 && NAME_reset() != 0) return 3;
        for (int s = 0; s < STEPS; ++s)
            if (NAME_run(x[s], y[pass][s], e[pass][s]) != 0) return 4;
    }
    if (memcmp(y[0], y[1], sizeof y[0]) != 0 || memcmp(e[0], e[1], sizeof e[0]) != 0)
        return 5;
    fwrite(y[0], 1, sizeof y[0], stdout);
    fwrite(e[0], 1, sizeof e[0], stdout);
    return 0;
}
"""


def test_reset_returns_to_the_initial_noise_estimate(tmp_path):
    """<prefix>_reset() zeroes the noise estimate: the same calls after a reset give the
    same outputs as the first pass, and both equal TFLite Micro's fresh interpreter."""
    steps = 8
    rng = np.random.default_rng(6)
    xs = speech_like(rng, 40, steps)
    path = tmp_path / "reset.tflite"
    path.write_bytes(chained_model())
    proj = tinydeploy.compile(path, tmp_path / "reset")
    folder, p = tmp_path / "reset", proj.prefix
    stdout = run_user_main(folder, RESET_MAIN.replace("UPPER", p.upper()).replace("NAME", p)
                           .replace("STEPS", str(steps)),
                           stdin=np.stack(xs).astype("<u4").tobytes(), name="reset_main")
    got = np.frombuffer(stdout, "<u4").reshape(2, steps, 40)
    ref = tflm_calls(path.read_bytes(), [[x] for x in xs])
    assert np.array_equal(got[0], np.stack([r[0] for r in ref]))
    assert np.array_equal(got[1], np.stack([r[1] for r in ref]))


def test_bounds_build_and_validate_keep_the_noise_estimate(tmp_path):
    """make bounds (every call on exact-size copies of its buffers) carries the state, and
    tinydeploy's validation streams its records through C, TFLM and the golden alike."""
    path = tmp_path / "chain.tflite"
    path.write_bytes(chained_model())
    proj = tinydeploy.compile(path, tmp_path / "chain")
    exe = hostrun.build(tmp_path / "chain", bounds=True)
    manifest = json.loads((tmp_path / "chain" / "manifest.json").read_text())
    calls = [[x] for x in speech_like(np.random.default_rng(8), 40, 10)]
    for c, t in zip(hostrun.run(exe, manifest, calls), tflm_calls(path.read_bytes(), calls)):
        assert all(np.array_equal(a.reshape(b.shape), b) for a, b in zip(c, t))
    v = proj.validate(n=12, sanitize=True)
    assert v.ok and v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages


# ---- refusals ------------------------------------------------------------------------------

def _refused(tmp_path, model: bytes, node_op: int = 0) -> str:
    path = tmp_path / "bad.tflite"
    path.write_bytes(model)
    g = load_model(path)
    with pytest.raises(UnsupportedError) as e:
        prepare_all(g)
    assert g.ops[node_op].name in str(e.value), str(e.value)
    return str(e.value)


def test_short_gain_lut_is_refused_naming_the_node(tmp_path):
    """TFLM reads entries up to 124 for a noise estimate >= 2^31: a 124-entry LUT would
    be read past its end, so it is refused (at compile time, not at run time)."""
    model = pcan_model([(8, pcan_gain_lut()[:124], 6)])
    assert "fewer than the 125" in _refused(tmp_path, model)
    with pytest.raises(UnsupportedError, match="gain LUT"):
        tinydeploy.compile(tmp_path / "bad.tflite", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_channel_count_mismatch_is_refused_naming_the_node(tmp_path):
    """TFLM loops over num_channels whatever the tensors hold: a tensor of another size
    would be read or written past its end."""
    w = TFLiteBuilder()
    x = w.tensor("x", [40], "uint32")
    y, e = w.tensor("y", [40], "uint32"), w.tensor("noise", [40], "uint32")
    w.op(SUBTRACT, [x], [y, e], ("flexbuffer", {**MICRO_SPEECH, "num_channels": 41}))
    assert "num_channels = 41" in _refused(tmp_path, w.finish([x], [y, e]))
    w = TFLiteBuilder()
    x, e = w.tensor("x", [8], "uint32"), w.tensor("noise", [6], "uint32")
    g = w.tensor("lut", [125], "int16", data=pcan_gain_lut())
    y = w.tensor("y", [8], "uint32")
    w.op(PCAN, [x, e, g], [y], ("flexbuffer", {"snr_shift": 6}))
    assert "same number of channels" in _refused(tmp_path, w.finish([x, e], [y]))


def test_golden_state_restarts_from_zero(tmp_path):
    """The golden's initial state is TFLM's (0): a fresh golden stream equals a fresh TFLM
    interpreter's on the same calls, call by call (no C build)."""
    rng = np.random.default_rng(7)
    xs = [[x] for x in speech_like(rng, 40, 6)]
    path = tmp_path / "g.tflite"
    path.write_bytes(subtraction_model([MICRO_SPEECH]))
    for a, b in zip(golden_calls(path, xs), tflm_calls(path.read_bytes(), xs)):
        assert all(np.array_equal(u, v) for u, v in zip(a, b))
