"""The one reader of .onnx files, shared by the int8 frontend, the PULP importer and the
float quantizer (the file-level checks and the error format it applies are
:mod:`.onnx_facts`).

:func:`read_onnx` parses the file and checks the file-level facts everything later takes
for granted (:func:`check_structure`: known opset, element and attribute types; tensor
data whose byte count matches its dtype and dims, sizes within int32; Constant nodes with
one value; every input computed before its node, no cycle, every value computed once),
then ``onnx.checker`` (graphs with non-ONNX operators, e.g. Deeploy's, get
:func:`check_schemas` per standard node instead). :class:`OnnxModel` also makes every
shape static (a symbolic batch dimension of an input becomes 1, with a note; any other
unknown dimension is an error naming the node, with strict shape inference's reason) and
runs ONNX shape inference, so a bad file fails the same way, with the file named,
whichever loader asked; then it folds every constant computation into initializers
(:mod:`.onnx_fold`: Constant nodes, Identity chains, shape arithmetic). It also collects
what the loaders need before converting a node: initializers as numpy arrays
(:func:`tensor_array`), the consumers of every tensor, element types and the inferred
static shapes (:func:`check_shape` for the importers').

The node-level helpers (:func:`attrs`, :func:`opt`, :func:`constant_value`,
:func:`evaluate`, :func:`node_error`) give both loaders the same attribute access,
constant folding and error format: file, node name (or first output), op type, reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import onnx

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_facts import (check_structure, first_line, initializers, node_error,
                                            shape_problem)
from tinydeploy.frontend.onnx_fold import evaluate, fold_constants

# evaluate: the importers' constant evaluation, defined next to the folding that uses it
__all__ = ["OnnxModel", "check_model", "evaluate", "read_onnx", "sort_nodes", "static_shapes"]


def read_onnx(path: str, checker: bool = True, empty_inputs: bool = False) -> onnx.ModelProto:
    """Parse and check an .onnx file; a TinyDeployError naming the file if it is bad.

    ``checker``: also run ``onnx.checker`` (graphs with operators ONNX does not define,
    e.g. Deeploy's ``RequantShift``, skip it and get :func:`check_schemas` per node).
    The file-level facts (:func:`check_structure`) are checked either way.
    ``empty_inputs``: graph inputs may declare a dim of 0 (an empty KV cache of a language
    model's first step); the importer decides what an empty value may feed.
    """
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
    sort_nodes(model)
    check_structure(model, path, empty_inputs)
    if checker:
        check_model(model, path)
    return model


def check_model(model: onnx.ModelProto, path: str) -> None:
    """``onnx.checker`` on the whole model. IR version 3 (the oldest onnxruntime runs)
    lists every initializer as a graph input, and the checker refuses a file that does not;
    onnxruntime runs it (older exporters and onnxruntime's quantizer write such files), so
    it is checked by IR 4's rules: :func:`check_structure` has already checked that every
    node input is a graph input, an initializer or computed before its node."""
    ir = model.ir_version
    if ir == 3:
        model.ir_version = 4
    try:
        onnx.checker.check_model(model)
    except Exception as e:  # noqa: BLE001 - ValidationError and friends
        raise TinyDeployError(f"invalid ONNX model: {first_line(e)}", file=path) from None
    finally:
        model.ir_version = ir


def sort_nodes(model: onnx.ModelProto) -> None:
    """Put the graph's nodes in an order where every input is computed before its node
    (ONNX requires it, some exporters do not). A graph that has no such order (a cycle,
    an input nobody computes) is left as it is: :func:`check_structure` names the node."""
    g = model.graph
    done = {i.name for i in g.input} | {t.name for t in g.initializer} | {""}
    nodes = list(g.node)
    order, pending = [], list(range(len(nodes)))
    while pending:
        rest = []
        for k in pending:                  # in file order: a sorted graph stays as it is
            if all(i in done for i in nodes[k].input):
                order.append(k)
                done.update(nodes[k].output)
            else:
                rest.append(k)
        if len(rest) == len(pending):
            return
        pending = rest
    if order != sorted(order):
        copies = [onnx.NodeProto() for _ in order]
        for dst, k in zip(copies, order):
            dst.CopyFrom(nodes[k])
        del g.node[:]
        g.node.extend(copies)


def static_shapes(model: onnx.ModelProto, path: str, notes: list[str]) -> onnx.ModelProto:
    """Fix a symbolic batch dim of the inputs to 1, reject other unknown dims, infer (an
    IR 3 model, whose initializers need not be graph inputs, is inferred as IR 4)."""
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
    if m.ir_version == 3:       # shape inference reads IR 3 initializers as inputs only
        m.ir_version = 4        # (check_model: the structure is IR 4's)
    try:
        return onnx.shape_inference.infer_shapes(m, strict_mode=False, data_prop=True)
    except Exception as e:  # noqa: BLE001 - InferenceError and friends
        raise TinyDeployError(f"shape inference failed: {first_line(e)}", file=path) from None


class OnnxModel:
    """A checked ONNX model with static, inferred shapes, and what every loader reads first.

    ``proto``/``graph``: the static-shaped model; ``opset``: its default-domain opset;
    ``notes``: what was changed (a fixed batch dimension); ``initializers``: name -> numpy
    array; ``consumers``: tensor name -> the nodes reading it.
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        self.notes: list[str] = []
        self.proto = static_shapes(read_onnx(self.path), self.path, self.notes)
        if fold_constants(self.proto, self.path):   # constants in one form: initializers
            self.proto = static_shapes(self.proto, self.path, self.notes)
        self.graph = self.proto.graph
        self.opset = next((o.version for o in self.proto.opset_import
                           if o.domain in ("", "ai.onnx")), 1)
        self.initializers = initializers(self.graph, self.path)
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for node in self.graph.node:
            for i in node.input:
                if i:
                    self.consumers.setdefault(i, []).append(node)

    def value_infos(self) -> tuple:
        return (*self.graph.value_info, *self.graph.input, *self.graph.output)

    def elem_types(self) -> dict[str, int]:
        """ONNX element type of every tensor known (initializers, inferred values, edges)."""
        types = {i.name: i.data_type for i in self.graph.initializer}
        for vi in self.value_infos():
            if vi.type.tensor_type.elem_type:
                types.setdefault(vi.name, vi.type.tensor_type.elem_type)
        return types

    def inferred_shapes(self, consts) -> dict[str, tuple[int, ...]]:
        """Static shape of every inferred non-constant value; unknown dims are an error
        naming the first node (in graph order) whose output shape ONNX cannot infer."""
        infos: dict[str, onnx.ValueInfoProto] = {}
        for vi in self.value_infos():
            infos.setdefault(vi.name, vi)
        producer = {o: n for n in self.graph.node for o in n.output if o}
        order = [i.name for i in self.graph.input] + list(producer)
        order += [n for n in infos if n not in set(order)]
        shapes = {}
        for name in order:
            vi = infos.get(name)
            if vi is None or name in consts or not vi.type.tensor_type.HasField("shape"):
                continue
            dims, node = vi.type.tensor_type.shape.dim, producer.get(name)
            if any(not d.HasField("dim_value") for d in dims):
                raise self._inference_error() or node_error(
                    self.path, node, f"tensor '{name}' has a dynamic or unknown shape "
                    f"({_dims(dims)}); tinydeploy needs static shapes", TinyDeployError)
            shape = tuple(int(d.dim_value) for d in dims)
            bad = shape_problem(shape) or ("it is empty" if 0 in shape else None)
            if bad:
                raise node_error(self.path, node, f"tensor '{name}' has shape {list(shape)}: "
                                 f"{bad}", TinyDeployError)
            shapes[name] = shape
        return shapes


    def _inference_error(self) -> TinyDeployError | None:
        """Why a shape is unknown, if strict ONNX shape inference says (which node, what):
        the lenient pass used for the shapes leaves e.g. a Conv with strides 0 unshaped."""
        try:
            onnx.shape_inference.infer_shapes(self.proto, strict_mode=True, data_prop=True)
        except Exception as e:  # noqa: BLE001 - InferenceError and friends
            found = re.search(r"\(op_type:([^,]*), node name: ([^)]*)\): (.*)", str(e))
            if found:
                op, name, reason = found.groups()
                reason = re.sub(r"^(\[\w+\] )+", "", reason).strip()
                return TinyDeployError(f"ONNX shape inference: {reason}", file=self.path,
                                       node=name or None, op=op)
        return None


def _dims(dims) -> str:
    return "[" + ", ".join(str(d.dim_value) if d.HasField("dim_value") else
                           (d.dim_param or "?") for d in dims) + "]"
