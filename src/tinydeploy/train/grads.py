"""Reverse-mode rules: for one forward op and the gradient ``dy`` of its output, the ops
that give the gradients of the inputs that need one (``need[i]``).

Every rule is written with IR kinds that have a numpy golden and a C kernel: ``matmul``
(with its transpose flags and ``alpha``), ``reshape``, the backward kinds (``act_grad``,
``conv2d_grad_input``/``_weight``, ``depthwise_conv2d_grad_input``/``_weight``,
``avg_pool2d_grad``, ``max_pool2d_grad``). A bias gradient is a sum over the rows: the
product of a row of ones with the [rows, C] gradient. A fused activation (``act``) is
undone first from the op's output (``act_grad``). Ops without a rule are refused naming
the layer, when a gradient has to pass through them.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Op
from tinydeploy.train.builder import StepBuilder

ACT_GRADS = ("relu", "relu6")


def _refuse(b: StepBuilder, op: Op, why: str) -> UnsupportedError:
    return UnsupportedError(f"layer '{op.name}' ({op.kind}): {why}",
                            file=b.source.source or None)


def undo_act(b: StepBuilder, op: Op, dy: str) -> str:
    """The gradient before the op's fused activation."""
    act = op.attrs.get("act", "none")
    if act == "none":
        return dy
    if act not in ACT_GRADS:
        raise _refuse(b, op, f"no gradient for the fused activation '{act}'")
    return b.new("act_grad", f"{op.name}_act_grad", [dy, op.outputs[0]], b.t(dy).shape,
                 fn=act)


def _rows_sum(b: StepBuilder, g2: str, name: str, shape) -> str:
    """Sum over the rows of a [rows, C] gradient, reshaped to ``shape`` (a bias)."""
    rows, cols = b.t(g2).shape
    if rows == 1:
        return b.reshape(g2, shape, name)
    ones = b.const(f"{name}_ones", np.ones((1, rows), np.float32))
    s = b.new("matmul", name, [ones, g2], (1, cols), k=rows)
    return b.reshape(s, shape, f"{name}_shape")


def fully_connected(b: StepBuilder, op: Op, dy: str, need: list[bool]) -> dict[int, str]:
    x, w = op.inputs[0], op.inputs[1]
    n_out, k = b.t(w).shape
    rows = b.t(x).size // k
    d = undo_act(b, op, dy)
    d2 = b.reshape(d, (rows, n_out), f"{op.name}_dy2")
    out = {}
    if need[1]:                              # dW = dY^T X  [C_out, C_in]
        x2 = b.reshape(x, (rows, k), f"{op.name}_x2")
        out[1] = b.new("matmul", f"{op.name}_dw", [d2, x2], (n_out, k), k=rows, trans_a=1)
    if len(op.inputs) > 2 and op.inputs[2] and need[2]:
        out[2] = _rows_sum(b, d2, f"{op.name}_db", b.t(op.inputs[2]).shape)
    if need[0]:                              # dX = dY W  [rows, C_in]
        dx = b.new("matmul", f"{op.name}_dx", [d2, w], (rows, k), k=n_out)
        out[0] = b.reshape(dx, b.t(x).shape, f"{op.name}_dx_shape")
    return out


def matmul(b: StepBuilder, op: Op, dy: str, need: list[bool]) -> dict[int, str]:
    """2-D ``matmul`` (as :mod:`tinydeploy.train.lora` writes it, and plain ONNX MatMul /
    Gemm): y = alpha * op(A) op(B) + beta * C."""
    a, w = op.inputs[0], op.inputs[1]
    c = op.inputs[2] if len(op.inputs) > 2 else ""
    if len(b.t(a).shape) != 2 or len(b.t(w).shape) != 2:
        raise _refuse(b, op, "gradients of batched (>2-D) products are not supported")
    ta, tb = bool(op.attrs.get("trans_a")), bool(op.attrs.get("trans_b"))
    alpha, beta = float(op.attrs.get("alpha", 1.0)), float(op.attrs.get("beta", 1.0))
    m, n = b.t(op.outputs[0]).shape
    k = int(op.attrs["k"])
    d = undo_act(b, op, dy)
    out = {}
    if need[0]:       # dA = alpha dY op(B)^T, stored as A is ([M, K], or [K, M] if ta)
        if ta:        # A^T = [K, M] = alpha op(B) dY^T
            out[0] = b.new("matmul", f"{op.name}_da", [w, d], (k, m), k=n,
                           trans_a=int(tb), trans_b=1, alpha=alpha)
        else:
            out[0] = b.new("matmul", f"{op.name}_da", [d, w], (m, k), k=n,
                           trans_b=int(not tb), alpha=alpha)
    if need[1]:       # dB = alpha op(A)^T dY, stored as B is ([K, N], or [N, K] if tb)
        if tb:
            out[1] = b.new("matmul", f"{op.name}_db", [d, a], (n, k), k=m, trans_a=1,
                           trans_b=int(ta), alpha=alpha)
        else:
            out[1] = b.new("matmul", f"{op.name}_db", [a, d], (k, n), k=m,
                           trans_a=int(not ta), alpha=alpha)
    if c and need[2]:
        if b.t(c).shape not in ((m, n),) and b.t(c).size != n:
            raise _refuse(b, op, f"the gradient of a bias {list(b.t(c).shape)} broadcast "
                          "over columns is not supported")
        if b.t(c).shape == (m, n):
            g = d
        else:
            g = _rows_sum(b, d, f"{op.name}_dc", b.t(c).shape)
        if beta != 1.0:
            s = b.const(f"{op.name}_beta", np.float32(beta))
            g = b.new("mul", f"{op.name}_dc_beta", [s, g], b.t(g).shape)
        out[2] = g
    return out


def _conv(kind: str):
    def rule(b: StepBuilder, op: Op, dy: str, need: list[bool]) -> dict[int, str]:
        x, w = op.inputs[0], op.inputs[1]
        geometry = {k: v for k, v in op.attrs.items() if k != "act"}
        d = undo_act(b, op, dy)
        out = {}
        if need[1]:
            out[1] = b.new(f"{kind}_grad_weight", f"{op.name}_dw", [d, x], b.t(w).shape,
                           **geometry)
        if len(op.inputs) > 2 and op.inputs[2] and need[2]:
            c = b.t(d).shape[-1]
            d2 = b.reshape(d, (b.t(d).size // c, c), f"{op.name}_dy2")
            out[2] = _rows_sum(b, d2, f"{op.name}_db", b.t(op.inputs[2]).shape)
        if need[0]:
            out[0] = b.new(f"{kind}_grad_input", f"{op.name}_dx", [d, w], b.t(x).shape,
                           **geometry)
        return out
    return rule


def add(b: StepBuilder, op: Op, dy: str, need: list[bool]) -> dict[int, str]:
    d = undo_act(b, op, dy)
    shape = b.t(op.outputs[0]).shape
    if any(b.t(n).shape != shape for n in op.inputs):
        raise _refuse(b, op, "gradients of a broadcast add are not supported")
    return {i: d for i in range(len(op.inputs)) if need[i]}


def avg_pool2d(b: StepBuilder, op: Op, dy: str, need: list[bool]) -> dict[int, str]:
    d = undo_act(b, op, dy)
    geometry = {k: v for k, v in op.attrs.items() if k != "act"}
    return {0: b.new("avg_pool2d_grad", f"{op.name}_dx", [d], b.t(op.inputs[0]).shape,
                     **geometry)} if need[0] else {}


def max_pool2d(b: StepBuilder, op: Op, dy: str, need: list[bool]) -> dict[int, str]:
    d = undo_act(b, op, dy)
    geometry = {k: v for k, v in op.attrs.items() if k != "act"}
    return {0: b.new("max_pool2d_grad", f"{op.name}_dx", [d, op.inputs[0]],
                     b.t(op.inputs[0]).shape, **geometry)} if need[0] else {}


def reshape(b: StepBuilder, op: Op, dy: str, need: list[bool]) -> dict[int, str]:
    return {0: b.reshape(dy, b.t(op.inputs[0]).shape, f"{op.name}_dx")} if need[0] else {}


def unary(b: StepBuilder, op: Op, dy: str, need: list[bool]) -> dict[int, str]:
    fn = op.attrs.get("fn")
    if fn not in ACT_GRADS:
        raise _refuse(b, op, f"no gradient rule for the float function '{fn}'")
    return {0: b.new("act_grad", f"{op.name}_dx", [dy, op.outputs[0]], b.t(dy).shape,
                     fn=fn)} if need[0] else {}


RULES = {"fully_connected": fully_connected, "matmul": matmul, "add": add,
         "conv2d": _conv("conv2d"), "depthwise_conv2d": _conv("depthwise_conv2d"),
         "avg_pool2d": avg_pool2d, "max_pool2d": max_pool2d, "reshape": reshape,
         "unary": unary}


def backward_rule(b: StepBuilder, op: Op):
    rule = RULES.get(op.kind)
    if rule is None:
        raise _refuse(b, op, "no gradient rule for this op kind (training passes through "
                      "it)")
    return rule
