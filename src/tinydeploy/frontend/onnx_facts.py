"""What every ONNX loader takes for granted about a file, checked once, and the error
format: element and attribute types, tensor data against its dtype and dims (sizes within
int32), value infos, the graph's structure (:func:`check_structure`: one producer per
value, inputs computed before their node, no cycle), text fields, standard nodes against
their schema (:func:`check_schemas`); the node-level helpers every importer shares
(:func:`attrs`, :func:`opt`, :func:`node_label`, :func:`node_error`: file, node name or
first output, op type, reason). :mod:`.onnx_reader` reads files with these."""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tinydeploy.errors import TinyDeployError, UnsupportedError


def first_line(e: Exception) -> str:
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


def shape_problem(dims) -> str | None:
    if any(d < 0 or d > MAX_DIM for d in dims):
        return "a dimension is negative or beyond int32"
    if int(np.prod([int(d) for d in dims], dtype=object)) > MAX_DIM:
        return "more than 2**31 - 1 elements"
    return None


def check_shape(shape, path: str, node: onnx.NodeProto | None, what: str) -> tuple:
    """A shape the importers are about to give an IR tensor: every dimension >= 1 and the
    element count within int32 (what the C indexes with); else an error naming the node."""
    shape = tuple(int(d) for d in shape)
    bad = shape_problem(shape) or ("a dimension is 0 (an empty tensor)" if 0 in shape
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
    bad = shape_problem(t.dims)
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
            bad = f"cannot be read: {first_line(e)}"
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
    bad = shape_problem(dims)
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
            raise node_error(path, node, f"invalid node: {first_line(e)}",
                             TinyDeployError) from None



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


def arity_problem(node: onnx.NodeProto, opset: int) -> str | None:
    """Why a standard-domain node has more inputs or outputs than its ONNX schema allows
    (e.g. a Sigmoid given three inputs: the extra ones would be ignored silently), or
    None. Too few are left to the handlers, which name what they miss (some exporters
    write an opset's older form, e.g. Unsqueeze with an ``axes`` attribute)."""
    if node.domain not in ("", "ai.onnx"):
        return None
    try:
        s = onnx.defs.get_schema(node.op_type, opset, "")
    except onnx.defs.SchemaError:
        return None
    n_in, n_out = len(node.input), len(node.output)
    if n_in > s.max_input:
        return f"{n_in} inputs ({node.op_type} takes at most {s.max_input})"
    if n_out > s.max_output:
        return f"{n_out} outputs ({node.op_type} gives at most {s.max_output})"
    return None
