"""Shared harness of the signal-op tests: one TFLite model (the test writer, custom ops with
flexbuffer options as TFLite Micro's signal library reads them) run three ways - TFLite
Micro's interpreter, the numpy golden (``quant.execute``), and the compiled C under
ASan/UBSan - over several calls, so stateful ops (spectral subtraction's noise estimate)
are checked at every call."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import tflite
from tflite_micro import runtime

import tinydeploy
from tinydeploy.check import hostrun
from tinydeploy.frontend import load_model
from tinydeploy.quant.execute import initial_state, run_graph


def tflm_calls(model: bytes, calls: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """Every call's outputs from one TFLite Micro interpreter (state kept across calls)."""
    it = runtime.Interpreter.from_bytes(model, arena_size=2_000_000)
    n_out = tflite.Model.GetRootAs(model, 0).Subgraphs(0).OutputsLength()
    out = []
    for xs in calls:
        for i, x in enumerate(xs):
            it.set_input(np.require(x, requirements="C"), i)   # (keeps a 0-d scalar 0-d)
        it.invoke()
        out.append([np.array(it.get_output(i)) for i in range(n_out)])
    return out


def golden_calls(path: Path, calls: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """Every call's outputs from the numpy golden, the graph's state carried along."""
    g = load_model(path)
    state = initial_state(g)
    out = []
    for xs in calls:
        vals = run_graph(g, dict(zip(g.inputs, xs)), state=state)
        state = {n: vals[n] for n in g.meta.get("state", ())}
        out.append([vals[n] for n in g.outputs])
    return out


def c_calls(path: Path, project: Path, calls: list[list[np.ndarray]], **compile_kw
            ) -> list[list[np.ndarray]]:
    """Every call's outputs from the compiled C (one process, ASan/UBSan)."""
    tinydeploy.compile(path, project, **compile_kw)
    exe = hostrun.build(project, sanitize=True)
    manifest = json.loads((project / "manifest.json").read_text())
    return hostrun.run(exe, manifest, calls)


def check_three_ways(tmp_path: Path, model: bytes, calls: list[list[np.ndarray]],
                     name: str = "m") -> list[list[np.ndarray]]:
    """Assert TFLM == golden == C for every call and output (identical values and dtype);
    returns TFLM's outputs."""
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(model)
    ref = tflm_calls(model, calls)
    gold = golden_calls(path, calls)
    c = c_calls(path, tmp_path / name, calls)
    for k, (r, o, v) in enumerate(zip(ref, gold, c)):
        for i, (a, b, d) in enumerate(zip(r, o, v)):
            assert np.asarray(b).dtype == a.dtype, f"call {k} output {i}: golden dtype"
            assert np.array_equal(np.asarray(b).reshape(a.shape), a), \
                f"call {k} output {i}: golden != TFLM"
            assert np.array_equal(np.asarray(d).reshape(a.shape), a), \
                f"call {k} output {i}: C != TFLM"
    return ref
