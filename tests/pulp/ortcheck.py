"""onnxruntime as the independent reference, layer by layer.

Every IR tensor that a kernel writes and that carries an ONNX value's name (conv/fc
accumulators - inside fused layers: their golden on our inputs -, requantized
activations, pools) is compared, in the source domain and the
ONNX layout, with what onnxruntime computes for that value on the same inputs. The model
runs as exported (QuantLab annotations dropped, graph optimizations off: see
``tinydeploy.check.pulp_reference``).
"""

from __future__ import annotations

import numpy as np
import onnx

from tinydeploy.check.pulp_reference import reference_model
from tinydeploy.check.goldens import source_views
from tinydeploy.passes.fuse_requant import with_accumulators
from tinydeploy.quant.execute import run_graph

KERNEL_KINDS = {"conv2d", "depthwise_conv2d", "fully_connected", "requant", "max_pool2d"}


def onnx_values(path: str) -> set[str]:
    return {o for n in onnx.load(path).graph.node for o in n.output}


def compare_layers(path: str, low, records: list[list[np.ndarray]]) -> list[str]:
    """Names of the layers compared; raises AssertionError naming the first difference."""
    import onnxruntime as ort

    g = low.graph
    names = onnx_values(path)
    layers = [op.outputs[0] for op in g.ops if op.kind in KERNEL_KINDS
              and op.outputs[0] in names]
    fused = [op for op in g.ops if "requant" in op.attrs]       # passes/fuse_requant.py
    layers += [n for op in fused for n in (op.attrs["requant"].acc.name, op.outputs[0])
               if n in names and n not in layers]
    m = reference_model(path, layers)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    in_names = [i.name for i in sess.get_inputs()]
    for k, rec in enumerate(records):
        ref = sess.run(None, {n: x.astype(np.float32) for n, x in zip(in_names, rec)})
        ours = run_graph(g, rec, low.args)
        view, ours = with_accumulators(g, ours, low.args, labeled=False)   # fused int32 sums
        for name, r in zip(layers, ref):
            r = np.asarray(r, dtype=np.float64).ravel()
            views = source_views(view, name, ours[name])
            want = views["CHW"] if "CHW" in views else views["HWC"]
            bad = np.flatnonzero(want != r)
            assert bad.size == 0, (f"record {k}, layer '{name}': {bad.size} of {r.size} values "
                                   f"differ from onnxruntime, first at {bad[0]}: ours "
                                   f"{want[bad[0]]}, onnxruntime {r[bad[0]]}")
    return layers
