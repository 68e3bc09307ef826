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

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_facts import attrs, opt

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
    min_inputs: int = 0            # inputs the handler needs (checked before it runs;
                                   # standard operators: also by their ONNX schema)


def _q(role: str, kind: str, slots: tuple = (), domain: str = "", min_inputs: int = 2
       ) -> OnnxOp:
    """A QOperator/QDQ operator: int8 only, quantization in its inputs."""
    return OnnxOp(role, kind, _I, domain, quantized=True, quant_slots=slots,
                  min_inputs=min_inputs)


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
    # int8 only, QDQ transformers (frontend/onnx_transformer.py)
    "LayerNormalization": OnnxOp("layer_norm", "layernorm", loaders=_I),
    "Div": OnnxOp("div", "requant", loaders=_I),
    "Erf": OnnxOp("float_chain", "lut", loaders=_I),
    "Gelu": OnnxOp("float_chain", "lut", loaders=_I),
    "QuantizeLinear": _q("quantize_linear", "quantize"),
    "DequantizeLinear": _q("dequantize_linear", "", (_IN0,)),
    "QLinearConv": _q("qlinear_conv", "conv2d", (_IN0,), min_inputs=8),
    "QLinearMatMul": _q("qlinear_matmul", "fully_connected", (_IN0, _IN3), min_inputs=8),
    "QGemm": _q("qgemm", "fully_connected", (_IN0,), MS, min_inputs=8),
    "QLinearAdd": _q("qlinear_binary", "add", (_IN0, _IN3), MS, min_inputs=7),
    "QLinearMul": _q("qlinear_binary", "mul", (_IN0, _IN3), MS, min_inputs=7),
    "QLinearAveragePool": _q("qlinear_avg_pool", "avg_pool2d", (_IN0,), MS, min_inputs=4),
    "QLinearGlobalAveragePool": _q("qlinear_global_avg_pool", "avg_pool2d", (_IN0,), MS,
                                   min_inputs=4),
    "QLinearConcat": _q("qlinear_concat", "concat", (), MS, min_inputs=5),  # (y, y_s,
                                                                            # y_zp, x...)
    "QLinearSigmoid": _q("qlinear_nonlinear", "logistic", (_IN0,), MS, min_inputs=4),
    "QLinearSoftmax": _q("qlinear_nonlinear", "softmax", (_IN0,), MS, min_inputs=4),
    # integer ops with zero-point inputs, int32 results (onnx_integer)
    "ConvInteger": _q("conv_integer", "conv2d"),
    "MatMulInteger": _q("matmul_integer", "fully_connected"),
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


# int8 only: the rows of the QDQ transformers (frontend/onnx_transformer.py)
TRANSFORMER_ROWS = frozenset({"LayerNormalization", "Div", "Erf", "Gelu"})


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
# Every number read from the file is checked here before arithmetic uses it: counts and
# ranges (within int32: the C indexes with it), axes within the rank, permutations.
MAX_INT = 2**31 - 1
AUTO_PADS = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")


def ints(b, values, what: str, lo: int = -MAX_INT, hi: int = MAX_INT,
         count: int | None = None) -> list[int]:
    """``values`` (an attribute or a constant) as Python ints in [lo, hi]."""
    arr = np.asarray(values)
    if arr.ndim > 1 or (arr.size and arr.dtype.kind not in "iub"):
        raise b.error(f"{what} must be integers, got {arr.dtype} {list(arr.shape)}",
                      TinyDeployError)
    out = [int(v) for v in arr.reshape(-1)]
    if count is not None and len(out) != count:
        raise b.error(f"{what} has {len(out)} values, expected {count}", TinyDeployError)
    bad = [v for v in out if not lo <= v <= hi]
    if bad:
        raise b.error(f"{what} {out}: {bad[0]} is outside [{lo}, {hi}]", TinyDeployError)
    return out


def scalar(b, value, what: str) -> float:
    """One number (a Clip bound, a pad value) from an attribute or a constant."""
    a = np.asarray(value)
    if a.size != 1 or a.dtype.kind not in "biuf":
        raise b.error(f"{what} must be one number, got {a.dtype} {list(a.shape)}",
                      TinyDeployError)
    return float(a.reshape(-1)[0])


def int_const(b, name: str, what: str, **limits) -> list[int]:
    """A constant input of integers (shape, axes, pads) as Python ints."""
    return ints(b, b.const_of(name, what), f"{what} '{name}'", **limits)


def axis_of(b, axis, rank: int, what: str = "axis") -> int:
    """An axis in [-rank, rank), normalized to [0, rank)."""
    return ints(b, [axis], what, -rank, rank - 1)[0] % rank


def spatial(b, a: dict, in_hw, k_hw, ceil_mode: int = 0):
    """(stride, dilation, pads (top, left, bottom, right), out_hw) of a 2-D conv/pool."""
    nd = len(k_hw)
    stride = tuple(ints(b, a.get("strides", (1,) * nd), "strides", 1))
    dil = tuple(ints(b, a.get("dilations", (1,) * nd), "dilations", 1))
    auto = a.get("auto_pad", "NOTSET")
    if len(stride) != 2 or len(dil) != 2 or nd != 2:
        raise b.error("only 2-D convolution/pooling is supported")
    ints(b, k_hw, "kernel shape", 1)
    if auto not in AUTO_PADS:
        raise b.error(f"auto_pad '{auto}' is not one of {', '.join(AUTO_PADS)}",
                      TinyDeployError)
    if ceil_mode not in (0, 1):
        raise b.error(f"ceil_mode {ceil_mode} is not 0 or 1", TinyDeployError)
    eff = [(k - 1) * d + 1 for k, d in zip(k_hw, dil)]
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        out = [-(-i // s) for i, s in zip(in_hw, stride)]
        total = [max((o - 1) * s + e - i, 0) for o, s, e, i in zip(out, stride, eff, in_hw)]
        begin = [t // 2 if auto == "SAME_UPPER" else t - t // 2 for t in total]
        pads = [*begin, *(t - p for t, p in zip(total, begin))]
    elif auto == "VALID":
        pads = [0, 0, 0, 0]
    else:
        pads = ints(b, a.get("pads", (0, 0, 0, 0)), "pads", 0, count=4)
    if max(eff) > MAX_INT or max(pads) > MAX_INT:
        raise b.error(f"dilated kernel {eff} or pads {pads} beyond int32", TinyDeployError)
    rnd = math.ceil if ceil_mode else math.floor
    out = []
    for d in range(2):
        span = in_hw[d] + pads[d] + pads[d + 2] - eff[d]
        o = int(rnd(span / stride[d])) + 1 if span >= 0 else 0
        if ceil_mode and (o - 1) * stride[d] >= in_hw[d] + pads[d]:
            o -= 1      # the last window must start inside the input or its left padding
        pads[d + 2] += max(0, (o - 1) * stride[d] + eff[d] - (in_hw[d] + pads[d] + pads[d + 2]))
        out.append(o)
    if min(out) < 1:
        raise b.error(f"kernel {list(k_hw)} does not fit input {list(in_hw)}")
    if max(out) > MAX_INT:
        raise b.error(f"output size {out} beyond int32", TinyDeployError)
    return stride, dil, (pads[0], pads[1], pads[2], pads[3]), tuple(out)


def pool_kernel(b, a: dict) -> tuple[int, int]:
    """The 2-D kernel of a pooling node (dilated pooling is not supported)."""
    k = tuple(ints(b, a.get("kernel_shape", ()), "kernel_shape", 1))
    if len(k) != 2 or tuple(a.get("dilations", (1, 1))) != (1, 1):
        raise b.error("only 2-D pooling without dilation is supported")
    return k


def conv_form(b, group: int, c_in: int, c_out: int, in_per_group: int
              ) -> tuple[str, int | None]:
    """("conv2d", None) for group 1, ("depthwise_conv2d", multiplier) for depthwise."""
    ints(b, [group], "group", 1)
    if group == 1 and in_per_group == c_in:
        return "conv2d", None
    if group == c_in and in_per_group == 1 and c_out % c_in == 0:
        return "depthwise_conv2d", c_out // c_in
    raise b.error(f"grouped convolution (group {group}, {c_in} input channels) is not "
                  "supported; only group 1 or depthwise")


def gemm_flags(b, node: onnx.NodeProto) -> tuple[float, float, bool, bool]:
    """(alpha, beta, transA, transB) of a Gemm, with ONNX's defaults."""
    a = attrs(node)
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
    if not (math.isfinite(alpha) and math.isfinite(beta)):
        raise b.error(f"Gemm alpha {alpha:g} / beta {beta:g} must be finite", TinyDeployError)
    flags = ints(b, [a.get("transA", 0), a.get("transB", 0)], "transA/transB", 0, 1)
    return alpha, beta, bool(flags[0]), bool(flags[1])


def transpose_perm(b, node: onnx.NodeProto, rank: int) -> tuple[int, ...]:
    """A Transpose's permutation (default: reverse the axes)."""
    perm = ints(b, attrs(node).get("perm", range(rank - 1, -1, -1)), "perm", 0, rank - 1,
                count=rank)
    if sorted(perm) != list(range(rank)):
        raise b.error(f"perm {perm} is not a permutation of {rank} axes", TinyDeployError)
    return tuple(perm)


def _axes(b, node: onnx.NodeProto, rank: int) -> list[int] | None:
    axes = attrs(node).get("axes")
    if axes is None and opt(node, 1):
        axes = b.const_of(node.input[1], "axes")
    if axes is None:
        return None
    axes = [axis_of(b, v, rank, "axes") for v in ints(b, axes, "axes")]
    if len(set(axes)) != len(axes):
        raise b.error(f"axes {axes} repeat an axis", TinyDeployError)
    return axes


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
        ax = axis_of(b, attrs(node).get("axis", 1), len(shape) + 1)
        return (int(np.prod(shape[:ax], dtype=np.int64)),
                int(np.prod(shape[ax:], dtype=np.int64)))
    if op == "Squeeze":
        axes = _axes(b, node, len(shape))
        if axes is not None and any(shape[i] != 1 for i in axes):
            raise b.error(f"cannot squeeze axes {axes} of shape {list(shape)} (size != 1)",
                          TinyDeployError)
        return tuple(d for i, d in enumerate(shape)
                     if not (d == 1 and (axes is None or i in axes)))
    if op == "Unsqueeze":
        raw = attrs(node).get("axes")
        if raw is None:
            if not opt(node, 1):
                raise b.error("Unsqueeze without axes", TinyDeployError)
            raw = b.const_of(node.input[1], "axes")
        raw = ints(b, raw, "axes")
        rank = len(shape) + len(raw)
        axes = sorted(axis_of(b, v, rank, "axes") for v in raw)
        if len(set(axes)) != len(axes):
            raise b.error(f"axes {raw} repeat an axis", TinyDeployError)
        out = list(shape)
        for ax in axes:
            out.insert(ax, 1)
        return tuple(out)
    if not opt(node, 1):
        raise b.error("Reshape without a shape input", TinyDeployError)
    target = int_const(b, node.input[1], "shape", lo=-1)
    if not attrs(node).get("allowzero", 0):
        if any(v == 0 for v in target[len(shape):]):
            raise b.error(f"shape {target}: 0 (copy a dimension) beyond the input's rank "
                          f"{len(shape)}", TinyDeployError)
        target = [shape[i] if v == 0 else v for i, v in enumerate(target)]
    if target.count(-1) > 1:
        raise b.error(f"shape {target} has more than one -1", TinyDeployError)
    if -1 in target:
        known = int(np.prod([v for v in target if v != -1], dtype=object))
        if known == 0 or size % known:
            raise b.error(f"cannot reshape {list(shape)} to {target}")
        target[target.index(-1)] = size // known
    if int(np.prod(target, dtype=object)) != size or 0 in target:
        raise b.error(f"cannot reshape {list(shape)} to {target}")
    return tuple(target)


def pad_amounts(b, node: onnx.NodeProto, rank: int) -> list[int]:
    """A constant-mode Pad's ONNX pads [begins..., ends...] over all ``rank`` axes."""
    a = attrs(node)
    if a.get("mode", "constant") != "constant":
        raise b.error(f"Pad mode '{a['mode']}' is not supported (only constant)")
    if "pads" in a:
        pads = ints(b, a["pads"], "pads")
    elif opt(node, 1):
        pads = int_const(b, node.input[1], "pads")
    else:
        raise b.error("Pad without pads", TinyDeployError)
    axes = list(range(rank))
    if opt(node, 3):
        axes = [axis_of(b, x, rank, "axes") for x in int_const(b, node.input[3], "axes")]
        if len(set(axes)) != len(axes):
            raise b.error(f"axes {axes} repeat an axis", TinyDeployError)
    if len(pads) != 2 * len(axes):
        raise b.error(f"pads {pads} has {len(pads)} values for {len(axes)} axes",
                      TinyDeployError)
    full = [0] * (2 * rank)
    for i, ax in enumerate(axes):
        full[ax], full[ax + rank] = int(pads[i]), int(pads[i + len(axes)])
    return full


def softmax_default_axis(node: onnx.NodeProto, opset: int) -> int:
    """A Softmax's axis attribute (default 1 before opset 13, -1 from 13)."""
    return attrs(node).get("axis", 1 if opset < 13 else -1)


def softmax_axis(b, shape, axis: int, opset: int) -> int:
    """The one axis a Softmax normalizes over. Before opset 13 it is all dims from ``axis``
    on, flattened: fine when at most one of them is larger than 1."""
    rank = len(shape)
    axis = axis_of(b, axis, rank)
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
