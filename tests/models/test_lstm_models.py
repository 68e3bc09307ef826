"""An int8 (and a 16x8) LSTM (TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM, TFLite Micro's integer
kernel) streamed over 20 calls: the test writer's .tflite with the hidden and cell state as
variable tensors, compiled by ``tinydeploy.compile`` and run as one process (the state in
the network's arena across calls) under ASan/UBSan; every step's output equals TFLite
Micro's (one interpreter invoked 20 times, its variables kept) and the numpy golden's."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tinydeploy
from tflite_micro import runtime

from tests.harness import run_user_main
from tests.graphs import act
from tests.netbuild import Net, kernels
from tests.tflite_writer import graph_to_tflite
from tinydeploy.check import hostrun
from tinydeploy.frontend import load_model
from tinydeploy.ir.graph import Op
from tinydeploy.quant.execute import run_graph
from tinydeploy.report.html import render_html
from tinydeploy.report.layers import report_dict

pytestmark = pytest.mark.cc

STEPS = 20


def lstm_net(name: str = "lstm_s8", n_in: int = 5, n_state: int = 6, batch: int = 1,
             time: int = 1, time_major: bool = False, cell_clip: float = 0.0,
             seed: int = 7, head: bool = True, cell_scale: float = 2.0 ** -11,
             h_zp: int = 5, dtype: str = "int8") -> Net:
    """x [B, T, I] -> lstm (state [B, S]) -> (fully connected head on the last axis).
    ``dtype`` int16: TFLite's 16x8 mode (int16 activations with zero point 0, int64
    bias)."""
    net = Net(name, seed)
    rng = net.rng
    wide = dtype == "int16"
    k = 256.0 if wide else 1.0                  # int16 codes are 256 times finer
    h_zp = 0 if wide else h_zp
    shape = (time, batch, n_in) if time_major else (batch, time, n_in)
    x = net.input("x", shape, 0.04 / k, 0 if wide else -3, dtype)
    sx, sh = float(np.float32(0.04 / k)), float(np.float32(1 / 128 / k))
    ws = []
    for kind, cols in (("x", n_in), ("h", n_state)):
        for g in "ifco":
            s = float(np.float32(rng.uniform(0.004, 0.012)))
            ws.append((net.const(f"w_{kind}{g}", rng.integers(-127, 128, (n_state, cols))
                                 .astype(np.int8), scale=s, zp=0), s))
    bt, bmax = (np.int64, 3000 * 256) if wide else (np.int32, 3000)
    bs = [net.const(f"b_{g}", rng.integers(-bmax, bmax, n_state).astype(bt),
                    scale=sx * ws[j][1], zp=0) for j, g in enumerate("ifco")]
    out_shape = shape[:2] + (n_state,)
    y = net.add(act("y", out_shape, sh, h_zp, dtype))
    h = net.add(act("h_state", (batch, n_state), sh, h_zp, dtype))
    c = net.add(act("c_state", (batch, n_state), cell_scale, 0, "int16"))
    net.ops.append(Op("lstm", "0_lstm", (x, *(w for w, _ in ws), *bs), (y, h, c),
                      {"time_major": time_major, "cell_act": "tanh",
                       "cell_clip": cell_clip}))
    net.out = [y]
    if head:
        w = net.const("w_head", rng.integers(-127, 128, (3, n_state)).astype(np.int8),
                      scale=0.02, zp=0)
        b = net.const("b_head", rng.integers(-500, 500, 3).astype(bt),
                      scale=sh * float(np.float32(0.02)), zp=0)
        flat = net.op("reshape", [y], act("yf", (int(np.prod(out_shape[:2])), n_state), sh,
                                          h_zp, dtype))
        net.out = [net.op("fully_connected", [flat, w, b],
                          act("z", (int(np.prod(out_shape[:2])), 3), 0.1 / k,
                              0 if wide else -2, dtype), act="none")]
    return net


def stream_tflm(model: bytes, xs: list[np.ndarray]) -> list[np.ndarray]:
    """One TFLite Micro interpreter invoked once per input: its variables persist."""
    it = runtime.Interpreter.from_bytes(model, arena_size=200_000)
    out = []
    for x in xs:
        it.set_input(np.ascontiguousarray(x), 0)
        it.invoke()
        out.append(np.array(it.get_output(0)))
    return out


def stream_golden(model_path, xs: list[np.ndarray]) -> list[np.ndarray]:
    g = load_model(model_path)
    state, out = None, []
    for x in xs:
        env = run_graph(g, [x], state=state)
        state = {n: env[n] for n in g.meta["state"]}
        out.append(env[g.outputs[0]])
    return out


# streaming (one step per call, as a keyword spotter runs it), a sequence per call (batch
# major and time major), a clipped cell state, and cell scales that take each of TFLite's
# tanh rescale paths (2^-11: shift left 1; 2^-13: multiplier 3, right shift 1; 2^-9)
CONFIGS = {
    "stream": dict(),
    "lstm_only": dict(head=False, n_in=7, n_state=9, h_zp=-20, seed=3),
    "sequence": dict(batch=2, time=3, cell_scale=2.0 ** -13),
    "time_major": dict(batch=2, time=2, time_major=True, cell_scale=2.0 ** -9, seed=11),
    "clipped": dict(time=2, cell_clip=0.25, cell_scale=2.0 ** -12, seed=5),
    # TFLite's 16x8 mode: int16 activations, int64 bias (td_lstm_s16)
    "stream_16x8": dict(dtype="int16"),
    "sequence_16x8": dict(dtype="int16", batch=2, time=3, cell_scale=2.0 ** -13, seed=9),
    "time_major_16x8": dict(dtype="int16", batch=2, time=2, time_major=True, head=False,
                            cell_clip=0.4, seed=12),
}


def compile_lstm(tmp_path, name: str, **kw):
    net = lstm_net(name=f"lstm_{name}", **kw)
    g = net.graph(net.out)
    model = tmp_path / f"{g.name}.tflite"
    model.write_bytes(graph_to_tflite(g))
    proj = tinydeploy.compile(model, tmp_path / g.name)
    return net, g, model, proj


def seeded_steps(g, n: int = STEPS, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    x = g.t("x")
    info = np.iinfo(x.np_dtype)
    return [rng.integers(int(info.min), int(info.max) + 1, x.shape).astype(x.np_dtype)
            for _ in range(n)]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_int8_lstm_streams_like_tflm_at_every_step(tmp_path, name):
    net, g, model, proj = compile_lstm(tmp_path, name, **CONFIGS[name])
    assert ("td_lstm_s16" if name.endswith("16x8") else "td_lstm_s8") in kernels(proj)
    xs = seeded_steps(g)
    exe = hostrun.build(tmp_path / g.name, sanitize=True)
    manifest = json.loads((tmp_path / g.name / "manifest.json").read_text())
    c_out = [r[0] for r in hostrun.run(exe, manifest, [[x] for x in xs])]
    tflm = stream_tflm(model.read_bytes(), xs)
    gold = stream_golden(model, xs)
    for k, (c, t, o) in enumerate(zip(c_out, tflm, gold)):
        assert np.array_equal(c.reshape(t.shape), t), f"step {k}: C != TFLM"
        assert np.array_equal(o.reshape(t.shape), t), f"step {k}: golden != TFLM"
    # the state matters: the same input at two steps gives two outputs, and the steps'
    # outputs are not all one value
    assert len({t.tobytes() for t in tflm}) > STEPS // 2
    assert len(np.unique(np.concatenate([t.ravel() for t in tflm]))) > 4
    if name.endswith("16x8"):                          # int16 values beyond int8's range
        assert max(int(np.abs(t.astype(np.int32)).max()) for t in tflm) > 128


def test_state_is_planned_in_the_arena_and_reported(tmp_path):
    net, g, model, proj = compile_lstm(tmp_path, "report", **CONFIGS["stream"])
    low = proj.lowered
    held = low.graph.meta["state"]
    assert [low.graph.t(n).dtype for n in held] == ["int8", "int16"]
    off = low.memory.offsets
    spans = sorted((off[n], off[n] + low.graph.t(n).nbytes) for n in held)
    assert spans[0][1] <= spans[1][0]                   # disjoint
    others = [n for n in low.graph.activations() if n not in held and n in off]
    for n in others:                                    # nothing else overlaps the state
        a, b = off[n], off[n] + low.graph.t(n).nbytes
        assert all(b <= lo or a >= hi for lo, hi in spans), n
    d = report_dict(low)
    assert d["totals"]["state_bytes"] == 6 + 12 == d["state"]["bytes"]
    assert "state kept across calls (in the arena)</th><td class=\"n\">18 B" in \
        render_html(low)
    h = (tmp_path / g.name / f"{proj.prefix}.h").read_text()
    assert f"#define {proj.prefix.upper()}_STATE_BYTES 18" in h
    assert f"int {proj.prefix}_reset(void);" in h


RESET_MAIN = r"""
#include <stdio.h>
#include <string.h>
#include "NAME.h"
/* 5 steps, reset, the same 5 steps again: the same outputs (and the first run resets
 * by itself: the arena starts at 0, the hidden state's zero point is not) */
int main(void)
{
    int8_t x[5][UPPER_INPUT0_SIZE], y[2][5][UPPER_OUTPUT0_SIZE];
    for (int s = 0; s < 5; ++s)
        for (int i = 0; i < UPPER_INPUT0_SIZE; ++i) x[s][i] = (int8_t)(s * 37 + i * 11 - 90);
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


def test_reset_restarts_the_stream(tmp_path):
    net, g, model, proj = compile_lstm(tmp_path, "reset", **CONFIGS["lstm_only"])
    folder, p = tmp_path / g.name, proj.prefix
    stdout = run_user_main(folder, RESET_MAIN.replace("UPPER", p.upper()).replace("NAME", p),
                           name="reset_main")
    got = np.frombuffer(stdout, np.int8).reshape(5, -1)
    xs = [(np.arange(g.t("x").size) * 11 + s * 37 - 90).astype(np.int8).reshape(g.t("x").shape)
          for s in range(5)]
    tflm = stream_tflm(model.read_bytes(), xs)
    assert np.array_equal(got, np.stack([t.ravel() for t in tflm]))


def test_bounds_build_keeps_the_state(tmp_path):
    """make bounds (every call on exact-size heap copies of its buffers): the state blocks
    are filled from the arena before the call and copied back after it."""
    net, g, model, proj = compile_lstm(tmp_path, "bounds", **CONFIGS["sequence"])
    exe = hostrun.build(tmp_path / g.name, bounds=True)
    manifest = json.loads((tmp_path / g.name / "manifest.json").read_text())
    xs = seeded_steps(g, n=6)
    c_out = [r[0] for r in hostrun.run(exe, manifest, [[x] for x in xs])]
    for c, t in zip(c_out, stream_tflm(model.read_bytes(), xs)):
        assert np.array_equal(c.reshape(t.shape), t)


def test_validate_streams_the_state_like_the_c_program(tmp_path):
    """tinydeploy's validation of a stateful network: its records run in order through one
    C program, TFLite Micro's interpreter and the golden, each carrying the state."""
    net, g, model, proj = compile_lstm(tmp_path, "validate", **CONFIGS["sequence"])
    v = proj.validate(n=12, sanitize=True)
    assert v.ok and v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages


def test_tiled_target_keeps_the_state(tmp_path):
    """On a tiled target (gap9: L2 arena, tiled layers) the state stays in the arena too:
    the validation's records stream through one program, TFLite Micro and the golden."""
    net = lstm_net(name="lstm_gap9", **CONFIGS["sequence"])
    g = net.graph(net.out)
    model = tmp_path / f"{g.name}.tflite"
    model.write_bytes(graph_to_tflite(g))
    proj = tinydeploy.compile(model, tmp_path / g.name, target="gap9")
    v = proj.validate(n=8)
    assert v.ok and v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages
