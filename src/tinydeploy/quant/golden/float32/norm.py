"""norm (float32): layer/group/instance/RMS normalization of rows of ``inner`` elements
(kernel td_norm_f32; the formula is its header's, sums in float32 in element order)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, scalar_field
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden.float32._common import F32, all_f32, finite, require, seq_sum

MODES = ("layer", "rms")


@dataclass(frozen=True, eq=False)
class NormF32Args(KernelArgs):
    C_FUNC = "td_norm_f32"

    mode: int
    rows: int
    inner: int
    scale_stride: int
    scale_len: int
    epsilon: float = scalar_field("float", 1e-5)


def prepare(g: Graph, op: Op) -> NormF32Args:
    ts = all_f32(g, op)
    x, scale, y = ts[0], g.t(op.inputs[1]), ts[-1]
    bias = g.t(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] else None
    mode = op.attrs.get("mode", "layer")
    require(mode in MODES, op, f"unknown mode '{mode}'")
    inner = int(op.attrs["inner"])
    stride, length = int(op.attrs.get("scale_stride", 1)), int(op.attrs["scale_len"])
    require(x.shape == y.shape and inner >= 1 and x.size % inner == 0, op,
            f"rows of {inner} elements in {list(x.shape)}")
    require(stride >= 1 and length >= 1 and scale.size == length and
            (bias is None or bias.size == length), op,
            f"scale/bias of {length} elements (got {scale.size})")
    finite(op, epsilon=op.attrs.get("epsilon", 1e-5))
    return NormF32Args(MODES.index(mode), x.size // inner, inner, stride, length,
                       float(F32(op.attrs.get("epsilon", 1e-5))))


def run(p: NormF32Args, x: np.ndarray, scale: np.ndarray, bias=None) -> np.ndarray:
    v = np.asarray(x, dtype=F32).reshape(p.rows, p.inner)
    n = F32(p.inner)
    if p.mode == 0:
        mean = seq_sum(v) / n
        d = v - mean[:, None]
        acc = seq_sum(d * d)
    else:
        mean = np.zeros(p.rows, dtype=F32)
        acc = seq_sum(v * v)
    rs = F32(1) / np.sqrt(acc / n + F32(p.epsilon))
    k = (np.arange(v.size) // p.scale_stride % p.scale_len).reshape(v.shape)
    out = (v - mean[:, None]) * rs[:, None] * np.asarray(scale, dtype=F32).reshape(-1)[k]
    if bias is not None:
        out = out + np.asarray(bias, dtype=F32).reshape(-1)[k]
    return out.astype(F32).reshape(-1)


register("norm", prepare, run, NormF32Args)
