"""Handlers of the float32 ONNX importer: Conv, MaxPool, AveragePool (NHWC IR kinds, 1-D
as height 1) and the normalizations (LayerNormalization, GroupNormalization,
InstanceNormalization, RMSNormalization and Deeploy's RMSNorm: the ``norm`` kind)."""

from __future__ import annotations

import numpy as np

from tinydeploy.frontend.onnx_float_build import FloatBuilder
from tinydeploy.frontend.onnx_facts import attrs, opt

RMS_EPS = 1e-6     # Deeploy's RMSNorm without an eps attribute (as its kernel test's)


def _window(b: FloatBuilder, node, spatial: tuple[int, ...], kernel: tuple[int, ...]):
    """(stride, dilation, pads (t, l, b, r), output spatial dims) of a 1-D/2-D window."""
    a = attrs(node)
    nd = len(spatial)
    strides = [int(v) for v in a.get("strides", [1] * nd)]
    dil = [int(v) for v in a.get("dilations", [1] * nd)]
    pads = [int(v) for v in a.get("pads", [0] * 2 * nd)]
    auto = a.get("auto_pad", "NOTSET")
    ceil = bool(a.get("ceil_mode", 0))
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0] * 2 * nd
        for i in range(nd):
            out = -(-spatial[i] // strides[i])
            total = max(0, (out - 1) * strides[i] + dil[i] * (kernel[i] - 1) + 1 - spatial[i])
            lo = total // 2 if auto == "SAME_UPPER" else total - total // 2
            pads[i], pads[i + nd] = lo, total - lo
    elif auto == "VALID":
        pads = [0] * 2 * nd
    else:
        b.require(auto in ("NOTSET", ""), f"auto_pad '{auto}'")
    outs = []
    for i in range(nd):
        span = spatial[i] + pads[i] + pads[i + nd] - dil[i] * (kernel[i] - 1) - 1
        o = (-(-span // strides[i]) if ceil else span // strides[i]) + 1
        if ceil and (o - 1) * strides[i] >= spatial[i] + pads[i]:
            o -= 1
        outs.append(o)
    if ceil:              # the last window may run past the end: pad after to reach it
        for i in range(nd):
            need = (outs[i] - 1) * strides[i] + dil[i] * (kernel[i] - 1) + 1
            pads[i + nd] = max(pads[i + nd], need - spatial[i] - pads[i])
    if nd == 1:
        return (1, strides[0]), (1, dil[0]), (0, pads[0], 0, pads[1]), (1, outs[0])
    return tuple(strides), tuple(dil), (pads[0], pads[1], pads[2], pads[3]), tuple(outs)


def conv(b: FloatBuilder, node) -> None:
    src = b.shape(node.input[0])
    b.require(len(src) in (3, 4), f"Conv of a {len(src)}-D input (1-D and 2-D only)")
    w = np.asarray(b.const_of(node.input[1], "Conv weights"), dtype=np.float32)
    group = int(attrs(node).get("group", 1))
    cout, cin_g = w.shape[0], w.shape[1]
    b.require(src[1] == cin_g * group and cout % group == 0,
              f"weights {list(w.shape)} with group {group} for {src[1]} input channels")
    if w.ndim == 3:
        w = w[:, :, None, :]
    kernel = (w.shape[3],) if len(src) == 3 else (w.shape[2], w.shape[3])
    stride, dil, pads, outs = _window(b, node, tuple(src[2:]), kernel)
    x = b.nhwc_in(node.input[0])
    oh, ow = outs
    y = b.tensor(f"{node.output[0]}_nhwc", (src[0], oh, ow, cout))
    ins = [x]
    b.derived.add(node.input[1])          # the IR weights are a transposed copy
    if group == cin_g * group == cout and cin_g == 1 and group > 1:    # depthwise
        ins.append(b.const(f"{node.output[0]}_w", w[:, 0].transpose(1, 2, 0)))
        kind, extra = "depthwise_conv2d", {"depth_multiplier": 1}
    else:
        ins.append(b.const(f"{node.output[0]}_w", w.transpose(0, 2, 3, 1)))
        kind, extra = "conv2d", {"groups": group}
    ins.append(b.onnx_in(node.input[2]) if opt(node, 2) else "")
    b.op(kind, ins, [y], stride=stride, dilation=dil, pads=pads, act="none", **extra)
    shape = (src[0], cout, ow) if len(src) == 3 else (src[0], cout, oh, ow)
    b.set_nhwc(node.output[0], y, shape)


def pool(b: FloatBuilder, node) -> None:
    src = b.shape(node.input[0])
    a = attrs(node)
    b.require(len(src) in (3, 4), f"{node.op_type} of a {len(src)}-D input")
    b.require(len(node.output) == 1 or not node.output[1], "MaxPool indices output")
    b.require(int(a.get("storage_order", 0)) == 0, "storage_order 1")
    kernel = tuple(int(v) for v in a["kernel_shape"])
    stride, dil, pads, outs = _window(b, node, tuple(src[2:]), kernel)
    b.require(dil == (1, 1), f"dilations {list(dil)}")
    x = b.nhwc_in(node.input[0])
    y = b.tensor(f"{node.output[0]}_nhwc", (src[0], outs[0], outs[1], src[1]))
    kind = "max_pool2d" if node.op_type == "MaxPool" else "avg_pool2d"
    kernel2 = kernel if len(kernel) == 2 else (1, kernel[0])
    b.op(kind, [x], [y], kernel=kernel2, stride=stride, pads=pads, act="none",
         count_include_pad=bool(a.get("count_include_pad", 0)))
    shape = (src[0], src[1], outs[1]) if len(src) == 3 else (src[0], src[1], *outs)
    b.set_nhwc(node.output[0], y, shape)


def _norm(b: FloatBuilder, node, mode: str, inner: int, stride: int, scale, bias,
          eps: float) -> None:
    src = b.shape(node.input[0])
    x = b.onnx_in(node.input[0])
    y = b.tensor(node.output[0], src)
    s = b.const(f"{node.output[0]}_scale", scale) if not isinstance(scale, str) else scale
    bb = "" if bias is None else (b.const(f"{node.output[0]}_bias", bias)
                                  if not isinstance(bias, str) else bias)
    n = s and int(np.prod(b.shape_of(s)))
    b.op("norm", [x, s, bb], [y], mode=mode, inner=int(inner), scale_stride=int(stride),
         scale_len=int(n), epsilon=float(eps))
    b.set_onnx(node.output[0], y)


def _param(b: FloatBuilder, name: str, shape) -> np.ndarray | str:
    """A scale/bias broadcast to ``shape`` (a constant), or the tensor as it is."""
    if b.is_const(name):
        return np.broadcast_to(np.asarray(b.consts[name], dtype=np.float32), shape).ravel()
    b.require(tuple(b.shape(name)) == tuple(shape) or
              int(np.prod(b.shape(name))) == int(np.prod(shape)),
              f"scale/bias '{name}' {list(b.shape(name))} is not a constant of the "
              f"normalized shape {list(shape)}")
    return b.onnx_in(name)


def layer_norm(b: FloatBuilder, node) -> None:
    a = attrs(node)
    b.require(len([o for o in node.output if o]) == 1, "the Mean/InvStdDev outputs")
    src = b.shape(node.input[0])
    axis = int(a.get("axis", -1)) % len(src)
    shape = tuple(src[axis:])
    rms = node.op_type in ("RMSNormalization", "RMSNorm", "SimplifiedLayerNormalization")
    default = RMS_EPS if node.op_type == "RMSNorm" else 1e-5
    eps = a.get("epsilon", a.get("eps", default))
    scale = _param(b, node.input[1], shape)
    bias = _param(b, node.input[2], shape) if opt(node, 2) else None
    _norm(b, node, "rms" if rms else "layer", int(np.prod(shape)), 1, scale, bias, eps)


def group_norm(b: FloatBuilder, node) -> None:
    a = attrs(node)
    src = b.shape(node.input[0])
    b.require(len(src) >= 3, f"{node.op_type} of a {len(src)}-D input")
    c, hw = src[1], int(np.prod(src[2:]))
    groups = c if node.op_type == "InstanceNormalization" else int(a["num_groups"])
    b.require(groups >= 1 and c % groups == 0, f"{groups} groups of {c} channels")
    params = []
    for i in (1, 2):
        p = np.asarray(b.const_of(node.input[i], "scale/bias"), dtype=np.float32).ravel()
        if p.size == groups and groups != c:          # opset 18: one per group
            p = np.repeat(p, c // groups)
        b.require(p.size == c, f"{p.size} scale/bias values for {c} channels")
        params.append(p)
    _norm(b, node, "layer", c // groups * hw, hw, params[0], params[1],
          a.get("epsilon", 1e-5))


HANDLERS = {"Conv": conv, "MaxPool": pool, "AveragePool": pool,
            "LayerNormalization": layer_norm, "RMSNormalization": layer_norm,
            "RMSNorm": layer_norm, "GroupNormalization": group_norm,
            "InstanceNormalization": group_norm}
