"""The one reader of .onnx files, shared by the int8 frontend, the PULP importer and the
float quantizer.

:func:`read_onnx` parses the file and checks the file-level facts everything later takes
for granted (:func:`check_structure`: known opset, element and attribute types; tensor
data whose byte count matches its dtype and dims, sizes within int32; Constant nodes with
one value; every input computed before its node, no cycle, every value computed once),
then ``onnx.checker`` (graphs with non-ONNX operators, e.g. Deeploy's, get
:func:`check_schemas` per standard node instead). :class:`OnnxModel` also makes every
shape static (a symbolic batch dimension of an input becomes 1, with a note; any other
unknown dimension is an error naming the node, with strict shape inference's reason) and
runs ONNX shape inference, so a bad file fails the same way, with the file named,
whichever loader asked. It also collects what the loaders need before converting a node:
initializers as numpy arrays (:func:`tensor_array`), the consumers of every tensor,
element types and the inferred static shapes (:func:`check_shape` for the importers').

The node-level helpers (:func:`attrs`, :func:`opt`, :func:`constant_value`,
:func:`evaluate`, :func:`node_error`) give both loaders the same attribute access,
constant folding and error format: file, node name (or first output), op type, reason.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from tinydeploy.errors import TinyDeployError, UnsupportedError


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
        try:
            onnx.checker.check_model(model)
        except Exception as e:  # noqa: BLE001 - ValidationError and friends
            raise TinyDeployError(f"invalid ONNX model: {_first_line(e)}", file=path) from None
    return model


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


def _first_line(e: Exception) -> str:
    """An exception's message as one line (the CLI prints one line per error)."""
    text = " ".join(str(e).split())
    return (text[:297] + "...") if len(text) > 300 else text or type(e).__name__


# -- file-level facts: everything later code takes for granted about the file ---------------
MAX_DIM = 2**31 - 1            # dims, element counts, attribute values: int32 for the C
DTYPES = {v: k.lower() for k, v in TensorProto.DataType.items() if v}
SUBBYTE_BITS = {getattr(TensorProto, n): b for n, b in
                (("INT4", 4), ("UINT4", 4), ("FLOAT4E2M1", 4), ("INT2", 2), ("UINT2", 2))
                if hasattr(TensorProto, n)}
ATTR_TYPES = {v for k, v in onnx.AttributeProto.AttributeType.items() if v}


def dtype_name(elem_type) -> str:
    """``float``, ``int8``, ...; ``unknown type N`` for a value ONNX does not define."""
    return DTYPES.get(elem_type, f"unknown type {elem_type}")


def elem_type(value, path: str, node: onnx.NodeProto | None, what: str) -> int:
    """An ONNX element type enum read from a file (e.g. a Cast's ``to``), validated."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or \
            int(value) not in DTYPES:
        raise node_error(path, node, f"{what} {value!r} is not an ONNX element type",
                         TinyDeployError)
    return int(value)


def _shape_problem(dims) -> str | None:
    if any(d < 0 or d > MAX_DIM for d in dims):
        return "a dimension is negative or beyond int32"
    if int(np.prod([int(d) for d in dims], dtype=object)) > MAX_DIM:
        return "more than 2**31 - 1 elements"
    return None


def check_shape(shape, path: str, node: onnx.NodeProto | None, what: str) -> tuple:
    """A shape the importers are about to give an IR tensor: every dimension >= 1 and the
    element count within int32 (what the C indexes with); else an error naming the node."""
    shape = tuple(int(d) for d in shape)
    bad = _shape_problem(shape) or ("a dimension is 0 (an empty tensor)" if 0 in shape
                                    else None)
    if bad:
        raise node_error(path, node, f"{what} would have shape {list(shape)}: {bad}",
                         TinyDeployError)
    return shape


def tensor_problem(t: onnx.TensorProto) -> str | None:
    """Why ``t``'s data cannot be read as its dtype and dims say (None: it can)."""
    if t.data_type not in DTYPES:
        return f"has an unknown element type ({t.data_type})"
    if t.data_type == TensorProto.STRING:
        return "is a string tensor (not supported)"
    if t.data_location == TensorProto.EXTERNAL:
        return "has external data that was not loaded"
    bad = _shape_problem(t.dims)
    if bad:
        return f"has dims {list(t.dims)}: {bad}"
    n = int(np.prod([int(d) for d in t.dims], dtype=object))
    dt = t.data_type
    if t.HasField("raw_data"):
        bits = SUBBYTE_BITS.get(dt)
        want = -(-n * bits // 8) if bits else n * helper.tensor_dtype_to_np_dtype(dt).itemsize
        have = len(t.raw_data)
    else:
        field = helper.tensor_dtype_to_field(dt)
        per = 8 // SUBBYTE_BITS[dt] if dt in SUBBYTE_BITS else 1
        want = -(-n // per) * (2 if dt in (TensorProto.COMPLEX64, TensorProto.COMPLEX128) else 1)
        have = len(getattr(t, field))
    if have != want:
        unit = "bytes" if t.HasField("raw_data") else "stored values"
        return (f"holds {have} {unit} of data, but {n} {dtype_name(dt)} values of shape "
                f"{list(t.dims)} need {want}")
    return None


def tensor_array(t: onnx.TensorProto, path: str, what: str,
                 node: onnx.NodeProto | None = None) -> np.ndarray:
    """The numpy value of a tensor from the file; an error naming it if it is unreadable."""
    bad = tensor_problem(t)
    if bad is None:
        try:
            return numpy_helper.to_array(t)
        except Exception as e:  # noqa: BLE001 - whatever numpy/onnx say, the data is bad
            bad = f"cannot be read: {_first_line(e)}"
    raise node_error(path, node, f"{what} '{t.name}' {bad}", TinyDeployError)


def initializers(graph: onnx.GraphProto, path: str) -> dict[str, np.ndarray]:
    return {i.name: tensor_array(i, path, "initializer") for i in graph.initializer}


def _check_value_info(vi: onnx.ValueInfoProto, path: str, what: str,
                      empty_ok: bool = False) -> None:
    if not vi.type.HasField("tensor_type"):
        if what == "input":
            raise TinyDeployError(f"input '{vi.name}' is not a tensor", file=path)
        return
    tt = vi.type.tensor_type
    if tt.elem_type and tt.elem_type not in DTYPES or (not tt.elem_type and what == "input"):
        raise TinyDeployError(f"{what} '{vi.name}' has an unknown element type "
                              f"({tt.elem_type})", file=path)
    dims = [d.dim_value for d in tt.shape.dim if d.HasField("dim_value")]
    bad = _shape_problem(dims)
    if bad is None and what == "input" and 0 in dims and not empty_ok:
        bad = "a dimension is 0 (an empty tensor)"
    if bad:
        raise TinyDeployError(f"{what} '{vi.name}' has shape {dims}: {bad}", file=path)


def check_structure(model: onnx.ModelProto, path: str, empty_inputs: bool = False) -> None:
    """The file-level facts every later step relies on, each an error naming the file
    (and node): known opset, element types and attribute types; tensor data that matches
    its dtype and dims (sizes within int32); Constant nodes with one value; every node
    input computed before it (no cycles, no unknown names), every value computed once;
    graph outputs computed."""
    _check_text(model, path)
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx") and not 1 <= o.version <= onnx.defs.onnx_opset_version():
            raise TinyDeployError(f"default-domain opset {o.version} is not an ONNX opset "
                                  f"(1..{onnx.defs.onnx_opset_version()})", file=path)
    g = model.graph
    for t in g.initializer:
        bad = tensor_problem(t)
        if bad:
            raise TinyDeployError(f"initializer '{t.name}' {bad}", file=path)
    for vi in g.input:
        _check_value_info(vi, path, "input", empty_inputs)
    for vi in g.output:
        _check_value_info(vi, path, "output")
    for vi in g.value_info:
        _check_value_info(vi, path, "value")
    for what, names in (("graph input", [i.name for i in g.input]),
                        ("initializer", [t.name for t in g.initializer])):
        twice = sorted(n for n, k in Counter(names).items() if k > 1)
        if twice:
            raise TinyDeployError(f"{what} '{twice[0]}' is declared twice", file=path)
    defined = {i.name for i in g.input} | {t.name for t in g.initializer}
    later = {o: n for n in g.node for o in n.output if o}
    for node in g.node:
        def fail(reason: str) -> TinyDeployError:
            return node_error(path, node, reason, TinyDeployError)
        if not node.op_type:
            raise fail("node without an operator type")
        if not any(node.output):
            raise fail("node without outputs")
        for a in node.attribute:
            if a.type not in ATTR_TYPES:
                raise fail(f"attribute '{a.name}' has an unknown type ({a.type})")
            if a.type == onnx.AttributeProto.TENSOR:
                bad = tensor_problem(a.t)
                if bad:
                    raise fail(f"attribute '{a.name}': tensor {bad}")
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            constant_value(node, path)
        for i in node.input:
            if not i or i in defined:
                continue
            if i in later:
                raise fail(f"input '{i}' is computed by a later node "
                           f"'{node_label(later[i])}' (nodes out of order, or a cycle)")
            raise fail(f"input '{i}' is not computed by any node, graph input or "
                       "initializer")
        for o in node.output:
            if o and o in defined:
                raise fail(f"value '{o}' is computed twice")
            defined.add(o)
    for o in g.output:
        if o.name not in defined:
            raise TinyDeployError(f"graph output '{o.name}' is not computed by any node",
                                  file=path)


def _check_text(model: onnx.ModelProto, path: str) -> None:
    """Domain and operator names are text that the onnx library's C++ checks must be able
    to take: a damaged file can hold bytes that are no UTF-8 there."""
    names = [("opset domain", o.domain) for o in model.opset_import]
    names += [(f"node {i} op_type/domain", s) for i, n in enumerate(model.graph.node)
              for s in (n.op_type, n.domain)]
    for what, text in names:      # protobuf hands invalid UTF-8 back as bytes
        if not isinstance(text, str):
            raise TinyDeployError(f"{what} {text!r} is not valid UTF-8 text", file=path)


def check_schemas(model: onnx.ModelProto, path: str, opset: int) -> None:
    """``onnx.checker`` node by node, for the nodes whose operator ONNX defines (what
    :func:`read_onnx` checks for the whole graph when every operator is standard):
    attribute names and types, required attributes, input and output counts."""
    ctx = onnx.checker.C.CheckerContext()
    ctx.ir_version = max(model.ir_version, 3)
    ctx.opset_imports = {o.domain: o.version for o in model.opset_import}
    ctx.opset_imports.setdefault("", opset)
    for node in model.graph.node:
        if node.domain == "ai.onnx":                # the default domain's long name
            node = helper.make_node(node.op_type, node.input, node.output, node.name,
                                    **{a.name: helper.get_attribute_value(a)
                                       for a in node.attribute})
        if not onnx.defs.has(node.op_type, node.domain):
            continue
        try:
            onnx.checker.check_node(node, ctx)
        except Exception as e:  # noqa: BLE001 - ValidationError and friends
            raise node_error(path, node, f"invalid node: {_first_line(e)}",
                             TinyDeployError) from None


def static_shapes(model: onnx.ModelProto, path: str, notes: list[str]) -> onnx.ModelProto:
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
        raise TinyDeployError(f"shape inference failed: {_first_line(e)}", file=path) from None


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
            bad = _shape_problem(shape) or ("it is empty" if 0 in shape else None)
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


def attrs(node: onnx.NodeProto) -> dict:
    """The node's attributes as Python values (strings decoded)."""
    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        out[a.name] = v.decode(errors="replace") if isinstance(v, bytes) else v
    return out


def opt(node: onnx.NodeProto, i: int) -> str | None:
    """Name of optional input ``i``, None when absent or empty."""
    return node.input[i] if len(node.input) > i and node.input[i] else None


def node_label(node: onnx.NodeProto) -> str:
    """How messages name a node: its name, else its first output."""
    return node.name or (node.output[0] if node.output else node.op_type)


def node_error(path: str, node: onnx.NodeProto | None, reason: str,
               cls: type = UnsupportedError) -> TinyDeployError:
    """An error naming the file and ``node`` (raise it)."""
    return cls(reason, file=path, node=node_label(node) if node else None,
               op=node.op_type if node else None)


def constant_value(node: onnx.NodeProto, path: str) -> np.ndarray:
    """The value of a Constant node (exactly one value attribute)."""
    if len(node.attribute) != 1:
        raise node_error(path, node, f"Constant with {len(node.attribute)} attributes "
                         "(expected exactly one value)", TinyDeployError)
    a = node.attribute[0]
    if a.name == "value" and a.type == onnx.AttributeProto.TENSOR:
        return tensor_array(a.t, path, "value", node)
    kinds = {"value_float": onnx.AttributeProto.FLOAT, "value_floats": onnx.AttributeProto.FLOATS,
             "value_int": onnx.AttributeProto.INT, "value_ints": onnx.AttributeProto.INTS}
    if kinds.get(a.name) != a.type:
        raise node_error(path, node, f"Constant with attribute '{a.name}' is not supported")
    v = helper.get_attribute_value(a)
    return np.array(v, dtype=np.float32 if a.name.startswith("value_float") else np.int64)


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
        raise node_error(path, node, f"cannot evaluate constant node: {_first_line(e)}") \
            from None
