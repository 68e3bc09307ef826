"""ONNX Gather and Slice with constant indices on quantized tensors (int8 loader).

Both only pick elements: the output keeps the input's quantization (onnxruntime's QDQ
quantizer writes ``DequantizeLinear -> Gather -> QuantizeLinear`` with the same scale and
zero point), so they become the IR's ``gather`` (constant indices along one axis) and
``slice`` (start and step per axis) copies, exact. A typical use is a network head that
picks its outputs apart: DroNet's ``[steer, collision]`` from one 2-vector.

A 4-D value held in NHWC is picked in place (the ONNX axes mapped to the IR's) when the
rank stays; a Gather that changes the rank (down to a scalar) works on the ONNX (NCHW)
layout. Indices that are not constants (an embedding lookup) and an empty Slice are
refused, naming the node. Slice follows ONNX's rules: negative starts/ends count from the
end, then starts and ends are clamped (to [0, n] with a positive step, to [0, n-1] and
[-1, n-1] with a negative one).
"""

from __future__ import annotations

import numpy as np
import onnx

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_build import Builder, Value
from tinydeploy.frontend.onnx_facts import attrs, opt
from tinydeploy.frontend.onnx_ops import INT8, NCHW_TO_NHWC, OPS, OnnxOp, axis_of, ints

INT64 = (-(2**63), 2**63 - 1)

# rows of the ONNX op table (onnx_ops.OPS), int8 loader only
ROWS = {
    "Gather": OnnxOp("gather", "gather", frozenset({INT8}), keeps_quant=True, min_inputs=2),
    "Slice": OnnxOp("slice", "slice", frozenset({INT8}), keeps_quant=True, min_inputs=1),
}
OPS.update(ROWS)


def _source(b: Builder, node: onnx.NodeProto) -> Value:
    name = node.input[0]
    if name in b.qconsts:
        raise b.error(f"{node.op_type} of the quantized constant '{name}' is not supported")
    return b.val(name)


def _emit(b: Builder, kind: str, ir: str, shape, nhwc: bool, out: str, **op_attrs) -> None:
    t = b.t(ir)
    y = b.add_tensor(out, shape, t.dtype, t.quant)
    b.add_op(kind, [ir], [y], **op_attrs)
    b.vals[out] = Value(y, nhwc)


def gather(b: Builder, node: onnx.NodeProto) -> None:
    v = _source(b, node)
    shape = b.onnx_shape(v)
    axis = axis_of(b, attrs(node).get("axis", 0), len(shape))
    idx = np.asarray(b.const_of(node.input[1], "indices"))
    flat = ints(b, idx.reshape(-1), f"indices '{node.input[1]}'", -shape[axis],
                shape[axis] - 1)
    if not flat:
        raise b.error("Gather with no indices (an empty output)", TinyDeployError)
    flat = [i % shape[axis] for i in flat]
    out_shape = (*shape[:axis], *idx.shape, *shape[axis + 1:])
    if v.nhwc and idx.ndim == 1:                 # rank kept: pick in NHWC
        ir_axis = NCHW_TO_NHWC.index(axis)
        ir_shape = list(b.t(v.ir).shape)
        ir_shape[ir_axis] = len(flat)
        _emit(b, "gather", v.ir, ir_shape, True, node.output[0], axis=ir_axis,
              indices=tuple(flat))
        return
    _emit(b, "gather", b.as_onnx(v), out_shape, False, node.output[0], axis=axis,
          indices=tuple(flat))


def _slice_params(b: Builder, node: onnx.NodeProto, rank: int) -> list[tuple[int, ...]]:
    """[(axis, start, end, step)] of a Slice (attributes before opset 10, then inputs)."""
    a = attrs(node)
    if b.opset < 10:
        if "starts" not in a or "ends" not in a:
            raise b.error("Slice without starts/ends", TinyDeployError)
        starts, ends = ints(b, a["starts"], "starts", *INT64), ints(b, a["ends"], "ends", *INT64)
        axes = a.get("axes", range(len(starts)))
        steps = [1] * len(starts)
    else:
        def const(i: int, what: str):
            name = opt(node, i)
            return None if name is None else \
                ints(b, b.const_of(name, what), f"{what} '{name}'", *INT64)
        starts, ends = const(1, "starts"), const(2, "ends")
        if starts is None or ends is None:
            raise b.error("Slice without starts/ends", TinyDeployError)
        axes = const(3, "axes")
        axes = range(len(starts)) if axes is None else axes
        steps = const(4, "steps") or [1] * len(starts)
    axes = [axis_of(b, x, rank, "axes") for x in ints(b, list(axes), "axes", *INT64)]
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise b.error(f"Slice starts/ends/axes/steps have {len(starts)}/{len(ends)}/"
                      f"{len(axes)}/{len(steps)} values", TinyDeployError)
    if len(set(axes)) != len(axes):
        raise b.error(f"Slice axes {axes} repeat an axis", TinyDeployError)
    if 0 in steps:
        raise b.error("Slice step 0", TinyDeployError)
    return list(zip(axes, starts, ends, steps))


def slice_range(n: int, start: int, end: int, step: int) -> range:
    """The indices ONNX Slice takes along an axis of ``n`` elements."""
    start, end = (s + n if s < 0 else s for s in (start, end))
    if step > 0:
        return range(min(max(start, 0), n), min(max(end, 0), n), step)
    return range(min(max(start, 0), n - 1), min(max(end, -1), n - 1), step)


def slice_(b: Builder, node: onnx.NodeProto) -> None:
    v = _source(b, node)
    shape = b.onnx_shape(v)
    rank = len(shape)
    starts, steps, out_shape = [0] * rank, [1] * rank, list(shape)
    for ax, s0, e0, st in _slice_params(b, node, rank):
        r = slice_range(shape[ax], s0, e0, st)
        if len(r) == 0:
            raise b.error(f"Slice selects nothing on axis {ax} (an empty output)")
        starts[ax], steps[ax], out_shape[ax] = r.start, r.step, len(r)
    if out_shape == list(shape) and all(s == 1 for s in steps):
        b.vals[node.output[0]] = v
        return
    if v.nhwc:
        perm = NCHW_TO_NHWC
        _emit(b, "slice", v.ir, [out_shape[p] for p in perm], True, node.output[0],
              starts=tuple(starts[p] for p in perm), steps=tuple(steps[p] for p in perm))
        return
    _emit(b, "slice", v.ir, out_shape, False, node.output[0], starts=tuple(starts),
          steps=tuple(steps))


# role (onnx_ops.OPS) -> handler
HANDLERS = {"gather": gather, "slice": slice_}
