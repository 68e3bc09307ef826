"""Importer of float32 ONNX graphs (no quantization at all) into float32 IR.

The graph keeps its ONNX layout; convolutions and pools run in NHWC with transposes
where a value changes layout (:mod:`.onnx_float_build`). Module map: this module (the
walk, inputs and outputs), :mod:`.onnx_float_build` (values, layouts, IR construction),
:mod:`.onnx_float_nodes` and :mod:`.onnx_float_layers` (one handler per ONNX operator).
Nodes whose inputs are all constants are evaluated with ONNX's reference evaluator; an
operator without a handler is an error naming the node.
"""

from __future__ import annotations

from pathlib import Path

import onnx

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_float_build import FloatBuilder, FVal
from tinydeploy.frontend.onnx_float_nodes import HANDLERS
from tinydeploy.frontend.onnx_float_train import in_place_updates
from tinydeploy.frontend.onnx_facts import arity_problem, constant_value, initializers
from tinydeploy.frontend.onnx_reader import evaluate
from tinydeploy.ir.graph import Graph, Tensor


def is_float_graph(model: onnx.ModelProto, quant_ops: set[str]) -> bool:
    """No quantization anywhere: no QDQ/QLinear operator and no 8-bit graph input."""
    g = model.graph
    inits = {i.name for i in g.initializer}
    return not any(n.op_type in quant_ops for n in g.node) and not any(
        i.type.tensor_type.elem_type in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8)
        for i in g.input if i.name not in inits)


def load_float_onnx(model: onnx.ModelProto, path: str, notes: list[str] | None = None,
                    outputs: list[str] | None = None) -> Graph:
    """The float32 IR graph of a static-shaped float ONNX model (``notes``: what was
    changed on the way, e.g. a fixed batch dimension; ``outputs``: ONNX values to produce
    instead of the graph outputs)."""
    g = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
    b = FloatBuilder(path, opset)
    b.notes.extend(notes or [])
    b.consts.update(initializers(g, path))
    for node in g.node:
        if node.op_type == "Constant":
            b.consts[node.output[0]] = constant_value(node, path)
    _inputs(b, g)
    b.graph_nodes = list(g.node)
    for node in _topological(g):
        if node.op_type == "Constant":
            continue
        b.node = node
        bad = arity_problem(node, opset)
        if bad:
            raise b.error(bad, TinyDeployError)
        ins = [i for i in node.input if i]
        if ins and all(i in b.consts for i in ins) and node.domain in ("", "ai.onnx"):
            b.derived.update(ins)         # (its outputs are copies of these)
            for name, v in zip(node.output, evaluate(node, b.consts, opset, path)):
                b.consts[name] = v
            continue
        handler = HANDLERS.get(node.op_type)
        if handler is None:
            dom = f" (domain '{node.domain}')" if node.domain not in ("", "ai.onnx") else ""
            raise b.error(f"unsupported operator {node.op_type}{dom} in a float32 graph")
        try:
            handler(b, node)
        except TinyDeployError:
            raise
        except (ValueError, TypeError, IndexError, KeyError, OverflowError,
                ZeroDivisionError) as e:   # attributes/shapes a handler cannot read
            raise b.error(f"malformed {node.op_type} node ({type(e).__name__}: {e})",
                          TinyDeployError) from None
    b.node = None
    for name in outputs or [o.name for o in g.output]:
        _output(b, name)
    meta = {"format": "onnx", "float": True, "notes": list(dict.fromkeys(b.notes))}
    updates = in_place_updates(b)         # SGD of initializers: updated in place in C
    if updates:
        meta["train"] = {"updates": updates}
    meta["notes"] = list(dict.fromkeys(b.notes))
    return Graph(Path(path).stem, dict(b.tensors), list(b.ops), list(b.inputs),
                 list(b.outputs), path, meta)


def _topological(g: onnx.GraphProto) -> list:
    """The nodes in an order that computes every value before its use, keeping the
    graph's order where it already does (ONNX Runtime's training graphs list some forward
    nodes after the backward nodes that read their outputs). A cycle or a value nothing
    computes keeps the rest in the graph's order (the walk then names the node)."""
    known = {i.name for i in g.input} | {i.name for i in g.initializer} | {""}
    order, waiting = [], []

    def emit(n) -> None:
        order.append(n)
        known.update(n.output)

    for node in g.node:
        if not all(i in known for i in node.input):
            waiting.append(node)
            continue
        emit(node)
        progress = True
        while progress:
            progress = False
            for w in list(waiting):
                if all(i in known for i in w.input):
                    waiting.remove(w)
                    emit(w)
                    progress = True
    return order + waiting


def _inputs(b: FloatBuilder, g: onnx.GraphProto) -> None:
    used = {i for n in g.node for i in n.input}
    for inp in g.input:
        if inp.name in b.consts:
            continue
        tt = inp.type.tensor_type
        dims = tt.shape.dim
        if any(not d.HasField("dim_value") or d.dim_value <= 0 for d in dims):
            # (static_shapes already fixed a symbolic batch dimension to 1)
            raise TinyDeployError(f"input '{inp.name}' has a dynamic shape "
                                  f"{[d.dim_param or d.dim_value for d in dims]}",
                                  file=b.path)
        shape = tuple(int(d.dim_value) for d in dims)
        if tt.elem_type not in (onnx.TensorProto.FLOAT, onnx.TensorProto.INT64):
            raise TinyDeployError(f"input '{inp.name}' is "
                                  f"{onnx.TensorProto.DataType.Name(tt.elem_type)}: float32 "
                                  "graphs take float32 inputs (and int64 labels)",
                                  file=b.path)
        if inp.name not in used and inp.name not in {o.name for o in g.output}:
            continue
        name = b.tensor(inp.name, shape or (1,))
        if tt.elem_type == onnx.TensorProto.INT64:   # labels: only the loss ops take them
            b.tensors[name] = Tensor(name, shape or (1,), "int64")
        b.inputs.append(name)
        b.vals[inp.name] = FVal(shape or (1,), onnx=name)


def _output(b: FloatBuilder, name: str) -> None:
    if name in b.consts:
        raise TinyDeployError(f"output '{name}' is a constant (nothing computes it)",
                              file=b.path)
    if name not in b.vals:
        raise TinyDeployError(f"output '{name}': no such tensor in the graph", file=b.path)
    src = b.onnx_in(name)
    if src in b.inputs or src in b.outputs:
        y = b.tensor(f"{name}_out", b.shape_of(src))
        b.op("reshape", [src], [y], name=y)
        src = y
    b.outputs.append(src)
