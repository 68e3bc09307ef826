"""Constant folding of an ONNX graph, once, before any importer sees it.

Exporters and quantizers write quantization parameters (and shapes, and weight
preparation) in several constant forms: an initializer, a graph input with an initializer
(the IR >= 4 "input with a default"), a ``Constant`` node, a chain ``Constant -> Identity
-> Identity``, a ``Mul`` of two constants, ``Shape -> Gather -> Concat`` of a tensor whose
shape is static. :func:`fold_constants` turns every such value into a plain initializer
(the folded nodes go away), so that the importers, which read a node's scale or shape
when they convert a node before it (a Conv reads the scale of the QuantizeLinear after
it), see one form only. The operators folded are the few that occur in those chains
(:data:`FOLD_OPS`), evaluated with ONNX's reference implementation
(:func:`evaluate`), with their output sizes bounded
first (a hostile file cannot make a small constant explode). A node whose output is a
graph output stays.

:func:`check_quant_params` (the int8 loader's) refuses, naming the node, a quantization
parameter that is not a constant: one fed by a graph input without an initializer
(dynamic quantization), or computed from one.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend.onnx_facts import (attrs, constant_value, first_line, node_error,
                                            tensor_array)

FOLD_OPS = frozenset({"Identity", "Cast", "Reshape", "Unsqueeze", "Squeeze", "Flatten",
                      "Transpose", "Mul", "Div", "Add", "Sub", "Concat", "Gather", "Slice",
                      "Shape"})
BROADCAST = frozenset({"Mul", "Div", "Add", "Sub"})
MAX_FOLDED = 2**24                   # elements a folded value may have beyond its inputs'

# input slots that hold scales / zero points (QLinearConcat: y_scale, y_zp, then triples)
PARAM_SLOTS = {
    "QuantizeLinear": (1, 2), "DequantizeLinear": (1, 2),
    "QLinearConv": (1, 2, 4, 5, 6, 7), "QLinearMatMul": (1, 2, 4, 5, 6, 7),
    "QGemm": (1, 2, 4, 5, 7, 8), "QLinearAdd": (1, 2, 4, 5, 6, 7),
    "QLinearMul": (1, 2, 4, 5, 6, 7), "QLinearAveragePool": (1, 2, 3, 4),
    "QLinearGlobalAveragePool": (1, 2, 3, 4), "QLinearSigmoid": (1, 2, 3, 4),
    "QLinearSoftmax": (1, 2, 3, 4), "ConvInteger": (2, 3), "MatMulInteger": (2, 3),
}


def evaluate(node: onnx.NodeProto, consts: dict[str, np.ndarray], opset: int,
             path: str) -> list[np.ndarray]:
    """Outputs of a node whose inputs are all constants (shape arithmetic, weight prep),
    computed by ONNX's reference evaluator."""
    ins = [i for i in node.input if i]
    feeds = {i: consts[i] for i in ins}
    vis = [helper.make_tensor_value_info(i, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
           for i, v in feeds.items()]
    outs = [helper.make_empty_tensor_value_info(o) for o in node.output if o]
    model = helper.make_model(helper.make_graph([node], "fold", vis, outs),
                              opset_imports=[helper.make_opsetid("", opset)])
    try:
        return [np.asarray(v) for v in ReferenceEvaluator(model).run(None, feeds)]
    except Exception as e:  # noqa: BLE001 - any evaluation failure is the model's
        raise node_error(path, node, f"cannot evaluate constant node: {first_line(e)}") \
            from None


def _standard(node: onnx.NodeProto) -> bool:
    return node.domain in ("", "ai.onnx")


def _static_shapes(g: onnx.GraphProto) -> dict[str, tuple[int, ...]]:
    """Fully known shapes of the graph's values (after shape inference)."""
    out = {}
    for vi in (*g.input, *g.value_info, *g.output):
        tt = vi.type.tensor_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            out.setdefault(vi.name, tuple(int(d.dim_value) for d in tt.shape.dim))
    return out


class _Consts:
    """Constant values by name: initializers (read when first needed) and folded ones."""

    def __init__(self, g: onnx.GraphProto, path: str):
        self.path = path
        self.protos = {t.name: t for t in g.initializer}
        self.values: dict[str, np.ndarray] = {}

    def __contains__(self, name: str) -> bool:
        return name in self.values or name in self.protos

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.values:
            self.values[name] = tensor_array(self.protos[name], self.path, "initializer")
        return self.values[name]


def _size_bound(node: onnx.NodeProto, ins: list[np.ndarray], path: str) -> None:
    """Refuse a fold whose output would be much larger than its inputs (the other
    operators of :data:`FOLD_OPS` give at most as many elements as they read)."""
    biggest = max((v.size for v in ins), default=1)
    n = biggest
    try:
        if node.op_type in BROADCAST:
            n = int(np.prod(np.broadcast_shapes(*(v.shape for v in ins)), dtype=object))
        elif node.op_type == "Concat":          # a value may be concatenated many times
            n = sum(v.size for v in ins)
        elif node.op_type == "Gather" and len(ins) == 2 and ins[0].ndim:
            axis = int(attrs(node).get("axis", 0)) % ins[0].ndim
            n = ins[1].size * ins[0].size // max(ins[0].shape[axis], 1)
    except (ValueError, TypeError) as e:          # not broadcastable: the node is wrong
        raise node_error(path, node, f"cannot evaluate constant node: {first_line(e)}",
                         TinyDeployError) from None
    if n > max(biggest, MAX_FOLDED):
        raise node_error(path, node, f"constant result of {n} elements (from inputs of at "
                         f"most {biggest}) is too large", TinyDeployError)


def _fold_node(node: onnx.NodeProto, consts: _Consts, shapes: dict, opset: int,
               path: str) -> list[np.ndarray] | None:
    """The outputs of ``node`` if it folds, else None."""
    ins = [i for i in node.input if i]
    if node.op_type == "Constant":
        return [constant_value(node, path)]
    if node.op_type == "Shape" and len(ins) == 1:
        shape = consts[ins[0]].shape if ins[0] in consts else shapes.get(ins[0])
        if shape is None:
            return None
        a = attrs(node)
        s = np.array(shape, dtype=np.int64)
        return [s[int(a.get("start", 0)):int(a["end"]) if "end" in a else len(s)]]
    if node.op_type not in FOLD_OPS or not ins or not all(i in consts for i in ins):
        return None
    values = [consts[i] for i in ins]
    _size_bound(node, values, path)
    return evaluate(node, dict(zip(ins, values)), opset, path)


def fold_constants(model: onnx.ModelProto, path: str) -> int:
    """Replace the nodes that compute constants by initializers (in place); the number
    of nodes folded. Nodes computing a graph output are kept."""
    g = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
    consts, shapes = _Consts(g, path), _static_shapes(g)
    outputs = {o.name for o in g.output}
    keep, new = [], []
    for node in g.node:
        outs = None
        if _standard(node) and not outputs.intersection(node.output):
            outs = _fold_node(node, consts, shapes, opset, path)
        if outs is None:
            keep.append(node)
            continue
        for name, value in zip([o for o in node.output if o], outs):
            value = np.asarray(value)
            consts.values[name] = value
            try:
                new.append(numpy_helper.from_array(value, name))
            except Exception as e:  # noqa: BLE001 - a dtype ONNX cannot store
                raise node_error(path, node, f"cannot store constant result: "
                                 f"{first_line(e)}", TinyDeployError) from None
    if not new and len(keep) == len(g.node):
        return 0
    folded = len(g.node) - len(keep)
    copies = [onnx.NodeProto() for _ in keep]
    for dst, src in zip(copies, keep):
        dst.CopyFrom(src)
    del g.node[:]
    g.node.extend(copies)
    g.initializer.extend(new)
    return folded


def check_quant_params(g: onnx.GraphProto, path: str) -> None:
    """Every scale / zero point that comes from a graph input without an initializer is an
    error naming the node that reads it (dynamic quantization is not supported)."""
    consts = {t.name for t in g.initializer}
    runtime = {i.name for i in g.input} - consts
    producer = {o: n for n in g.node for o in n.output if o}
    memo: dict[str, str | None] = {}

    def source(name: str) -> str | None:
        """The graph input (without an initializer) ``name`` is computed from, if any."""
        todo, seen = [name], set()
        while todo:
            t = todo.pop()
            if t in seen or t in consts or not t:
                continue
            seen.add(t)
            if t in memo:
                if memo[t]:
                    return memo[t]
                continue
            if t in runtime:
                return t
            if t in producer:
                todo.extend(producer[t].input)
        return None

    for node in g.node:
        slots = PARAM_SLOTS.get(node.op_type, ())
        if node.op_type == "QLinearConcat":
            slots = (0, 1, *(i for k in range(3, len(node.input), 3) for i in (k, k + 1)))
        for k in slots:
            name = node.input[k] if k < len(node.input) else ""
            if not name or name in consts:
                continue
            root = memo.setdefault(name, source(name))
            if root == name:
                raise node_error(path, node, f"quantization parameter '{name}' is a runtime "
                                 "input (a graph input without an initializer); "
                                 "tinydeploy needs constant scales and zero points",
                                 UnsupportedError)
            if root:
                raise node_error(path, node, f"quantization parameter '{name}' is computed "
                                 f"at run time (from graph input '{root}'); tinydeploy "
                                 "needs constant scales and zero points", UnsupportedError)
