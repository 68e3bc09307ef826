"""Float ONNX nodes -> float graph ops: one short handler per operator.

Handlers resolve inputs to :class:`FValue` activations or numpy constants, choose the
layout (NHWC for convolutions and pooling), and add float graph ops named after the node.
Padding/stride arithmetic is the int8 frontend's (:func:`onnx_emit.spatial`).
"""

from __future__ import annotations

import numpy as np
import onnx

from tinydeploy.frontend.onnx_build import NCHW_TO_NHWC
from tinydeploy.frontend.onnx_emit import spatial
from tinydeploy.frontend.onnx_graph import fold_node
from tinydeploy.frontend.onnx_qop import attrs, opt
from tinydeploy.frontend.onnx_shape import reshape_target
from tinydeploy.quantize.float_onnx import FloatBuilder, FValue

INF = float("inf")
CLIPS = {(0.0, INF): "relu", (0.0, 6.0): "relu6", (-1.0, 1.0): "relu_n1_to_1"}


def fold(b: FloatBuilder, node: onnx.NodeProto) -> None:
    """A Constant, or a node of constants only (shape arithmetic): evaluate once."""
    if node.op_type == "Constant":
        a = node.attribute[0]
        if a.name != "value":
            b.consts[node.output[0]] = np.asarray(onnx.helper.get_attribute_value(a))
        else:
            b.consts[node.output[0]] = onnx.numpy_helper.to_array(a.t)
        return
    for name, value in zip(node.output, fold_node(b, node)):
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
    group = int(a.get("group", 1))
    stride, dil, pads, (oh, ow) = spatial(b, a, (h, w_), (kh, kw))
    at = dict(stride=stride, dilation=dil, pads=pads, act="none")
    if group == 1 and ipg == c:
        kind, wd = "conv2d", w.transpose(0, 2, 3, 1)
    elif group == c and ipg == 1 and o % c == 0:
        kind, wd = "depthwise_conv2d", w[:, 0].transpose(1, 2, 0)
        at["depth_multiplier"] = o // c
    else:
        raise b.error(f"grouped convolution (group {group}, {c} input channels) is not "
                      "supported; only group 1 or depthwise")
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
    a = attrs(node)
    if a.get("transA", 0):
        raise b.error("Gemm with transA is not supported")
    w = b.const_of(node.input[1], "weight").astype(np.float64) * float(a.get("alpha", 1.0))
    w = w if a.get("transB", 0) else w.T
    bias = b.const_of(opt(node, 2), "bias").astype(np.float64).reshape(-1) * \
        float(a.get("beta", 1.0)) if opt(node, 2) else None
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
    lo, hi = 0.0, INF
    if node.op_type == "Clip":
        a = attrs(node)
        lo, hi = float(a.get("min", -INF)), float(a.get("max", INF))
        if opt(node, 1):
            lo = float(b.const_of(opt(node, 1), "Clip min").reshape(-1)[0])
        if opt(node, 2):
            hi = float(b.const_of(opt(node, 2), "Clip max").reshape(-1)[0])
    if (lo, hi) not in CLIPS:
        raise b.error(f"clamp to [{lo:g}, {hi:g}] is not supported (relu, relu6, relu_n1_to_1)")
    v = b.val(node.input[0])
    b.add_op("act", [v.ir], [_out(b, node, b.tensors[v.ir].shape, v.nhwc)],
             act=CLIPS[(lo, hi)])


def binary(kind: str):
    def handler(b: FloatBuilder, node: onnx.NodeProto) -> None:
        if any(i in b.consts for i in node.input):
            raise b.error(f"{node.op_type} with a constant operand is not supported")
        vs = [b.val(i) for i in node.input]
        shapes = [b.shape(v) for v in vs]
        if shapes[0] != shapes[1]:
            raise b.error(f"{node.op_type} of shapes {shapes} (broadcasting) is not supported")
        nhwc = len(shapes[0]) == 4 and any(v.nhwc for v in vs)
        ins = [b.as_nhwc(v) if nhwc else b.as_onnx(v) for v in vs]
        b.add_op(kind, ins, [_out(b, node, b.tensors[ins[0]].shape, nhwc)], act="none")
    return handler


def pool(kind: str):
    def handler(b: FloatBuilder, node: onnx.NodeProto) -> None:
        a = attrs(node)
        x = b.as_nhwc(b.val(node.input[0]))
        n, h, w, c = b.tensors[x].shape
        if node.op_type == "GlobalAveragePool":
            k, stride, pads, (oh, ow) = (h, w), (1, 1), (0, 0, 0, 0), (1, 1)
        else:
            k = tuple(int(v) for v in a.get("kernel_shape", ()))
            if len(k) != 2 or a.get("ceil_mode", 0) or tuple(a.get("dilations", (1, 1))) != (1, 1):
                raise b.error("only 2-D pooling without ceil_mode or dilation is supported")
            stride, _, pads, (oh, ow) = spatial(b, a, (h, w), k)
        if kind == "avg_pool2d" and a.get("count_include_pad", 0) and any(pads):
            t, left, bot, r = pads         # padding counted: pad with zeros, then pool
            y = b.act(f"{node.output[0]}_padded", (n, h + t + bot, w + left + r, c))
            b.add_op("pad", [x], [y], pads=((0, 0), (t, bot), (left, r), (0, 0)))
            x, pads = y, (0, 0, 0, 0)
        b.add_op(kind, [x], [_out(b, node, (n, oh, ow, c), nhwc=True)], kernel=k,
                 stride=stride, pads=pads, act="none")
    return handler


def reduce_mean(b: FloatBuilder, node: onnx.NodeProto) -> None:
    a = attrs(node)
    v = b.val(node.input[0])
    rank = len(b.shape(v))
    axes = a.get("axes")
    if axes is None and opt(node, 1):
        axes = b.const_of(opt(node, 1), "axes").tolist()
    axes = sorted({int(x) % rank for x in (axes if axes else range(rank))})
    keep = bool(a.get("keepdims", 1))
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
    rank = len(b.shape(v))
    perm = tuple(int(p) for p in attrs(node).get("perm", range(rank - 1, -1, -1)))
    if perm[0] != 0:
        raise b.error("Transpose that moves the batch dimension is not supported")
    if v.nhwc and perm == NCHW_TO_NHWC:           # NCHW -> NHWC of an NHWC-held tensor
        b.vals[node.output[0]] = FValue(v.ir)
        return
    b.vals[node.output[0]] = FValue(b.permute(b.as_onnx(v), perm, node.output[0]))


def pad(b: FloatBuilder, node: onnx.NodeProto) -> None:
    a = attrs(node)
    if a.get("mode", "constant") != "constant":
        raise b.error("only constant padding is supported")
    if opt(node, 2) and float(b.const_of(opt(node, 2), "pad value").reshape(-1)[0]) != 0:
        raise b.error("padding with a value other than 0 is not supported")
    if opt(node, 3):
        raise b.error("Pad with axes is not supported")
    v = b.val(node.input[0])
    pads = [int(p) for p in (a.get("pads") or b.const_of(opt(node, 1), "pads").tolist())]
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
    axis = int(attrs(node)["axis"]) % rank
    nhwc = rank == 4 and any(v.nhwc for v in vs)
    ins = [b.as_nhwc(v) if nhwc else b.as_onnx(v) for v in vs]
    ir_axis = NCHW_TO_NHWC.index(axis) if nhwc else axis
    shape = list(b.tensors[ins[0]].shape)
    shape[ir_axis] = sum(b.tensors[i].shape[ir_axis] for i in ins)
    b.add_op("concat", ins, [_out(b, node, shape, nhwc)], axis=ir_axis)


def unary(kind: str):
    def handler(b: FloatBuilder, node: onnx.NodeProto) -> None:
        v = b.val(node.input[0])
        at = {}
        if kind == "softmax":
            rank = len(b.shape(v))
            axis = int(attrs(node).get("axis", 1 if b.opset < 13 else -1)) % rank
            if axis != rank - 1:
                raise b.error("softmax over an axis other than the last is not supported")
            v, at = FValue(b.as_onnx(v)), {"beta": 1.0}
        b.add_op(kind, [v.ir], [_out(b, node, b.tensors[v.ir].shape, v.nhwc)], **at)
    return handler


def identity(b: FloatBuilder, node: onnx.NodeProto) -> None:
    b.vals[node.output[0]] = b.val(node.input[0])


HANDLERS = {
    "Conv": conv, "Gemm": gemm, "MatMul": matmul, "BatchNormalization": batch_norm,
    "Relu": clamp, "Clip": clamp, "Add": binary("add"), "Mul": binary("mul"),
    "AveragePool": pool("avg_pool2d"), "MaxPool": pool("max_pool2d"),
    "GlobalAveragePool": pool("avg_pool2d"), "ReduceMean": reduce_mean,
    "Flatten": reshape, "Reshape": reshape, "Squeeze": reshape, "Unsqueeze": reshape,
    "Transpose": transpose, "Pad": pad, "Concat": concat, "Softmax": unary("softmax"),
    "Sigmoid": unary("logistic"), "Tanh": unary("tanh"), "Identity": identity,
    "Dropout": identity,
}
