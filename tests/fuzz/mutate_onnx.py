"""Structure-aware mutations of .onnx files through the ``onnx`` protobufs.

Each kind edits one thing the frontends read: value-info shapes and element types,
tensor data types (bytes kept), dims and data of initializers and Constant values
(scales, zero points, multipliers, shifts), node attributes (values removed or set to
interesting ones: pads, strides, dilations, kernel, group, axes, perm, Cast's ``to``),
node inputs (removed, renamed, wired to a later node: a cycle), op types, nodes removed
or duplicated, graph inputs/outputs and the opset.
"""

from __future__ import annotations

import math
import random

import numpy as np
import onnx
from onnx import AttributeProto, TensorProto, numpy_helper

INT_VALUES = (0, 1, -1, 2, 3, -2, 7, 8, 16, 31, 32, 64, 127, 128, 255, 256, 1000, 65536,
              1 << 24, 2**31 - 1, -2**31, 2**31, 2**32, 2**40, 2**62, -2**63, 2**63 - 1)
FLOAT_VALUES = (math.nan, math.inf, -math.inf, 0.0, -0.0, -1.0, 1e38, 3.4e38, 1e-38, 1e-45,
                1e-30, 1e12, 1e20, 2.0**31, 2.0**-40, 0.5, 1.0)
OP_TYPES = ("Conv", "Gemm", "MatMul", "Add", "Mul", "Sub", "Div", "Floor", "Relu", "Clip",
            "Cast", "QuantizeLinear", "DequantizeLinear", "MaxPool", "AveragePool",
            "GlobalAveragePool", "Reshape", "Flatten", "Transpose", "Softmax", "Concat", "Pad",
            "ReduceMean", "RequantShift", "Identity", "Squeeze", "Unsqueeze", "Constant",
            "QLinearConv", "QLinearMatMul", "Sigmoid", "Gather", "NoSuchOp")
DATA_TYPES = tuple(range(0, 24)) + (99, 1000)


def _int(rng, orig: int = 1) -> int:
    return rng.choice(INT_VALUES + (orig + 1, orig - 1, 2 * orig, -orig))


def _tensors(m: onnx.ModelProto) -> list[tuple[str, TensorProto]]:
    """Every stored tensor: initializers and Constant nodes' values."""
    out = [(f"initializer '{t.name}'", t) for t in m.graph.initializer]
    for n in m.graph.node:
        for a in n.attribute:
            if a.type == AttributeProto.TENSOR:
                out.append((f"Constant '{n.name or n.output[0]}'", a.t))
    return out


def _value_infos(m: onnx.ModelProto):
    g = m.graph
    return [*g.input, *g.output, *g.value_info]


# -- kinds ----------------------------------------------------------------------------------
def shape(rng, m):
    vis = [v for v in _value_infos(m) if v.type.HasField("tensor_type")
           and v.type.tensor_type.HasField("shape")]
    if not vis:
        return None
    v = rng.choice(vis)
    dims = v.type.tensor_type.shape.dim
    what = rng.random()
    if what < 0.15:
        v.type.tensor_type.ClearField("shape")
        return f"shape of '{v.name}' removed"
    if what < 0.3 or not dims:
        dims.add().dim_value = rng.choice((1, 2, 3))
        return f"shape of '{v.name}' gains a dim"
    i = rng.randrange(len(dims))
    orig = dims[i].dim_value
    if what < 0.4:
        dims[i].dim_param = "N"
        return f"'{v.name}' dim {i} -> symbolic"
    if what < 0.5:
        del dims[i]
        return f"'{v.name}' dim {i} removed"
    new = _int(rng, orig)
    dims[i].dim_value = max(min(new, 2**63 - 1), -2**63)
    return f"'{v.name}' dim {i} {orig} -> {dims[i].dim_value}"


def elem_type(rng, m):
    vis = [v for v in _value_infos(m) if v.type.HasField("tensor_type")]
    if not vis:
        return None
    v = rng.choice(vis)
    orig = v.type.tensor_type.elem_type
    v.type.tensor_type.elem_type = rng.choice(DATA_TYPES)
    return f"elem_type of '{v.name}' {orig} -> {v.type.tensor_type.elem_type}"


def tensor_dtype(rng, m):
    """A stored tensor's data_type changed, its bytes kept."""
    ts = _tensors(m)
    if not ts:
        return None
    label, t = rng.choice(ts)
    orig = t.data_type
    t.data_type = rng.choice(DATA_TYPES)
    return f"{label} data_type {orig} -> {t.data_type}"


def tensor_dims(rng, m):
    ts = _tensors(m)
    if not ts:
        return None
    label, t = rng.choice(ts)
    orig = list(t.dims)
    what = rng.random()
    if what < 0.25 or not t.dims:
        t.dims.append(rng.choice((1, 2, 0)))
    elif what < 0.5:
        del t.dims[rng.randrange(len(t.dims))]
    else:
        i = rng.randrange(len(t.dims))
        t.dims[i] = max(min(_int(rng, t.dims[i]), 2**63 - 1), -2**63)
    return f"{label} dims {orig} -> {list(t.dims)}"


def tensor_data(rng, m):
    """A stored tensor's bytes truncated, emptied or extended."""
    ts = [(lb, t) for lb, t in _tensors(m) if t.raw_data]
    if not ts:
        return None
    label, t = rng.choice(ts)
    n = len(t.raw_data)
    new = rng.choice((0, 1, n // 2, n - 1, n + 1, 2 * n))
    t.raw_data = (t.raw_data * 3)[:new]
    return f"{label} raw_data {n} -> {new} bytes"


def value(rng, m, small_only: bool = False):
    """One element of a stored tensor (a scale, zero point, multiplier, shift, weight...)
    set to an interesting value; scalars and short vectors preferred."""
    ts = [(lb, t) for lb, t in _tensors(m)]
    small = [(lb, t) for lb, t in ts if int(np.prod(t.dims)) <= 64]
    pool = small if small and (small_only or rng.random() < 0.85) else ts
    if not pool:
        return None
    label, t = rng.choice(pool)
    try:
        a = numpy_helper.to_array(t).copy()
    except Exception:        # noqa: BLE001 - a dtype numpy_helper cannot convert
        return None
    if a.size == 0 or a.dtype == object:
        return None
    flat = a.reshape(-1)
    i = rng.randrange(flat.size)
    orig = flat[i].item()
    if a.dtype.kind == "f":
        new = rng.choice(FLOAT_VALUES + (orig * 1e6, orig * 1e-6, -orig))
    elif a.dtype.kind in "iu":
        info = np.iinfo(a.dtype)
        new = int(np.clip(_int(rng, int(orig)), info.min, info.max))
        if rng.random() < 0.3:
            new = rng.choice((int(info.min), int(info.max), int(info.min) + 1))
    elif a.dtype.kind == "b":
        new = not orig
    else:
        return None
    with np.errstate(all="ignore"):
        flat[i] = new
    nt = numpy_helper.from_array(a, t.name)
    t.CopyFrom(nt)
    return f"{label}[{i}] {orig!r} -> {new!r}"


def scale(rng, m):
    return value(rng, m, small_only=True)


def attribute(rng, m):
    """A node attribute's value: ints (pads, strides, dilations, kernel_shape, group,
    axes, perm, to, ...) and floats."""
    cands = [(n, a) for n in m.graph.node for a in n.attribute
             if a.type in (AttributeProto.INT, AttributeProto.INTS, AttributeProto.FLOAT,
                           AttributeProto.FLOATS, AttributeProto.STRING)]
    if not cands:
        return None
    n, a = rng.choice(cands)
    where = f"{n.op_type} '{n.name or n.output[0]}' attribute {a.name}"
    if a.type == AttributeProto.INT:
        orig = a.i
        a.i = max(min(_int(rng, orig), 2**63 - 1), -2**63)
        return f"{where} {orig} -> {a.i}"
    if a.type == AttributeProto.FLOAT:
        orig = a.f
        a.f = rng.choice(FLOAT_VALUES + (orig * 1e6, -orig))
        return f"{where} {orig} -> {a.f}"
    if a.type == AttributeProto.STRING:
        orig = a.s
        a.s = rng.choice((b"", b"SAME_UPPER", b"VALID", b"NOTSET", b"bogus", b"\xff"))
        return f"{where} {orig!r} -> {a.s!r}"
    vals = a.ints if a.type == AttributeProto.INTS else a.floats
    orig = list(vals)
    what = rng.random()
    if what < 0.2:
        del vals[:]
    elif what < 0.35 and vals:
        del vals[rng.randrange(len(vals))]
    elif what < 0.5:
        vals.append(vals[0] if vals else 1)
    elif vals:
        i = rng.randrange(len(vals))
        if a.type == AttributeProto.INTS:
            vals[i] = max(min(_int(rng, vals[i]), 2**63 - 1), -2**63)
        else:
            vals[i] = rng.choice(FLOAT_VALUES)
    return f"{where} {orig} -> {list(vals)}"


def remove_attribute(rng, m):
    cands = [(n, i) for n in m.graph.node for i in range(len(n.attribute))]
    if not cands:
        return None
    n, i = rng.choice(cands)
    name = n.attribute[i].name
    del n.attribute[i]
    return f"{n.op_type} '{n.name or n.output[0]}' attribute {name} removed"


def remove_input(rng, m):
    nodes = [n for n in m.graph.node if n.input]
    if not nodes:
        return None
    n = rng.choice(nodes)
    i = rng.randrange(len(n.input))
    name = n.input[i]
    if rng.random() < 0.5:
        del n.input[i]
        return f"{n.op_type} '{n.name or n.output[0]}' input {i} ('{name}') removed"
    n.input[i] = ""
    return f"{n.op_type} '{n.name or n.output[0]}' input {i} ('{name}') -> ''"


def rewire(rng, m):
    """A node input renamed: another tensor, a tensor that does not exist, or a cycle
    (its own output or a later node's)."""
    g = m.graph
    nodes = [k for k, n in enumerate(g.node) if n.input]
    if not nodes:
        return None
    k = rng.choice(nodes)
    n = g.node[k]
    i = rng.randrange(len(n.input))
    orig = n.input[i]
    what = rng.random()
    later = [o for nn in g.node[k:] for o in nn.output if o]
    if what < 0.4 and later:
        n.input[i] = rng.choice(later)
        how = "cycle"
    elif what < 0.55:
        n.input[i] = "no_such_tensor"
        how = "dangling"
    else:
        names = [o for nn in g.node for o in nn.output] + [t.name for t in g.initializer] \
            + [v.name for v in g.input]
        n.input[i] = rng.choice(names)
        how = "other"
    return f"{n.op_type} '{n.name or n.output[0]}' input {i} '{orig}' -> '{n.input[i]}' ({how})"


def op_type(rng, m):
    g = m.graph
    if not g.node:
        return None
    n = rng.choice(g.node)
    orig = n.op_type
    own = sorted({x.op_type for x in g.node})
    n.op_type = rng.choice(OP_TYPES + tuple(own))
    if n.op_type == orig:
        return None
    return f"node '{n.name or n.output[0]}' op_type {orig} -> {n.op_type}"


def node(rng, m):
    """A node removed, duplicated, or its outputs removed."""
    g = m.graph
    if not g.node:
        return None
    k = rng.randrange(len(g.node))
    n = g.node[k]
    what = rng.random()
    if what < 0.45:
        del g.node[k]
        return f"node {k} ({n.op_type}) removed"
    if what < 0.8:
        g.node.insert(k + 1, n)
        return f"node {k} ({n.op_type}) duplicated"
    del n.output[:]
    return f"node {k} ({n.op_type}) outputs removed"


def graph_io(rng, m):
    g = m.graph
    what = rng.random()
    if what < 0.25 and g.output:
        del g.output[:]
        return "graph outputs removed"
    if what < 0.4 and g.input:
        del g.input[rng.randrange(len(g.input))]
        return "a graph input removed"
    if what < 0.55 and g.output:
        g.output.append(g.output[0])
        return "graph output duplicated"
    if what < 0.7 and g.initializer:
        k = rng.randrange(len(g.initializer))
        name = g.initializer[k].name
        del g.initializer[k]
        return f"initializer '{name}' removed"
    if what < 0.85:
        names = [o for n in g.node for o in n.output] + [v.name for v in g.input]
        if not names or not g.output:
            return None
        i = rng.randrange(len(g.output))
        orig = g.output[i].name
        g.output[i].name = rng.choice(names + ["no_such_tensor"])
        return f"graph output '{orig}' -> '{g.output[i].name}'"
    if not g.input:
        return None
    vi = g.input[0]
    g.input.append(vi)
    return "graph input duplicated"


def opset(rng, m):
    if not m.opset_import:
        return None
    o = rng.choice(m.opset_import)
    orig = (o.domain, o.version)
    if rng.random() < 0.7:
        o.version = rng.choice((0, 1, 6, 7, 9, 11, 13, 21, 25, 99, 10000, -1))
    else:
        o.domain = rng.choice(("", "com.microsoft", "bogus"))
    return f"opset {orig} -> {(o.domain, o.version)}"


def node_shuffle(rng, m):
    """(kept apart) Nodes in another order (not topologically sorted any more)."""
    g = m.graph
    if len(g.node) < 2:
        return None
    nodes = list(g.node)
    if rng.random() < 0.5:
        rng.shuffle(nodes)
        how = "shuffled"
    else:
        nodes.reverse()
        how = "reversed"
    del g.node[:]
    g.node.extend(nodes)
    return f"nodes {how}"


def attribute_type(rng, m):
    """(kept apart) An attribute's type changed (INT <-> INTS <-> FLOAT <-> STRING ...)."""
    cands = [(n, a) for n in m.graph.node for a in n.attribute]
    if not cands:
        return None
    n, a = rng.choice(cands)
    orig = a.type
    a.type = rng.choice([t for t in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14)
                         if t != orig])
    return f"{n.op_type} '{n.name or n.output[0]}' attribute {a.name} type {orig} -> {a.type}"


KINDS = {"onnx_shape": shape, "onnx_elem_type": elem_type, "onnx_tensor_dtype": tensor_dtype,
         "onnx_tensor_dims": tensor_dims, "onnx_tensor_data": tensor_data,
         "onnx_value": value, "onnx_scale": scale, "onnx_attr": attribute,
         "onnx_attr_remove": remove_attribute, "onnx_input_remove": remove_input,
         "onnx_rewire": rewire, "onnx_op_type": op_type, "onnx_node": node,
         "onnx_graph_io": graph_io, "onnx_opset": opset}
HELD_OUT = {"onnx_node_shuffle": node_shuffle, "onnx_attr_type": attribute_type}


def mutate(kind: str, rng: random.Random, data: bytes) -> tuple[bytes, str] | None:
    """Apply mutation ``kind`` to an .onnx file's bytes; None if it does not apply."""
    m = onnx.ModelProto()
    m.ParseFromString(data)
    desc = {**KINDS, **HELD_OUT}[kind](rng, m)
    if desc is None:
        return None
    return m.SerializeToString(), desc
