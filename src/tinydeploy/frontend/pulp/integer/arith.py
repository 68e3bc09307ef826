"""Handlers of integer arithmetic nodes: RequantShift, Add, Sub, Mul, TrueIntegerDiv,
IntegerDiv (Deeploy's definitions; see the goldens of ``requant``, ``add``, ``mul``,
``integer_div``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_facts import attrs
from tinydeploy.frontend.pulp.deeploy import LIMIT, _attr, _one
from tinydeploy.frontend.pulp.integer.params import (exact_ints, in_ir_order, over_source,
                                                     trailing_channels)
from tinydeploy.frontend.pulp.integer.values import RANGES, Builder, TVal, storage


def _levels(b: Builder, node) -> tuple[int, int, int]:
    """(div, lo, hi) of a RequantShift node, checked."""
    div, levels, signed = (_attr(node, "div"), _attr(node, "n_levels_out", "n_levels"),
                           _attr(node, "signed"))
    if div is None or levels is None or signed is None:
        raise b.error("RequantShift needs the attributes div, n_levels(_out) and signed")
    d, n, s = (_one(b, v, k) for v, k in ((div, "div"), (levels, "n_levels"),
                                          (signed, "signed")))
    if d <= 0 or d != int(d) or d >= LIMIT:
        raise b.error(f"RequantShift div {d:g} is not a positive integer below 2**62",
                      TinyDeployError)
    if n < 2 or n != int(n) or n > 2**32 or s not in (0, 1):
        raise b.error(f"RequantShift n_levels {n:g} / signed {s:g} invalid", TinyDeployError)
    n = int(n)
    lo, hi = (-(n // 2), n // 2 - 1) if s else (0, n - 1)
    return int(d), max(lo, -(2**31)), min(hi, 2**31 - 1)


def requant_shift(b: Builder, node) -> None:
    """y = clip(floor((x * mul + add + div / 2) / div)), mul/add per element (broadcast)."""
    if len(node.input) != 3 or not all(node.input):
        raise b.error(f"RequantShift has inputs {list(node.input)} (expected x, mul, add)",
                      TinyDeployError)
    d, lo, hi = _levels(b, node)
    x = b.val(node.input[0])
    mul = over_source(b, exact_ints(b, b.const_of(node.input[1], "mul"), "mul"), x.shape,
                      "mul") * x.factor
    add = over_source(b, exact_ints(b, b.const_of(node.input[2], "add"), "add"), x.shape,
                      "add") + d // 2
    worst = int(np.abs(mul).max()) * max(abs(x.lo), abs(x.hi)) + int(np.abs(add).max())
    if worst >= LIMIT:
        raise b.error(f"requant intermediates up to {float(worst):.3g}, beyond the int64 "
                      "range of the kernel")
    ends = [x.lo * mul + add, x.hi * mul + add]
    y_lo = max(lo, int(min(np.floor_divide(e, d).min() for e in ends)))
    y_hi = min(hi, int(max(np.floor_divide(e, d).max() for e in ends)))
    y_lo, y_hi = min(y_lo, y_hi), max(y_lo, y_hi)
    if mul.size == 1 and add.size == 1 and int(mul.flat[0]) == d and 0 <= add.flat[0] < d \
            and lo <= x.lo and x.hi <= hi:                        # y == x: nothing to do
        b.vals[node.output[0]] = replace(x, factor=1)
        return
    src = b.t(x.ir)
    common = np.broadcast_shapes(mul.shape, add.shape)
    full = tuple(x.shape[p] for p in x.perm) if x.perm else x.shape
    ch_mul = trailing_channels(in_ir_order(x, np.broadcast_to(mul, common)), full)
    ch_add = trailing_channels(in_ir_order(x, np.broadcast_to(add, common)), full)
    ch = ch_mul.size
    xin = x.ir
    if ch > 1 and src.shape[-1] != ch:          # the kernels walk channels on the last axis
        xin = b.tensor(f"{x.ir}_c", (x.size // ch, ch), src.dtype, src.quant.zp)
        b.op("reshape", [x.ir], [xin], name=xin)
    dtype, zp = storage(y_lo, y_hi)
    y = b.tensor(node.output[0], b.t(xin).shape, dtype, zp)
    b.op("requant", [xin], [y], mul=ch_mul.astype(object), add=ch_add.astype(object),
         div=d, rounding="floor", clip=(y_lo, y_hi), x_range=(int(x.lo), int(x.hi)))
    if b.t(y).shape != src.shape:
        y2 = b.tensor(f"{node.output[0]}_v", src.shape, dtype, zp)
        b.op("reshape", [y], [y2], name=y2)
        y = y2
    b.vals[node.output[0]] = TVal(y, x.shape, y_lo, y_hi, x.perm)


def _const_operand(b: Builder, c: np.ndarray, shape) -> tuple[str, int, int]:
    """An IR constant for an integer operand (narrowest type), and its range."""
    c = exact_ints(b, c, "constant operand")
    lo, hi = int(c.min()), int(c.max())
    dtype = next(t for t in ("int8", "int16", "int32")
                 if RANGES[t][0] <= lo and hi <= RANGES[t][1])
    return b.const(f"{b.node.output[0]}_c", c.astype(dtype)), lo, hi


def _fold_bias(b: Builder, name: str, c: np.ndarray, sign: int) -> bool:
    """Add a constant into the bias of the accumulator op computing ``name`` (MatMul/Gemm
    followed by Add(bias)), when nothing else reads the raw sum."""
    acc = b.accumulators.get(name)
    if acc is None or b.uses.get(name, 0) != 1:
        return False
    return acc(c * sign)


def add_sub(b: Builder, node) -> None:
    sign = -1 if node.op_type == "Sub" else 1
    a_name, c_name = node.input[0], node.input[1]
    consts = [n in b.consts for n in (a_name, c_name)]
    if consts[1] or consts[0]:
        v_name, k_name = (a_name, c_name) if consts[1] else (c_name, a_name)
        v_mult, k_mult = (1, sign) if consts[1] else (sign, 1)
        k = exact_ints(b, b.consts[k_name], "constant operand")
        if v_mult == 1 and _fold_bias(b, v_name, k, k_mult):
            b.vals[node.output[0]] = b.vals[v_name]
            return
        v = b.applied(b.val(v_name))
        v = replace(v, ir=b.laid_out(v), perm=None)
        kc, klo, khi = _const_operand(b, k, v.shape)
        ins, mults = ([v.ir, kc], (v_mult, k_mult)) if consts[1] else ([kc, v.ir],
                                                                       (k_mult, v_mult))
        ranges = [(v.lo, v.hi, v_mult), (klo, khi, k_mult)]
        shape, perm = tuple(np.broadcast_shapes(v.shape, k.shape)), None
    else:
        va, vc, shape, perm = _pair(b, a_name, c_name)
        ins, mults = [va.ir, vc.ir], (1, sign)
        ranges = [(va.lo, va.hi, 1), (vc.lo, vc.hi, sign)]
    lo = sum(min(p * m, q * m) for p, q, m in ranges)
    hi = sum(max(p * m, q * m) for p, q, m in ranges)
    if max(abs(lo), abs(hi)) >= 2**31:
        raise b.error(f"the sum spans [{lo}, {hi}], beyond int32")
    _emit(b, node, "add", ins, shape, perm, lo, hi, mults=mults)


def _emit(b: Builder, node, kind: str, ins, shape, perm, lo: int, hi: int, **attrs) -> None:
    """The int32 result of an elementwise op on IR tensors ``ins``: two activations of one
    layout keep it (``perm``, their IR shape), else the operands are in the source order
    and shape and broadcast (numpy rules) to ``shape``."""
    same = len(ins) == 2 and b.t(ins[0]).shape == b.t(ins[1]).shape and \
        not b.t(ins[1]).is_const and not b.t(ins[0]).is_const
    ir_shape = b.t(ins[0]).shape if same else shape
    y = b.tensor(node.output[0], ir_shape, "int32")
    b.op(kind, ins, [y], x_range=(lo, hi), **attrs)
    b.vals[node.output[0]] = TVal(y, tuple(shape), lo, hi, perm)


def _pair(b: Builder, a_name: str, c_name: str):
    """Two activations as IR tensors of one layout: their common ``perm`` when both have
    the same shape and order, else both in the source order."""
    va, vc = b.applied(b.val(a_name)), b.applied(b.val(c_name))
    shape = tuple(np.broadcast_shapes(va.shape, vc.shape))
    if va.shape == vc.shape and va.perm == vc.perm and b.t(va.ir).shape == b.t(vc.ir).shape:
        return va, vc, shape, va.perm
    va = replace(va, ir=b.laid_out(va), perm=None)
    vc = replace(vc, ir=b.laid_out(vc), perm=None)
    return va, vc, shape, None


def mul(b: Builder, node) -> None:
    a_name, c_name = node.input[0], node.input[1]
    if a_name in b.consts or c_name in b.consts:
        v_name, k_name = (a_name, c_name) if c_name in b.consts else (c_name, a_name)
        k = exact_ints(b, b.consts[k_name], "constant factor")
        v = b.val(v_name)
        if k.size == 1 and abs(int(k.flat[0])) < 2**31 and \
                np.broadcast_shapes(v.shape, k.shape) == v.shape:
            f = int(k.flat[0])
            b.vals[node.output[0]] = replace(v, factor=v.factor * f)     # exact, pending
            return
        v = b.applied(v)
        v = replace(v, ir=b.laid_out(v), perm=None)
        kc, klo, khi = _const_operand(b, k, v.shape)
        ins, (alo, ahi), (clo, chi) = [v.ir, kc], (v.lo, v.hi), (klo, khi)
        shape, perm = tuple(np.broadcast_shapes(v.shape, k.shape)), None
    else:
        va, vc, shape, perm = _pair(b, a_name, c_name)
        ins, (alo, ahi), (clo, chi) = [va.ir, vc.ir], (va.lo, va.hi), (vc.lo, vc.hi)
    corners = [alo * clo, alo * chi, ahi * clo, ahi * chi]
    lo, hi = min(corners), max(corners)
    if max(abs(lo), abs(hi)) >= 2**31:
        raise b.error(f"the product spans [{lo}, {hi}], beyond int32")
    _emit(b, node, "mul", ins, shape, perm, lo, hi)


def _ints_attr(b: Builder, node, *names) -> list[int]:
    a = attrs(node)
    out = []
    for n in names:
        if n not in a:
            raise b.error(f"{node.op_type} needs the attribute {n}", TinyDeployError)
        out.append(int(_one(b, a[n], n)))
    return out


def true_integer_div(b: Builder, node) -> None:
    """x * floor(Delta * eta / (y * eta + eps)): Deeploy merges it into the RequantShift
    that follows (MergeTrueIntegerDivRequantShiftPass); here it is a pending factor."""
    delta, eps, eta, yv = _ints_attr(b, node, "Delta", "eps", "eta", "y")
    den = yv * eta + eps
    if den <= 0:
        raise b.error(f"TrueIntegerDiv divides by y * eta + eps = {den}", TinyDeployError)
    k = (delta * eta) // den
    v = b.val(node.input[0])
    b.vals[node.output[0]] = replace(v, factor=v.factor * k)


def integer_div(b: Builder, node) -> None:
    delta, eps, eta = _ints_attr(b, node, "Delta", "eps", "eta")
    va = b.contiguous(b.val(node.input[0]))
    vb = b.contiguous(b.val(node.input[1]))
    y = b.tensor(node.output[0], va.shape, "int32")
    b.op("integer_div", [va.ir, vb.ir], [y], delta=delta, eps=eps, eta=eta,
         b_range=(int(vb.lo), int(vb.hi)))
    reach = abs(delta) * max(abs(va.lo), abs(va.hi)) + 1
    b.vals[node.output[0]] = TVal(y, va.shape, -reach, reach)


HANDLERS = {"RequantShift": requant_shift, "Add": add_sub, "Sub": add_sub, "Mul": mul,
            "TrueIntegerDiv": true_integer_div, "IntegerDiv": integer_div}
