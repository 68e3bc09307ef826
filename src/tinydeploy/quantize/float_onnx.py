"""Float .onnx -> float graph (see :mod:`tinydeploy.quantize.float_ops`).

The file is read, checked and its shapes made static by the shared reader
(:class:`~tinydeploy.frontend.onnx_reader.OnnxModel`: a symbolic batch dimension becomes
1), and each node is dispatched through the shared op table (:data:`onnx_ops.OPS`: what
is supported, and the attribute decoding) to the float handler of its role in
:mod:`tinydeploy.quantize.float_onnx_ops`. Graph inputs and outputs keep their ONNX (NCHW)
shapes; inside, 4-D tensors live in NHWC where an op needs it, with ``transpose`` ops (or
``reshape`` when no byte moves) in between, as the int8 frontend does. BatchNorm and
standalone activations stay separate ops (the quantizer folds/fuses them). Nodes whose
inputs are all constants are evaluated once. Anything else is an error naming the node.
"""

from __future__ import annotations

from pathlib import Path

import onnx

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_ops import FLOAT, OPS, lookup, supported
from tinydeploy.frontend.onnx_facts import dtype_name
from tinydeploy.frontend.onnx_reader import OnnxModel
from tinydeploy.ir.graph import Graph, Tensor
from tinydeploy.quantize.float_onnx_builder import FloatBuilder, FValue
from tinydeploy.quantize.float_onnx_ops import HANDLERS, fold


def load_float_onnx(path: str | Path) -> Graph:
    """Import a float ONNX model; raises TinyDeployError naming file, node and reason."""
    model = OnnxModel(path)
    path, g = model.path, model.graph
    b = FloatBuilder(path, model.opset)
    b.consts.update(model.initializers)
    b.consumers = model.consumers
    inputs = _add_inputs(b, g)
    for node in g.node:
        b.node = node
        if id(node) in b.skip:
            continue
        ins = [i for i in node.input if i]
        if node.op_type == "Constant" or (ins and all(i in b.consts for i in ins)):
            fold(b, node)
        elif lookup(node, FLOAT) is None:
            raise b.error(f"unsupported operator {node.op_type} (the quantizer handles "
                          f"{', '.join(supported(FLOAT))})")
        else:
            HANDLERS[OPS[node.op_type].role](b, node)
    b.node = None
    outputs = [_add_output(b, o.name) for o in g.output]
    fg = Graph(g.name or Path(path).stem, b.tensors, b.ops, inputs, outputs, source=path,
               meta={"format": "onnx", "float": True})
    try:
        fg.validate()
    except AssertionError as e:
        raise TinyDeployError(f"inconsistent model graph: {e}", file=path) from e
    return fg


def _add_inputs(b: FloatBuilder, g: onnx.GraphProto) -> list[str]:
    names = []
    for inp in g.input:
        if inp.name in b.consts:
            continue
        tt = inp.type.tensor_type
        if tt.elem_type != onnx.TensorProto.FLOAT:
            raise TinyDeployError(f"input '{inp.name}' is "
                                  f"{dtype_name(tt.elem_type)}: "
                                  "the quantizer takes float32 models", file=b.path)
        shape = [int(d.dim_value) for d in tt.shape.dim]
        b.tensors[inp.name] = Tensor(inp.name, tuple(shape), "float32")
        b.vals[inp.name] = FValue(inp.name)
        names.append(inp.name)
    return names


def _add_output(b: FloatBuilder, name: str) -> str:
    if name not in b.vals:
        raise TinyDeployError(f"graph output '{name}' is a constant or not computed",
                              file=b.path)
    v = b.vals[name]
    ir = b.as_onnx(v)
    if ir != name:
        if name in b.tensors:
            raise TinyDeployError(f"graph output name '{name}' is taken", file=b.path)
        t = b.tensors.pop(ir)
        b.tensors[name] = Tensor(name, t.shape, t.dtype)
        b.ops = [o.with_(outputs=tuple(name if n == ir else n for n in o.outputs),
                         inputs=tuple(name if n == ir else n for n in o.inputs)) for o in b.ops]
    return name
