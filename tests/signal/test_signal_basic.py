"""The element-wise ops of TFLite Micro's signal library, as micro_speech's audio front end
runs them: SignalWindow, SignalFftAutoScale (two outputs: the frame and an int32 scalar),
SignalEnergy, SignalFilterBankSquareRoot (a run-time int32 shift) and SignalFilterBankLog.
Each model holds several instances of an op (random sizes and options, micro_speech's
among them) so one C build covers them; every case runs three ways - TFLite Micro's
interpreter, the numpy golden, the compiled C under ASan/UBSan - over several calls with
extreme values (full-scale, -32768, 0, 2^32 - 1, 2^64 - 1) and zero frames.

SignalEnergy writes only the bins [start_index, end_index): there TFLM, the golden and C
must agree; elsewhere TFLM leaves its arena as it was and the golden and C write 0.

Shapes TFLM's kernels do not take, and options under which they would read or write out of
bounds, are refused in one line naming the node.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.signal.common import c_calls, check_three_ways, golden_calls, tflm_calls
from tests.tflite_writer import TFLiteBuilder
from tinydeploy.cli import main

pytestmark = pytest.mark.cc

I16 = (-32768, 32767)


def _i16(rng, shape, calls: int) -> list[np.ndarray]:
    """int16 frames: full range, small magnitudes (each call its own), 0, all -32768, all
    32767, alternating extremes, and a few -32768 sprinkled into small values."""
    out = []
    for k in range(calls):
        kind = k % 7
        if kind == 0:
            v = rng.integers(*I16, shape, endpoint=True)
        elif kind == 1:
            b = int(rng.integers(0, 16))
            v = rng.integers(-(1 << b), 1 << b, shape)
        elif kind == 2:
            v = np.zeros(shape)
        elif kind == 3:
            v = np.full(shape, -32768)
        elif kind == 4:
            v = np.full(shape, 32767)
        elif kind == 5:
            v = np.resize([-32768, 32767, 0, 1, -1], shape)
        else:
            v = rng.integers(-300, 300, shape)
            flat = v.reshape(-1)
            flat[rng.integers(0, flat.size, max(1, flat.size // 10))] = -32768
        out.append(np.asarray(v, np.int16))
    return out


# ---- window ---------------------------------------------------------------------------

def test_window_shapes_and_shifts(tmp_path):
    """[1, 480] with micro_speech's shift 12; [3, n] frames (flat chunks) at shift 0
    (saturating both ways); rank 3 at shift 31; a window that is a graph input."""
    rng = np.random.default_rng(11)
    n = int(rng.integers(5, 50))
    cases = [((1, 480), 480, 12, True), ((3, n), n, 0, True), ((2, 2, 16), 16, 31, True),
             ((2 * n,), n, 7, False)]
    w = TFLiteBuilder()
    ins, outs, feeds = [], [], []
    for k, (shape, wn, shift, const) in enumerate(cases):
        x = w.tensor(f"x{k}", shape, "int16")
        win = np.resize(np.array([-32768, 32767, 0, 1, -1], np.int16), wn)
        win[5:] = rng.integers(*I16, max(0, wn - 5), endpoint=True)
        wt = w.tensor(f"w{k}", (wn,), "int16", data=win if const else None)
        y = w.tensor(f"y{k}", shape, "int16")
        w.op("CUSTOM:SignalWindow", [x, wt], [y], ("flexbuffer", {"shift": shift}))
        ins.append(x)
        outs.append(y)
        feeds.append(_i16(rng, shape, 7))
        if not const:
            ins.append(wt)
            feeds.append([np.asarray(rng.integers(*I16, wn, endpoint=True), np.int16)
                          for _ in range(7)])
    calls = [[f[c] for f in feeds] for c in range(7)]
    ref = check_three_ways(tmp_path, w.finish(ins, outs), calls, "window")
    assert any((r[1] == 32767).any() and (r[1] == -32768).any() for r in ref)  # saturates


# ---- fft auto scale -------------------------------------------------------------------

def test_fft_auto_scale_sizes_and_max_abs(tmp_path):
    """Sizes 480, 1 and random; every scale from 0 to 14 (a zero frame gets 0: TFLM's
    msb32(0) is 32, not 0), and -32768 among
    small values (TFLM's running max wraps there and the next values reset it: the shift
    then wraps the -32768s)."""
    rng = np.random.default_rng(12)
    sizes = [480, 1, int(rng.integers(2, 64)), int(rng.integers(64, 300))]
    w = TFLiteBuilder()
    ins, outs = [], []
    for k, n in enumerate(sizes):
        x = w.tensor(f"x{k}", (n,), "int16")
        y, s = w.tensor(f"y{k}", (n,), "int16"), w.tensor(f"s{k}", (), "int32")
        w.op("CUSTOM:SignalFftAutoScale", [x], [y, s], ("flexbuffer", {}))
        ins.append(x)
        outs += [y, s]
    calls = [list(fs) for fs in zip(*[_frames(rng, n) for n in sizes])]
    ref = check_three_ways(tmp_path, w.finish(ins, outs), calls, "autoscale")
    bits = {int(r[1]) for r in ref} | {int(r[7]) for r in ref}
    assert set(range(15)) <= bits and 15 not in bits, bits


def _frames(rng, n: int) -> list[np.ndarray]:
    out = _i16(rng, (n,), 7)
    for b in range(16):                       # largest magnitude 2^b - 1: scale 15 - b
        v = rng.integers(-(1 << b) + 1, 1 << b, n)
        v[int(rng.integers(0, n))] = (1 << b) - 1 if b else 0
        out.append(v)
    tail = rng.integers(-20, 20, n)           # -32768 then small values: the running max
    tail[0] = -32768                          # resets after it
    out += [tail, np.full(n, -1), np.full(n, 1)]
    return [np.asarray(v, np.int16) for v in out]


def test_window_reshape_fft_auto_scale_chain(tmp_path):
    """micro_speech's frame: int16 [1, 480] -> window (shift 12) -> reshape [480] -> FFT
    auto-scale, both of its outputs graph outputs."""
    rng = np.random.default_rng(13)
    w = TFLiteBuilder()
    x = w.tensor("x", (1, 480), "int16")
    hann = np.round(4096 * (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(480) / 480)))
    win = w.tensor("win", (480,), "int16", data=hann.astype(np.int16))
    y = w.tensor("windowed", (1, 480), "int16")
    w.op("CUSTOM:SignalWindow", [x, win], [y], ("flexbuffer", {"shift": 12}))
    r = w.tensor("flat", (480,), "int16")
    w.op("RESHAPE", [y, w.const("shape", [480])], [r])
    z, s = w.tensor("scaled", (480,), "int16"), w.tensor("scale_bits", (), "int32")
    w.op("CUSTOM:SignalFftAutoScale", [r], [z, s], ("flexbuffer", {}))
    calls = [[f] for f in _i16(rng, (1, 480), 14)]
    ref = check_three_ways(tmp_path, w.finish([x], [z, s]), calls, "chain")
    assert len({int(o[1]) for o in ref}) > 2


# ---- energy ---------------------------------------------------------------------------

def test_energy_written_bins(tmp_path):
    """micro_speech's [5, 241) of 257 bins, the whole spectrum, random ranges, an empty
    range, an odd-length input and an output longer than the bins. Full-scale bins reach
    2 * 32768^2 = 2^31 (TFLM's int32 sum wraps to the same bits)."""
    rng = np.random.default_rng(14)
    n = int(rng.integers(8, 80))
    a = int(rng.integers(0, n // 2))
    cases = [(514, 257, 5, 241), (2 * n, n, 0, n), (2 * n, n, a, int(rng.integers(a, n + 1))),
             (2 * n, n, 6, 3), (2 * n + 1, n, 1, n), (20, 16, 2, 10)]
    w = TFLiteBuilder()
    ins, outs = [], []
    for k, (n_in, n_out, start, end) in enumerate(cases):
        x, y = w.tensor(f"x{k}", (n_in,), "int16"), w.tensor(f"y{k}", (n_out,), "uint32")
        w.op("CUSTOM:SignalEnergy", [x], [y],
             ("flexbuffer", {"start_index": start, "end_index": end}))
        ins.append(x)
        outs.append(y)
    calls = [list(fs) for fs in zip(*[_i16(rng, (c[0],), 7) for c in cases])]
    model = w.finish(ins, outs)
    path = tmp_path / "energy.tflite"
    path.write_bytes(model)
    ref, gold = tflm_calls(model, calls), golden_calls(path, calls)
    c = c_calls(path, tmp_path / "energy", calls)
    for k, (r, o, v) in enumerate(zip(ref, gold, c)):
        for i, (_, n_out, start, end) in enumerate(cases):
            g = np.asarray(o[i]).reshape(-1)
            assert g.dtype == np.uint32 and r[i].dtype == np.uint32
            assert np.array_equal(np.asarray(v[i]).reshape(-1), g), f"call {k} op {i}: C"
            assert np.array_equal(g[start:end], r[i][start:end]), f"call {k} op {i}: golden"
            outside = np.ones(n_out, bool)
            outside[start:end] = False
            assert not g[outside].any(), f"call {k} op {i}: not 0 outside the bins"
    assert any((r[0][5:241] == 2**31).all() for r in ref)          # all -32768 frames


# ---- filter bank square root ----------------------------------------------------------

def _u64(rng, n: int) -> np.ndarray:
    """uint64 over every magnitude: 2^b plus noise (b in 0..63), squares and their
    neighbours, and 0, 1, 2, 2^32 +- 1, 2^64 - 1, (2^32 - 1)^2 + 2^32 - 2 mixed in."""
    b = rng.integers(0, 64, n).astype(np.uint64)
    v = (np.uint64(1) << b) + (rng.integers(0, 2**62, n, dtype=np.uint64) >>
                               (np.uint64(63) - b))
    r = rng.integers(0, 2**32, n, dtype=np.uint64)
    sq = r * r + rng.integers(-1, 2, n).astype(np.uint64)
    v = np.where(rng.random(n) < 0.3, sq, v)
    edge = np.array([0, 1, 2, 3, 2**32 - 1, 2**32, 2**32 + 1, 2**64 - 1, 0xFFFE0001,
                     (2**32 - 1)**2 + 2**32 - 2, (2**32 - 1)**2 + 2**32 - 1], np.uint64)
    k = min(n, edge.size)
    v[rng.choice(n, k, replace=False)] = edge[:k]
    return v


def test_filter_bank_square_root_shifts(tmp_path):
    """40 channels shifted by a run-time scalar (a graph input: 0, 1, 15 and 31 per call,
    and 32, 33, -1 - undefined in TFLM's C++, its host build shifts by the count mod 32,
    as ours) and a random size shifted by a constant."""
    rng = np.random.default_rng(15)
    n = int(rng.integers(1, 70))
    w = TFLiteBuilder()
    x0, s0 = w.tensor("x0", (40,), "uint64"), w.tensor("s0", (), "int32")
    x1, s1 = w.tensor("x1", (n,), "uint64"), w.tensor("s1", (), "int32",
                                                        data=np.array(3, np.int32))
    y0, y1 = w.tensor("y0", (40,), "uint32"), w.tensor("y1", (n,), "uint32")
    w.op("CUSTOM:SignalFilterBankSquareRoot", [x0, s0], [y0], ("flexbuffer", {}))
    w.op("CUSTOM:SignalFilterBankSquareRoot", [x1, s1], [y1], ("flexbuffer", {}))
    shifts = [0, 1, 15, 31, 7, 32, 33, -1]
    calls = [[_u64(rng, 40), np.array(s, np.int32), _u64(rng, n)] for s in shifts]
    calls.append([np.zeros(40, np.uint64), np.array(0, np.int32), np.zeros(n, np.uint64)])
    ref = check_three_ways(tmp_path, w.finish([x0, s0, x1], [y0, y1]), calls, "sqrt")
    assert (ref[0][0] == 2**32 - 1).any() and (ref[0][0] == 65535).any()


# ---- filter bank log ------------------------------------------------------------------

def _u32(rng, n: int) -> np.ndarray:
    b = rng.integers(0, 32, n).astype(np.uint64)
    v = (np.uint64(1) << b) + (rng.integers(0, 2**31, n, dtype=np.uint64) >> (np.uint64(31) - b))
    v = v.astype(np.uint32)
    edge = np.array([0, 1, 2, 3, 2**31, 2**32 - 2, 2**32 - 1], np.uint32)
    k = min(n, edge.size)
    v[rng.choice(n, k, replace=False)] = edge[:k]
    return v


def _segments() -> np.ndarray:
    """Every segment of Log32's correction table, below and above 2^16 (the fraction
    shifted left or right), at its start, middle and end."""
    k = np.arange(128, dtype=np.uint64)
    out = []
    for e in (8, 16, 24, 31):
        for r in (0, 255, 511):
            f = (k * np.uint64(512) + np.uint64(r))          # the 16-bit fraction
            out.append((np.uint64(1) << np.uint64(e)) +
                       ((f << np.uint64(e)) >> np.uint64(16)))
    return np.concatenate(out).astype(np.uint32)


def test_filter_bank_log_options(tmp_path):
    """micro_speech's (3 bits, scale 64); no correction with every table segment; 31 bits
    (most inputs overflow: the uint32 shift wraps); a scale whose product wraps modulo 2^32
    (4099) and the largest scale; random sizes. Inputs 0, 1, 2, ..., 2^32 - 1."""
    rng = np.random.default_rng(16)
    seg = _segments()
    n = int(rng.integers(1, 60))
    cases = [(40, 3, 64), (seg.size, 0, 1000), (n, 31, 64), (n, 8, 4099), (40, 5, 2**31 - 1),
             (int(rng.integers(1, 60)), int(rng.integers(0, 32)), int(rng.integers(1, 2**15)))]
    w = TFLiteBuilder()
    ins, outs = [], []
    for k, (size, bits, scale) in enumerate(cases):
        x, y = w.tensor(f"x{k}", (size,), "uint32"), w.tensor(f"y{k}", (size,), "int16")
        w.op("CUSTOM:SignalFilterBankLog", [x], [y],
             ("flexbuffer", {"input_correction_bits": bits, "output_scale": scale}))
        ins.append(x)
        outs.append(y)
    calls = []
    for c in range(6):
        call = [seg.copy() if k == 1 and c < 3 else _u32(rng, size)
                for k, (size, _, _) in enumerate(cases)]
        if c == 5:
            call = [np.zeros(size, np.uint32) for size, _, _ in cases]
        calls.append(call)
    calls[4] = [np.full(size, 2**32 - 1, np.uint32) for size, _, _ in cases]
    ref = check_three_ways(tmp_path, w.finish(ins, outs), calls, "log")
    assert (ref[0][4] == 32767).any() and len(np.unique(ref[0][1])) > 300


# ---- refusals -------------------------------------------------------------------------

def _refused(tmp_path, capsys, model: bytes, node: str, reason: str) -> None:
    path = tmp_path / "bad.tflite"
    path.write_bytes(model)
    rc = main(["compile", str(path), "-o", str(tmp_path / "out" / "net")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert node in err and reason in err, err


def _one(op: str, x_shape, x_dtype, outs, options, extra=()) -> bytes:
    w = TFLiteBuilder()
    x = w.tensor("x", x_shape, x_dtype)
    ys = [w.tensor(f"y{k}", s, d) for k, (s, d) in enumerate(outs)]
    w.op(op, [x, *[w.tensor(n, s, d, data=v) for n, s, d, v in extra]], ys,
         ("flexbuffer", options))
    return w.finish([x], ys)


@pytest.mark.parametrize("case", ["window_partial", "energy_past_output", "auto_scale_2d",
                                  "sqrt_sizes", "log_sizes"])
def test_unsupported_is_refused_naming_the_node(tmp_path, capsys, case):
    win = ("w", (30,), "int16", np.ones(30, np.int16))
    model, node, reason = {
        "window_partial": (_one("CUSTOM:SignalWindow", (1, 100), "int16",
                                [((1, 100), "int16")], {"shift": 1}, [win]),
                           "SignalWindow", "whole number of 30-point windows"),
        "energy_past_output": (_one("CUSTOM:SignalEnergy", (514,), "int16",
                                    [((200,), "uint32")], {"start_index": 5,
                                                           "end_index": 241}),
                               "SignalEnergy", "bins [5, 241) do not lie within"),
        "auto_scale_2d": (_one("CUSTOM:SignalFftAutoScale", (2, 16), "int16",
                               [((2, 16), "int16"), ((), "int32")], {}),
                          "SignalFftAutoScale", "the same 1-D size"),
        "sqrt_sizes": (_one("CUSTOM:SignalFilterBankSquareRoot", (8,), "uint64",
                            [((6,), "uint32")], {},
                            [("s", (), "int32", np.array(1, np.int32))]),
                       "SignalFilterBankSquareRoot", "the same 1-D size"),
        "log_sizes": (_one("CUSTOM:SignalFilterBankLog", (8, 2), "uint32",
                           [((8, 2), "int16")], {"input_correction_bits": 3,
                                                 "output_scale": 64}),
                      "SignalFilterBankLog", "1-D uint32 input"),
    }[case]
    _refused(tmp_path, capsys, model, node, reason)
