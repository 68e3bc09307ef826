"""QCDQ: ``QuantizeLinear -> Clip -> DequantizeLinear`` (Brevitas' standard ONNX export).

A Clip of an integer tensor with constant integer bounds, between a quantization and its
dequantization, narrows the integer range of that quantized tensor: Brevitas writes 4-bit
activations as an int8/uint8 QuantizeLinear clipped to [-8, 7] / [0, 15], narrow-range
weights as an int8 initializer (or a QuantizeLinear of a float one) clipped to [-127, 127]
(8-bit) or [-7, 7] (4-bit). :func:`handles` tells the importer which Clips are of this
form (checked before constant evaluation); :func:`narrow` imports them:

- Constant input (weights, int32 biases): the clipped constant; an int8 one whose bounds
  fit a signed sub-byte type (``[-7, 7]`` -> int4, ``[-1, 1]`` -> int2) and that only
  DequantizeLinear nodes read is stored as that type (packed weights).
- QuantizeLinear output (activations): every consumer must be a DequantizeLinear with the
  same scale and zero point, which then reads the narrowed tensor. Bounds equal to a
  sub-byte range (int4 / uint4 / int2 / uint2) retype the tensor when its producer is a
  conv / fully-connected / add (the sub-byte kernels write and saturate the packed values)
  and only Conv / Add / Gemm read it (:data:`SUBBYTE_READERS`); otherwise it stays int8
  with a clamp: the requant of a QDQ layer clamps to the narrowed bounds, any other
  producer gets ``maximum`` / ``minimum`` with constant bounds.

Any other Clip after a QuantizeLinear (bounds that are not constants, an output read by
anything but DequantizeLinear, parameters that differ) is refused naming the node.
Integer Clips of QOperator graphs (a QLinearConv's int8 output clipped) keep their meaning
as fused activations (:func:`onnx_shape.clamp`).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import onnx
from onnx import TensorProto

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_build import Builder, Value, same_quant
from tinydeploy.frontend.onnx_facts import attrs, opt
from tinydeploy.ir.graph import INT_RANGES, QuantParams, Tensor

INT_TYPES = {TensorProto.INT8: "int8", TensorProto.UINT8: "uint8", TensorProto.INT16: "int16",
             TensorProto.UINT16: "uint16", TensorProto.INT32: "int32",
             TensorProto.INT4: "int4", TensorProto.UINT4: "uint4"}
# sub-byte IR dtypes by the integer range a Clip leaves
SUBBYTE_RANGES = {(-8, 7): "int4", (0, 15): "uint4", (-2, 1): "int2", (0, 3): "uint2"}
# signed sub-byte storage of constant weights whose Clip bounds fit (narrowest first)
WEIGHT_STORAGE = (("int2", ml_dtypes.int2), ("int4", ml_dtypes.int4))
# IR ops whose kernels write (and saturate to) a packed sub-byte output
SUBBYTE_WRITERS = frozenset({"conv2d", "depthwise_conv2d", "fully_connected", "add"})
# ONNX readers of a packed activation: ops that keep its layout and quantization
# (followed), ops whose IR kernels read it packed (ending the walk). Anything else keeps
# the tensor int8: a reshape / flatten / transpose of an NHWC value may need an NCHW
# transpose, a pool or a QuantizeLinear a requantize, which have no sub-byte kernels.
SUBBYTE_KEEP = frozenset({"MaxPool", "Identity", "Dropout"})
SUBBYTE_READERS = frozenset({"Conv", "Add", "Gemm"})


def _producers(b: Builder) -> dict[str, onnx.NodeProto]:
    return {o: n for nodes in b.consumers.values() for n in nodes for o in n.output if o}


def handles(b: Builder, node: onnx.NodeProto) -> bool:
    """``node`` is a Clip of an integer constant or of a QuantizeLinear's output."""
    if node.op_type != "Clip" or not node.input or b.types.get(node.input[0]) not in INT_TYPES:
        return False
    x = node.input[0]
    if x in b.consts:
        return True
    prod = _producers(b).get(x)
    return prod is not None and prod.op_type == "QuantizeLinear"


def _bounds(b: Builder, node: onnx.NodeProto, dtype: str) -> tuple[int, int]:
    """Integer (lo, hi) of the Clip; absent bounds are the dtype's range."""
    if "min" in attrs(node) or "max" in attrs(node):
        raise b.error("Clip of an integer tensor with min/max attributes (opset < 11) is "
                      "not supported")
    out = list(INT_RANGES.get(dtype, (0, 2**16 - 1)))          # (uint16: not in the IR)
    for k in (1, 2):
        name = opt(node, k)
        if name is None:
            continue
        if name not in b.consts:
            raise b.error(f"Clip bound '{name}' of a quantized tensor must be a constant")
        c = np.asarray(b.consts[name])
        if c.size != 1 or c.dtype.kind not in "iu":
            raise b.error(f"Clip bound '{name}' must be one integer, got {c.dtype} "
                          f"{list(c.shape)}", TinyDeployError)
        out[k - 1] = int(c.reshape(()))
    if out[0] > out[1]:
        raise b.error(f"Clip bounds [{out[0]}, {out[1]}] are empty", TinyDeployError)
    return out[0], out[1]


def narrow(b: Builder, node: onnx.NodeProto) -> None:
    """Import a Clip :func:`handles` accepts (see the module doc)."""
    x = node.input[0]
    dtype = INT_TYPES[b.types[x]]
    lo, hi = _bounds(b, node, dtype)
    if x in b.consts:
        _narrow_const(b, node, lo, hi)
    else:
        _narrow_value(b, node, dtype, lo, hi)


def _narrow_const(b: Builder, node: onnx.NodeProto, lo: int, hi: int) -> None:
    data = np.asarray(b.consts[node.input[0]])
    y = np.minimum(np.maximum(data, lo), hi).astype(data.dtype)
    cons = b.consumers.get(node.output[0], [])
    if data.dtype == np.int8 and cons and node.output[0] not in b.graph_outputs and \
            all(c.op_type == "DequantizeLinear" and c.input[0] == node.output[0]
                for c in cons):
        for name, npt in WEIGHT_STORAGE:
            rlo, rhi = INT_RANGES[name]
            if rlo <= lo and hi <= rhi:
                y = y.astype(npt)
                break
    b.consts[node.output[0]] = y


def _dequantizers(b: Builder, node: onnx.NodeProto, q: QuantParams, shift: int
                  ) -> list[onnx.NodeProto]:
    """The DequantizeLinear consumers of the Clip, each with the QuantizeLinear's params."""
    out = node.output[0]
    cons = b.consumers.get(out, [])
    if out in b.graph_outputs or not cons:
        raise b.error(f"the clipped quantized tensor '{out}' must be read by "
                      "DequantizeLinear only (it is a graph output)")
    for c in cons:
        if c.op_type != "DequantizeLinear" or c.input[0] != out:
            raise b.error(f"the clipped quantized tensor '{out}' must be read by "
                          f"DequantizeLinear only (read by {c.op_type} "
                          f"'{c.name or c.output[0]}')")
        if attrs(c).get("block_size", 0):
            raise b.error("blocked quantization is not supported")
        s, z, _ = b.scale_zp(c.input[1], opt(c, 2))
        if s.size != 1 or z.size != 1 or not same_quant(
                QuantParams.make(np.float64(s[0]), int(z[0]) - shift), q):
            raise b.error(f"DequantizeLinear '{c.name or c.output[0]}' after the Clip has "
                          "other parameters than the QuantizeLinear before it")
    return cons


def _exclusive(b: Builder, q_out: str, ir: str, node: onnx.NodeProto) -> bool:
    """The IR tensor carries the QuantizeLinear's output only (it may be changed)."""
    return (b.consumers.get(q_out) == [node] and q_out not in b.graph_outputs
            and ir not in b.inputs and sum(v.ir == ir for v in b.vals.values()) == 1
            and not any(k[0] == ir for k in b._layout))


def _narrow_value(b: Builder, node: onnx.NodeProto, dtype: str, lo: int, hi: int) -> None:
    x = node.input[0]
    if dtype not in ("int8", "uint8"):
        raise b.error(f"Clip of a {dtype} QuantizeLinear output is not supported (int8 or "
                      "uint8)")
    v = b.val(x)
    t = b.t(v.ir)
    q = t.quant
    shift = 128 if dtype == "uint8" else 0
    dqs = _dequantizers(b, node, q, shift)
    ir_lo, ir_hi = max(lo - shift, -128), min(hi - shift, 127)
    name = node.output[0]
    if (ir_lo, ir_hi) == (-128, 127):
        new = v
    else:
        new = _retyped(b, node, v, q, lo, hi, shift, dqs) or \
            _clamped(b, node, v, q, ir_lo, ir_hi, name)
    b.vals[name] = new
    for c in dqs:
        b.vals[c.output[0]] = new
        b.done.add(id(c))


def _producer_op(b: Builder, ir: str):
    return next(((i, op) for i, op in reversed(list(enumerate(b.ops))) if ir in op.outputs),
                (None, None))


def _retyped(b: Builder, node: onnx.NodeProto, v: Value, q: QuantParams, lo: int, hi: int,
             shift: int, dqs) -> Value | None:
    """The tensor itself, as a sub-byte dtype, when the bounds are that dtype's range."""
    sub = SUBBYTE_RANGES.get((lo, hi))
    zp = int(q.zp) + shift
    _, op = _producer_op(b, v.ir)
    if sub is None or op is None or op.kind not in SUBBYTE_WRITERS or \
            not INT_RANGES[sub][0] <= zp <= INT_RANGES[sub][1] or \
            not _exclusive(b, node.input[0], v.ir, node) or \
            not _subbyte_readers(b, [c.output[0] for c in dqs]):
        return None
    t = b.t(v.ir)
    b.tensors[v.ir] = Tensor(t.name, t.shape, sub, QuantParams.make(q.s, zp), t.data)
    b.subbyte[node.output[0]] = sub          # finalize: through reshape / max pool / pad
    return v


def _subbyte_readers(b: Builder, names: list[str]) -> bool:
    """Every reader of ``names`` (through layout-keeping ops) has a sub-byte kernel."""
    todo, seen = list(names), set()
    while todo:
        t = todo.pop()
        if t in b.graph_outputs:
            return False
        if t in seen:
            continue
        seen.add(t)
        for n in b.consumers.get(t, []):
            if n.op_type in SUBBYTE_KEEP and n.input[0] == t:
                todo.append(n.output[0])
            elif n.op_type not in SUBBYTE_READERS:
                return False
    return True


def _clamped(b: Builder, node: onnx.NodeProto, v: Value, q: QuantParams, lo: int, hi: int,
             name: str) -> Value:
    """int8 clamped to [lo, hi]: the requant of a QDQ layer narrows its bounds, any other
    producer gets maximum / minimum with constant bounds."""
    i, op = _producer_op(b, v.ir)
    if op is not None and op.kind == "requant" and _exclusive(b, node.input[0], v.ir, node):
        clo, chi = op.attrs["clip"]
        clip = (max(clo, lo - int(q.zp)), min(chi, hi - int(q.zp)))
        if clip[0] <= clip[1]:          # (disjoint ranges: the max / min ops below)
            b.ops[i] = op.with_(attrs={**op.attrs, "clip": clip})
            return v
    shape, x = b.t(v.ir).shape, v.ir
    for kind, bound, trivial in (("maximum", lo, -128), ("minimum", hi, 127)):
        if bound == trivial:
            continue
        c = b.const(f"{name}_{kind}_bound", np.array([bound], np.int8), q)
        y = b.act(f"{name}_{kind}" if kind == "maximum" and hi != 127 else name, shape, q)
        b.add_op(kind, [x, c], [y], op_name=y)
        x = y
    return Value(x, nhwc=v.nhwc)
