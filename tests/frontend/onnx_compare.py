"""Golden vs onnxruntime, end to end and layer by layer, in output LSBs.

The golden follows TFLite (fixed-point requantization with double rounding); onnxruntime
requantizes in float with one rounding. Each layer therefore differs by at most one LSB on
a small fraction of its outputs, and those differences travel through the later layers.
``per_layer`` isolates the first effect: every IR op is fed onnxruntime's own value of its
input, so its difference is that op's alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

from tinydeploy.ir.graph import Graph
from tinydeploy.quant.execute import prepare_all, run_graph
from tinydeploy.quant.golden import golden

NCHW_TO_NHWC = (0, 2, 3, 1)


def random_records(g: Graph, n: int, seed: int) -> list[list[np.ndarray]]:
    """Seeded inputs: full int8/uint8 range, or N(0, 1) floats."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        rec = []
        for name in g.inputs:
            t = g.t(name)
            if t.dtype == "float32":
                rec.append(rng.normal(0.0, 1.0, t.shape).astype(np.float32))
            else:
                info = np.iinfo(np.dtype(t.dtype))
                rec.append(rng.integers(info.min, info.max, t.shape, endpoint=True)
                           .astype(t.dtype))
        out.append(rec)
    return out


def _session(model, level=ort.GraphOptimizationLevel.ORT_ENABLE_ALL, save: Path | None = None):
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.graph_optimization_level = level
    if save is not None:
        opts.optimized_model_filepath = str(save)
    src = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(src, opts, providers=["CPUExecutionProvider"])


def _lsb(g: Graph, name: str, y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """|golden - reference| in LSBs of output ``name`` (float outputs: of the int8 value
    the dequantize reads)."""
    if y.dtype == np.float32:
        deq = next(op for op in g.ops if op.outputs[0] == name)
        scale = g.t(deq.inputs[0]).quant.s
        return np.rint(np.abs(y.astype(np.float64) - r.astype(np.float64)) / scale)
    return np.abs(y.astype(np.int64) - r.astype(np.int64).reshape(y.shape))


def end_to_end(g: Graph, model: Path, records) -> tuple[float, float]:
    """(max |diff| in LSB, fraction of identical outputs) over ``records``."""
    sess = _session(model)
    names = [i.name for i in sess.get_inputs()]
    diffs = []
    for rec in records:
        gold = run_graph(g, rec)
        for name, r in zip(g.outputs, sess.run(None, dict(zip(names, rec)))):
            diffs.append(_lsb(g, name, gold[name], r).ravel())
    d = np.concatenate(diffs)
    return float(d.max()), float(np.mean(d == 0))


def _as_ir(r: np.ndarray, like: np.ndarray, nhwc: bool) -> np.ndarray | None:
    """onnxruntime's value of a tensor in the IR's dtype and layout (None: not comparable)."""
    if r.dtype == np.uint8 and like.dtype == np.int8:
        r = (r.astype(np.int16) - 128).astype(np.int8)
    if r.dtype != like.dtype or r.size != like.size:
        return None
    if nhwc:
        r = r.transpose(NCHW_TO_NHWC)
    return r.reshape(like.shape)


def per_layer(g: Graph, model: Path, records, tmp: Path) -> dict[str, tuple[int, float]]:
    """{op name: (max |diff| LSB, exact fraction)} of each IR op whose ONNX node survives
    onnxruntime's graph optimizations (fused QDQ nodes keep the float node's name)."""
    _session(model, ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, tmp / "ort_opt.onnx")
    m = onnx.load(tmp / "ort_opt.onnx")
    out_of = {n.name: n.output[0] for n in m.graph.node if n.name}
    watched = [out_of[op.name] for op in g.ops if op.name in out_of]
    for name in watched:
        m.graph.output.append(helper.make_empty_tensor_value_info(name))
    sess = _session(m.SerializeToString(), ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    args = prepare_all(g)
    nhwc = set(g.meta.get("nhwc_of_nchw", ()))
    stats: dict[str, list] = {}
    for rec in records:
        ref = dict(zip(watched, sess.run(watched, dict(zip(g.inputs, rec)))))
        env = dict(zip(g.inputs, rec))
        for op in g.ops:
            ins = [None if not n else env[n] if n in env else g.t(n).data for n in op.inputs]
            y = np.asarray(golden(op.kind).run(args[op.name], *ins))
            y = y.reshape(g.t(op.outputs[0]).shape)
            r = None
            if op.name in out_of:
                r = _as_ir(ref[out_of[op.name]], y, op.outputs[0] in nhwc)
            if r is not None:
                d = np.abs(y.astype(np.int64) - r.astype(np.int64))
                st = stats.setdefault(op.name, [0, []])
                st[0] = max(st[0], int(d.max()))
                st[1].append(float(np.mean(d == 0)))
                y = r
            env[op.outputs[0]] = y
    return {k: (v[0], float(np.mean(v[1]))) for k, v in stats.items()}
