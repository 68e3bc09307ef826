"""Walk an integer-deployable ONNX graph once and build the IR graph.

Order of work: constants (initializers, Constant nodes, constant-only subgraphs folded),
which outputs to produce (the graph's, or ``--output``), the nodes those need, the inputs
(source layout and type, converted to the IR's NHWC int8), every needed node through its
handler, the outputs (back to the source layout and the type their value range has), and
a float head (LogSoftmax, Sigmoid, Gather, ...) as float32 ops on the integer tensors it
reads (:mod:`.float_head`), unless ``--output`` cuts it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_facts import constant_value, dtype_name, initializers
from tinydeploy.frontend.onnx_reader import evaluate
from tinydeploy.frontend.pulp import deeploy, elementwise, float_head, layers
from tinydeploy.frontend.pulp.build import Builder, api_type, ir_shape, storage
from tinydeploy.frontend.pulp.values import IntVal, ints
from tinydeploy.ir.graph import Graph

HANDLERS = {**layers.HANDLERS, **elementwise.HANDLERS, **deeploy.HANDLERS}
HEAD_OPS = {"LogSoftmax", "Softmax", "Sigmoid", "Tanh", "Exp", "Log", "Gather", "Unsqueeze",
            "Squeeze", "ArgMax", "ArgMin", "TopK", "Dequant"}
SCALE_OPS = {"Mul", "Div", "Add", "Sub"}
LAYER_OPS = {"Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool",
             "GlobalMaxPool"}
RANGES = {"uint8": (0, 255), "int8": (-128, 127)}


def lower(model: onnx.ModelProto, path: str, dialect: str, input_type: str,
          outputs: list[str] | None, notes: list[str]) -> Graph:
    g = model.graph
    b = Builder(path, dialect, _opset(model))
    b.notes.extend(notes)
    _constants(b, g)
    wanted, head, feeds = _outputs(b, g, outputs)
    needed = _needed(g, wanted + feeds)
    _inputs(b, g, input_type, needed, feeds)
    for k, node in enumerate(g.node):
        if k not in needed or node.op_type == "Constant":
            continue
        b.node = node
        ins = [i for i in node.input if i]
        if ins and all(i in b.consts for i in ins):
            _fold(b, node)
        elif node.op_type not in HANDLERS or (node.op_type not in deeploy.HANDLERS and
                                              node.domain not in ("", "ai.onnx")):
            dom = f" (domain '{node.domain}')" if node.domain else ""
            raise b.error(f"unsupported operator {node.op_type}{dom} in an integer-deployable "
                          f"({dialect}) graph")
        else:
            HANDLERS[node.op_type](b, node)
    b.node = None
    _finish_outputs(b, wanted)
    if head:
        wanted = _float_head(b, g, head, feeds, wanted)
    meta = {"format": "onnx", "dialect": dialect, "notes": list(dict.fromkeys(b.notes)),
            "source_outputs": list(wanted), "outputs_requested": bool(outputs),
            "input_type": input_type}
    if head:
        meta["float_head"] = sorted({g.node[k].op_type for k in head} - {"Constant"})
    return Graph(Path(path).stem, dict(b.tensors), list(b.ops), list(b.inputs),
                 list(b.outputs), path, meta)


def _opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)


def _constants(b: Builder, g: onnx.GraphProto) -> None:
    b.consts.update(initializers(g, b.path))
    for node in g.node:
        if node.op_type == "Constant":
            b.consts[node.output[0]] = constant_value(node, b.path)


def _fold(b: Builder, node: onnx.NodeProto) -> None:
    """Evaluate a node whose inputs are all constants (shape arithmetic, weight prep)."""
    for name, v in zip(node.output, evaluate(node, b.consts, b.opset, b.path)):
        b.consts[name] = v


def _producers(g: onnx.GraphProto) -> dict[str, int]:
    """Value name -> index of the node producing it (protobuf wrappers have no stable
    identity, so nodes are referred to by index)."""
    return {o: k for k, n in enumerate(g.node) for o in n.output if o}


def _outputs(b: Builder, g: onnx.GraphProto, requested: list[str] | None
             ) -> tuple[list[str], list[int], list[str]]:
    """(integer values to produce, nodes of the float head, integer values the head reads):
    ``requested`` alone (a head is cut there), else the graph outputs that no head
    computes, and the head feeding the others."""
    prod = _producers(g)
    inputs = {i.name for i in g.input}
    if requested:
        for name in requested:
            if name not in prod and name not in inputs:
                raise TinyDeployError(f"--output-tensor '{name}': no such tensor in the graph",
                                      file=b.path)
        return list(requested), [], []
    head = head_values(g)
    out, cut, feeds = [], set(), []
    for o in g.output:
        if o.name not in head:
            out.append(o.name)
            continue
        stack = [o.name]
        while stack:
            v = stack.pop()
            if prod[v] in cut:
                continue
            n = g.node[prod[v]]
            cut.add(prod[v])
            for i in n.input:
                if i in head:
                    stack.append(i)
                elif i and i not in b.consts and i not in feeds:
                    feeds.append(i)
    if cut:
        b.notes.append(f"{float_head.summary(g, sorted(cut))} on the integer tensors "
                       f"{', '.join(feeds)} (--output-tensor TENSOR cuts it)")
    return out, sorted(cut), feeds


def _float_head(b: Builder, g: onnx.GraphProto, head: list[int], feeds: list[str],
                int_outputs: list[str]) -> list[str]:
    """Lower the head on the integer tensors ``feeds``; the graph outputs become the
    ONNX graph's, in its order. Returns their ONNX names."""
    fb = float_head.float_builder(b, g)
    for name in feeds:
        b.node = None
        v = b.chw_order(b.unpad(b.int_value(name, "a float head")))
        src = _to_source_layout(b, v, name) if len(v.shape) in (3, 4) else v.ir
        float_head.to_float(b, fb, name, src, v.shape)
    float_head.lower_head(fb, g, head)
    ir = dict(zip(int_outputs, b.outputs))
    for o in g.output:
        if o.name not in ir:
            ir[o.name] = float_head.head_output(b, fb, o.name, list(ir.values()))
    b.outputs[:] = [ir[o.name] for o in g.output]
    return [o.name for o in g.output]


def head_values(g: onnx.GraphProto) -> set[str]:
    """Values computed by a head: a HEAD_OPS node, and what follows it, when no integer
    layer comes after it (a float op or a Gather in the middle of the network is left to
    the importer, which names it as unsupported)."""
    consumers: dict[str, list[int]] = {}
    for k, n in enumerate(g.node):
        for i in n.input:
            consumers.setdefault(i, []).append(k)
    feeds_layer = [False] * len(g.node)
    for k in range(len(g.node) - 1, -1, -1):            # ONNX nodes are in topological order
        n = g.node[k]
        feeds_layer[k] = n.op_type in LAYER_OPS or any(
            feeds_layer[c] for o in n.output for c in consumers.get(o, []))
    head: set[str] = set()
    for k, n in enumerate(g.node):
        if not feeds_layer[k] and (n.op_type in HEAD_OPS or any(i in head for i in n.input)):
            head.update(o for o in n.output if o)
    return _with_scaling(g, head, consumers, feeds_layer)


def _with_scaling(g: onnx.GraphProto, head: set[str], consumers: dict[str, list[int]],
                  feeds_layer: list[bool]) -> set[str]:
    """The head grown backwards by the float scaling that only it reads (NEMO's integer
    image times its eps, a Mul/Div/Add/Sub by a float constant right before LogSoftmax):
    integer chains end in Floor/Clip/Cast, so such a node is float arithmetic."""
    consts = {i.name: i.data_type for i in g.initializer}
    consts.update({n.output[0]: n.attribute[0].t.data_type for n in g.node
                   if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value"})
    floats = (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE)
    grew = True
    while grew:
        grew = False
        for k in range(len(g.node) - 1, -1, -1):
            n = g.node[k]
            if feeds_layer[k] or n.op_type not in SCALE_OPS or len(n.input) != 2 or \
                    any(o in head for o in n.output):
                continue
            const = [i for i in n.input if i in consts]
            readers = consumers.get(n.output[0], [])
            if len(const) == 1 and consts[const[0]] in floats and readers and all(
                    all(o in head for o in g.node[c].output if o) for c in readers):
                head.add(n.output[0])
                grew = True
    return head


def _needed(g: onnx.GraphProto, wanted: list[str]) -> set[int]:
    """Indices of the nodes the wanted values depend on."""
    prod = _producers(g)
    seen: set[int] = set()
    stack = [w for w in wanted if w in prod]
    while stack:
        k = prod[stack.pop()]
        if k in seen:
            continue
        seen.add(k)
        stack.extend(i for i in g.node[k].input if i in prod)
    return seen


def _inputs(b: Builder, g: onnx.GraphProto, input_type: str, needed: set[int],
            feeds: list[str]) -> None:
    used = {i for k, n in enumerate(g.node) if k in needed for i in n.input} | set(feeds)
    for inp in g.input:
        if inp.name in b.consts:
            continue
        tt = inp.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None
                for d in tt.shape.dim]
        if any(d is None for d in dims[1:]):
            raise TinyDeployError(f"input '{inp.name}' has a dynamic shape", file=b.path)
        shape = tuple([1 if dims and dims[0] is None else d for d in dims])
        b.types[inp.name] = dtype_name(tt.elem_type)
        if inp.name not in used and not any(o == inp.name for o in b.outputs):
            continue
        dtype = input_type
        if tt.elem_type == onnx.TensorProto.INT8:
            dtype = "int8"
        elif tt.elem_type == onnx.TensorProto.UINT8:
            dtype = "uint8"
        b.vals[inp.name] = _add_input(b, inp.name, shape, dtype)


def _add_input(b: Builder, name: str, shape: tuple[int, ...], dtype: str) -> IntVal:
    x = b.tensor(name, shape, dtype, 0)
    b.inputs.append(x)
    nhwc = ir_shape(shape)
    moves = len(shape) >= 3 and shape[1] > 1 and int(np.prod(shape[2:])) > 1
    if moves and len(shape) == 4:
        y = b.tensor(f"{name}_nhwc", nhwc, dtype, 0)
        b.op("transpose", [x], [y], perm=(0, 2, 3, 1))
        x = y
    elif moves:                                  # [N, C, L] -> [N, L, C] -> [N, 1, L, C]
        y = b.tensor(f"{name}_nlc", (shape[0], shape[2], shape[1]), dtype, 0)
        b.op("transpose", [x], [y], perm=(0, 2, 1))
        x = y
    if b.t(x).shape != nhwc:
        y = b.tensor(f"{name}_nhwc", nhwc, dtype, 0)
        b.op("reshape", [x], [y])
        x = y
    lo, hi = RANGES[dtype]
    if dtype == "uint8":
        y = b.tensor(f"{name}_s8", nhwc, "int8", -128)
        b.op("quantize", [x], [y], name=f"{name}_to_int8")
        x = y
    return IntVal(x, shape, ints([lo]), ints([hi]))


def _finish_outputs(b: Builder, wanted: list[str]) -> None:
    for name in wanted:
        b.node = None
        v = b.chw_order(b.unpad(b.int_value(name, "a graph output")))
        lo, hi = int(min(v.lo)), int(max(v.hi))
        t = b.t(v.ir)
        want = "int32" if t.dtype == "int32" else api_type(lo, hi)   # raw sums stay int32
        if want != t.dtype and not (want == "uint8" and t.dtype == "int8"):
            v = b.narrow(v, (storage(lo, hi)[0],), f"output '{name}'")
            t = b.t(v.ir)
        src = v.ir
        if len(v.shape) in (3, 4):   # always: the IR is NHWC whatever the shapes look like
            src = _to_source_layout(b, v, name)
        if want == "uint8":
            y = b.tensor(f"{name}_u8", v.shape, "uint8", 0)
            b.op("quantize", [src], [y], name=f"{name}_to_uint8")
            src = y
        if src in b.inputs or src in b.outputs:
            y = b.tensor(f"{name}_out", b.t(src).shape, b.t(src).dtype, b.t(src).quant.zp)
            b.op("reshape", [src], [y])
            src = y
        b.outputs.append(src)


def _to_source_layout(b: Builder, v: IntVal, name: str) -> str:
    """NHWC IR tensor -> the ONNX (NCHW or NCL) layout and shape.

    Decided by the value's rank, never by comparing shapes: an NCHW shape can equal its
    NHWC one (C == H == W) while the bytes still have to move. A 4-D output is the
    ``transpose`` itself (the edge that ``--io-layout nhwc`` drops); a 3-D one is a
    transpose to [N, C, 1, L] and a reshape to [N, C, L]; when no byte moves (C = 1 or
    H * W = 1) it is a reshape.
    """
    t = b.t(v.ir)
    if tuple(t.shape) != ir_shape(v.shape):
        raise b.error(f"internal: output '{name}' is held as {list(t.shape)}, not the NHWC "
                      f"form {list(ir_shape(v.shape))} of its ONNX shape {list(v.shape)}",
                      TinyDeployError)
    n, h, w, c = t.shape
    zp = b.zp(v)
    if c > 1 and h * w > 1:
        if t.dtype not in ("int8", "uint8", "int16", "int32"):     # (any-width transpose)
            raise b.error(f"output '{name}' is {t.dtype} in NCHW layout; only integer "
                          "outputs are transposed (pick the requantized tensor with --output)")
        if len(v.shape) == 4:
            out = b.tensor(f"{name}_src", v.shape, t.dtype, zp)
            b.op("transpose", [v.ir], [out], perm=(0, 3, 1, 2))
            return out
        y = b.tensor(f"{name}_nchw", (n, c, h, w), t.dtype, zp)
        b.op("transpose", [v.ir], [y], perm=(0, 3, 1, 2))
        src = y
    else:
        src = v.ir
    out = b.tensor(f"{name}_src", v.shape, t.dtype, zp)
    b.op("reshape", [src], [out])
    return out
