"""The ONNX op table: each supported operator, the IR op it becomes, which loaders accept
it, and the decoding of attributes that does not depend on the data type.

Both the int8 frontend (:mod:`tinydeploy.frontend.onnx`) and the float quantizer
(:mod:`tinydeploy.quantize.float_onnx`) decide what they accept from :data:`OPS` and
dispatch a node to their handler for its ``role``. Operators that convert the same way
share a role (Reshape/Flatten/Squeeze/Unsqueeze; Add/Mul, told apart by ``kind``), so
adding an operator of a known role is one :data:`OPS` entry; a new role needs a handler in
each loader that accepts it (``tests/frontend/test_readers.py`` checks both).

The int8 handlers differ from the float ones in what is genuinely int8: where the
quantization of a tensor comes from (QuantizeLinear/DequantizeLinear pairs, QLinear*
scale inputs) and how activations fuse into requantization. What an attribute means is
decoded here, once: strides/dilations/pads (:func:`spatial`), Reshape-family targets,
reduction and softmax axes, Clip bounds, Pad amounts, Gemm flags, conv groups.

Layout: ONNX is NCHW, the IR is NHWC; :data:`NCHW_TO_NHWC` and :func:`same_bytes` are the
facts both loaders use to place 4-D tensors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import onnx

from tinydeploy.frontend.onnx_reader import attrs, opt

INT8, FLOAT = "int8", "float"        # the two loaders
BOTH = frozenset({INT8, FLOAT})
_I = frozenset({INT8})
MS = "com.microsoft"
NCHW_TO_NHWC = (0, 2, 3, 1)
NHWC_TO_NCHW = (0, 3, 1, 2)
INF = float("inf")


@dataclass(frozen=True)
class OnnxOp:
    """One row of the op table."""

    role: str                      # the loaders' handler for it
    kind: str = ""                 # IR op kind ("" when it only moves or relabels data)
    loaders: frozenset = BOTH      # which loaders accept it (INT8, FLOAT)
    domain: str = ""               # "" is the default ai.onnx domain
    quantized: bool = False        # carries quantization itself: marks a quantized model
    keeps_quant: bool = False      # output quantized like input 0 (Q/DQ may sit around it)
    quant_slots: tuple = ()        # QOperator: (input, scale, zero point) slot triples


def _q(role: str, kind: str, slots: tuple = (), domain: str = "") -> OnnxOp:
    """A QOperator/QDQ operator: int8 only, quantization in its inputs."""
    return OnnxOp(role, kind, _I, domain, quantized=True, quant_slots=slots)


_IN0, _IN3 = (0, 1, 2), (3, 4, 5)
_SHAPE = OnnxOp("reshape", "reshape", keeps_quant=True)
_IDENTITY = OnnxOp("identity", keeps_quant=True)

OPS: dict[str, OnnxOp] = {
    "Conv": OnnxOp("conv", "conv2d"),
    "Gemm": OnnxOp("gemm", "fully_connected"),
    "MatMul": OnnxOp("matmul", "fully_connected"),
    "Add": OnnxOp("binary", "add"),
    "Mul": OnnxOp("binary", "mul"),
    "AveragePool": OnnxOp("avg_pool", "avg_pool2d"),
    "MaxPool": OnnxOp("max_pool", "max_pool2d", keeps_quant=True),
    "GlobalAveragePool": OnnxOp("global_avg_pool", "avg_pool2d"),
    "ReduceMean": OnnxOp("reduce_mean", "mean"),
    "Softmax": OnnxOp("nonlinear", "softmax"),
    "Sigmoid": OnnxOp("nonlinear", "logistic"),
    "Tanh": OnnxOp("nonlinear", "tanh"),
    "Concat": OnnxOp("concat", "concat"),
    "Reshape": _SHAPE, "Flatten": _SHAPE, "Squeeze": _SHAPE, "Unsqueeze": _SHAPE,
    "Transpose": OnnxOp("transpose", "transpose", keeps_quant=True),
    "Identity": _IDENTITY, "Dropout": _IDENTITY,
    "Pad": OnnxOp("pad", "pad", keeps_quant=True),
    "Relu": OnnxOp("clamp", "act"),           # int8: fused, or a requantizing quantize
    "Clip": OnnxOp("clamp", "act"),
    # int8 only: Cast to the type a tensor already has; Shape of a quantized tensor
    "Cast": OnnxOp("identity", loaders=_I),
    "Shape": OnnxOp("shape", loaders=_I),
    # float only: the quantizer folds BatchNormalization into the convolution before it
    "BatchNormalization": OnnxOp("batch_norm", "batch_norm", loaders=frozenset({FLOAT})),
    "QuantizeLinear": _q("quantize_linear", "quantize"),
    "DequantizeLinear": _q("dequantize_linear", "", (_IN0,)),
    "QLinearConv": _q("qlinear_conv", "conv2d", (_IN0,)),
    "QLinearMatMul": _q("qlinear_matmul", "fully_connected", (_IN0, _IN3)),
    "QGemm": _q("qgemm", "fully_connected", (_IN0,), MS),
    "QLinearAdd": _q("qlinear_binary", "add", (_IN0, _IN3), MS),
    "QLinearMul": _q("qlinear_binary", "mul", (_IN0, _IN3), MS),
    "QLinearAveragePool": _q("qlinear_avg_pool", "avg_pool2d", (_IN0,), MS),
    "QLinearGlobalAveragePool": _q("qlinear_global_avg_pool", "avg_pool2d", (_IN0,), MS),
    "QLinearConcat": _q("qlinear_concat", "concat", (), MS),   # slots: (y, y_s, y_zp, x...)
    "QLinearSigmoid": _q("qlinear_nonlinear", "logistic", (_IN0,), MS),
    "QLinearSoftmax": _q("qlinear_nonlinear", "softmax", (_IN0,), MS),
}


def standard(domain: str) -> bool:
    return domain in ("", "ai.onnx")


def lookup(node: onnx.NodeProto, loader: str) -> OnnxOp | None:
    """The table entry of ``node`` if ``loader`` accepts its operator (and domain)."""
    spec = OPS.get(node.op_type)
    if spec is None or loader not in spec.loaders:
        return None
    same = standard(node.domain) if not spec.domain else node.domain == spec.domain
    return spec if same else None


def supported(loader: str) -> list[str]:
    """Sorted operator names ``loader`` accepts."""
    return sorted(n for n, s in OPS.items() if loader in s.loaders)


def ir_kind(node: onnx.NodeProto) -> str:
    """The IR op kind the table gives ``node``'s operator."""
    return OPS[node.op_type].kind


# -- layout -------------------------------------------------------------------------------
def same_bytes(shape: tuple[int, ...], perm: tuple[int, ...]) -> bool:
    """True when transposing ``shape`` by ``perm`` does not move any byte."""
    moved = [p for p in perm if shape[p] != 1]
    return moved == sorted(moved)


# -- attribute decoding (``b``: a loader's builder, for const_of() and error()) -------------
def spatial(b, a: dict, in_hw, k_hw, ceil_mode: int = 0):
    """(stride, dilation, pads (top, left, bottom, right), out_hw) of a 2-D conv/pool."""
    stride = tuple(int(v) for v in a.get("strides", (1, 1)))
    dil = tuple(int(v) for v in a.get("dilations", (1, 1)))
    auto = a.get("auto_pad", "NOTSET")
    if len(stride) != 2 or len(dil) != 2:
        raise b.error("only 2-D convolution/pooling is supported")
    eff = [(k - 1) * d + 1 for k, d in zip(k_hw, dil)]
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        out = [-(-i // s) for i, s in zip(in_hw, stride)]
        total = [max((o - 1) * s + e - i, 0) for o, s, e, i in zip(out, stride, eff, in_hw)]
        begin = [t // 2 if auto == "SAME_UPPER" else t - t // 2 for t in total]
        pads = [*begin, *(t - p for t, p in zip(total, begin))]
    elif auto == "VALID":
        pads = [0, 0, 0, 0]
    else:
        pads = [int(v) for v in a.get("pads", (0, 0, 0, 0))]
    rnd = math.ceil if ceil_mode else math.floor
    out = []
    for d in range(2):
        span = in_hw[d] + pads[d] + pads[d + 2] - eff[d]
        o = int(rnd(span / stride[d])) + 1
        if ceil_mode and (o - 1) * stride[d] >= in_hw[d] + pads[d]:
            o -= 1      # the last window must start inside the input or its left padding
        pads[d + 2] += max(0, (o - 1) * stride[d] + eff[d] - (in_hw[d] + pads[d] + pads[d + 2]))
        out.append(o)
    if min(out) < 1:
        raise b.error(f"kernel {list(k_hw)} does not fit input {list(in_hw)}")
    return stride, dil, (pads[0], pads[1], pads[2], pads[3]), tuple(out)


def pool_kernel(b, a: dict) -> tuple[int, int]:
    """The 2-D kernel of a pooling node (dilated pooling is not supported)."""
    k = tuple(int(v) for v in a.get("kernel_shape", ()))
    if len(k) != 2 or tuple(a.get("dilations", (1, 1))) != (1, 1):
        raise b.error("only 2-D pooling without dilation is supported")
    return k


def conv_form(b, group: int, c_in: int, c_out: int, in_per_group: int
              ) -> tuple[str, int | None]:
    """("conv2d", None) for group 1, ("depthwise_conv2d", multiplier) for depthwise."""
    if group == 1 and in_per_group == c_in:
        return "conv2d", None
    if group == c_in and in_per_group == 1 and c_out % c_in == 0:
        return "depthwise_conv2d", c_out // c_in
    raise b.error(f"grouped convolution (group {group}, {c_in} input channels) is not "
                  "supported; only group 1 or depthwise")


def gemm_flags(node: onnx.NodeProto) -> tuple[float, float, bool, bool]:
    """(alpha, beta, transA, transB) of a Gemm, with ONNX's defaults."""
    a = attrs(node)
    return (float(a.get("alpha", 1.0)), float(a.get("beta", 1.0)), bool(a.get("transA", 0)),
            bool(a.get("transB", 0)))


def transpose_perm(node: onnx.NodeProto, rank: int) -> tuple[int, ...]:
    """A Transpose's permutation (default: reverse the axes)."""
    return tuple(int(p) for p in attrs(node).get("perm", range(rank - 1, -1, -1)))


def _axes(b, node: onnx.NodeProto, rank: int) -> list[int] | None:
    axes = attrs(node).get("axes")
    if axes is None and opt(node, 1):
        axes = b.const_of(node.input[1], "axes").tolist()
    return None if axes is None else [int(v) % rank for v in axes]


def reduce_axes(b, node: onnx.NodeProto, rank: int) -> list[int]:
    """Sorted axes a ReduceMean reduces (attribute, or input 1 from opset 18)."""
    axes = _axes(b, node, rank)
    if not axes:
        if attrs(node).get("noop_with_empty_axes", 0):
            raise b.error("ReduceMean with noop_with_empty_axes is not supported")
        axes = list(range(rank))
    return sorted(set(axes))


def reshape_target(b, node: onnx.NodeProto, shape: tuple[int, ...]) -> tuple:
    """Output shape of Reshape/Flatten/Squeeze/Unsqueeze applied to ``shape``."""
    op, size = node.op_type, int(np.prod(shape, dtype=np.int64))
    if op == "Flatten":
        ax = int(attrs(node).get("axis", 1)) % (len(shape) + 1)
        return (int(np.prod(shape[:ax], dtype=np.int64)),
                int(np.prod(shape[ax:], dtype=np.int64)))
    if op == "Squeeze":
        axes = _axes(b, node, len(shape))
        return tuple(d for i, d in enumerate(shape)
                     if not (d == 1 and (axes is None or i in axes)))
    if op == "Unsqueeze":
        raw = attrs(node).get("axes") or b.const_of(node.input[1], "axes").tolist()
        rank = len(shape) + len(raw)
        out = list(shape)
        for ax in sorted(int(v) % rank for v in raw):
            out.insert(ax, 1)
        return tuple(out)
    target = [int(v) for v in b.const_of(node.input[1], "shape")]
    if not attrs(node).get("allowzero", 0):
        target = [shape[i] if v == 0 else v for i, v in enumerate(target)]
    if -1 in target:
        known = int(np.prod([v for v in target if v != -1], dtype=np.int64))
        target[target.index(-1)] = size // max(known, 1)
    if int(np.prod(target, dtype=np.int64)) != size:
        raise b.error(f"cannot reshape {list(shape)} to {target}")
    return tuple(target)


def pad_amounts(b, node: onnx.NodeProto, rank: int) -> list[int]:
    """A constant-mode Pad's ONNX pads [begins..., ends...] over all ``rank`` axes."""
    a = attrs(node)
    if a.get("mode", "constant") != "constant":
        raise b.error(f"Pad mode '{a['mode']}' is not supported (only constant)")
    pads = a.get("pads") or b.const_of(node.input[1], "pads").tolist()
    axes = [int(x) % rank for x in b.const_of(node.input[3], "axes")] if opt(node, 3) \
        else list(range(rank))
    full = [0] * (2 * rank)
    for i, ax in enumerate(axes):
        full[ax], full[ax + rank] = int(pads[i]), int(pads[i + len(axes)])
    return full


def softmax_default_axis(node: onnx.NodeProto, opset: int) -> int:
    """A Softmax's axis attribute (default 1 before opset 13, -1 from 13)."""
    return int(attrs(node).get("axis", 1 if opset < 13 else -1))


def softmax_axis(b, shape, axis: int, opset: int) -> int:
    """The one axis a Softmax normalizes over. Before opset 13 it is all dims from ``axis``
    on, flattened: fine when at most one of them is larger than 1."""
    rank = len(shape)
    axis = int(axis) % rank
    if opset >= 13:
        return axis
    big = [d for d in range(axis, rank) if shape[d] > 1]
    if len(big) > 1:
        raise b.error(f"softmax (opset {opset}) over the flattened dims {axis}.. of "
                      f"{list(shape)} is not supported")
    return big[0] if big else rank - 1


def clip_bounds(node: onnx.NodeProto, bound) -> tuple[float, float, np.dtype | None]:
    """(min, max, dtype of the bounds) of a Relu or Clip (attributes before opset 11).

    ``bound(name)`` gives the (real value, dtype or None) of a bound input.
    """
    if node.op_type == "Relu":
        return 0.0, INF, None
    a = attrs(node)
    if "min" in a or "max" in a:
        return float(a.get("min", -INF)), float(a.get("max", INF)), None
    vals, dtype = [-INF, INF], None
    for i in (1, 2):
        name = opt(node, i)
        if name is not None:
            vals[i - 1], kind = bound(name)
            dtype = kind if kind is not None else dtype
    return vals[0], vals[1], dtype
