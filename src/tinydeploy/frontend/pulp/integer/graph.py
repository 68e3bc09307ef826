"""The walk of the tensor-level importer: shapes, node order, inputs, nodes, outputs.

- Shapes: every graph input needs static dims; a symbolic or unknown one comes from
  ``input_shapes`` (``--input-shape NAME=D0,D1,..``, which may also change a declared dim:
  a one-step graph at another context length) or is an error naming it. A dim of 0
  (an empty KV cache) makes an empty value, which only Concat may take (it drops it).
- Order: nodes run in dependency order whatever order the file lists them in; a cycle or
  a value nobody computes is an error naming the node.
- Outputs: the graph outputs (or ``outputs``), in the ONNX layout, as the C type their
  range needs (uint8 for [0, 255], else int8/int16/int32).
"""

from __future__ import annotations

from pathlib import Path

import onnx

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_facts import constant_value, initializers, node_label
from tinydeploy.frontend.onnx_reader import evaluate
from tinydeploy.frontend.pulp.integer import handlers
from tinydeploy.frontend.pulp.integer.values import RANGES, Builder, TVal, api_type
from tinydeploy.ir.graph import Graph

ONNX_INT = {onnx.TensorProto.INT8: "int8", onnx.TensorProto.UINT8: "uint8",
            onnx.TensorProto.INT16: "int16", onnx.TensorProto.INT32: "int32"}


def lower(model: onnx.ModelProto, path: str, input_type: str, outputs: list[str] | None,
          input_shapes: dict[str, tuple[int, ...]], notes: list[str]) -> Graph:
    g = model.graph
    b = Builder(path, _opset(model))
    b.notes.extend(notes)
    b.consts.update(initializers(g, path))
    for node in g.node:
        if node.op_type == "Constant":
            b.consts[node.output[0]] = constant_value(node, path)
    order = topological(g, path, set(b.consts) | {i.name for i in g.input})
    wanted = _wanted(g, b, outputs)
    needed = _needed(order, wanted)
    for node in needed:
        for i in node.input:
            b.uses[i] = b.uses.get(i, 0) + 1
    _inputs(b, g, input_type, input_shapes, {i for n in needed for i in n.input})
    for node in needed:
        if node.op_type == "Constant":
            continue
        b.node = node
        ins = [i for i in node.input if i]
        if ins and all(i in b.consts for i in ins):
            for name, v in zip(node.output, evaluate(node, b.consts, b.opset, path)):
                b.consts[name] = v
            continue
        handler = handlers.HANDLERS.get(node.op_type)
        if handler is None:
            dom = f" (domain '{node.domain}')" if node.domain not in ("", "ai.onnx") else ""
            raise b.error(f"unsupported operator {node.op_type}{dom} in an integer graph "
                          f"(supported: {', '.join(sorted(handlers.HANDLERS))})")
        handler(b, node)
    b.node = None
    for name in wanted:
        _output(b, name)
    shapes = {i.name: input_shape(i, input_shapes, path) for i in g.input
              if i.name not in b.consts and i.name in b.vals}
    meta = {"format": "onnx", "dialect": "deeploy", "notes": list(dict.fromkeys(b.notes)),
            "input_shapes": shapes,
            "source_outputs": list(wanted), "outputs_requested": bool(outputs),
            "input_type": input_type, "tensor_level": True}
    return Graph(Path(path).stem, dict(b.tensors), list(b.ops), list(b.inputs),
                 list(b.outputs), path, meta)


def _opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)


def topological(g: onnx.GraphProto, path: str, known: set[str]) -> list[onnx.NodeProto]:
    """The nodes in an order where every input is computed before use."""
    done, order, pending = set(known), [], list(g.node)
    while pending:
        rest = []
        for n in pending:
            if all(not i or i in done for i in n.input):
                order.append(n)
                done.update(o for o in n.output if o)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            n = rest[0]
            missing = next(i for i in n.input if i and i not in done)
            made = any(missing in m.output for m in g.node)
            raise TinyDeployError(f"input '{missing}' is " + (
                "part of a cycle" if made else "never computed"), file=path,
                node=node_label(n), op=n.op_type)
        pending = rest
    return order


def _wanted(g: onnx.GraphProto, b: Builder, requested: list[str] | None) -> list[str]:
    if not requested:
        return [o.name for o in g.output]
    known = {o for n in g.node for o in n.output} | {i.name for i in g.input}
    for name in requested:
        if name not in known:
            raise TinyDeployError(f"--output-tensor '{name}': no such tensor in the graph",
                                  file=b.path)
    return list(requested)


def _needed(order: list[onnx.NodeProto], wanted: list[str]) -> list[onnx.NodeProto]:
    need, out = set(wanted), []
    for n in reversed(order):
        if any(o in need for o in n.output):
            out.append(n)
            need.update(i for i in n.input if i)
    return out[::-1]


def input_shape(inp: onnx.ValueInfoProto, given: dict, path: str) -> tuple[int, ...]:
    dims = inp.type.tensor_type.shape.dim
    if inp.name in given:
        shape = tuple(int(d) for d in given[inp.name])      # may change a declared dim:
        if len(shape) != len(dims):                          # another context length
            raise TinyDeployError(f"--input-shape {inp.name}={','.join(map(str, shape))} "
                                  f"has {len(shape)} dims, the input "
                                  f"[{', '.join(d.dim_param or str(d.dim_value) for d in dims)}]"
                                  f" has {len(dims)}", file=path)
        return shape
    shape = []
    for k, d in enumerate(dims):
        if not d.HasField("dim_value") or d.dim_value <= 0:
            label = d.dim_param or "?"
            raise TinyDeployError(f"input '{inp.name}' has the symbolic dimension {k} "
                                  f"('{label}'): give its shape with --input-shape "
                                  f"{inp.name}=D0,D1,..", file=path)
        shape.append(int(d.dim_value))
    return tuple(shape)


def _inputs(b: Builder, g: onnx.GraphProto, input_type: str, given: dict,
            used: set[str]) -> None:
    for inp in g.input:
        if inp.name in b.consts or inp.name not in used:
            continue
        shape = input_shape(inp, given, b.path)
        elem = inp.type.tensor_type.elem_type     # as the CNN importer: --input-type wins
        dtype = ONNX_INT[elem] if elem in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8) \
            else input_type
        lo, hi = RANGES[dtype]
        if 0 in shape:
            b.vals[inp.name] = TVal(None, shape, lo, hi)
            b.notes.append(f"input '{inp.name}' {list(shape)} is empty: not an input of "
                           "the C API")
            continue
        x = b.tensor(inp.name, shape, dtype, 0)
        b.inputs.append(x)
        if dtype == "uint8":                 # kernels take 8-bit values as int8 + offset
            y = b.tensor(f"{inp.name}_s8", shape, "int8", -128)
            b.op("quantize", [x], [y], name=f"{inp.name}_to_int8")
            x = y
        b.vals[inp.name] = TVal(x, shape, lo, hi)
    for inp in g.input:
        if inp.name in used and inp.name not in b.vals and inp.name not in b.consts:
            raise TinyDeployError(f"input '{inp.name}' is missing", file=b.path)


def _output(b: Builder, name: str) -> None:
    if name in b.consts:
        raise TinyDeployError(f"output '{name}' is a constant (nothing computes it)",
                              file=b.path)
    v = b.val(name, "output")
    if v.empty:
        raise TinyDeployError(f"output '{name}' is empty (zero-size)", file=b.path)
    v = b.contiguous(v)
    want = api_type(v.lo, v.hi)
    t = b.t(v.ir)
    src = v.ir
    if want == "uint8" and t.dtype == "int8":
        y = b.tensor(f"{name}_u8", v.shape, "uint8", 0)
        b.op("quantize", [src], [y], name=f"{name}_to_uint8")
        src = y
    elif t.quant.zp != 0 or t.dtype != want:
        src = b.restored(v, want, 0).ir
    if src in b.inputs or src in b.outputs or b.t(src).shape != v.shape:
        y = b.tensor(f"{name}_out", v.shape, b.t(src).dtype, b.t(src).quant.zp)
        b.op("reshape", [src], [y], name=y)
        src = y
    b.outputs.append(src)
