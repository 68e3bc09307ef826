"""Float ONNX nodes -> float graph ops: one handler per role of the op table.

The shared op table (:data:`tinydeploy.frontend.onnx_ops.OPS`) says which operators the
quantizer accepts and which handler here converts each; attribute decoding (strides,
pads, dilations, conv groups, Reshape targets, axes, Clip bounds, Pad amounts) is the
table module's, shared with the int8 frontend. Handlers resolve inputs to
:class:`FValue` activations or numpy constants, choose the layout (NHWC for convolutions
and pooling), and add float graph ops named after the node. The float reference runs a
batch of samples along axis 0: ops that mix samples or take a constant operand are refused.
"""

from __future__ import annotations

import numpy as np
import onnx

from tinydeploy.frontend import onnx_ops
from tinydeploy.frontend.onnx_ops import (INF, NCHW_TO_NHWC, axis_of, conv_form, gemm_flags,
                                          ir_kind,
                                          pad_amounts, pool_kernel, reduce_axes,
                                          reshape_target, scalar, softmax_axis,
                                          softmax_default_axis, spatial, transpose_perm)
from tinydeploy.frontend.onnx_facts import attrs, constant_value, opt
from tinydeploy.frontend.onnx_reader import evaluate
from tinydeploy.quantize.float_onnx_builder import FloatBuilder, FValue

CLIPS = {(0.0, INF): "relu", (0.0, 6.0): "relu6", (-1.0, 1.0): "relu_n1_to_1"}


def fold(b: FloatBuilder, node: onnx.NodeProto) -> None:
    """A Constant, or a node of constants only (shape arithmetic): evaluate once."""
    if node.op_type == "Constant":
        b.consts[node.output[0]] = constant_value(node, b.path)
        return
    for name, value in zip(node.output, evaluate(node, b.consts, b.opset, b.path)):
        b.consts[name] = value


def _out(b: FloatBuilder, node: onnx.NodeProto, shape, nhwc: bool = False) -> str:
    name = node.output[0]
    ir = b.act(f"{name}_nhwc" if nhwc else name, shape)
    b.vals[name] = FValue(ir, nhwc)
    return ir


def conv(b: FloatBuilder, node: onnx.NodeProto) -> None:
    a = attrs(node)
    x = b.as_nhwc(b.val(node.input[0]))
    n, h, w_, c = b.tensors[x].shape
    w = b.const_of(node.input[1], "weight").astype(np.float32)
    if w.ndim != 4:
        raise b.error(f"only 2-D convolution is supported (weight {list(w.shape)})")
    o, ipg, kh, kw = w.shape
    stride, dil, pads, (oh, ow) = spatial(b, a, (h, w_), (kh, kw))
    at = dict(stride=stride, dilation=dil, pads=pads, act="none")
    kind, multiplier = conv_form(b, int(a.get("group", 1)), c, o, ipg)
    if kind == "conv2d":
        wd = w.transpose(0, 2, 3, 1)
    else:
        wd = w[:, 0].transpose(1, 2, 0)
        at["depth_multiplier"] = multiplier
    bias = b.const(f"{node.output[0]}_bias", b.const_of(opt(node, 2), "bias")) \
        if opt(node, 2) else ""
    wn = b.const(f"{node.output[0]}_weight", wd)
    b.add_op(kind, [x, wn, bias], [_out(b, node, (n, oh, ow, o), nhwc=True)], **at)


def _fc(b: FloatBuilder, node, x: FValue, w: np.ndarray, bias, out: str) -> None:
    """y = x @ w.T + bias with ``w`` [out, in]."""
    xi = b.as_onnx(x)
    shape = b.tensors[xi].shape
    if w.ndim != 2 or w.shape[1] != shape[-1] or len(shape) != 2:
        raise b.error(f"weight {list(w.shape)} does not fit input {list(shape)} (2-D only)")
    wn = b.const(f"{out}_weight", w)
    bn = b.const(f"{out}_bias", np.broadcast_to(bias, (w.shape[0],))) \
        if bias is not None else ""
    y = b.act(out, (shape[0], w.shape[0]))
    b.vals[out] = FValue(y)
    b.add_op("fully_connected", [xi, wn, bn], [y], act="none")


def gemm(b: FloatBuilder, node: onnx.NodeProto) -> None:
    alpha, beta, trans_a, trans_b = gemm_flags(b, node)
    if trans_a:
        raise b.error("Gemm with transA is not supported")
    w = b.const_of(node.input[1], "weight").astype(np.float64) * alpha
    w = w if trans_b else w.T
    bias = b.const_of(opt(node, 2), "bias").astype(np.float64).reshape(-1) * beta \
        if opt(node, 2) else None
    _fc(b, node, b.val(node.input[0]), w, bias, node.output[0])


def matmul(b: FloatBuilder, node: onnx.NodeProto) -> None:
    """MatMul by a constant; an Add of a constant vector right after it is its bias."""
    w = b.const_of(node.input[1], "weight (a product of two activations is not supported)")
    out, bias = node.output[0], None
    cons = b.consumers.get(out, [])
    if len(cons) == 1 and cons[0].op_type == "Add":
        other = [i for i in cons[0].input if i != out]
        if len(other) == 1 and other[0] in b.consts:
            bias = b.consts[other[0]].astype(np.float64).reshape(-1)
            out = cons[0].output[0]
            b.skip.add(id(cons[0]))
    _fc(b, node, b.val(node.input[0]), w.astype(np.float64).T, bias, out)


def batch_norm(b: FloatBuilder, node: onnx.NodeProto) -> None:
    scale, offset, mean, var = (b.const_of(node.input[i], "BatchNorm parameter")
                                .astype(np.float64) for i in range(1, 5))
    k = scale / np.sqrt(var + float(attrs(node).get("epsilon", 1e-5)))
    v = b.val(node.input[0])
    rank = len(b.shape(v))
    if rank not in (2, 4):
        raise b.error(f"BatchNorm on a {rank}-D tensor is not supported")
    x = b.as_nhwc(v) if rank == 4 else b.as_onnx(v)
    kn = b.const(f"{node.output[0]}_scale", k)
    cn = b.const(f"{node.output[0]}_offset", offset - mean * k)
    b.add_op("batch_norm", [x, kn, cn], [_out(b, node, b.tensors[x].shape, nhwc=rank == 4)])


def clamp(b: FloatBuilder, node: onnx.NodeProto) -> None:
    """Relu / Clip: a standalone ``act`` op (the quantizer fuses it into its producer)."""
    lo, hi, _ = onnx_ops.clip_bounds(
        node, lambda name: (scalar(b, b.const_of(name, "Clip bound"), "Clip bound"), None))
    if (lo, hi) not in CLIPS:
        raise b.error(f"clamp to [{lo:g}, {hi:g}] is not supported (relu, relu6, relu_n1_to_1)")
    v = b.val(node.input[0])
    b.add_op("act", [v.ir], [_out(b, node, b.tensors[v.ir].shape, v.nhwc)],
             act=CLIPS[(lo, hi)])


def binary(b: FloatBuilder, node: onnx.NodeProto) -> None:
    """Add / Mul of two activations of the same shape."""
    if any(i in b.consts for i in node.input):
        raise b.error(f"{node.op_type} with a constant operand is not supported")
    vs = [b.val(i) for i in node.input]
    shapes = [b.shape(v) for v in vs]
    if shapes[0] != shapes[1]:
        raise b.error(f"{node.op_type} of shapes {shapes} (broadcasting) is not supported")
    nhwc = len(shapes[0]) == 4 and any(v.nhwc for v in vs)
    ins = [b.as_nhwc(v) if nhwc else b.as_onnx(v) for v in vs]
    b.add_op(ir_kind(node), ins, [_out(b, node, b.tensors[ins[0]].shape, nhwc)], act="none")


def pool(b: FloatBuilder, node: onnx.NodeProto) -> None:
    """AveragePool / MaxPool / GlobalAveragePool, in NHWC."""
    a, kind = attrs(node), ir_kind(node)
    x = b.as_nhwc(b.val(node.input[0]))
    n, h, w, c = b.tensors[x].shape
    if node.op_type == "GlobalAveragePool":
        k, stride, pads, (oh, ow) = (h, w), (1, 1), (0, 0, 0, 0), (1, 1)
    else:
        k = pool_kernel(b, a)
        if a.get("ceil_mode", 0):
            raise b.error("pooling with ceil_mode is not supported")
        stride, _, pads, (oh, ow) = spatial(b, a, (h, w), k)
    if kind == "avg_pool2d" and a.get("count_include_pad", 0) and any(pads):
        t, left, bot, r = pads         # padding counted: pad with zeros, then pool
        y = b.act(f"{node.output[0]}_padded", (n, h + t + bot, w + left + r, c))
        b.add_op("pad", [x], [y], pads=((0, 0), (t, bot), (left, r), (0, 0)))
        x, pads = y, (0, 0, 0, 0)
    b.add_op(kind, [x], [_out(b, node, (n, oh, ow, c), nhwc=True)], kernel=k,
             stride=stride, pads=pads, act="none")


def reduce_mean(b: FloatBuilder, node: onnx.NodeProto) -> None:
    v = b.val(node.input[0])
    rank = len(b.shape(v))
    axes = reduce_axes(b, node, rank)
    keep = bool(attrs(node).get("keepdims", 1))
    if 0 in axes:
        raise b.error("ReduceMean over the batch dimension is not supported")
    if v.nhwc and keep:
        ir_axes = tuple(sorted(NCHW_TO_NHWC.index(x) for x in axes))
        x, nhwc = v.ir, True
    else:
        x, ir_axes, nhwc = b.as_onnx(v), tuple(axes), False
    shape = [1 if d in ir_axes else s for d, s in enumerate(b.tensors[x].shape)
             if keep or d not in ir_axes]
    b.add_op("mean", [x], [_out(b, node, shape, nhwc)], axes=ir_axes, keepdims=keep)


def reshape(b: FloatBuilder, node: onnx.NodeProto) -> None:
    v = b.val(node.input[0])
    x = b.as_onnx(v)
    shape = reshape_target(b, node, b.tensors[x].shape)
    b.add_op("reshape", [x], [_out(b, node, shape)])


def transpose(b: FloatBuilder, node: onnx.NodeProto) -> None:
    v = b.val(node.input[0])
    perm = transpose_perm(b, node, len(b.shape(v)))
    if perm[0] != 0:
        raise b.error("Transpose that moves the batch dimension is not supported")
    if v.nhwc and perm == NCHW_TO_NHWC:           # NCHW -> NHWC of an NHWC-held tensor
        b.vals[node.output[0]] = FValue(v.ir)
        return
    b.vals[node.output[0]] = FValue(b.permute(b.as_onnx(v), perm, node.output[0]))


def pad(b: FloatBuilder, node: onnx.NodeProto) -> None:
    v = b.val(node.input[0])
    pads = pad_amounts(b, node, len(b.shape(v)))
    value = attrs(node).get("value", 0.0)
    if opt(node, 2):
        value = scalar(b, b.const_of(opt(node, 2), "pad value"), "pad value")
    if float(value) != 0:
        raise b.error("padding with a value other than 0 is not supported")
    r = len(pads) // 2
    pairs = [(pads[i], pads[i + r]) for i in range(r)]
    if v.nhwc:
        pairs = [pairs[p] for p in NCHW_TO_NHWC]
    if min(min(p) for p in pairs) < 0 or pairs[0] != (0, 0):
        raise b.error("negative padding or padding of the batch dimension is not supported")
    shape = [d + p + q for d, (p, q) in zip(b.tensors[v.ir].shape, pairs)]
    b.add_op("pad", [v.ir], [_out(b, node, shape, v.nhwc)], pads=tuple(pairs))


def concat(b: FloatBuilder, node: onnx.NodeProto) -> None:
    vs = [b.val(i) for i in node.input]
    rank = len(b.shape(vs[0]))
    axis = axis_of(b, attrs(node)["axis"], rank)
    nhwc = rank == 4 and any(v.nhwc for v in vs)
    ins = [b.as_nhwc(v) if nhwc else b.as_onnx(v) for v in vs]
    ir_axis = NCHW_TO_NHWC.index(axis) if nhwc else axis
    shape = list(b.tensors[ins[0]].shape)
    shape[ir_axis] = sum(b.tensors[i].shape[ir_axis] for i in ins)
    b.add_op("concat", ins, [_out(b, node, shape, nhwc)], axis=ir_axis)


def nonlinear(b: FloatBuilder, node: onnx.NodeProto) -> None:
    """Softmax (over the last axis) / Sigmoid / Tanh."""
    kind, v, at = ir_kind(node), b.val(node.input[0]), {}
    if kind == "softmax":
        shape = b.shape(v)
        axis = softmax_axis(b, shape, softmax_default_axis(node, b.opset), b.opset)
        if axis != len(shape) - 1:
            raise b.error("softmax over an axis other than the last is not supported")
        v, at = FValue(b.as_onnx(v)), {"beta": 1.0}
    b.add_op(kind, [v.ir], [_out(b, node, b.tensors[v.ir].shape, v.nhwc)], **at)


def identity(b: FloatBuilder, node: onnx.NodeProto) -> None:
    b.vals[node.output[0]] = b.val(node.input[0])


# role (onnx_ops.OPS) -> handler
HANDLERS = {
    "conv": conv, "gemm": gemm, "matmul": matmul, "batch_norm": batch_norm, "clamp": clamp,
    "binary": binary, "avg_pool": pool, "max_pool": pool, "global_avg_pool": pool,
    "reduce_mean": reduce_mean, "reshape": reshape, "transpose": transpose, "pad": pad,
    "concat": concat, "nonlinear": nonlinear, "identity": identity,
}
