"""ONNX frontend: an int8 ONNX model (QOperator or QDQ form) -> IR :class:`Graph`.

Pipeline: :class:`~tinydeploy.frontend.onnx_reader.OnnxModel` reads and checks the file
and makes every shape static (a symbolic batch dimension becomes 1, any other unknown
dimension is an error), then the nodes are walked once in order, each dispatched through
the op table (:data:`onnx_ops.OPS`, shared with the float quantizer) to the handler of
its role (:mod:`onnx_qop` QLinear* ops, :mod:`onnx_qdq` float ops between Q/DQ,
:mod:`onnx_shape` quantization-keeping ops, :mod:`onnx_select` Gather/Slice; Clips that
narrow a quantized tensor, QCDQ, are :mod:`onnx_qcdq`'s). Constant
computations were folded into initializers by the reader (:mod:`onnx_fold`); nodes whose
inputs are still all constants are evaluated with ONNX's reference evaluator; scales and
zero points must be constants (:func:`onnx_fold.check_quant_params`). Graph inputs and
outputs keep their ONNX dtype and NCHW shape; ``quantize``/``dequantize``/``transpose``
ops at the edges bridge to the int8 NHWC body.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend import (onnx_integer, onnx_qcdq, onnx_qdq, onnx_qop, onnx_select,
                                 onnx_shape, onnx_transformer)
from tinydeploy.frontend.onnx_build import Builder, Value
from tinydeploy.frontend.onnx_graph import finalize
from tinydeploy.frontend.onnx_ops import INT8, OPS, lookup, standard
from tinydeploy.frontend.onnx_float import is_float_graph, load_float_onnx
from tinydeploy.frontend.onnx_facts import constant_value, dtype_name
from tinydeploy.frontend.onnx_fold import check_quant_params
from tinydeploy.frontend.onnx_reader import OnnxModel, evaluate, read_onnx, static_shapes
from tinydeploy.ir.graph import Graph, QuantParams

# role (onnx_ops.OPS) -> handler
HANDLERS = {**onnx_qop.HANDLERS, **onnx_qdq.HANDLERS, **onnx_shape.HANDLERS,
            **onnx_transformer.HANDLERS, **onnx_integer.HANDLERS, **onnx_select.HANDLERS}
QUANT_OPS = {name for name, spec in OPS.items() if spec.quantized}
INPUT_DTYPES = {TensorProto.FLOAT: "float32", TensorProto.INT8: "int8",
                TensorProto.UINT8: "uint8"}


def load_onnx(path: str | Path) -> Graph:
    """Import an int8 ONNX model, or a float32 one without any quantization
    (:mod:`.onnx_float`); raises TinyDeployError naming file, node and reason."""
    proto = read_onnx(str(path), checker=False)
    if is_float_graph(proto, QUANT_OPS):
        notes: list[str] = []
        return load_float_onnx(static_shapes(proto, str(path), notes), str(path), notes)
    model = OnnxModel(path)
    g = model.graph
    b = Builder(model.path, model.opset)
    b.notes = model.notes
    inferred = _collect(b, model)
    _check_nodes(b, g)
    check_quant_params(g, b.path)       # scales / zero points: constants, not inputs
    _add_inputs(b, g)
    for node in g.node:
        if id(node) in b.done or node.op_type == "Constant":
            continue
        b.node = node
        _dispatch(b, node)
    b.node = None
    _check_shapes(b, inferred)
    return finalize(b, g, Path(model.path).stem)


def _collect(b: Builder, model: OnnxModel) -> dict[str, tuple[int, ...]]:
    """Constants, consumers, element types; returns the inferred static shapes."""
    b.consts.update(model.initializers)
    for node in model.graph.node:
        if node.op_type == "Constant":
            b.consts[node.output[0]] = constant_value(node, b.path)
    b.consumers = model.consumers
    b.graph_outputs = {o.name for o in model.graph.output}
    b.types.update(model.elem_types())
    return model.inferred_shapes(b.consts)


def _supported(node: onnx.NodeProto) -> bool:
    return lookup(node, INT8) is not None


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
                                       and standard(node.domain)):
            const.update(node.output)
        elif node.op_type != "Constant" and not _supported(node):
            b.node = node
            dom = f" (domain '{node.domain}')" if not standard(node.domain) else ""
            raise b.error(f"unsupported operator {node.op_type}{dom}")
        elif node.op_type != "Constant" and len(node.input) < OPS[node.op_type].min_inputs:
            b.node = node
            raise b.error(f"{node.op_type} with {len(node.input)} inputs (needs at least "
                          f"{OPS[node.op_type].min_inputs})", TinyDeployError)
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
                                   f"{dtype_name(et)}", file=b.path)
        b.inputs.append(name)
        if dtype == "float32":
            b.add_tensor(name, shape, dtype)
            b.float_inputs.add(name)
            continue
        izp = onnx_integer.input_zero_point(b, name)    # ConvInteger/MatMulInteger x
        slots = onnx_qop.input_quant(b, name) if izp is None else None
        if izp is not None:
            shift = 128 if dtype == "uint8" else 0          # izp is in the int8 domain
            s, z = np.ones(1, np.float32), np.array([izp + shift])
        elif slots is None:
            raise TinyDeployError(f"cannot tell the quantization of {dtype} input '{name}' "
                                  "(no QLinear*/DequantizeLinear consumer)", file=b.path)
        else:
            s, z, _ = b.scale_zp(*slots)
        if s.size != 1 or z.size != 1:
            raise TinyDeployError(f"input '{name}' is quantized per channel ({s.size} scales);"
                                  " activations need one scale", file=b.path)
        b.add_tensor(name, shape, dtype, QuantParams.make(np.float64(s[0]), int(z[0])))
        if dtype == "uint8":
            y = b.act(f"{name}_s8", shape, QuantParams.make(np.float64(s[0]), int(z[0]) - 128))
            b.add_op("quantize", [name], [y], op_name=f"{name}_to_int8")
            name = y
        b.vals[inp.name] = Value(name)


def _dispatch(b: Builder, node: onnx.NodeProto) -> None:
    if onnx_qcdq.handles(b, node):      # QuantizeLinear -> Clip -> DequantizeLinear
        onnx_qcdq.narrow(b, node)
        return
    ins = [i for i in node.input if i]
    if node.op_type not in ("DequantizeLinear",) and ins and standard(node.domain) \
            and all(i in b.consts for i in ins):
        for name, value in zip(node.output, evaluate(node, b.consts, b.opset, b.path)):
            b.consts[name] = value
        return
    HANDLERS[OPS[node.op_type].role](b, node)


def _check_shapes(b: Builder, inferred: dict[str, tuple[int, ...]]) -> None:
    """Every imported value must have the shape ONNX shape inference gives it."""
    for name, v in b.vals.items():
        want = inferred.get(name)
        if want is not None and b.onnx_shape(v) != want:
            raise TinyDeployError(f"internal error: tensor '{name}' imported with shape "
                                  f"{list(b.onnx_shape(v))}, ONNX says {list(want)}",
                                  file=b.path)
