"""Shared helpers of the training-step tests: compile a model's step, run it in C
(tests/train/train_main.c under ASan/UBSan), step the numpy golden, read gradients."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from tinydeploy.check.hostrun import SANITIZE
from tinydeploy.compiler import compile_model
from tinydeploy.ir.graph import Graph
from tinydeploy.ir.training import training, with_values
from tinydeploy.quant.execute import run_graph

MAIN = Path(__file__).parent / "train_main.c"
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O1"]


def compile_step(model, out: Path, prefix: str = "net", **spec):
    return compile_model(model, out, name=prefix, train=spec)


def build_runner(out: Path, prefix: str = "net") -> Path:
    srcs = sorted(str(f) for f in out.rglob("*.c") if f.name != "main.c")
    exe = out / "train_runner"
    res = subprocess.run(["cc", *CFLAGS, *SANITIZE.split(), "-include", f"{prefix}.h",
                          f"-DTD_P={prefix}", f"-DTD_PU={prefix.upper()}", f"-I{out}",
                          "-o", str(exe), str(MAIN), *srcs, "-lm"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    return exe


def run_steps(exe: Path, low, xs: list[np.ndarray], labels: list[np.ndarray]):
    """C: one train step per (x, labels); returns (losses, params after, run output)."""
    g, step = low.graph, training(low.graph)
    tmp = exe.parent
    with open(tmp / "in.bin", "wb") as f:
        for x, lab in zip(xs, labels):
            f.write(np.ascontiguousarray(x, np.float32).tobytes())
            f.write(np.ascontiguousarray(lab, np.int64).tobytes())
    rows = int(np.asarray(labels[0]).size)
    res = subprocess.run([str(exe), str(tmp / "in.bin"), str(tmp / "out.bin"),
                          str(len(xs)), str(rows)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    raw = (tmp / "out.bin").read_bytes()
    losses = np.frombuffer(raw[:4 * len(xs)], np.float32)
    at, params = 4 * len(xs), {}
    for p in step.params:
        t = g.t(p)
        params[p] = np.frombuffer(raw[at:at + t.nbytes], np.float32).reshape(t.shape)
        at += t.nbytes
    out = np.frombuffer(raw[at:], np.float32)
    return losses, params, out


with_params = with_values        # a graph whose parameters hold a step's new values


def golden_step(g: Graph, x: np.ndarray, labels: np.ndarray):
    """One step of the numpy golden: (loss, new parameters, gradients, env)."""
    step = training(g)
    env = run_graph(g, [np.asarray(x, np.float32)], labels=np.asarray(labels, np.int64))
    new = {p: env[u] for p, u in step.updates}
    grads = {p: env[gradient_of(g, u)] for p, u in step.updates}
    return float(env[step.loss].reshape(-1)[0]), new, grads, env


def gradient_of(g: Graph, u: str) -> str:
    """The gradient an SGD update ``u = p - lr * grad`` reads."""
    sub = next(op for op in g.ops if u in op.outputs)
    mul = next(op for op in g.ops if sub.inputs[1] in op.outputs)
    return mul.inputs[1]
