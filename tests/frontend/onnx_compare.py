"""Golden vs onnxruntime, end to end and layer by layer, in output LSBs.

QDQ conv / fully-connected layers requantize with one rounding as the QDQ graph's float
arithmetic does; the other ops (and QOperator files) follow TFLite (fixed-point
requantization with double rounding), while onnxruntime requantizes in float (and sums in
float32). Each layer therefore differs by at most one LSB on a small fraction of its
outputs, and those differences travel through the later layers.
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


def _quantized_output(m: onnx.ModelProto) -> dict[str, str]:
    """{node name: name of its quantized output}: the output itself for QLinear ops, or
    the QuantizeLinear output a float node flows into (through Relu/Clip/Identity)."""
    consumers: dict[str, list] = {}
    for n in m.graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    out = {}
    for n in m.graph.node:
        if not n.name or not n.output or n.op_type in ("QuantizeLinear", "DequantizeLinear"):
            continue
        t = n.output[0]
        while len(consumers.get(t, [])) == 1 and \
                consumers[t][0].op_type in ("Relu", "Clip", "Identity"):
            t = consumers[t][0].output[0]
        cons = consumers.get(t, [])
        out[n.name] = cons[0].output[0] if len(cons) == 1 and \
            cons[0].op_type == "QuantizeLinear" else t
    return out


def _references(g: Graph, model: Path, tmp: Path):
    """(onnxruntime session with extra outputs, {IR tensor: onnxruntime tensor})."""
    _session(model, ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, tmp / "ort_opt.onnx")
    opt = onnx.load(tmp / "ort_opt.onnx")
    original = _quantized_output(onnx.load(model))
    ort_out = _quantized_output(opt)
    values = g.meta["onnx_values"]
    ref_of = {}
    for node, ort_name in ort_out.items():
        ir = values.get(original.get(node, ""))
        if ir is not None and ir not in g.inputs:
            ref_of.setdefault(ir, ort_name)      # the producer, not a later no-op view
    for name in set(ref_of.values()):
        opt.graph.output.append(helper.make_empty_tensor_value_info(name))
    return _session(opt.SerializeToString(), ort.GraphOptimizationLevel.ORT_DISABLE_ALL), ref_of


def per_layer(g: Graph, model: Path, records, tmp: Path) -> dict[str, tuple[int, float]]:
    """{IR tensor: (max |diff| LSB, exact fraction)} for each IR tensor that holds the
    quantized output of an ONNX node onnxruntime keeps (fused QDQ nodes keep the float
    node's name); each op is fed onnxruntime's own values of its inputs."""
    sess, ref_of = _references(g, model, tmp)
    watched = sorted(set(ref_of.values()))
    args = prepare_all(g)
    nhwc = set(g.meta.get("nhwc_of_nchw", ()))
    stats: dict[str, list] = {}
    for rec in records:
        ref = dict(zip(watched, sess.run(watched, dict(zip(g.inputs, rec)))))
        env = dict(zip(g.inputs, rec))
        for op in g.ops:
            ins = [None if not n else env[n] if n in env else g.t(n).data for n in op.inputs]
            out = op.outputs[0]
            y = np.asarray(golden(op.kind).run(args[op.name], *ins)).reshape(g.t(out).shape)
            r = _as_ir(ref[ref_of[out]], y, out in nhwc) if out in ref_of else None
            if r is not None:
                d = np.abs(y.astype(np.int64) - r.astype(np.int64))
                st = stats.setdefault(out, [0, []])
                st[0] = max(st[0], int(d.max()))
                st[1].append(float(np.mean(d == 0)))
                y = r
            env[out] = y
    return {k: (v[0], float(np.mean(v[1]))) for k, v in stats.items()}
