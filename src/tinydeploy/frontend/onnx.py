"""ONNX frontend: an int8 ONNX model (QOperator or QDQ form) -> IR :class:`Graph`.

Pipeline: read and check the file, make every shape static (a symbolic batch dimension
becomes 1, any other unknown dimension is an error) and run ONNX shape inference, then
walk the nodes once in order, each handler turning an ONNX node into IR ops
(:mod:`onnx_qop` QLinear* ops, :mod:`onnx_qdq` float ops between Q/DQ, :mod:`onnx_shape`
quantization-keeping ops). Nodes whose inputs are all constants (shape arithmetic) are
evaluated with ONNX's reference evaluator. Graph inputs and outputs keep their ONNX dtype
and NCHW shape; ``quantize``/``dequantize``/``transpose`` ops at the edges bridge to the
int8 NHWC body.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend import onnx_qdq, onnx_qop, onnx_shape
from tinydeploy.frontend.onnx_build import Builder, Value
from tinydeploy.frontend.onnx_graph import finalize, fold_node
from tinydeploy.ir.graph import Graph, QuantParams

MS_OPS = {"QLinearAdd", "QLinearMul", "QLinearAveragePool", "QLinearGlobalAveragePool",
          "QLinearConcat", "QLinearSigmoid", "QLinearSoftmax", "QGemm"}
HANDLERS = {**onnx_qop.HANDLERS, **onnx_qdq.HANDLERS, **onnx_shape.HANDLERS}
QUANT_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", *MS_OPS}
INPUT_DTYPES = {TensorProto.FLOAT: "float32", TensorProto.INT8: "int8",
                TensorProto.UINT8: "uint8"}


def load_onnx(path: str | Path) -> Graph:
    """Import an int8 ONNX model; raises TinyDeployError naming file, node and reason."""
    path = str(path)
    notes: list[str] = []
    model = _static_shapes(_read(path), path, notes)
    g = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
    b = Builder(path, opset)
    b.notes = notes
    inferred = _collect(b, model)
    _check_nodes(b, g)
    _add_inputs(b, g)
    for node in g.node:
        if id(node) in b.done or node.op_type == "Constant":
            continue
        b.node = node
        _dispatch(b, node)
    b.node = None
    _check_shapes(b, inferred)
    return finalize(b, g, Path(path).stem)


def _read(path: str) -> onnx.ModelProto:
    if not Path(path).is_file():
        raise TinyDeployError("no such file", file=path)
    try:
        model = onnx.load(path)
    except Exception as e:  # noqa: BLE001 - protobuf raises several types on bad bytes
        raise TinyDeployError(f"not a valid ONNX file (corrupt or truncated): "
                              f"{type(e).__name__}: {e}".strip(), file=path) from None
    if not model.graph.node or not model.graph.output:
        raise TinyDeployError("not a valid ONNX file (corrupt or truncated): no graph nodes "
                              "or outputs", file=path)
    try:
        onnx.checker.check_model(model)
    except Exception as e:  # noqa: BLE001 - ValidationError and friends
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise TinyDeployError(f"invalid ONNX model: {first}", file=path) from None
    return model


def _static_shapes(model: onnx.ModelProto, path: str, notes: list[str]) -> onnx.ModelProto:
    """Fix a symbolic batch dim of the inputs to 1, reject other unknown dims, infer."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inits = {i.name for i in m.graph.initializer}
    for inp in m.graph.input:
        if inp.name in inits:
            continue
        tt = inp.type.tensor_type
        if not tt.HasField("shape"):
            raise TinyDeployError(f"input '{inp.name}' has an unknown (dynamic) shape; "
                                  "tinydeploy needs static shapes", file=path)
        for i, d in enumerate(tt.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                continue
            label = d.dim_param or "?"
            if i == 0 and len(tt.shape.dim) > 1:
                d.Clear()
                d.dim_value = 1
                notes.append(f"input '{inp.name}': symbolic batch dimension '{label}' "
                             "fixed to 1")
            else:
                raise TinyDeployError(f"input '{inp.name}' has a dynamic dimension "
                                      f"'{label}' (dim {i}); tinydeploy needs static "
                                      "shapes", file=path)
    del m.graph.value_info[:]
    for out in m.graph.output:
        out.type.tensor_type.ClearField("shape")
    try:
        return onnx.shape_inference.infer_shapes(m, strict_mode=False, data_prop=True)
    except Exception as e:  # noqa: BLE001 - InferenceError and friends
        raise TinyDeployError(f"shape inference failed: {e}", file=path) from None


def _collect(b: Builder, model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    """Constants, consumers, element types; returns the inferred static shapes."""
    g = model.graph
    for init in g.initializer:
        b.consts[init.name] = numpy_helper.to_array(init)
        b.types[init.name] = init.data_type
    for node in g.node:
        if node.op_type == "Constant":
            b.node = node
            b.consts[node.output[0]] = _constant_value(b, node)
        for i in node.input:
            if i:
                b.consumers.setdefault(i, []).append(node)
    b.node = None
    b.graph_outputs = {o.name for o in g.output}
    shapes = {}
    for vi in (*g.value_info, *g.input, *g.output):
        tt = vi.type.tensor_type
        if tt.elem_type:
            b.types.setdefault(vi.name, tt.elem_type)
        if vi.name in b.consts or not tt.HasField("shape"):
            continue
        dims = tt.shape.dim
        if any(not d.HasField("dim_value") for d in dims):
            raise TinyDeployError(f"tensor '{vi.name}' has a dynamic or unknown shape "
                                  f"({_dims(dims)}); tinydeploy needs static shapes",
                                  file=b.path)
        shapes[vi.name] = tuple(int(d.dim_value) for d in dims)
    return shapes


def _dims(dims) -> str:
    return "[" + ", ".join(str(d.dim_value) if d.HasField("dim_value") else
                           (d.dim_param or "?") for d in dims) + "]"


def _constant_value(b: Builder, node: onnx.NodeProto) -> np.ndarray:
    a = node.attribute[0]
    if a.name == "value":
        return numpy_helper.to_array(a.t)
    v = helper.get_attribute_value(a)
    if a.name in ("value_float", "value_floats"):
        return np.array(v, dtype=np.float32)
    if a.name in ("value_int", "value_ints"):
        return np.array(v, dtype=np.int64)
    raise b.error(f"Constant with attribute '{a.name}' is not supported")


def _supported(node: onnx.NodeProto) -> bool:
    if node.domain == "com.microsoft":
        return node.op_type in MS_OPS
    return node.domain in ("", "ai.onnx") and node.op_type in HANDLERS and \
        node.op_type not in MS_OPS


def _check_nodes(b: Builder, g: onnx.GraphProto) -> None:
    """Reject float models and unsupported operators before importing anything."""
    quantized = any(n.op_type in QUANT_OPS for n in g.node) or any(
        i.type.tensor_type.elem_type in (TensorProto.INT8, TensorProto.UINT8)
        for i in g.input if i.name not in b.consts)
    if not quantized:
        raise TinyDeployError("float model without any quantization (no QuantizeLinear/"
                              "DequantizeLinear or QLinear* operators); quantize it first, "
                              "e.g. with onnxruntime.quantization.quantize_static",
                              file=b.path)
    const = set(b.consts)
    for node in g.node:
        ins = [i for i in node.input if i]
        if node.op_type == "Shape" or (node.op_type not in ("DequantizeLinear", "Constant")
                                       and ins and all(i in const for i in ins)
                                       and node.domain in ("", "ai.onnx")):
            const.update(node.output)
        elif node.op_type != "Constant" and not _supported(node):
            b.node = node
            dom = f" (domain '{node.domain}')" if node.domain not in ("", "ai.onnx") else ""
            raise b.error(f"unsupported operator {node.op_type}{dom}")
    b.node = None


def _add_inputs(b: Builder, g: onnx.GraphProto) -> None:
    for inp in g.input:
        if inp.name in b.consts:
            continue
        name, et = inp.name, inp.type.tensor_type.elem_type
        shape = tuple(int(d.dim_value) for d in inp.type.tensor_type.shape.dim)
        dtype = INPUT_DTYPES.get(et)
        if dtype is None:
            raise UnsupportedError(f"input '{name}' has unsupported dtype "
                                   f"{TensorProto.DataType.Name(et).lower()}", file=b.path)
        b.inputs.append(name)
        if dtype == "float32":
            b.add_tensor(name, shape, dtype)
            b.float_inputs.add(name)
            continue
        slots = onnx_qop.input_quant(b, name)
        if slots is None:
            raise TinyDeployError(f"cannot tell the quantization of {dtype} input '{name}' "
                                  "(no QLinear*/DequantizeLinear consumer)", file=b.path)
        s, z, _ = b.scale_zp(*slots)
        b.add_tensor(name, shape, dtype, QuantParams.make(np.float64(s[0]), int(z[0])))
        if dtype == "uint8":
            y = b.act(f"{name}_s8", shape, QuantParams.make(np.float64(s[0]), int(z[0]) - 128))
            b.add_op("quantize", [name], [y], op_name=f"{name}_to_int8")
            name = y
        b.vals[inp.name] = Value(name)


def _dispatch(b: Builder, node: onnx.NodeProto) -> None:
    ins = [i for i in node.input if i]
    if node.op_type not in ("DequantizeLinear",) and ins and node.domain in ("", "ai.onnx") \
            and all(i in b.consts for i in ins):
        for name, value in zip(node.output, fold_node(b, node)):
            b.consts[name] = value
        return
    HANDLERS[node.op_type](b, node)


def _check_shapes(b: Builder, inferred: dict[str, tuple[int, ...]]) -> None:
    """Every imported value must have the shape ONNX shape inference gives it."""
    for name, v in b.vals.items():
        want = inferred.get(name)
        if want is not None and b.onnx_shape(v) != want:
            raise TinyDeployError(f"internal error: tensor '{name}' imported with shape "
                                  f"{list(b.onnx_shape(v))}, ONNX says {list(want)}",
                                  file=b.path)
