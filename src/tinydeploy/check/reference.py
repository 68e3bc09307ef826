"""Independent reference interpreters: TFLite Micro for .tflite, onnxruntime for .onnx."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tflite

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend import model_format

TFLM_ARENA = 4 * 1024 * 1024


def reference_name(model: str | Path) -> str:
    return {"tflite": "TFLite Micro", "onnx": "onnxruntime"}[model_format(model)]


def run_reference(model: str | Path, records: list[list[np.ndarray]]
                  ) -> list[list[np.ndarray]]:
    """Outputs of the reference interpreter for each input record."""
    fmt = model_format(model)
    try:
        if fmt == "tflite":
            return _run_tflm(Path(model), records)
        return _run_onnxruntime(Path(model), records)
    except ImportError as e:
        pkg = "tflite-micro" if fmt == "tflite" else "onnxruntime"
        raise TinyDeployError(f"reference interpreter not installed ({e.name}); "
                              f"pip install {pkg}", file=str(model)) from None


def _run_tflm(model: Path, records):
    from tflite_micro import runtime     # test extra: imported only when used

    data = model.read_bytes()
    n_out = tflite.Model.GetRootAsModel(data, 0).Subgraphs(0).OutputsLength()
    it = runtime.Interpreter.from_bytes(data, arena_size=TFLM_ARENA)
    outs = []
    for rec in records:
        for i, x in enumerate(rec):
            shape = tuple(it.get_input_details(i)["shape"])
            it.set_input(np.ascontiguousarray(x).reshape(shape), i)
        it.invoke()
        outs.append([np.array(it.get_output(i)) for i in range(n_out)])
    return outs


def _run_onnxruntime(model: Path, records):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    # Basic optimizations only: evaluate QDQ graphs as float ops between Q/DQ. With the
    # default level onnxruntime fuses them into uint8 x int8 kernels that, on CPUs without
    # VNNI, add products pairwise in saturating 16 bits and lose accuracy on full-range
    # int8 weights (measured: up to 49 LSB on one conv). QOperator graphs run their own
    # integer kernels either way.
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    sess = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    outs = []
    for rec in records:
        feed = {n: np.ascontiguousarray(x) for n, x in zip(names, rec)}
        outs.append([np.asarray(y) for y in sess.run(None, feed)])
    return outs
