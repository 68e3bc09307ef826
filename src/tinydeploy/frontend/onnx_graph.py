"""Whole-graph steps of the ONNX importer: graph outputs, sub-byte dtypes, clean-up."""

from __future__ import annotations

import onnx
from onnx import TensorProto

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_build import Builder
from tinydeploy.frontend.onnx_facts import dtype_name
from tinydeploy.ir.graph import Graph, QuantParams, Tensor


def _add_output(b: Builder, o: onnx.ValueInfoProto) -> str:
    """IR tensor of graph output ``o`` in its ONNX layout and dtype."""
    name, et = o.name, o.type.tensor_type.elem_type
    if name not in b.vals:
        why = "is a float graph input" if name in b.float_inputs else \
            "is a constant" if name in b.consts or name in b.qconsts else "is not quantized"
        raise TinyDeployError(f"graph output '{name}' {why}", file=b.path)
    ir = b.as_onnx(b.vals[name])
    q = b.quant(ir)
    if et == TensorProto.FLOAT:
        y = b.add_tensor(f"{name}_float", b.t(ir).shape, "float32")
        b.add_op("dequantize", [ir], [y], op_name=f"{name}_dequantize")
        return y
    if et == TensorProto.UINT8:
        q8 = QuantParams.make(q.scale, q.zero_point + 128)
        y = b.act(f"{name}_u8", b.t(ir).shape, q8, dtype="uint8")
        b.add_op("quantize", [ir], [y], op_name=f"{name}_to_uint8")
        return y
    if et == TensorProto.INT32 and b.t(ir).dtype == "int32":     # ConvInteger/MatMulInteger
        return ir
    if et != TensorProto.INT8:
        raise TinyDeployError(f"graph output '{name}' has unsupported dtype "
                              f"{dtype_name(et)}", file=b.path)
    return ir


def _rename(g: Graph, old: str, new: str) -> None:
    t = g.tensors.pop(old)
    g.tensors[new] = Tensor(new, t.shape, t.dtype, t.quant, t.data)

    def r(names):
        return tuple(new if n == old else n for n in names)
    g.ops = [op.with_(inputs=r(op.inputs), outputs=r(op.outputs)) for op in g.ops]
    g.inputs, g.outputs = list(r(g.inputs)), list(r(g.outputs))


def _simplify_reshapes(g: Graph) -> None:
    """Merge reshape chains and drop reshapes to the same shape (layout moves that turned
    out to move no byte), keeping graph inputs and outputs."""
    changed = True
    while changed:
        changed = False
        producer = {o: op for op in g.ops for o in op.outputs}
        uses: dict[str, int] = {}
        for op in g.ops:
            for n in op.inputs:
                uses[n] = uses.get(n, 0) + 1
        for op in g.ops:
            if op.kind != "reshape":
                continue
            x, y = op.inputs[0], op.outputs[0]
            p = producer.get(x)
            if p is not None and p.kind == "reshape" and uses[x] == 1 and x not in g.outputs:
                g.ops = [o for o in g.ops if o is not p]
                g.ops[g.ops.index(op)] = op.with_(inputs=(p.inputs[0],))
                del g.tensors[x]
                changed = True
                break
            if g.t(x).shape == g.t(y).shape and y not in g.outputs:
                g.ops = [o.with_(inputs=tuple(x if n == y else n for n in o.inputs))
                         for o in g.ops if o is not op]
                del g.tensors[y]
                changed = True
                break


def _apply_subbyte(b: Builder) -> None:
    """Give the IR tensor of each INT4/UINT4/INT2/UINT2 QuantizeLinear output its packed
    dtype (imported as int8 values until now), and the tensors that carry the same bytes
    through ops without a QuantizeLinear of their own (reshape, transpose, max pool, pad)."""
    narrow = {b.vals[n].ir: d for n, d in b.subbyte.items() if n in b.vals}
    for op in b.ops:                        # in order: a chain follows its producer
        x = op.inputs[0] if op.inputs else ""
        if x in narrow and op.kind in ("reshape", "transpose", "max_pool2d", "pad"):
            narrow.setdefault(op.outputs[0], narrow[x])
    for n, dtype in narrow.items():
        t = b.tensors[n]
        b.tensors[n] = Tensor(n, t.shape, dtype, t.quant, t.data)


def finalize(b: Builder, og: onnx.GraphProto, stem: str) -> Graph:
    """Add the graph outputs, give them their ONNX names, clean up, validate."""
    _apply_subbyte(b)
    outs = [_add_output(b, o) for o in og.output]
    nhwc = sorted({v.ir for v in b.vals.values() if v.nhwc})
    g = Graph(og.name or stem, b.tensors, b.ops, list(b.inputs), outs, source=b.path,
              meta={"format": "onnx", "notes": list(b.notes), "nhwc_of_nchw": nhwc})
    _simplify_reshapes(g)
    for ir, o in zip(list(g.outputs), og.output):
        if ir == o.name or ir not in g.tensors or g.outputs.count(ir) > 1:
            continue
        if o.name in g.tensors:
            if o.name in g.inputs:
                continue
            _rename(g, o.name, b.unique(o.name + "_int"))
        _rename(g, ir, o.name)
    _drop_unused(g)
    g.meta["nhwc_of_nchw"] = [n for n in nhwc if n in g.tensors]
    g.meta["onnx_values"] = {k: v.ir for k, v in b.vals.items() if v.ir in g.tensors}
    g.validate()
    return g


def _drop_unused(g: Graph) -> None:
    unused = [n for n, t in g.tensors.items() if not t.is_const and n not in g.inputs and
              not any(n in op.outputs for op in g.ops)]
    for n in unused:
        del g.tensors[n]
    consts_used = {n for op in g.ops for n in op.inputs}
    for n in [n for n, t in g.tensors.items() if t.is_const and n not in consts_used]:
        del g.tensors[n]

