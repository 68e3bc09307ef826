"""The independent reference of integer-deployable graphs (validate).

NEMO/QuantLab graphs run in onnxruntime as they are, except: QuantLab's annotation
attributes are dropped (onnxruntime refuses unknown attributes; they do not change the
arithmetic), graph optimizations are off (they would fold the float requantization into
the convolutions and change its rounding), and the tensors we produce (the
graph outputs, float heads included, or ``--output``) are its outputs.

Deeploy graphs hold ``RequantShift`` and Deeploy's integer operators (iSoftmax, ITAMax,
iLayerNorm, ...: :mod:`.deeploy_ops`), which onnxruntime does not know: they run in the
ONNX reference evaluator (``onnx.reference``) with ``RequantShift`` stated here from its
definition, ``clamp(floor((x * mul + add + div // 2) / div))`` to ``n_levels`` signed or
unsigned levels, every float tensor in float64 (integer sums stay exact) and nothing
shared with the importer.

Either way the reference runs in the source layout (NCHW): the C API's records are taken
in the layout the header declares (NHWC for 4-D edges under ``--io-layout nhwc``) and
moved to NCHW on the way in, the reference outputs back to the declared layout on the
way out. Inputs go in as the graph's float type holding our integers, outputs come back
as integers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun
from onnx import numpy_helper

from tinydeploy.check import deeploy_ops
from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_reader import sort_nodes
from tinydeploy.frontend.pulp import quantlab
from tinydeploy.ir.graph import Graph

ORT_NAME = "onnxruntime (source graph, optimizations off)"
DEEPLOY_NAME = "onnx reference evaluator + RequantShift (source graph, float64)"


def reference_model(model: str | Path, outputs: list[str]) -> onnx.ModelProto | None:
    """The onnxruntime-runnable copy of ``model`` producing ``outputs`` (None: a Deeploy
    graph, which onnxruntime cannot run)."""
    m = onnx.load(str(model))
    if _has_requant_shift(m):
        return None
    opset = next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), 13)
    quantlab.strip_annotations(m, opset)
    _set_outputs(m, outputs)
    return m


def run_pulp_reference(model: str | Path, g: Graph, records: list[list[np.ndarray]]
                       ) -> tuple[str, list[list[np.ndarray]]]:
    """(reference name, outputs per record, in the layout and shape of ``g``'s outputs);
    no outputs when there is no reference for the graph."""
    m = onnx.load(str(model))
    outputs = list(g.meta.get("source_outputs", []))
    feeds = [_feed(m, g, rec) for rec in records]
    if _has_requant_shift(m) or g.meta.get("tensor_level"):
        name, run = DEEPLOY_NAME, _deeploy_runner(m, outputs, str(model),
                                                  bool(g.meta.get("tensor_level")))
    else:
        name, run = ORT_NAME, _ort_runner(model, outputs)
    return name, [_declared_outputs(g, run(f)) for f in feeds]


# -- layouts -------------------------------------------------------------------------------
def _nhwc_edges(g: Graph) -> bool:
    return g.meta.get("io_layout") == "nhwc"


def _declared_outputs(g: Graph, ys: list[np.ndarray]) -> list[np.ndarray]:
    """Reference outputs (source layout) in the layout and shape the header declares."""
    out = []
    for y, name in zip(ys, g.outputs):
        y = _as_int(np.asarray(y))
        if _nhwc_edges(g) and y.ndim == 4:
            y = y.transpose(0, 2, 3, 1)
        shape = g.t(name).shape
        if y.size != int(np.prod(shape)):
            raise TinyDeployError(f"reference output for '{name}' has shape {list(y.shape)}, "
                                  f"the C API declares {list(shape)}")
        out.append(y.reshape(shape))
    return out


def _feed(m: onnx.ModelProto, g: Graph, rec: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The ONNX inputs for one record: ours moved to the source layout; inputs the
    importer found unused (the wanted outputs do not need them) as zeros."""
    inits = {i.name for i in m.graph.initializer}
    ours = dict(zip(g.inputs, rec))
    feed = {}
    for inp in m.graph.input:
        if inp.name in inits:
            continue
        tt = inp.type.tensor_type
        shape = tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1
                      for d in tt.shape.dim)
        shape = tuple(g.meta.get("input_shapes", {}).get(inp.name, shape))
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tt.elem_type)
        x = ours.get(inp.name)
        if x is None:
            feed[inp.name] = np.zeros(shape, dtype=dtype)
            continue
        x = np.asarray(x)
        if _nhwc_edges(g) and x.ndim == 4:
            x = x.transpose(0, 3, 1, 2)
        feed[inp.name] = np.ascontiguousarray(x.reshape(shape)).astype(dtype)
    return feed


# -- onnxruntime (NEMO, QuantLab) -----------------------------------------------------------
def _ort_runner(model: str | Path, outputs: list[str]):
    m = reference_model(model, outputs)
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
    names = {i.name for i in sess.get_inputs()}
    return lambda feed: sess.run(None, {k: v for k, v in feed.items() if k in names})


# -- onnx reference evaluator + RequantShift (Deeploy) ----------------------------------
def _has_requant_shift(m: onnx.ModelProto) -> bool:
    return any(n.op_type == "RequantShift" for n in m.graph.node)


def _set_outputs(m: onnx.ModelProto, outputs: list[str]) -> None:
    del m.graph.output[:]
    for name in outputs:
        m.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))


def _requant_shift_class(domain: str):
    def scalar(a) -> float:
        return float(np.asarray(a).ravel()[0])

    class RequantShift(OpRun):
        op_domain = domain

        def _run(self, x, mul, add, div=None, n_levels_out=None, n_levels=None,
                 signed=None):
            levels = n_levels_out if n_levels_out is not None else n_levels
            if div is None or levels is None or signed is None:
                raise ValueError("RequantShift needs div, n_levels(_out) and signed")
            d, n = scalar(div), int(scalar(levels))
            if d != int(d) or d <= 0:
                raise ValueError(f"RequantShift div {d} is not a positive integer")
            d = int(d)
            xi, mi, ai = (_exact_int(v, what) for v, what in
                          ((x, "input"), (mul, "mul"), (add, "add")))
            mi, ai = (_per_channel(xi, v) for v in (mi, ai))
            y = (xi * mi + ai + d // 2) // d                     # floor division
            if y.shape != xi.shape:
                raise ValueError(f"mul/add of shapes {list(np.shape(mul))}, "
                                 f"{list(np.shape(add))} broadcast {list(xi.shape)} to "
                                 f"{list(y.shape)}")
            lo, hi = (-(n // 2), n // 2 - 1) if int(scalar(signed)) else (0, n - 1)
            return (np.clip(y, lo, hi).astype(np.float64),)

    return RequantShift


def _per_channel(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    """A RequantShift parameter that numpy would broadcast beyond x's shape, and that has
    one value per channel (ONNX axis 1), read as Deeploy does: per channel."""
    try:
        if np.broadcast_shapes(x.shape, c.shape) == x.shape:
            return c
    except ValueError:
        pass
    if x.ndim >= 2 and c.size == x.shape[1]:
        return c.reshape([1, x.shape[1]] + [1] * (x.ndim - 2))
    return c


def _exact_int(v, what: str) -> np.ndarray:
    a = np.asarray(v)
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or np.any(a != np.round(a)):
            raise ValueError(f"RequantShift {what} holds non-integer values")
    return a.astype(np.int64)


def _float64(m: onnx.ModelProto) -> None:
    """Float32 initializers and Constant tensors as float64: every integer sum of the
    graph stays exact (float32 would round beyond 2**24)."""
    for i, init in enumerate(m.graph.initializer):
        if init.data_type == onnx.TensorProto.FLOAT:
            a = numpy_helper.to_array(init).astype(np.float64)
            m.graph.initializer[i].CopyFrom(numpy_helper.from_array(a, init.name))
    for node in m.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value" and a.t.data_type == onnx.TensorProto.FLOAT:
                    arr = numpy_helper.to_array(a.t).astype(np.float64)
                    a.t.CopyFrom(numpy_helper.from_array(arr, a.t.name))
        elif node.op_type == "Cast":
            for a in node.attribute:
                if a.name == "to" and a.i == onnx.TensorProto.FLOAT:
                    a.i = onnx.TensorProto.DOUBLE


def _deeploy_runner(m: onnx.ModelProto, outputs: list[str], path: str,
                    integer: bool = False):
    _set_outputs(m, outputs)
    del m.graph.value_info[:]
    sort_nodes(m)
    _float64(m)
    _input_form_pads(m)
    domains = {n.domain for n in m.graph.node if n.op_type == "RequantShift"}
    ops = [_requant_shift_class(d) for d in domains] + deeploy_ops.op_classes(m, integer)
    try:
        ev = ReferenceEvaluator(m, new_ops=ops)
    except Exception as e:  # noqa: BLE001 - the evaluator raises many types
        raise TinyDeployError(f"the reference evaluator cannot load the graph: "
                              f"{type(e).__name__}: {e}", file=path) from None

    def run(feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        f64 = {k: v.astype(np.float64) if v.dtype.kind == "f" else v
               for k, v in feed.items()}
        try:
            return ev.run(None, f64)
        except Exception as e:  # noqa: BLE001
            raise TinyDeployError(f"the reference evaluator failed: {type(e).__name__}: "
                                  f"{e}", file=path) from None
    return run


def _input_form_pads(m: onnx.ModelProto) -> None:
    """Pad nodes written with a ``pads`` attribute (the opset < 11 form, which Deeploy's
    tests use under any opset) rewritten with ``pads``/``constant_value`` inputs."""
    for n in m.graph.node:
        a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
        if n.op_type != "Pad" or "pads" not in a:
            continue
        pads = numpy_helper.from_array(np.array(a["pads"], np.int64), f"{n.output[0]}_pads")
        value = numpy_helper.from_array(np.array(float(a.get("value", 0.0))),
                                        f"{n.output[0]}_value")
        m.graph.initializer.extend([pads, value])
        keep = [x for x in n.attribute if x.name == "mode"]
        del n.attribute[:]
        n.attribute.extend(keep)
        del n.input[1:]
        n.input.extend([pads.name, value.name])


def _as_int(y: np.ndarray) -> np.ndarray:
    """Integer-valued results as int64 (no wrap-around hides a wrong value); else as is."""
    if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        return y.astype(np.int64)
    return y
