"""softmax_ce_grad (float32; kernel td_softmax_ce_grad_f32): the gradient of the mean
softmax cross-entropy loss w.r.t. the logits from the log-probabilities and int64 labels,
as Deeploy's SoftmaxCrossEntropyLossGrad computes it (no incoming dY): per row i and
column j, p = expf(log_prob[i, j]), b = 1.0f / N, dx = ((p - 1.0f) * b) * b where j is
the row's label and (p * b) * b elsewhere (Deeploy divides by N twice; its outputs.npz
says so). The forward SoftmaxCrossEntropyLoss output log_prob is log_softmax."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden.float32._common import F32, libm, require


@dataclass(frozen=True, eq=False)
class SoftmaxCeGradF32Args(KernelArgs):
    C_FUNC = "td_softmax_ce_grad_f32"

    rows: int
    n: int
    batch: int


def prepare(g: Graph, op: Op) -> SoftmaxCeGradF32Args:
    lp, lab, dx = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    require(lp.dtype == dx.dtype == "float32", op, "log_prob and dx must be float32")
    require(lab.dtype == "int64", op, f"labels '{lab.name}' are {lab.dtype} (int64 only)")
    require(len(lp.shape) == 2 and lp.shape == dx.shape, op,
            f"log_prob {list(lp.shape)} and dx {list(dx.shape)}: one [N, C] shape")
    require(lab.size == lp.shape[0], op, f"{lab.size} labels for {lp.shape[0]} rows")
    batch = int(op.attrs.get("batch", lp.shape[0]))
    require(batch >= 1, op, f"batch {batch} must be >= 1")
    return SoftmaxCeGradF32Args(int(lp.shape[0]), int(lp.shape[1]), batch)


def run(p: SoftmaxCeGradF32Args, log_prob: np.ndarray, labels: np.ndarray) -> np.ndarray:
    prob = libm(np.exp, np.asarray(log_prob, dtype=F32).reshape(p.rows, p.n))
    b = F32(1.0) / F32(p.batch)
    hit = np.arange(p.n)[None, :] == np.asarray(labels, dtype=np.int64).reshape(p.rows, 1)
    dx = np.where(hit, ((prob - F32(1.0)) * b) * b, (prob * b) * b)
    return dx.astype(F32).reshape(-1)


register("softmax_ce_grad", prepare, run, SoftmaxCeGradF32Args)
