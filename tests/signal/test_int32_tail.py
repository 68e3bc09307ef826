"""TFLite's raw int32 arithmetic (no quantization), as micro_speech's preprocessor ends:
int16 features cast to int32, scaled (MUL, ADD, DIV truncating), offset, clamped (MINIMUM,
MAXIMUM) and cast to int8; and the zero-filled energy bins (STRIDED_SLICE, CONCATENATION
of int32 constants, CASTs between uint32 and int32). TFLite Micro == golden == C (ASan,
UBSan) on seeded inputs; what TFLM leaves undefined (division by zero) is defined by the
golden and the C agrees; a constant zero divisor is refused naming the node."""

from __future__ import annotations

import numpy as np
import pytest

import tinydeploy
from tests.signal.common import c_calls, check_three_ways, golden_calls
from tests.tflite_writer import TFLiteBuilder
from tinydeploy.errors import UnsupportedError

pytestmark = pytest.mark.cc


def _feature_tail(w: TFLiteBuilder, f: int, n: int) -> int:
    """micro_speech's int16 -> int8 feature scaling: ((f * 256 + 333) / 666) - 128, clamped."""
    def op(name, kind, ins, opts=None):
        t = w.tensor(name, (n,), "int32")
        w.op(kind, ins, [t], opts)
        return t
    c = op("c", "CAST", [f])
    m = op("m", "MUL", [c, w.const("k256", 256)], ("MulOptions", {}))
    a = op("a", "ADD", [m, w.const("k333", 333)], ("AddOptions", {}))
    d = op("d", "DIV", [a, w.const("k666", 666)], ("DivOptions", {}))
    s = op("s", "ADD", [d, w.const("km128", -128)], ("AddOptions", {}))
    lo = op("lo", "MINIMUM", [s, w.const("k127", 127)])
    hi = op("hi", "MAXIMUM", [lo, w.const("km128b", -128)])
    y = w.tensor("y", (n,), "int8")
    w.op("CAST", [hi], [y])
    return y


def test_micro_speech_feature_scaling(tmp_path):
    w = TFLiteBuilder()
    f = w.tensor("f", (40,), "int16")
    y = _feature_tail(w, f, 40)
    rng = np.random.default_rng(0)
    calls = [[rng.integers(-32768, 32768, 40).astype(np.int16)],
             [rng.integers(-100, 800, 40).astype(np.int16)],
             [np.array([-32768, 32767, 0, 1, -1, 332, 333, 334, 665, 666] * 4, np.int16)]]
    out = check_three_ways(tmp_path, w.finish([f], [y]), calls)
    assert len(np.unique(out[1][0])) > 10


def test_energy_bins_zero_filled(tmp_path):
    """uint32 -> int32, keep bins [5, 241), zeros around (micro_speech's energy step)."""
    w = TFLiteBuilder()
    e = w.tensor("e", (257,), "uint32")
    ei = w.tensor("ei", (257,), "int32")
    w.op("CAST", [e], [ei])
    sl = w.tensor("sl", (236,), "int32")
    w.op("STRIDED_SLICE", [ei, w.const("b", [5]), w.const("en", [241]), w.const("st", [1])],
         [sl], ("StridedSliceOptions", {}))
    cat = w.tensor("cat", (257,), "int32")
    w.op("CONCATENATION", [w.const("zh", np.zeros(5)), sl, w.const("zt", np.zeros(16))], [cat],
         ("ConcatenationOptions", {"Axis": 0}))
    u = w.tensor("u", (257,), "uint32")
    w.op("CAST", [cat], [u])
    rng = np.random.default_rng(1)
    calls = [[rng.integers(0, 2**32, 257, dtype=np.uint64).astype(np.uint32)],
             [np.full(257, 2**32 - 1, np.uint32)]]
    out = check_three_ways(tmp_path, w.finish([e], [u]), calls)
    assert not out[0][0][:5].any() and not out[0][0][241:].any()
    assert np.array_equal(out[1][0][5:241], np.full(236, 2**32 - 1, np.uint32))


@pytest.mark.parametrize("act", [0, 1])
def test_int32_div_max_min_broadcast(tmp_path, act):
    """Runtime divisors of both signs (never 0: TFLM would trap), broadcast along rows."""
    w = TFLiteBuilder()
    a = w.tensor("a", (3, 4, 5), "int32")
    b = w.tensor("b", (4, 1), "int32")
    outs = []
    for kind, opts in (("DIV", ("DivOptions", {"FusedActivationFunction": act})),
                       ("MAXIMUM", None), ("MINIMUM", None)):
        t = w.tensor(kind.lower(), (3, 4, 5), "int32")
        w.op(kind, [a, b], [t], opts)
        outs.append(t)
    rng = np.random.default_rng(2 + act)
    calls = []
    for lim in (100, 2**31 - 1):
        x = rng.integers(-lim, lim, (3, 4, 5)).astype(np.int32)
        z = rng.integers(1, 50, (4, 1)).astype(np.int32) * rng.choice([-1, 1], (4, 1))
        calls.append([x, z.astype(np.int32)])
    check_three_ways(tmp_path, w.finish([a, b], outs), calls)


def test_int32_add_mul_wrap_like_tflm(tmp_path):
    """int32 sums and products beyond int32 wrap modulo 2^32 as TFLM's do."""
    w = TFLiteBuilder()
    a = w.tensor("a", (16,), "int32")
    b = w.tensor("b", (16,), "int32")
    s, p = w.tensor("s", (16,), "int32"), w.tensor("p", (16,), "int32")
    w.op("ADD", [a, b], [s], ("AddOptions", {}))
    w.op("MUL", [a, b], [p], ("MulOptions", {}))
    rng = np.random.default_rng(4)
    x = rng.integers(-2**31, 2**31, 16).astype(np.int32)
    z = rng.integers(-2**31, 2**31, 16).astype(np.int32)
    check_three_ways(tmp_path, w.finish([a, b], [s, p]), [[x, z]])


def test_division_by_a_runtime_zero_is_defined(tmp_path):
    """TFLM traps; golden and C give 0 (and INT32_MIN / -1 = INT32_MIN)."""
    w = TFLiteBuilder()
    a, b = w.tensor("a", (4,), "int32"), w.tensor("b", (4,), "int32")
    y = w.tensor("y", (4,), "int32")
    w.op("DIV", [a, b], [y], ("DivOptions", {}))
    path = tmp_path / "z.tflite"
    path.write_bytes(w.finish([a, b], [y]))
    calls = [[np.array([7, -7, -2**31, 5], np.int32), np.array([0, 2, -1, -2], np.int32)]]
    want = np.array([0, -3, -2**31, -2], np.int32)
    assert np.array_equal(golden_calls(path, calls)[0][0].reshape(-1), want)
    assert np.array_equal(c_calls(path, tmp_path / "z", calls)[0][0].reshape(-1), want)


def test_constant_zero_divisor_is_refused(tmp_path):
    w = TFLiteBuilder()
    a = w.tensor("a", (4,), "int32")
    y = w.tensor("y", (4,), "int32")
    w.op("DIV", [a, w.const("zero", [1, 0, 2, 3])], [y], ("DivOptions", {}))
    path = tmp_path / "z.tflite"
    path.write_bytes(w.finish([a], [y]))
    with pytest.raises(UnsupportedError, match=r"0_DIV.*constant divisor 'zero' holds a 0"):
        tinydeploy.compile(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()
