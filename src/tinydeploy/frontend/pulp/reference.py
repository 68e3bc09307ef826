"""onnxruntime as the independent reference of integer-deployable graphs (validate).

The source file is run as it is, except: QuantLab's annotation attributes are dropped
(onnxruntime refuses unknown attributes; they do not change the arithmetic), graph
optimizations are off (they would fold the float requantization into the convolutions
and change its rounding), and the tensors we produce (float heads cut, ``--output``)
are added as outputs. Inputs go in as float32 holding our integers, outputs come back
as integers. Deeploy's ``RequantShift`` is not an onnxruntime operator: no reference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph


def reference_model(model: str | Path, outputs: list[str]) -> onnx.ModelProto | None:
    """The runnable copy of ``model`` producing ``outputs`` (None: cannot run it)."""
    from tinydeploy.frontend.pulp import quantlab

    m = onnx.load(str(model))
    if any(n.op_type == "RequantShift" for n in m.graph.node):
        return None
    opset = next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), 13)
    quantlab.strip_annotations(m, opset)
    del m.graph.output[:]
    for name in outputs:
        m.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    return m


def run_pulp_reference(model: str | Path, g: Graph, records: list[list[np.ndarray]]
                       ) -> tuple[str, list[list[np.ndarray]]]:
    """(reference name, outputs per record); no outputs when onnxruntime cannot run it."""
    m = reference_model(model, g.meta.get("source_outputs", []))
    if m is None:
        return "no reference (onnxruntime has no RequantShift)", []
    try:
        import onnxruntime as ort
    except ImportError:
        raise TinyDeployError("reference interpreter not installed (onnxruntime); pip "
                              "install onnxruntime", file=str(model)) from None
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(m.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    outs = []
    for rec in records:
        feed = {n: np.ascontiguousarray(x).astype(np.float32) for n, x in zip(names, rec)}
        res = sess.run(None, feed)
        outs.append([_as_int(np.asarray(y)).reshape(g.t(o).shape)
                     for y, o in zip(res, g.outputs)])
    return "onnxruntime (source graph, optimizations off)", outs


def _as_int(y: np.ndarray) -> np.ndarray:
    """Integer-valued results as int64 (no wrap-around hides a wrong value); else as is."""
    if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        return y.astype(np.int64)
    return y
