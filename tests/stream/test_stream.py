"""Streaming (``compile --stream``, passes/streaming.py): temporal convolution networks
given as a whole sequence compiled to compute one time step per call, each causal
convolution's receptive-field history in the arena across calls (stream_window,
td_stream_window_any).

The C program (ASan/UBSan) runs T steps as one process, one record per step; the output
of every step equals the whole-sequence golden at that step (and onnxruntime's / TFLite
Micro's whole-sequence output). ``<name>_reset()`` restarts the sequence; the state is
the sum over the causal convolutions of (K - 1) * d * C * itemsize; what mixes time steps
is refused naming the node; the streaming arena is far below the sequence's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest

import tinydeploy
from tests.harness import run_user_main
from tests.graphs import act
from tests.netbuild import Net
from tests.pulp.nets import G
from tests.pulp.tcn_nets import (dilated_chain_net, nemo_tcn_net, requant_1d,
                                 residual_into_net)
from tests.tflite_writer import graph_to_tflite, run_tflm
from tinydeploy.check import hostrun
from tinydeploy.check.inputs import random_inputs
from tinydeploy.check.pulp_reference import run_pulp_reference
from tinydeploy.cli import main
from tinydeploy.compiler import build
from tinydeploy.frontend import load_model
from tinydeploy.options import CompileOptions
from tinydeploy.quant.execute import run_graph, run_stream
from tinydeploy.report import report_dict

pytestmark = pytest.mark.cc

T = 32                           # steps: the sequence length of the models


def tflite_conv1d_net(length: int = T, seed: int = 4):
    """Keras-style int8 Conv1D stack as TFLite writes it: x [1, L, 3] -> reshape
    [1, 1, L, 3] -> causal conv K=3 (an explicit PADV2 on the left, then a VALID conv),
    depthwise K=3 dilation 2, pointwise conv -> reshape [1, L, 4]."""
    net = Net("conv1d_s8", seed)
    rng = net.rng
    x = net.input("x", (1, length, 3), 0.05, -3)
    v = net.op("reshape", [x], act("x4", (1, 1, length, 3), 0.05, -3))
    w1 = net.const("w1", rng.integers(-127, 128, (8, 1, 3, 3)).astype(np.int8), scale=0.01)
    b1 = net.const("b1", rng.integers(-900, 900, 8).astype(np.int32), scale=0.05 * 0.01)
    v = net.op("conv2d", [v, w1, b1], act("c1", (1, 1, length, 8), 0.04, -20),
               stride=(1, 1), dilation=(1, 1), pads=(0, 2, 0, 0), act="relu")
    w2 = net.const("w2", rng.integers(-127, 128, (1, 3, 8)).astype(np.int8), scale=0.02)
    b2 = net.const("b2", rng.integers(-900, 900, 8).astype(np.int32), scale=0.04 * 0.02)
    v = net.op("depthwise_conv2d", [v, w2, b2], act("c2", (1, 1, length, 8), 0.05, 5),
               stride=(1, 1), dilation=(1, 2), pads=(0, 4, 0, 0), depth_multiplier=1,
               act="none")
    w3 = net.const("w3", rng.integers(-127, 128, (4, 1, 1, 8)).astype(np.int8), scale=0.02)
    b3 = net.const("b3", rng.integers(-900, 900, 4).astype(np.int32), scale=0.05 * 0.02)
    v = net.op("conv2d", [v, w3, b3], act("c3", (1, 1, length, 4), 0.08, 2),
               stride=(1, 1), dilation=(1, 1), pads=(0, 0, 0, 0), act="none")
    y = net.op("reshape", [v], act("y", (1, length, 4), 0.08, 2))
    return net.graph([y])


def tflite_conv1d_h_net(length: int = T, seed: int = 2):
    """The time axis at H: x [1, L, 1, 3] -> causal conv K=3 dilation 2 (kernel (3, 1),
    4 rows of top padding) -> causal conv K=2: [1, L, 1, 4]."""
    net = Net("conv1d_h", seed)
    rng = net.rng
    x = net.input("x", (1, length, 1, 3), 0.05, -3)
    w1 = net.const("w1", rng.integers(-127, 128, (8, 3, 1, 3)).astype(np.int8), scale=0.01)
    b1 = net.const("b1", rng.integers(-900, 900, 8).astype(np.int32), scale=0.05 * 0.01)
    v = net.op("conv2d", [x, w1, b1], act("c1", (1, length, 1, 8), 0.04, -20),
               stride=(1, 1), dilation=(2, 1), pads=(4, 0, 0, 0), act="relu")
    w2 = net.const("w2", rng.integers(-127, 128, (4, 2, 1, 8)).astype(np.int8), scale=0.02)
    b2 = net.const("b2", rng.integers(-900, 900, 4).astype(np.int32), scale=0.04 * 0.02)
    v = net.op("conv2d", [v, w2, b2], act("c2", (1, length, 1, 4), 0.05, 5),
               stride=(1, 1), dilation=(1, 1), pads=(1, 0, 0, 0), act="none")
    return net.graph([v])


def _onnx(tmp_path: Path, model: onnx.ModelProto, name: str) -> Path:
    p = tmp_path / f"{name}.onnx"
    onnx.save(model, p)
    return p


def _tflite(tmp_path: Path, make=tflite_conv1d_net) -> Path:
    g = make()
    p = tmp_path / f"{g.name}.tflite"
    p.write_bytes(graph_to_tflite(g))
    return p


def _steps(x: np.ndarray, axis: int) -> list[np.ndarray]:
    return [np.take(x, [t], axis=axis) for t in range(x.shape[axis])]


def _stream(tmp_path: Path, model: Path):
    """(stream project, sequence build, sequence input, per-step C outputs, the whole-
    sequence golden output, output time axis)."""
    proj = tinydeploy.compile(model, tmp_path / "stream", stream=True)
    seq = build(model, CompileOptions())
    meta = proj.lowered.graph.meta["stream"]
    assert meta["length"] == T
    (xin,) = seq.graph.inputs
    x = random_inputs(seq.graph, 1, seed=7)[0][0]
    exe = hostrun.build(proj.path, sanitize=True)
    manifest = json.loads((proj.path / "manifest.json").read_text())
    c_out = [r[0] for r in hostrun.run(exe, manifest,
                                       [[s] for s in _steps(x, meta["input_axes"][xin])])]
    (yname,) = seq.graph.outputs
    gold = run_graph(seq.graph, [x], seq.args)[yname]
    return proj, seq, x, c_out, gold, meta["output_axes"][yname]


MODELS = {
    "nemo_tcn": lambda tmp: _onnx(tmp, nemo_tcn_net(seed=3, length=T), "nemo_tcn"),
    "dilated_chain": lambda tmp: _onnx(tmp, dilated_chain_net(seed=1, channels=8, length=T),
                                       "chain"),
    "tflite_conv1d": _tflite,
    "tflite_time_at_h": lambda tmp: _tflite(tmp, tflite_conv1d_h_net),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_step_equals_the_whole_sequence(tmp_path, name):
    model = MODELS[name](tmp_path)
    proj, seq, x, c_out, gold, axis = _stream(tmp_path, model)
    want = _steps(gold, axis)
    assert len(c_out) == len(want) == T
    for t, (c, w) in enumerate(zip(c_out, want)):
        assert np.array_equal(c.reshape(w.shape), w), f"step {t}: C != sequence golden"
    # the golden of the one-step graph, streamed, says the same
    low = proj.lowered
    (xin,), (yname,) = low.graph.inputs, low.graph.outputs
    xs = _steps(x, low.graph.meta["stream"]["input_axes"][xin])
    for t, env in enumerate(run_stream(low.graph, [[s] for s in xs], low.args)):
        assert np.array_equal(env[yname].reshape(want[t].shape), want[t]), t
    assert len({c.tobytes() for c in c_out}) > T // 4       # the steps differ
    assert {op.kind for op in low.graph.ops} >= {"stream_window", "conv2d"}
    if name == "nemo_tcn":           # int16 residual sums go through windows too
        assert {low.graph.t(n).dtype for n in low.graph.meta["state"]} == {"int8", "int16"}
        ref_name, ref = run_pulp_reference(model, seq.graph, [[x]])
        assert "onnxruntime" in ref_name.lower(), ref_name
        assert np.array_equal(ref[0][0].reshape(gold.shape), gold)
    if name.startswith("tflite"):   # TFLite Micro on the whole sequence
        (ref,) = run_tflm(model.read_bytes(), [x])
        assert np.array_equal(ref.reshape(gold.shape), gold)


RESET_MAIN = r"""
#include <stdio.h>
#include <string.h>
#include "NAME.h"
/* STEPS steps, reset, the same steps again: the same outputs (the first run resets by
 * itself: the arena starts at 0, the histories' padding value may not be 0) */
int main(void)
{
    static CTYPE x[STEPS][UPPER_INPUT0_SIZE];
    static OTYPE y[2][STEPS][UPPER_OUTPUT0_SIZE];
    for (int s = 0; s < STEPS; ++s)
        for (int i = 0; i < UPPER_INPUT0_SIZE; ++i) x[s][i] = (CTYPE)(s * 37 + i * 11 + 5);
    for (int pass = 0; pass < 2; ++pass) {
        if (pass == 1 && NAME_reset() != 0) return 3;
        for (int s = 0; s < STEPS; ++s)
            if (NAME_run(x[s], y[pass][s]) != 0) return 4;
    }
    if (memcmp(y[0], y[1], sizeof y[0]) != 0) return 5;
    fwrite(y[0], 1, sizeof y[0], stdout);
    return 0;
}
"""
CTYPES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t"}


def test_reset_restarts_the_sequence(tmp_path):
    model = _onnx(tmp_path, nemo_tcn_net(seed=5, length=T), "tcn")
    proj = tinydeploy.compile(model, tmp_path / "stream", stream=True)
    folder, p = proj.path, proj.prefix
    m = json.loads((folder / "manifest.json").read_text())
    ctype, otype = CTYPES[m["inputs"][0]["dtype"]], CTYPES[m["outputs"][0]["dtype"]]
    h = (folder / f"{p}.h").read_text()
    assert f"int {p}_reset(void);" in h
    stdout = run_user_main(folder, RESET_MAIN.replace("UPPER", p.upper()).replace("NAME", p)
                           .replace("STEPS", str(T)).replace("CTYPE", ctype)
                           .replace("OTYPE", otype), name="reset_main")
    seq = build(model, CompileOptions())
    xt = seq.graph.t(seq.graph.inputs[0])
    xs = np.stack([(np.arange(xt.shape[1]) * 11 + s * 37 + 5) for s in range(T)], axis=1)
    x = xs.astype(xt.np_dtype).reshape(xt.shape)          # [1, C, T]: step s = column s
    gold = run_graph(seq.graph, [x], seq.args)[seq.graph.outputs[0]]
    got = np.frombuffer(stdout, gold.dtype).reshape(T, -1)
    assert np.array_equal(got, gold.reshape(-1, T).T)


def causal_state_bytes(model: Path) -> int:
    """sum over the causal convolutions of the sequence graph of (K - 1) * d * C *
    itemsize, from the loaded graph (a Pad before a conv counts as its padding)."""
    g = load_model(model)
    total = 0
    for op in g.ops:
        if op.kind in ("conv2d", "depthwise_conv2d"):
            x, w = g.t(op.inputs[0]), g.t(op.inputs[1])
            src = g.producer(op.inputs[0])
            if src is not None and src.kind == "pad":
                x = g.t(src.inputs[0])
            t = 2 if x.shape[1] == 1 else 1                    # time: W, or H
            k = w.shape[t] if op.kind == "conv2d" else w.shape[t - 1]
            total += (k - 1) * op.attrs["dilation"][t - 1] * x.shape[3] * x.itemsize
    return total


@pytest.mark.parametrize("name", sorted(MODELS))
def test_state_bytes_and_arena(tmp_path, name, capsys):
    model = MODELS[name](tmp_path)
    low = build(model, CompileOptions(stream=True))
    seq = build(model, CompileOptions())
    want = causal_state_bytes(model)
    d = report_dict(low)
    assert d["totals"]["state_bytes"] == d["state"]["bytes"] == want > 0
    proj = tinydeploy.compile(model, tmp_path / "stream", stream=True)
    h = (proj.path / f"{proj.prefix}.h").read_text()
    assert f"#define {proj.prefix.upper()}_STATE_BYTES {want}\n" in h
    # the histories are held: live over the whole run, and nothing else overlaps them
    held = low.graph.meta["state"]
    off = low.memory.offsets
    spans = [(off[n], off[n] + low.graph.t(n).nbytes) for n in held]
    for n in low.graph.activations():
        if n in held or n not in off:
            continue
        a, b = off[n], off[n] + low.graph.t(n).nbytes
        assert all(b <= lo or a >= hi for lo, hi in spans), n
    with capsys.disabled():
        print(f"\n{name}: state {want} B; arena stream {low.memory.arena_bytes} B vs "
              f"sequence ({T} steps) {seq.memory.arena_bytes} B")
    assert low.memory.arena_bytes <= seq.memory.arena_bytes


# ---- refusals -----------------------------------------------------------------------------

def _conv(g: G, x: str, rng, cin: int, cout: int, k: int, pads, stride: int = 1,
          name: str = "the_conv") -> str:
    w = rng.integers(-60, 61, size=(cout, cin, k)).astype(np.float32)
    b = rng.integers(-300, 300, size=cout).astype(np.float32)
    return g.node("Conv", [x, g.const(w), g.const(b)], kernel_shape=[k], pads=list(pads),
                  strides=[stride], name=name)


def noncausal_net() -> onnx.ModelProto:
    """A causal conv, then one padded on both sides ("same", not causal)."""
    rng = np.random.default_rng(0)
    g = G(9)
    p = g.node("Pad", ["x"], pads=[0, 0, 2, 0, 0, 0], mode="constant", value=0.0)
    v = requant_1d(g, _conv(g, p, rng, 2, 4, 3, (0, 0), name="causal_conv"), rng, 4)
    v = requant_1d(g, _conv(g, v, rng, 4, 4, 3, (1, 1)), rng, 4)
    return g.model((1, 2, 24), [v])


def strided_net() -> onnx.ModelProto:
    rng = np.random.default_rng(1)
    g = G(9)
    p = g.node("Pad", ["x"], pads=[0, 0, 2, 0, 0, 0], mode="constant", value=0.0)
    v = requant_1d(g, _conv(g, p, rng, 2, 4, 3, (0, 0), stride=2), rng, 4)
    return g.model((1, 2, 24), [v])


REFUSED = {
    "noncausal": (noncausal_net, "on the right"),
    "stride2": (strided_net, "stride 2 along time"),
    "global_pool": (lambda: residual_into_net("gap_gemm", seed=2), "pools along time"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_what_mixes_time_steps_is_refused_naming_the_node(tmp_path, capsys, name):
    make, reason = REFUSED[name]
    model = _onnx(tmp_path, make(), name)
    out = tmp_path / "out" / "net"
    rc = main(["compile", str(model), "-o", str(out), "--stream"])
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert err.startswith("tinydeploy: error: ") and len(err.splitlines()) == 1, err
    assert str(model) in err and "node '" in err and reason in err, err
    assert "cannot stream" in err, err
    assert not out.exists()
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*"))
    # without --stream the same model compiles
    assert main(["compile", str(model), "-o", str(out)]) == 0


@pytest.mark.parametrize("name", ["nemo_tcn", "tflite_conv1d"])
def test_cli_project_relowers_and_validates_against_the_whole_sequence(tmp_path, capsys,
                                                                      name):
    """compile --stream writes the option into the manifest: the loaded project re-lowers
    one step per call, and validate streams its records through one C program and the
    golden, and compares the first L steps with the reference run on the whole sequence."""
    model = MODELS[name](tmp_path)
    out = tmp_path / "proj"
    assert main(["compile", str(model), "-o", str(out), "--stream"]) == 0
    assert "streaming: one time step per call" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["options"]["stream"] is True
    proj = tinydeploy.load_project(out)
    assert proj.lowered.graph.meta["stream"]["length"] == T
    v = proj.validate(n=T + 4, sanitize=True)
    assert v.ok and v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages
    assert v.inputs == T + 4 and f"the whole sequence, first {T} steps" in v.reference


def _causal(net: Net, x: str, name: str, cin: int, cout: int, k: int, d: int,
            length: int = T) -> str:
    rng = net.rng
    w = net.const(f"w_{name}", rng.integers(-127, 128, (cout, 1, k, cin)).astype(np.int8),
                  scale=0.01)
    b = net.const(f"b_{name}", rng.integers(-900, 900, cout).astype(np.int32),
                  scale=0.05 * 0.01)
    return net.op("conv2d", [x, w, b], act(name, (1, 1, length, cout), 0.05, -7),
                  stride=(1, 1), dilation=(1, d), pads=(0, (k - 1) * d, 0, 0), act="none")


def _golden_steps_equal(low, seq) -> bool:
    info = low.graph.meta["stream"]
    (xin,), (yn,) = seq.graph.inputs, seq.graph.outputs
    x = random_inputs(seq.graph, 1, seed=3)[0][0]
    gold = run_graph(seq.graph, [x], seq.args)[yn]
    ia, oa = info["input_axes"][xin], info["output_axes"][yn]
    envs = run_stream(low.graph, [[s] for s in _steps(x, ia)], low.args)
    return all(np.array_equal(e[yn].reshape(w.shape), w)
               for e, w in zip(envs, _steps(gold, oa)))


def test_convolutions_of_one_tensor_share_its_window(tmp_path):
    """Two causal convolutions with the same history on x share one window and history;
    a third with another dilation gets its own."""
    net = Net("shared", 6)
    x = net.input("x", (1, 1, T, 3), 0.05, -3)
    a = _causal(net, x, "a", 3, 4, 3, 1)
    b = _causal(net, x, "b", 3, 4, 3, 1)
    c = _causal(net, x, "c", 3, 4, 2, 4)
    s = net.op("add", [a, b], act("s", (1, 1, T, 4), 0.08, 1), act="none")
    y = net.op("add", [s, c], act("y", (1, 1, T, 4), 0.1, 0), act="none")
    model = tmp_path / "shared.tflite"
    model.write_bytes(graph_to_tflite(net.graph([y])))
    low = build(model, CompileOptions(stream=True))
    seq = build(model, CompileOptions())
    assert [op.kind for op in low.graph.ops].count("stream_window") == 2
    assert sum(low.graph.t(n).nbytes for n in low.graph.meta["state"]) == (2 + 4) * 3
    assert _golden_steps_equal(low, seq)


def test_a_flatten_over_time_is_refused_at_the_reshape(tmp_path):
    net = Net("flat", 1)
    x = net.input("x", (1, 1, T, 3), 0.05, -3)
    v = _causal(net, x, "a", 3, 4, 3, 2)
    v = net.op("reshape", [v], act("flat", (1, T * 4), 0.05, -7))
    w = net.const("w_fc", net.rng.integers(-127, 128, (5, T * 4)).astype(np.int8),
                  scale=0.01)
    b = net.const("b_fc", np.zeros(5, np.int32), scale=0.05 * 0.01)
    y = net.op("fully_connected", [v, w, b], act("y", (1, 5), 0.2, 0), act="none")
    model = tmp_path / "flat.tflite"
    model.write_bytes(graph_to_tflite(net.graph([y])))
    with pytest.raises(tinydeploy.TinyDeployError) as e:
        build(model, CompileOptions(stream=True))
    msg = str(e.value)
    assert "node '2_RESHAPE' (reshape)" in msg and "merges or splits the time axis" in msg, msg
    assert len(msg.splitlines()) == 1
