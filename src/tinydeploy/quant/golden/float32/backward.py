"""Backward kernels of on-device training (float32; op kinds ir/ops/backward.py): act_grad
and ce_loss here, the conv gradients in backward_conv.py, the pool gradients in
backward_pool.py; the attribute readers they share.

act_grad (td_act_grad_f32): dx[i] = dy[i] where the forward output y[i] lies in the open
range of the activation (relu: y > 0, relu6: 0 < y < 6, relu_n1_to_1: -1 < y < 1), else
0.0f (a NaN y gives 0.0f). No arithmetic: exact.

ce_loss (td_ce_loss_f32): acc = 0.0f; for rows i increasing, acc += log_prob[i,
labels[i]] when 0 <= labels[i] < C (other labels add nothing); loss = -(acc /
(float)batch), batch the rows unless the attribute says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.ir.ops.backward import ACT_GRAD_FNS
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden.float32._common import F32, all_f32, require


def int_attr(op: Op, name: str, default: int) -> int:
    v = op.attrs.get(name, default)
    ok = isinstance(v, (int, np.integer, float, np.floating)) and not isinstance(v, bool) \
        and bool(np.isfinite(v)) and float(v) == int(v)
    require(ok, op, f"attribute {name} = {v!r} is not an integer")
    return int(v)


def int_tuple(op: Op, name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """An attribute of ``len(default)`` integers (e.g. stride, pads)."""
    v = op.attrs.get(name, default)
    try:
        vals = [np.asarray(x).item() for x in v]
    except TypeError:
        vals = None
    ok = vals is not None and len(vals) == len(default) and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x) and
        float(x) == int(x) for x in vals)
    require(ok, op, f"attribute {name} = {v!r} is not {len(default)} integers")
    return tuple(int(x) for x in vals)


def no_act(op: Op) -> None:
    act = op.attrs.get("act", "none")
    require(act in ("none", None), op, f"fused activation '{act}': the gradient of the "
            "activation is an act_grad op of its own (build this op with act 'none')")


@dataclass(frozen=True, eq=False)
class ActGradF32Args(KernelArgs):
    C_FUNC = "td_act_grad_f32"

    size: int
    fn: int


def prepare_act(g: Graph, op: Op) -> ActGradF32Args:
    dy, y, dx = all_f32(g, op)
    require(dy.shape == y.shape == dx.shape, op,
            f"dy {list(dy.shape)}, y {list(y.shape)} and dx {list(dx.shape)} of one shape")
    fn = op.attrs.get("fn", "relu")
    require(fn in ACT_GRAD_FNS, op, f"fn '{fn}' is not one of {', '.join(ACT_GRAD_FNS)}")
    require(dx.size >= 1, op, "an empty tensor")
    return ActGradF32Args(int(dx.size), ACT_GRAD_FNS.index(fn))


def run_act(p: ActGradF32Args, dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    d = np.asarray(dy, dtype=F32).reshape(-1)
    v = np.asarray(y, dtype=F32).reshape(-1)
    lo, hi = ((0, None), (0, 6), (-1, 1))[p.fn]
    active = v > F32(lo)
    if hi is not None:
        active &= v < F32(hi)
    return np.where(active, d, F32(0)).astype(F32)


@dataclass(frozen=True, eq=False)
class CeLossF32Args(KernelArgs):
    C_FUNC = "td_ce_loss_f32"

    rows: int
    n: int
    batch: int


def prepare_ce(g: Graph, op: Op) -> CeLossF32Args:
    lp, lab, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    require(lp.dtype == y.dtype == "float32", op, "log_prob and the loss must be float32")
    require(lab.dtype == "int64", op, f"labels '{lab.name}' are {lab.dtype} (int64 only)")
    require(len(lp.shape) == 2 and lp.size >= 1, op,
            f"log_prob {list(lp.shape)} is not a non-empty [N, C] matrix")
    require(lab.size == lp.shape[0], op, f"{lab.size} labels for {lp.shape[0]} rows")
    require(y.size == 1, op, f"the loss {list(y.shape)} must hold one value")
    batch = int_attr(op, "batch", int(lp.shape[0]))
    require(batch >= 1, op, f"batch {batch} must be >= 1")
    return CeLossF32Args(int(lp.shape[0]), int(lp.shape[1]), batch)


def run_ce(p: CeLossF32Args, log_prob: np.ndarray, labels: np.ndarray) -> np.ndarray:
    lp = np.asarray(log_prob, dtype=F32).reshape(p.rows, p.n)
    lab = np.asarray(labels, dtype=np.int64).reshape(-1)
    acc = F32(0)
    for i in range(p.rows):
        if 0 <= lab[i] < p.n:
            acc = F32(acc + lp[i, lab[i]])
    return np.array([-(acc / F32(p.batch))], dtype=F32)


register("act_grad", prepare_act, run_act, ActGradF32Args)
register("ce_loss", prepare_ce, run_ce, CeLossF32Args)
