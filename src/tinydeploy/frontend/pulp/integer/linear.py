"""Handlers of the MAC layers of integer graphs: MatMul, Gemm, Conv, MaxPool.

MatMul/Gemm with a constant 2-D weight, unit alpha and a per-column bias become
``fully_connected`` (int32 sums; a following RequantShift fuses into it, and it tiles on
PULP targets); any other product (two activations, batched or broadcast operands,
transA, alpha/beta, a full bias matrix) becomes ``matmul``, whose operands are read in
place when a Transpose of the last two dims only changed their order. Conv and MaxPool
run on NHWC (their output stays NHWC until a consumer needs the ONNX order).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_facts import attrs
from tinydeploy.frontend.pulp.integer.params import exact_ints
from tinydeploy.frontend.pulp.integer.values import Builder, TVal, permuted
from tinydeploy.frontend.pulp.layers import _out_hw, _pool_geometry, _spatial

NHWC = {4: (0, 2, 3, 1), 3: (0, 2, 1)}


def int8_const(b: Builder, name: str, what: str) -> np.ndarray:
    w = exact_ints(b, b.const_of(name, what), what)
    if w.size and (w.min() < -128 or w.max() > 127):
        raise b.error(f"{what} '{name}' spans [{w.min()}, {w.max()}], beyond int8")
    return w.astype(np.int8)


def _swap(rank: int) -> tuple[int, ...]:
    return tuple(range(rank - 2)) + (rank - 1, rank - 2)


def operand(b: Builder, v: TVal) -> tuple[str, bool, TVal]:
    """An activation matrix operand: (IR tensor, transposed, value) where the tensor holds
    the source [.., r, c] (False) or [.., c, r] (True), whichever is already in memory."""
    v = b.narrow(b.applied(v), ("int8",), "a matrix product")
    ident = tuple(range(len(v.shape)))
    for perm, trans in ((ident, False), (_swap(len(v.shape)), True)):
        if b.free(v, perm):
            return b.laid_out(v, perm), trans, v
    return b.laid_out(v, ident), False, v


def _range(a_lo, a_hi, b_lo, b_hi, k: int) -> tuple[int, int]:
    c = [a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi]
    return k * min(c), k * max(c)


def _fc_range(v: TVal, w: np.ndarray, bias) -> tuple[int, int]:
    """Range of sum_k w[n, k] x[k] (+ bias[n]) over x in [v.lo, v.hi]."""
    w64 = w.astype(np.int64)
    lo = np.minimum(w64 * v.lo, w64 * v.hi).sum(axis=1)
    hi = np.maximum(w64 * v.lo, w64 * v.hi).sum(axis=1)
    if bias is not None:
        lo, hi = lo + bias, hi + bias
    return int(lo.min()), int(hi.max())


def _fully_connected(b: Builder, node, v: TVal, w_nk: np.ndarray, bias) -> None:
    """x [.., K] times a constant weight [N, K] (+ int32 bias [N])."""
    v = b.narrow(b.applied(v), ("int8", "int16"), node.op_type)
    k, n = v.shape[-1], w_nk.shape[0]
    rows = v.size // k
    x2 = b.reshaped(v, (rows, k))
    wn = b.const(f"{node.input[1]}", np.ascontiguousarray(w_nk))
    y = b.tensor(f"{node.output[0]}_acc", (rows, n), "int32")
    state = {"bias": None if bias is None else np.asarray(bias, np.int64)}

    def emit_bias() -> str:
        return "" if state["bias"] is None else b.const(f"{node.output[0]}_bias",
                                                        state["bias"].astype(np.int32))
    op = b.op("fully_connected", [x2.ir, wn, emit_bias()], [y])
    out_shape = tuple(v.shape[:-1]) + (n,)
    lo, hi = _fc_range(v, w_nk, state["bias"])
    out = TVal(y, out_shape, lo, hi)          # the IR keeps [rows, n]: same bytes
    b.vals[node.output[0]] = out

    def fold(c: np.ndarray) -> TVal | None:
        c = np.asarray(c, np.int64)
        if c.ndim > len(out_shape) or any(d != 1 for d in c.shape[:-1]) or \
                c.shape[-1:] not in ((1,), (n,), ()):
            return None
        add = np.broadcast_to(c.reshape(-1), (n,))
        state["bias"] = add if state["bias"] is None else state["bias"] + add
        if np.abs(state["bias"]).max() >= 2**31:
            return None
        i = b.ops.index(op)
        b.ops[i] = op.with_(inputs=(x2.ir, wn, emit_bias()))
        lo2, hi2 = _fc_range(v, w_nk, state["bias"])
        return replace(out, lo=lo2, hi=hi2)
    b.accumulators[node.output[0]] = fold


def _matmul(b: Builder, node, a, w, trans_a: bool, trans_b: bool, alpha: int = 1,
            beta: int = 1, bias=None) -> None:
    """The general product: ``a``/``w`` are TVals or int8 constant arrays (matrices as the
    source holds them; ``trans_*``: the source operand is stored transposed)."""
    def side(x, trans: bool, base: str):
        if isinstance(x, np.ndarray):
            m = np.swapaxes(x, -1, -2) if trans else x      # the logical matrix
            if base == "b":                  # stored [.., N, K]: contiguous k for the kernel
                return b.const(f"{node.output[0]}_{base}", np.ascontiguousarray(
                    np.swapaxes(m, -1, -2))), True, m.shape, -128, 127
            return b.const(f"{node.output[0]}_{base}", np.ascontiguousarray(m)), False, \
                m.shape, -128, 127
        v = permuted(x, _swap(len(x.shape))) if trans else x
        ir, t, nv = operand(b, v)
        return ir, t, v.shape, nv.lo, nv.hi
    a_ir, ta, a_shape, a_lo, a_hi = side(a, trans_a, "a")
    b_ir, tb, b_shape, b_lo, b_hi = side(w, trans_b, "b")
    if a_shape[-1] != b_shape[-2]:
        raise b.error(f"MatMul of {list(a_shape)} by {list(b_shape)}: inner dims differ")
    k = a_shape[-1]
    try:
        batch = tuple(np.broadcast_shapes(tuple(a_shape[:-2]), tuple(b_shape[:-2])))
    except ValueError:
        raise b.error(f"batch dims of {list(a_shape)} and {list(b_shape)} do not broadcast")
    out_shape = batch + (a_shape[-2], b_shape[-1])
    lo, hi = _range(a_lo, a_hi, b_lo, b_hi, k)
    lo, hi = sorted((lo * alpha, hi * alpha))
    y = b.tensor(node.output[0], out_shape, "int32")
    state = {"bias": None if bias is None else np.asarray(bias, np.int64) * beta}

    def ins() -> list[str]:
        if state["bias"] is None:
            return [a_ir, b_ir, ""]
        return [a_ir, b_ir, b.const(f"{node.output[0]}_bias", state["bias"].astype(np.int32))]
    op = b.op("matmul", ins(), [y], k=int(k), trans_a=ta, trans_b=tb, alpha=int(alpha),
              beta=1)

    def with_bias(lo0, hi0) -> tuple[int, int]:
        if state["bias"] is None:
            return lo0, hi0
        return lo0 + int(state["bias"].min()), hi0 + int(state["bias"].max())
    b.vals[node.output[0]] = TVal(y, out_shape, *with_bias(lo, hi))

    def fold(c: np.ndarray) -> TVal | None:
        c = np.asarray(c, np.int64)
        try:
            if np.broadcast_shapes(c.shape, out_shape) != out_shape:
                return None
        except ValueError:
            return None
        new = c if state["bias"] is None else state["bias"] + c
        if np.abs(new).max() >= 2**31:
            return None
        state["bias"] = new
        b.ops[b.ops.index(op)] = op.with_(inputs=tuple(ins()))
        return TVal(y, out_shape, *with_bias(lo, hi))
    b.accumulators[node.output[0]] = fold


def matmul(b: Builder, node) -> None:
    a_name, w_name = node.input[0], node.input[1]
    a = int8_const(b, a_name, "A") if a_name in b.consts else b.val(a_name)
    w = int8_const(b, w_name, "B") if w_name in b.consts else b.val(w_name)
    if isinstance(a, np.ndarray) or len(a.shape) < 2 or \
            (not isinstance(w, np.ndarray) and len(w.shape) < 2):
        if isinstance(a, np.ndarray) or len(a.shape) < 1:
            raise b.error("MatMul of a constant by an activation is not supported")
    if isinstance(w, np.ndarray) and w.ndim == 2 and not isinstance(a, np.ndarray) \
            and len(a.shape) >= 2:
        _fully_connected(b, node, a, w.T, None)
        return
    if not isinstance(a, np.ndarray) and len(a.shape) == 1 or \
            (not isinstance(w, np.ndarray) and len(w.shape) == 1):
        raise b.error("MatMul of a 1-D activation is not supported")
    _matmul(b, node, a, w, False, False)


def _int_attr(b: Builder, value, what: str) -> int:
    if not np.isfinite(float(value)) or float(value) != int(value):
        raise b.error(f"Gemm {what} = {value} is not an integer (integer graphs only)")
    if abs(int(value)) > 2**31 - 1:
        raise b.error(f"Gemm {what} = {value} is outside the int32 range of the kernels")
    return int(value)


def _gemm_shapes(b: Builder, xs: tuple, ws: tuple, ta: bool, tb: bool, cs) -> None:
    """A = x (transposed if transA) is [M, K], B = w (transposed if transB) [K, N], C
    broadcasts to [M, N] (unidirectionally): else the node is refused naming the shapes."""
    if len(ws) != 2:
        raise b.error(f"Gemm B of shape {list(ws)} (ONNX Gemm is 2-D)", TinyDeployError)
    m, k = xs[::-1] if ta else xs
    k2, n = ws[::-1] if tb else ws
    if k != k2:
        raise b.error(f"Gemm A {list(xs)} (transA={int(ta)}) and B {list(ws)} "
                      f"(transB={int(tb)}) do not share their inner dimension",
                      TinyDeployError)
    if cs is not None and (len(cs) > 2 or any(
            d not in (1, full) for d, full in zip(cs[::-1], (n, m)))):
        raise b.error(f"Gemm C of shape {list(cs)} does not broadcast to [{m}, {n}]",
                      TinyDeployError)


def gemm(b: Builder, node) -> None:
    a = attrs(node)
    alpha = _int_attr(b, a.get("alpha", 1.0), "alpha")
    beta = _int_attr(b, a.get("beta", 1.0), "beta")
    ta, tb = bool(a.get("transA", 0)), bool(a.get("transB", 0))
    x = b.val(node.input[0])
    w_name = node.input[1]
    w = int8_const(b, w_name, "B") if w_name in b.consts else b.val(w_name)
    c = None
    if len(node.input) > 2 and node.input[2]:
        c = exact_ints(b, b.const_of(node.input[2], "C"), "C")
    if len(x.shape) != 2:
        raise b.error(f"Gemm of a {len(x.shape)}-D input (ONNX Gemm is 2-D)", TinyDeployError)
    _gemm_shapes(b, tuple(x.shape), tuple(w.shape), ta, tb, None if c is None else c.shape)
    if isinstance(w, np.ndarray) and alpha == 1 and not ta and \
            (c is None or c.size == 1 or (c.ndim <= 2 and all(d == 1 for d in c.shape[:-1]))):
        n = w.shape[0] if tb else w.shape[1]
        bias = None if c is None else np.broadcast_to(c.reshape(-1), (n,)) * beta
        _fully_connected(b, node, x, w if tb else w.T, bias)
        return
    _matmul(b, node, x, w, ta, tb, alpha, beta, c)


def _nhwc(b: Builder, v: TVal, allowed) -> tuple[TVal, str]:
    """A 3-D/4-D value as an NHWC IR tensor ([N, C, L] as [N, 1, L, C])."""
    v = b.narrow(b.applied(v), allowed)
    rank = len(v.shape)
    if rank not in NHWC:
        raise b.error(f"{b.node.op_type} of a {rank}-D input is not supported (1-D or 2-D)")
    ir = b.laid_out(v, NHWC[rank])
    if rank == 3:
        t = b.t(ir)
        y = b.tensor(f"{ir}_4d", (t.shape[0], 1, t.shape[1], t.shape[2]), t.dtype,
                     t.quant.zp)
        b.op("reshape", [ir], [y], name=y)
        ir = y
    return v, ir


def _onnx_shape(x_shape, c: int, oh: int, ow: int) -> tuple[int, ...]:
    return (x_shape[0], c, ow) if len(x_shape) == 3 else (x_shape[0], c, oh, ow)


def conv(b: Builder, node) -> None:
    a = attrs(node)
    x, xin = _nhwc(b, b.val(node.input[0]), ("int8", "int16"))
    w = int8_const(b, node.input[1], "weight")
    rank = len(x.shape)
    if w.ndim != rank:
        raise b.error(f"weight {list(w.shape)} for a {rank}-D input")
    if w.ndim == 3:
        w = w[:, :, None, :]
    c_out, w_c, kh, kw = w.shape
    group = int(a.get("group", 1))
    xt = b.t(xin)
    c_in = xt.shape[3]
    if group < 1 or c_out % group or c_in != w_c * group:
        raise b.error(f"weight {list(w.shape)} does not fit {c_in} input channels in "
                      f"{group} groups", TinyDeployError)
    stride, dil, pads = _spatial(b, node, rank, x.shape, (kh, kw) if rank == 4 else (kw,))
    oh, ow = _out_hw(b, xt.shape[1:3], (kh, kw), stride, dil, pads)
    bias = ""
    bv = np.zeros(c_out, np.int64)
    if len(node.input) > 2 and node.input[2]:
        bv = exact_ints(b, b.const_of(node.input[2], "bias"), "bias").reshape(-1)
        if bv.size != c_out or np.abs(bv).max() >= 2**31:
            raise b.error(f"bias must be {c_out} int32 values")
        bias = b.const(node.input[2], bv.astype(np.int32))
    y = b.tensor(f"{node.output[0]}_nhwc", (xt.shape[0], oh, ow, c_out), "int32")
    common = dict(stride=stride, dilation=dil, pads=pads)
    if group == c_in and group > 1 and xt.dtype == "int8":
        wd = b.const(node.input[1], w[:, 0].transpose(1, 2, 0).copy())
        b.op("depthwise_conv2d", [xin, wd, bias], [y], depth_multiplier=c_out // c_in,
             **common)
    else:
        b.op("conv2d", [xin, b.const(node.input[1], w.transpose(0, 2, 3, 1).copy()), bias],
             [y], **common)
    taps = np.abs(w.astype(np.int64)).reshape(c_out, -1).sum(axis=1)
    reach = max(abs(x.lo), abs(x.hi))
    lo, hi = int((bv - taps * reach).min()), int((bv + taps * reach).max())
    shape = _onnx_shape(x.shape, c_out, oh, ow)
    b.vals[node.output[0]] = TVal(y, shape, lo, hi, NHWC[rank])


def max_pool(b: Builder, node) -> None:
    x, xin = _nhwc(b, b.val(node.input[0]), ("int8",))
    view = TVal(xin, x.shape, x.lo, x.hi)
    k, stride, pads, oh, ow, _ = _pool_geometry(b, node, view)
    t = b.t(xin)
    y = b.tensor(f"{node.output[0]}_nhwc", (t.shape[0], oh, ow, t.shape[3]), "int8",
                 t.quant.zp)
    b.op("max_pool2d", [xin], [y], kernel=k, stride=stride, pads=pads)
    b.vals[node.output[0]] = TVal(y, _onnx_shape(x.shape, t.shape[3], oh, ow), x.lo, x.hi,
                                  NHWC[len(x.shape)])


HANDLERS = {"MatMul": matmul, "Gemm": gemm, "Conv": conv, "MaxPool": max_pool}
