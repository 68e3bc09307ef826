"""Handlers of the integer layers: Conv, Gemm/MatMul, MaxPool, AveragePool, Pad, Flatten.

Each reads its integer input(s) (lowering pending requantization chains first), writes
one IR op with a raw int32 accumulator (conv/fc/sum pool) or an int8 result (max pool),
and records the ONNX output as an :class:`~.values.IntVal` with its per-channel range.
Weights must be integer-valued floats that fit int8 (what the exporters write).
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_ops import AUTO_PADS, MAX_INT, int_const
from tinydeploy.frontend.onnx_ops import ints as checked
from tinydeploy.frontend.onnx_facts import attrs as reader_attrs
from tinydeploy.frontend.pulp.build import Builder, ir_shape
from tinydeploy.frontend.pulp.values import IntVal, bcast, ints, leaf
from tinydeploy.frontend.pulp import chains

F32_EXACT = 1 << 24


attrs = reader_attrs            # the node's attributes, strings decoded


def int8_weights(b: Builder, name: str, what: str) -> np.ndarray:
    if name not in b.consts:
        raise b.error(f"{what} '{name}' is not a constant")
    w = np.asarray(b.consts[name])
    if w.dtype.kind == "f" and not np.all(np.isfinite(w)) or np.any(w != np.round(w)):
        raise b.error(f"{what} '{name}' holds non-integer values: not an integer-deployable "
                      "layer")
    if w.size and (w.min() < -128 or w.max() > 127):
        raise b.error(f"{what} '{name}' spans [{w.min():g}, {w.max():g}], beyond int8")
    return w.astype(np.int8)


def int32_bias(b: Builder, name: str | None, c_out: int) -> str:
    if not name:
        return ""
    v = np.asarray(b.consts.get(name)) if name in b.consts else None
    if v is None or v.size != c_out or np.any(v != np.round(v)) or \
            np.any(np.abs(v) >= 2**31):
        raise b.error(f"bias '{name}' must be a constant of {c_out} integers (int32)")
    return b.const(f"{name}", v.reshape(c_out).astype(np.int32))


def _spatial(b: Builder, node, rank: int, x_shape, k) -> tuple:
    """(stride, dilation, pads (top, left, bottom, right)) of a 1-D or 2-D Conv/Pool;
    every value checked (strides, dilations, kernel >= 1, pads >= 0, one per axis)."""
    a = attrs(node)
    nd = rank - 2
    checked(b, k, "kernel shape", 1, count=nd)
    strides = checked(b, a.get("strides", [1] * nd), "strides", 1, count=nd)
    dil = checked(b, a.get("dilations", [1] * nd), "dilations", 1, count=nd)
    pads = checked(b, a.get("pads", [0] * 2 * nd), "pads", 0, count=2 * nd)
    auto = a.get("auto_pad", "NOTSET")
    if auto not in AUTO_PADS:
        raise b.error(f"auto_pad '{auto}' is not one of {', '.join(AUTO_PADS)}",
                      TinyDeployError)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0] * 2 * nd
        for i in range(nd):
            size = x_shape[2 + i]
            out = -(-size // strides[i])
            total = max((out - 1) * strides[i] + (k[i] - 1) * dil[i] + 1 - size, 0)
            small = total // 2 if auto == "SAME_UPPER" else total - total // 2
            pads[i], pads[nd + i] = small, total - small
    elif auto == "VALID":
        pads = [0] * 2 * nd
    if nd == 1:
        return (1, strides[0]), (1, dil[0]), (0, pads[0], 0, pads[1])
    return tuple(strides), tuple(dil), (pads[0], pads[1], pads[2], pads[3])


def _out_hw(b: Builder, hw, k, stride, dil, pads, ceil=False) -> tuple[int, int]:
    out = []
    for i, p in zip(range(2), ((pads[0], pads[2]), (pads[1], pads[3]))):
        span = hw[i] + p[0] + p[1] - dil[i] * (k[i] - 1) - 1
        out.append((-(-span // stride[i]) if ceil else span // stride[i]) + 1)
    if min(out) < 1 or max(out) > MAX_INT:
        raise b.error(f"kernel {list(k)} (dilation {list(dil)}, pads {list(pads)}) gives an "
                      f"output of {out} from an input of {list(hw)}", TinyDeployError)
    return out[0], out[1]


def _onnx_out(x_shape, c, oh, ow) -> tuple[int, ...]:
    if len(x_shape) == 3:
        return (x_shape[0], c, ow)
    return (x_shape[0], c, oh, ow)


def _range_note(b: Builder, node_out: str, lo, hi) -> None:
    m = max(max(abs(int(v)) for v in lo), max(abs(int(v)) for v in hi))
    if m > F32_EXACT:
        b.notes.append(f"'{node_out}': the source graph accumulates in float32 and may round "
                       f"sums beyond 2**24 (|acc| up to {m}); the C code accumulates exactly")


def conv(b: Builder, node) -> None:
    a = attrs(node)
    x = b.int_value(node.input[0], "Conv")
    w = int8_weights(b, node.input[1], "weight")
    rank = len(x.shape)
    if rank not in (3, 4) or w.ndim != rank:
        raise b.error(f"Conv of a {rank}-D input is not supported (1-D or 2-D only)")
    if w.ndim == 3:
        w = w[:, :, None, :]
    c_out, w_c, kh, kw = w.shape
    group = checked(b, [a.get("group", 1)], "group", 1)[0]
    if c_out % group:
        raise b.error(f"{c_out} output channels do not split into {group} groups",
                      TinyDeployError)
    stride, dil, pads = _spatial(b, node, rank, x.shape, (kh, kw) if rank == 4 else (kw,))
    pads = tuple(p + q for p, q in zip(pads, x.pads))
    x = b.narrow(IntVal(x.ir, x.shape, x.lo, x.hi), ("int8", "int16"), "Conv")
    xt = b.t(x.ir)
    c_in = xt.shape[3]
    if c_in != w_c * group:
        raise b.error(f"weight {list(w.shape)} does not match {c_in} input channels, "
                      f"group {group}")
    oh, ow = _out_hw(b, xt.shape[1:3], (kh, kw), stride, dil, pads)
    bias = int32_bias(b, node.input[2] if len(node.input) > 2 else "", c_out)
    out_shape = _onnx_out(x.shape, c_out, oh, ow)
    y = b.tensor(node.output[0], ir_shape(out_shape), "int32")
    common = dict(stride=stride, dilation=dil, pads=pads)
    if group == c_in and group > 1 and xt.dtype == "int8":
        wd = b.const(f"{node.input[1]}", w[:, 0].transpose(1, 2, 0).copy())
        b.op("depthwise_conv2d", [x.ir, wd, bias], [y], name=node.output[0],
             depth_multiplier=c_out // c_in, **common)
        taps = w[:, 0].reshape(c_out, -1).astype(object)
        in_ch = [o // (c_out // c_in) for o in range(c_out)]
        lo, hi = _acc_range(taps, [[i] * taps.shape[1] for i in in_ch], x, pads)
    else:
        wd = b.const(f"{node.input[1]}", w.transpose(0, 2, 3, 1).copy())
        b.op("conv2d", [x.ir, wd, bias], [y], name=node.output[0], **common)
        per_out = c_out // group
        taps = w.reshape(c_out, w_c, -1)
        idx = [[(o // per_out) * w_c + ci for ci in range(w_c) for _ in range(kh * kw)]
               for o in range(c_out)]
        lo, hi = _acc_range(taps.reshape(c_out, -1).astype(object), idx, x, pads)
    if bias:
        bv = b.t(bias).data.astype(object)
        lo, hi = lo + bv, hi + bv
    _range_note(b, node.output[0], lo, hi)
    b.vals[node.output[0]] = IntVal(y, out_shape, lo, hi)


def _acc_range(taps: np.ndarray, in_ch: list[list[int]], x: IntVal, pads) -> tuple:
    """Per output channel min/max of sum_k w[k] * x[in_ch[k]] (padding taps are 0)."""
    xlo, xhi = bcast(x.lo, x.hi, ints([0] * max(1, x.channels)))[:2]
    if any(pads):
        xlo = np.array([min(v, 0) for v in xlo], dtype=object)
        xhi = np.array([max(v, 0) for v in xhi], dtype=object)
    los, his = [], []
    for w_row, chs in zip(taps, in_ch):
        lo_v = np.array([xlo[c] for c in chs], dtype=object)
        hi_v = np.array([xhi[c] for c in chs], dtype=object)
        p, q = w_row * lo_v, w_row * hi_v
        los.append(sum(min(s, t) for s, t in zip(p, q)))
        his.append(sum(max(s, t) for s, t in zip(p, q)))
    return np.array(los, dtype=object), np.array(his, dtype=object)


def fully_connected(b: Builder, node) -> None:
    a = attrs(node)
    x = b.int_value(node.input[0], node.op_type)
    if node.op_type == "Gemm":
        if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
            raise b.error("Gemm with transA, alpha != 1 or beta != 1 is not supported")
        w = int8_weights(b, node.input[1], "weight")
        w = w if a.get("transB", 0) else w.T
    else:
        w = int8_weights(b, node.input[1], "weight").T
    if len(x.shape) != 2 or w.ndim != 2 or w.shape[1] != x.shape[1]:
        raise b.error(f"{node.op_type} of {list(x.shape)} by {list(w.shape)}: expected a 2-D "
                      "input and weight sharing their inner dimension")
    c_out = w.shape[0]
    order = b.hwc_order.get(x.ir)
    if order is not None:                        # flattened NHWC: permute the columns
        h, wd_, c = order
        w = w.reshape(c_out, c, h, wd_).transpose(0, 2, 3, 1).reshape(c_out, -1)
        x_for_range = IntVal(x.ir, x.shape, x.lo, x.hi)
    else:
        x_for_range = x
    x = b.narrow(x, ("int8", "int16"), node.op_type)
    bias = int32_bias(b, node.input[2] if len(node.input) > 2 else "", c_out)
    wn = b.const(f"{node.input[1]}", np.ascontiguousarray(w))
    y = b.tensor(node.output[0], (x.shape[0], c_out), "int32")
    b.op("fully_connected", [x.ir, wn, bias], [y], name=node.output[0])
    feat = x_for_range.lo.size > 1
    lo, hi = _acc_range(w.astype(object), [list(range(w.shape[1])) if feat else
                                           [0] * w.shape[1]] * c_out, x_for_range, (0,))
    if bias:
        bv = b.t(bias).data.astype(object)
        lo, hi = lo + bv, hi + bv
    _range_note(b, node.output[0], lo, hi)
    b.vals[node.output[0]] = IntVal(y, (x.shape[0], c_out), lo, hi)


def _pool_geometry(b: Builder, node, x: IntVal):
    a = attrs(node)
    xt = b.t(x.ir)
    if len(x.shape) not in (3, 4):
        raise b.error(f"{node.op_type} of a {len(x.shape)}-D input is not supported (1-D or "
                      "2-D only)")
    ceil = bool(checked(b, [a.get("ceil_mode", 0)], "ceil_mode", 0, 1)[0])
    if node.op_type.startswith("Global"):
        k, stride, pads = tuple(xt.shape[1:3]), (1, 1), (0, 0, 0, 0)
    else:
        ks = checked(b, a.get("kernel_shape", ()), "kernel_shape", 1, count=len(x.shape) - 2)
        k = (1, ks[0]) if len(ks) == 1 else tuple(ks)
        stride, dil, pads = _spatial(b, node, len(x.shape), x.shape, ks)
        if dil != (1, 1):
            raise b.error("dilated pooling is not supported")
    oh, ow = _out_hw(b, xt.shape[1:3], k, stride, (1, 1), pads, ceil)
    return k, stride, pads, oh, ow, ceil


def max_pool(b: Builder, node) -> None:
    x = b.unpad(b.int_value(node.input[0], node.op_type))
    x = b.narrow(x, ("int8", "int16"), node.op_type)      # int16: a TCN's residual sums
    k, stride, pads, oh, ow, _ = _pool_geometry(b, node, x)
    shape = _onnx_out(x.shape, x.channels, oh, ow)
    y = b.tensor(node.output[0], ir_shape(shape), b.t(x.ir).dtype, b.zp(x))
    b.op("max_pool2d", [x.ir], [y], name=node.output[0], kernel=k, stride=stride, pads=pads)
    b.vals[node.output[0]] = IntVal(y, shape, x.lo, x.hi)


def avg_pool(b: Builder, node) -> None:
    """Integer window sum + the float mean the graph computes (a chain step: / count)."""
    a = attrs(node)
    x = b.unpad(b.int_value(node.input[0], node.op_type))
    x = b.narrow(x, ("int8", "int16"), node.op_type)      # int16: a TCN's residual sums
    k, stride, pads, oh, ow, ceil = _pool_geometry(b, node, x)
    xt = b.t(x.ir)
    full = all(o * s - p + kk <= n for o, s, p, kk, n in
               ((oh - 1, stride[0], pads[0], k[0], xt.shape[1]),
                (ow - 1, stride[1], pads[1], k[1], xt.shape[2])))
    if (any(pads) and not a.get("count_include_pad", 0)) or (ceil and not full):
        raise b.error("AveragePool whose windows overlap the padding divides by a varying "
                      "count: not an integer requantization")
    shape = _onnx_out(x.shape, x.channels, oh, ow)
    y = b.tensor(f"{node.output[0]}_sum", ir_shape(shape), "int32")
    b.op("sum_pool2d", [x.ir], [y], name=f"{node.output[0]}_sum", kernel=k, stride=stride,
         pads=pads)
    n = k[0] * k[1]
    lo = np.array([min(v, 0) if any(pads) else v for v in x.lo], dtype=object) * n
    hi = np.array([max(v, 0) if any(pads) else v for v in x.hi], dtype=object) * n
    s = IntVal(y, shape, lo, hi)
    ch = leaf(s, b.label, chains.FLOAT_BITS.get(b.types.get(node.input[0], "float")))
    b.vals[node.output[0]] = chains.div(ch, np.array([chains.Fraction(n)], dtype=object),
                                        b.label)


def pad(b: Builder, node) -> None:
    a = attrs(node)
    x = b.int_value(node.input[0], "Pad")
    nd = len(x.shape)
    if "pads" in a:
        pads = checked(b, a["pads"], "pads", count=2 * nd)
    elif len(node.input) > 1 and node.input[1]:
        pads = int_const(b, node.input[1], "pads", count=2 * nd)
    else:
        raise b.error("Pad without pads", TinyDeployError)
    value = 0.0
    if len(node.input) > 2 and node.input[2]:
        c = np.asarray(b.const_of(node.input[2], "constant_value"))
        value = float(c.ravel()[0]) if c.size else 0.0
    else:
        value = float(a.get("value", 0.0))
    mode = a.get("mode", "constant")
    if mode != "constant" or value != 0.0 or any(pads[i] or pads[nd + i] for i in (0, 1)) \
            or nd not in (3, 4) or (len(node.input) > 3 and node.input[3]):
        raise b.error("only zero padding of the spatial axes is supported")
    if nd == 4:
        new = (pads[2], pads[3], pads[nd + 2], pads[nd + 3])
    else:
        new = (0, pads[2], 0, pads[nd + 2])
    if min(new) < 0:
        raise b.error("negative padding (cropping) is not supported")
    total = tuple(p + q for p, q in zip(x.pads, new))
    b.vals[node.output[0]] = IntVal(x.ir, x.shape, x.lo, x.hi, total)
    b.done[node.output[0]] = b.vals[node.output[0]]


def flatten(b: Builder, node) -> None:
    """Flatten/Reshape to [N, F]. From NHWC the IR bytes are in HWC order; a following
    Gemm/MatMul permutes its weight columns instead of moving bytes."""
    x = b.unpad(b.int_value(node.input[0], node.op_type))
    if node.op_type == "Reshape":
        if len(node.input) < 2:
            raise b.error("Reshape without a shape input", TinyDeployError)
        shape = int_const(b, node.input[1], "shape", lo=-1)
        n = x.shape[0]
        if len(shape) != 2 or shape[0] not in (n, -1, 0):
            raise b.error(f"Reshape to {shape} is not supported (only flattening to [N, F])")
    elif attrs(node).get("axis", 1) != 1:
        raise b.error("Flatten with axis != 1 is not supported")
    size = int(np.prod(x.shape[1:]))
    out_shape = (x.shape[0], size)
    y = b.tensor(node.output[0], out_shape, b.t(x.ir).dtype, b.zp(x))
    b.op("reshape", [x.ir], [y], name=node.output[0])
    xt = b.t(x.ir)
    moved = len(x.shape) >= 3 and x.channels > 1 and xt.shape[1] * xt.shape[2] > 1
    if moved:
        b.hwc_order[y] = (xt.shape[1], xt.shape[2], xt.shape[3])
    spatial = size // max(x.channels, 1)
    lo = np.repeat(bcast(x.lo, ints([0] * x.channels))[0], spatial) if not moved else \
        ints([min(x.lo)])
    hi = np.repeat(bcast(x.hi, ints([0] * x.channels))[0], spatial) if not moved else \
        ints([max(x.hi)])
    b.vals[node.output[0]] = IntVal(y, out_shape, lo, hi)
    b.done[node.output[0]] = b.vals[node.output[0]]


HANDLERS = {"Conv": conv, "Gemm": fully_connected, "MatMul": fully_connected,
            "MaxPool": max_pool, "GlobalMaxPool": max_pool, "AveragePool": avg_pool,
            "GlobalAveragePool": avg_pool, "Pad": pad, "Flatten": flatten,
            "Reshape": flatten}
