"""Recognise an integer-deployable ONNX graph and its dialect by what its nodes compute.

- Deeploy: a ``RequantShift`` node requantizes (integer multiply, add, divide, clamp).
- Integer-deployable float graphs (NEMO, QuantLab): no Q/DQ operators; every Conv/Gemm/
  MatMul weight is an integer-valued float constant, and the activations are made
  integers again by a Floor or a float -> int Cast. NEMO divides on int64 tensors (a
  Cast to an integer type before its Div); QuantLab divides floats by 2**d and floors
  (and annotates standard ops with ``weight_bits``/``out_bits``/... attributes).

Anything else returns None and goes to the standard int8 ONNX importer.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

from tinydeploy.frontend.onnx_facts import tensor_problem

QDQ_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul",
           "QLinearAdd", "QGemm", "ConvInteger", "MatMulInteger", "DynamicQuantizeLinear"}
QUANTLAB_ATTRS = {"weight_bits", "bias_bits", "out_bits", "mult_bits", "add_bits",
                  "in1_mul", "in1_shift", "in2_mul", "in2_shift", "out_mul", "out_shift"}
INT_TYPES = {onnx.TensorProto.INT64, onnx.TensorProto.INT32, onnx.TensorProto.INT16,
             onnx.TensorProto.INT8, onnx.TensorProto.UINT8}
LAYERS = ("Conv", "Gemm", "MatMul")


def _constants(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    """The readable constants (what is unreadable is reported by the importer that takes
    the file, naming it; here it only does not count as an integer weight)."""
    tensors = {i.name: i for i in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "Constant" and n.output and len(n.attribute) == 1 and \
                n.attribute[0].name == "value":
            tensors[n.output[0]] = n.attribute[0].t
    return {name: numpy_helper.to_array(t) for name, t in tensors.items()
            if tensor_problem(t) is None}


def _integer_weights(model: onnx.ModelProto) -> bool:
    consts = _constants(model)
    layers = [n for n in model.graph.node if n.op_type in LAYERS]
    if not layers:
        return False
    for n in layers:
        w = consts.get(n.input[1]) if len(n.input) > 1 else None
        if w is None or w.dtype.kind != "f" or not np.all(np.isfinite(w)) or \
                np.any(w != np.round(w)):
            return False
    return True


def detect(model: onnx.ModelProto) -> str | None:
    """"deeploy", "nemo", "quantlab", or None (not an integer-deployable graph)."""
    nodes = model.graph.node
    ops = {n.op_type for n in nodes}
    if ops & QDQ_OPS:
        return None
    if "RequantShift" in ops:
        return "deeploy"
    if not _integer_weights(model):
        return None
    int_cast = any(n.op_type == "Cast" and any(a.name == "to" and a.type == a.INT and
                                               a.i in INT_TYPES
                                               for a in n.attribute) for n in nodes)
    if not int_cast and "Floor" not in ops:
        return None
    if any(a.name in QUANTLAB_ATTRS for n in nodes for a in n.attribute):
        return "quantlab"
    return "nemo" if int_cast else "quantlab"


def detect_file(path) -> str | None:
    """Dialect of an .onnx file (None if it is not one, or not readable: the standard
    importer then reports the problem)."""
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # noqa: BLE001 - unreadable files are reported by the ONNX importer
        return None
    return detect(model)
