"""The tensor-level importer of integer graphs: Deeploy's transformers and language
models (and any integer ONNX graph of the ops it knows), lowered node by node in the ONNX
layout.

The CNN importer of this package (:mod:`tinydeploy.frontend.pulp.lower`) evaluates
requantization chains and runs everything in NHWC; it keeps the graphs made of its ops
only (convolutions, pools, Gemm/MatMul layers, RequantShift and residual Adds). A graph
with one of Deeploy's integer operators (iSoftmax, ITAMax, iLayerNorm, iRMSNorm, ...),
with data movement (Transpose, Concat, Slice, Gather, ...), a product of two activations,
or no requantization at all (an integer kernel test, read as integers because the user
gave ``--input-type``) comes here. Module map: :mod:`.graph` (the walk: shapes, node
order, inputs, outputs), :mod:`.values` (values and the IR builder), :mod:`.linear`,
:mod:`.arith`, :mod:`.custom`, :mod:`.movement` (node handlers).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

from tinydeploy.frontend.pulp.integer.graph import lower
from tinydeploy.frontend.pulp.lower import head_values

__all__ = ["lower", "DEEPLOY_OPS", "wants", "cnn_only", "schema_view"]

DEEPLOY_OPS = {"iSoftmax", "ITAMax", "ITAPartialMax", "iGELU", "iLayerNorm", "iRMSNorm",
               "iHardswish", "iNoNorm", "IntegerMean", "IntegerDiv", "TrueIntegerDiv"}
CNN_OPS = {"Conv", "RequantShift", "MaxPool", "AveragePool", "GlobalAveragePool",
           "GlobalMaxPool", "Gemm", "MatMul", "Add", "Pad", "Flatten", "Reshape", "Constant",
           "Relu", "Clip", "Mul", "Div", "Floor", "Cast", "Round"}
QDQ_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "QGemm",
           "ConvInteger", "MatMulInteger", "DynamicQuantizeLinear"}


def _consts(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    out = {}
    for i in model.graph.initializer:
        try:
            out[i.name] = numpy_helper.to_array(i)
        except Exception:  # noqa: BLE001 - unreadable tensors are reported by the importer
            continue
    for n in model.graph.node:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].type == \
                onnx.AttributeProto.TENSOR:
            out[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    return out


def cnn_only(model: onnx.ModelProto) -> bool:
    """Every node is one the CNN importer handles: its ops, constant 2-D weights of plain
    MatMul/Gemm layers, and a float head that starts with Deeploy's Dequant (run as
    float32 ops by that importer; integer Gather/Squeeze/... tails stay here)."""
    consts = _consts(model)
    head = head_values(model.graph)
    dequant = {o for n in model.graph.node if n.op_type == "Dequant" for o in n.output}
    if not head & dequant:
        head = set()
    for n in model.graph.node:
        if n.output and all(o in head for o in n.output if o):
            continue
        if n.op_type not in CNN_OPS:
            return False
        if n.op_type in ("MatMul", "Gemm"):
            w = consts.get(n.input[1]) if len(n.input) > 1 else None
            if w is None or w.ndim != 2:
                return False
            if n.op_type == "Gemm" and any(
                    (a.name == "transA" and a.i) or (a.name in ("alpha", "beta") and a.f != 1)
                    for a in n.attribute):
                return False
    return True


def _integer_valued(model: onnx.ModelProto) -> bool:
    for a in _consts(model).values():
        if a.dtype.kind == "f" and (not np.all(np.isfinite(a)) or np.any(a != np.round(a))):
            return False
    return True


def wants(model: onnx.ModelProto, input_type: str | None) -> bool:
    """Whether this importer takes the graph (see the module doc)."""
    ops = {n.op_type for n in model.graph.node}
    if ops & QDQ_OPS:
        return False
    if ops & DEEPLOY_OPS:
        return True
    if "RequantShift" in ops:
        return not cnn_only(model)
    return input_type is not None and _integer_valued(model)


def schema_view(model: onnx.ModelProto) -> onnx.ModelProto:
    """``model`` without the nodes whose older opset form its opset import does not
    declare but the importer reads (Pad with a ``pads`` attribute under opset >= 11, as
    Deeploy's tests write it): what ``check_schemas`` may judge."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    keep = []
    for n in m.graph.node:
        if not (n.op_type == "Pad" and any(a.name == "pads" for a in n.attribute)):
            c = onnx.NodeProto()
            c.CopyFrom(n)
            keep.append(c)
    del m.graph.node[:]
    m.graph.node.extend(keep)
    return m
