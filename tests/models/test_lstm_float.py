"""A float32 LSTM (TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM in a float model, TFLite Micro's
float kernel) streamed over 20 calls: the test writer's float .tflite with the hidden and
cell state as variable tensors, loaded by the float loader (quantize/float_tflite.py),
compiled by ``tinydeploy.compile`` to the float32 kernel td_lstm_f32 and run as one
process (the state in the network's arena across calls) under ASan/UBSan. Every step's
output is compared with TFLite Micro's (one interpreter invoked 20 times, its variables
kept) and with the numpy golden (quant/golden/float32/lstm.py).

Exactness: the kernel does TFLM's float operations in TFLM's order (sums from 0.0f in
increasing index, then the bias, the recurrent sum + 0.0f, gate = input + recurrent,
TFLite's Logistic with its cutoffs, tanhf, f * c + i * g, the clip, tanhf(c) * o; C99
without contraction), so the C equals TFLite Micro bit for bit when both call the same
libm: asserted (and measured: every element of every step of every config, host glibc).
The golden rounds the float64 exp/tanh to float32 (a correctly rounded libm), which
glibc 2.36's tanhf misses by an ulp for ~5% of inputs; the recurrence carries such an ulp
on, and where the cell update cancels, an element near 0 can be hundreds of its own ulps
off while still a few ulps of the step's values. So the golden is asserted within
``ULPS`` ulps per element *or* within ``ULPS`` ulps of the step's largest |value|
(measured over the configs: at most 7 ulps of the largest value, 6e-7 absolute).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import tinydeploy
from tests.graphs import act
from tests.harness import run_user_main
from tests.models.test_lstm_models import STEPS, stream_golden, stream_tflm
from tests.netbuild import Net, kernels
from tests.tflite_writer import graph_to_tflite
from tinydeploy.check import hostrun
from tinydeploy.check.validate import GOLDEN_FLOAT_UNITS, validate
from tinydeploy.cli import main
from tinydeploy.frontend import load_model
from tinydeploy.ir.graph import Op

pytestmark = pytest.mark.cc

ULPS = 8                 # golden vs TFLM: float32 ulps per element or of the step's scale
F32 = "float32"


def lstm_float_net(name: str = "lstm_f32", n_in: int = 5, n_state: int = 6,
                   batch: int = 1, time: int = 1, time_major: bool = False,
                   cell_clip: float = 0.0, seed: int = 7, head: bool = True,
                   w_scale: float = 0.5) -> Net:
    """x [B, T, I] (time-major: [T, B, I]) -> float lstm (state [B, S]) -> (a float fully
    connected head on the last axis). ``w_scale``: the weights' and biases' range."""
    net = Net(name, seed)
    rng = net.rng
    shape = (time, batch, n_in) if time_major else (batch, time, n_in)
    x = net.input("x", shape, dtype=F32)
    ws = [net.const(f"w_{kind}{g}", rng.uniform(-w_scale, w_scale, (n_state, cols))
                    .astype(np.float32))
          for kind, cols in (("x", n_in), ("h", n_state)) for g in "ifco"]
    bs = [net.const(f"b_{g}", rng.uniform(-w_scale, w_scale, n_state).astype(np.float32))
          for g in "ifco"]
    out_shape = shape[:2] + (n_state,)
    y = net.add(act("y", out_shape, dtype=F32))
    h = net.add(act("h_state", (batch, n_state), dtype=F32))
    c = net.add(act("c_state", (batch, n_state), dtype=F32))
    net.ops.append(Op("lstm", "0_lstm", (x, *ws, *bs), (y, h, c),
                      {"time_major": time_major, "cell_act": "tanh",
                       "cell_clip": cell_clip}))
    net.out = [y]
    if head:
        w = net.const("w_head", rng.uniform(-1, 1, (3, n_state)).astype(np.float32))
        b = net.const("b_head", rng.uniform(-1, 1, 3).astype(np.float32))
        rows = int(np.prod(out_shape[:2]))
        flat = net.op("reshape", [y], act("yf", (rows, n_state), dtype=F32))
        net.out = [net.op("fully_connected", [flat, w, b], act("z", (rows, 3), dtype=F32),
                          act="none")]
    return net


# one step per call (streaming), sequences per call batch-major and time-major with batch
# 1 and 2, a clipped cell state, and large weights that saturate the gates (TFLite's
# Logistic cutoffs: 1.0f above 16.62, expf(v) below -9)
CONFIGS = {
    "stream": dict(),
    "lstm_only": dict(head=False, n_in=7, n_state=9, seed=3),
    "batch_major_b1": dict(time=4, seed=4),
    "batch_major_b2": dict(batch=2, time=3, seed=5),
    "time_major_b1": dict(time=3, time_major=True, seed=6),
    "time_major_b2": dict(batch=2, time=2, time_major=True, head=False, seed=11),
    "clipped": dict(time=2, cell_clip=0.25, seed=8),
    "saturating": dict(batch=2, time=2, w_scale=6.0, cell_clip=3.0, seed=9),
}


def compile_float_lstm(tmp_path, name: str, **kw):
    net = lstm_float_net(name=f"lstm_{name}", **kw)
    g = net.graph(net.out)
    model = tmp_path / f"{g.name}.tflite"
    model.write_bytes(graph_to_tflite(g))
    proj = tinydeploy.compile(model, tmp_path / g.name)
    return g, model, proj


def seeded_steps(g, n: int = STEPS, seed: int = 1, scale: float = 2.0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-scale, scale, g.t("x").shape).astype(np.float32) for _ in range(n)]


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Float32 ulps between ``a`` and ``b`` elementwise (0 for equal values, +0 == -0)."""
    def key(v):
        i = np.ascontiguousarray(v, np.float32).view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)
    return np.abs(key(a) - key(b))


def assert_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """``got`` within ULPS ulps of ``want`` per element, or within ULPS ulps of the largest
    |value| of ``want`` (elements near 0 after a cancellation)."""
    got = got.reshape(want.shape)
    assert np.isfinite(got).all() and np.isfinite(want).all(), what
    d = ulp_distance(got, want)
    scale = ULPS * float(np.spacing(np.float32(np.abs(want).max())))
    ok = (d <= ULPS) | (np.abs(got.astype(np.float64) - want) <= scale)
    assert ok.all(), f"{what}: {int(d.max())} ulps ({got[~ok][:4]} vs {want[~ok][:4]})"


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_float_lstm_streams_like_tflm_at_every_step(tmp_path, name):
    g, model, proj = compile_float_lstm(tmp_path, name, **CONFIGS[name])
    assert "td_lstm_f32" in kernels(proj)
    assert proj.lowered.graph.meta["state"] == ["h_state", "c_state"]
    batch = CONFIGS[name].get("batch", 1)
    n_state = CONFIGS[name].get("n_state", 6)
    header = (tmp_path / g.name / f"{proj.prefix}.h").read_text()
    assert f"#define {proj.prefix.upper()}_STATE_BYTES {2 * 4 * batch * n_state}" in header
    xs = seeded_steps(g)
    exe = hostrun.build(tmp_path / g.name, sanitize=True)
    manifest = json.loads((tmp_path / g.name / "manifest.json").read_text())
    c_out = [r[0] for r in hostrun.run(exe, manifest, [[x] for x in xs])]
    tflm = stream_tflm(model.read_bytes(), xs)
    gold = stream_golden(model, xs)
    for k, (c, t, o) in enumerate(zip(c_out, tflm, gold)):
        assert np.array_equal(c.reshape(t.shape), t), f"step {k}: C != TFLM " \
            f"({int(ulp_distance(c.reshape(t.shape), t).max())} ulps)"
        assert_close(o, t, f"step {k}: golden vs TFLM")
        assert_close(c, o, f"step {k}: C vs golden")
    # the state matters: the outputs of the 20 calls differ, and the first input after
    # another one gives another output than from the reset state
    assert len({t.tobytes() for t in tflm}) == STEPS
    again = stream_tflm(model.read_bytes(), [xs[1], xs[0]])
    assert not np.array_equal(again[1], tflm[0])
    if name == "saturating":            # the Logistic's cutoffs are reached
        assert np.abs(np.concatenate([t.ravel() for t in tflm])).max() > 0.9


RESET_MAIN = r"""
#include <stdio.h>
#include <string.h>
#include "NAME.h"
/* 5 steps, reset, the same 5 steps again: the same outputs (the state back at 0) */
int main(void)
{
    static float x[5][UPPER_INPUT0_SIZE], y[2][5][UPPER_OUTPUT0_SIZE];
    for (int s = 0; s < 5; ++s)
        for (int i = 0; i < UPPER_INPUT0_SIZE; ++i)
            x[s][i] = (float)(s * 37 + i * 11 % 17) / 16.0f - 2.0f;
    for (int pass = 0; pass < 2; ++pass) {
        if (pass == 1 && NAME_reset() != 0) return 3;
        for (int s = 0; s < 5; ++s)
            if (NAME_run(x[s], y[pass][s]) != 0) return 4;
    }
    if (memcmp(y[0], y[1], sizeof y[0]) != 0) return 5;
    fwrite(y[0], 1, sizeof y[0], stdout);
    return 0;
}
"""


def test_reset_restarts_the_stream_at_zero(tmp_path):
    """<prefix>_reset() sets h and c to 0 (TFLM's ResetVariableTensors): the same five
    calls after it give TFLite Micro's first five outputs again, bit for bit."""
    g, model, proj = compile_float_lstm(tmp_path, "reset", **CONFIGS["batch_major_b2"])
    p = proj.prefix
    stdout = run_user_main(tmp_path / g.name, RESET_MAIN.replace("UPPER", p.upper())
                           .replace("NAME", p), name="reset_main")
    got = np.frombuffer(stdout, np.float32).reshape(5, -1)
    n = g.t("x").size
    xs = [((s * 37 + np.arange(n) * 11 % 17) / np.float32(16) - 2).astype(np.float32)
          .reshape(g.t("x").shape) for s in range(5)]
    tflm = stream_tflm(model.read_bytes(), xs)
    assert np.array_equal(got, np.stack([t.ravel() for t in tflm]))


def test_bounds_build_keeps_the_state(tmp_path):
    """make bounds (every call on exact-size heap copies of its buffers): the state blocks
    go in and out of the call, and the stream equals TFLite Micro's."""
    g, model, proj = compile_float_lstm(tmp_path, "bounds", **CONFIGS["time_major_b2"])
    exe = hostrun.build(tmp_path / g.name, bounds=True)
    manifest = json.loads((tmp_path / g.name / "manifest.json").read_text())
    xs = seeded_steps(g, n=6)
    c_out = [r[0] for r in hostrun.run(exe, manifest, [[x] for x in xs])]
    for c, t in zip(c_out, stream_tflm(model.read_bytes(), xs)):
        assert np.array_equal(c.reshape(t.shape), t)


def test_float_lstm_golden_runs_as_tflm_writes_it(tmp_path):
    """The float loader keeps the file's weights and state: the IR op of the loaded graph
    has the float32 weights in TFLite's gate order and the variable tensors as its state."""
    net = lstm_float_net(name="lstm_load", head=False, batch=2, time=3)
    g = net.graph(net.out)
    model = tmp_path / "lstm_load.tflite"
    model.write_bytes(graph_to_tflite(g))
    loaded = load_model(model)
    op = next(o for o in loaded.ops if o.kind == "lstm")
    assert loaded.meta["state"] == list(op.outputs[1:]) == ["h_state", "c_state"]
    for ours, theirs in zip(g.ops[0].inputs[1:], op.inputs[1:]):
        assert np.array_equal(loaded.t(theirs).data, g.t(ours).data)
        assert loaded.t(theirs).dtype == "float32"


def test_quantizer_refuses_a_float_lstm_in_one_line(tmp_path, capsys):
    net = lstm_float_net(name="lstm_q")
    g = net.graph(net.out)
    model = tmp_path / "lstm_q.tflite"
    model.write_bytes(graph_to_tflite(g))
    out = tmp_path / "q.onnx"
    rc = main(["quantize", str(model), "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    lines = [ln for ln in err.splitlines() if not ln.startswith("tinydeploy: warning:")]
    assert len(lines) == 1 and "0_UNIDIRECTIONAL_SEQUENCE_LSTM" in lines[0], err
    assert not out.exists()


def test_validate_passes_a_float_lstm_and_says_how_it_compared(tmp_path):
    """`validate` on a float network: C == TFLM (tolerance 0 here), and C vs the golden
    either identical or within libm rounding (GOLDEN_FLOAT_UNITS), said in words; a float
    output off by more is still a failure (the fault tests of the float kernels)."""
    g, model, proj = compile_float_lstm(tmp_path, "validate", **CONFIGS["saturating"])
    v = validate(proj.path, n=6, sanitize=True, tolerance=0)
    assert v.ok, v.messages
    assert v.c_vs_reference_max_lsb == 0
    assert v.golden_words.startswith(("bit-exact", "equal (float outputs within"))
    assert v.c_vs_golden_float_units <= GOLDEN_FLOAT_UNITS
