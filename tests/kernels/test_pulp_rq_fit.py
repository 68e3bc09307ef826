"""The fitted requantization of integer graphs (quant/opt/_pulp_rq.py: thresholds and
``(acc * M + B) >> S`` in int32 or with one 64-bit product, in place of the int64
division and the float32 rounding emulation) against the reference requantization, on
every accumulator a channel can produce.

The C arithmetic of td_opt_rq.h (TD_RQ_S32 in wrapping uint32, TD_RQ_S64, the clamp
thresholds, the clamp) is restated in numpy here and evaluated on the whole range
[-bound, bound] of each channel: random channels of every form the frontends give
(NEMO's float32-rounded multiply-add with odd divisors, QuantLab's power-of-two
divisors, Deeploy's RequantShift, negative multipliers, floor and toward zero, int8 and
int16 outputs), and every channel of the PULP networks. The kernels that read these
descriptors are checked in C by tests/kernels/test_opt_integer.py and tests/pulp.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import model_path
from tests.graphs import act, one_op, random_input
from tests.harness import run_c_graph_many
from tinydeploy.compiler import lower, lower_file
from tinydeploy.quant.execute import run_graph
from tinydeploy.quant.golden import requant as _rq
from tinydeploy.quant.opt import _pulp_rq as P
from tinydeploy.quant.opt import conv2d_rq, conv2d_s16, depthwise_conv2d

I32 = 1 << 32


def c_requant(acc: np.ndarray, d: list[int], lo: int, hi: int) -> np.ndarray:
    """td_opt_rq_any for TD_RQ_S32 / TD_RQ_S64 (before the zero point): d = words 2..10."""
    mode, m, b_lo, b_hi, s, tl, th = d[:7]
    acc = acc.astype(np.int64)
    if mode == P.S32:
        u = (acc * m + b_lo) % I32                      # uint32 wrap
        v = np.where(u >= 1 << 31, u - I32, u) >> s
    else:                       # |acc * m| < 2^62 and |b| < 2^62: exact in int64
        b = (b_hi << 32) | (b_lo & 0xFFFFFFFF)
        v = (acc * np.int64(m) + np.int64(b)) >> s
    v = np.clip(v, lo, hi)
    return np.where(acc < tl, lo, np.where(acc >= th, hi, v))


def reference(rq, c: int, acc: np.ndarray) -> np.ndarray:
    """The golden requantization of channel c (before the zero point)."""
    mul, add, div = (np.int64(np.ravel(v)[c % np.size(v)]) for v in (rq.mul, rq.add, rq.div))
    y = P._reference_vec(acc.astype(np.int64), mul, add, div, int(rq.mul2), int(rq.fp32),
                         int(rq.rounding))
    return np.clip(y, rq.clip_lo, rq.clip_hi)


def check_layer(rq, bound, sample: int = 0, **kw) -> dict[int, int]:
    """Every fitted channel equals the reference on [-bound, bound] (``sample``: on that
    many random accumulators of it and on both sides of every level start; ``kw``: the
    options of :func:`P.descriptors`); returns the modes."""
    words, _ = P.descriptors(rq, bound, **kw)
    modes: dict[int, int] = {}
    rng = np.random.default_rng(0)
    for c, w in enumerate(words):
        modes[w[0]] = modes.get(w[0], 0) + 1
        if w[0] not in (P.S32, P.S64):
            continue
        b = int(bound[c])
        if sample:
            sg = [-1 if P._slope(rq, c) < 0 else 1]
            st = P.level_starts(rq, [c], [b], sg)[0] * sg[0]
            acc = np.concatenate([rng.integers(-b, b + 1, sample), st - 1, st, st + 1,
                                  [-b, b]])
            acc = acc[(acc >= -b) & (acc <= b)]
        else:
            acc = np.arange(-b, b + 1, dtype=np.int64)
        got, want = c_requant(acc, w, rq.clip_lo, rq.clip_hi), reference(rq, c, acc)
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, (f"channel {c} ({w}): accumulator {acc[bad[0]]} gives "
                               f"{got[bad[0]]}, the reference {want[bad[0]]}")
    return modes


def random_rq(rng, n: int, kind: str):
    out = rng.choice(["int8", "int16"]) if kind != "nemo" else "int8"
    info = np.iinfo(out)
    if kind == "nemo":          # kappa, lambda in float32, then * m / D (odd D)
        mul = rng.integers(-2047, 2047, size=n)
        add = rng.integers(-2**22, 2**22, size=n)
        mul2, div, fp32 = int(rng.integers(1, 60)), int(rng.integers(2**18, 2**24)), 3
        lo, hi = 0, int(rng.integers(40, 256))
    else:
        mul = rng.integers(-2**12, 2**12, size=n)
        add = rng.integers(-2**16, 2**16, size=n)
        mul2, fp32 = 1, 0
        div = int(2 ** rng.integers(4, 20)) if kind == "pow2" else int(rng.integers(3, 2**20))
        lo = int(rng.integers(int(info.min), 0))
        hi = int(rng.integers(1, int(info.max) + 1))
    return _rq.RequantArgs(size=n, channels=n, fp32=fp32,
                           rounding=int(rng.integers(0, 2)), clip_lo=lo, clip_hi=hi,
                           out_offset=0, mul2=mul2, mul=np.asarray(mul, np.int64),
                           add=np.asarray(add, np.int64),
                           div=np.full(n, div, np.int64))


@pytest.mark.parametrize("kind", ["nemo", "pow2", "odd"])
@pytest.mark.parametrize("seed", range(4))
def test_fitted_channels_equal_the_reference_on_every_accumulator(kind, seed):
    rng = np.random.default_rng(100 * seed + len(kind))
    n = 6
    rq = random_rq(rng, n, kind)
    bound = rng.integers(1000, 300_000, size=n)
    modes = check_layer(rq, bound)
    if rq.rounding == 0 or rq.clip_lo >= 0:     # (toward zero across zero: not affine)
        assert modes.get(P.GEN, 0) + modes.get(P.F32G, 0) == 0, modes


def test_a_fit_that_cannot_hold_is_refused():
    """Levels that no affine form starts where they start: no fit (the reference stays)."""
    starts = [0, 10, 11, 30, 31, 50]          # alternating widths 10, 1, 19, 1, 19
    assert P.fit(starts, 0, 6) is None
    assert P.fit([0, 10, 20, 30, 40, 50], 0, 6)[0] == P.S32


PULP = {"nemo_dscnn": {}, "nemo_rescon1": {}, "nemo_penguinet32": {}, "nemo_eegnet_1xw": {},
        "ql_dvs_cnn9": {}, "deeploy_minimobilenet": {"input_type": "uint8"},
        "deeploy_cnn_linear2": {"input_type": "uint8"}}


@pytest.mark.models
@pytest.mark.parametrize("stem", PULP)
def test_every_channel_of_the_pulp_networks(stem, monkeypatch):
    """Almost no channel of these networks keeps the int64 division (TD_RQ_GEN) or the
    guarded float32 form, and every fitted one is exact over its whole accumulator range."""
    seen = []

    def record(rq, bound, **kw):
        seen.append((rq, [int(b) for b in bound], kw))
        return P.descriptors(rq, bound, **kw)

    for mod in (conv2d_rq, conv2d_s16, depthwise_conv2d):   # (conv2d_s16: direct too)
        monkeypatch.setattr(mod, "descriptors", record)
    lower_file(model_path(f"pulp/{stem}.onnx"), kernels="opt", **PULP[stem])
    layers = [(rq, b, kw) for rq, b, kw in seen if rq is not None]
    assert layers
    left = total = 0
    for rq, bound, kw in layers:
        modes = check_layer(rq, bound, sample=20_000, **kw)
        left += modes.get(P.GEN, 0) + modes.get(P.F32G, 0)
        total += len(bound)
    # a few NEMO channels whose float32 rounding moves level starts off any line stay
    # (nemo_rescon1: 3 of 80 channels, in the guarded float32 form)
    assert left * 16 <= total, f"{left} of {total} channels keep the reference form"


@pytest.mark.cc
@pytest.mark.parametrize("src,scales", [
    ("uint8", (1.0, 0, 1.0, 0)), ("uint8", (0.02, 3, 0.05, -7)), ("uint8", (0.5, 128, 0.3, 9)),
    ("int8", (1.0, 0, 1.0, 0)), ("int8", (0.02, 3, 0.05, 121)), ("int8", (0.5, -128, 0.3, 137)),
    ("int8", (0.1, 0, 0.1, 128))])
def test_uint8_requantization_as_a_table_equals_the_golden(src, scales):
    """td_table_u8_s8_opt and td_table_s8_u8_opt (quant/opt/requantize_u8.py; the last an
    offset table, x + 128) on every byte value and a tail of three, under ASan/UBSan: the
    reference kernel's bytes."""
    s_in, z_in, s_out, z_out = scales
    dst = "int8" if src == "uint8" else "uint8"
    x = act("x", (1, 259), s_in, z_in, src)
    g = one_op("quantize", [x], act("y", (1, 259), s_out, z_out, dst))
    low = lower(g, kernels="opt")
    want = "TableU8S8OptArgs" if src == "uint8" else "TableS8U8OptArgs"
    assert type(low.kernel_args["op0"]).__name__ == want
    rec = [np.concatenate([np.arange(256), [0, 255, 7]]).astype(np.uint8).astype(src)
           .reshape(1, 259)]
    got = run_c_graph_many(g, [rec], sanitize=True, kernels="opt")[0]["y"]
    assert np.array_equal(got.reshape(-1), run_graph(g, rec)["y"].reshape(-1))


def _transpose_graph(rng, k: int, dtype: str):
    n = int(rng.integers(2, 6))
    shape = tuple(int(rng.integers(1, 6)) for _ in range(n))
    perm = [int(p) for p in rng.permutation(n)]
    x = act(f"x{k}", shape, 1.0, 0, dtype)
    y = act(f"y{k}", tuple(shape[p] for p in perm), 1.0, 0, dtype)
    return one_op("transpose", [x], y, name=f"t{k}", perm=perm)


@pytest.mark.cc
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_collapsed_transposes_equal_the_golden(dtype):
    """td_transpose_{s8,u8}_opt (quant/opt/transpose.py) on random shapes and permutations
    (the NCHW/NHWC edges among them), under ASan/UBSan; more than three dimensions left
    after collapsing keep the reference kernel."""
    rng = np.random.default_rng(7 if dtype == "int8" else 8)
    picked = {"TransposeS8OptArgs", "TransposeU8OptArgs", "TransposeArgs", "TransposeU8Args"}
    seen = set()
    for k in range(12):
        g = _transpose_graph(rng, k, dtype)
        if k == 0:                                        # NCHW -> NHWC, batch 1
            x = act("x0", (1, 3, 4, 5), 1.0, 0, dtype)
            g = one_op("transpose", [x], act("y0", (1, 4, 5, 3), 1.0, 0, dtype), name="t0",
                       perm=[0, 2, 3, 1])
        name = type(lower(g, kernels="opt").kernel_args[g.ops[0].name]).__name__
        assert name in picked
        seen.add(name)
        rec = [random_input(rng, g.t(g.inputs[0]))]
        got = run_c_graph_many(g, [rec], sanitize=True, kernels="opt")[0][g.outputs[0]]
        want = run_graph(g, rec)[g.outputs[0]]
        assert np.array_equal(got.reshape(-1), want.reshape(-1)), (g.ops[0].attrs, name)
    assert any(s.endswith("OptArgs") for s in seen)
