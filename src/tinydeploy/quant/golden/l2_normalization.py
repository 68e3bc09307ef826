"""l2_normalization (int8): TFLite Micro's quantized L2_NORMALIZATION over the last axis.

Per row: ``v = x - zp_in``, ``acc = sum v^2`` (int32), ``1/sqrt(acc)`` as TFLite's
``GetInvSqrtQuantizedMultiplierExp`` (:func:`.rsqrt.inv_sqrt`), and ``y =
MultiplyByQuantizedMultiplier(v, inv, shift + 7)`` clamped to int8: the output is read with
scale 1/128 and zero point 0 (TFLite's), whatever the tensor says. Kernel
``td_l2_normalization_s8``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register, require_same_size
from tinydeploy.quant.golden.rsqrt import inv_sqrt
from tinydeploy.quant.requant import multiply_by_quantized_multiplier

OUTPUT_SHIFT = 7
MAX_DEPTH = 33025            # 255^2 per element: the int32 sum of squares cannot overflow


@dataclass(frozen=True, eq=False)
class L2NormalizationArgs(KernelArgs):
    C_FUNC = "td_l2_normalization_s8"
    outer: int
    depth: int
    input_zero_point: int


def prepare(g: Graph, op: Op) -> L2NormalizationArgs:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "int8" or y.dtype != "int8" or x.quant is None:
        raise UnsupportedError(f"l2_normalization: {x.dtype} -> {y.dtype} (int8 only: "
                               "TFLite Micro has no int16 L2_NORMALIZATION)", node=op.name)
    depth = x.shape[-1] if x.shape else 1
    if depth > MAX_DEPTH:
        raise UnsupportedError(f"l2_normalization: rows of {depth} overflow the int32 sum "
                               "of squares", node=op.name)
    return L2NormalizationArgs(x.size // depth, depth, x.quant.zp)


def run(a: L2NormalizationArgs, x: np.ndarray) -> np.ndarray:
    v = np.ascontiguousarray(x).astype(np.int64).reshape(a.outer, a.depth) - a.input_zero_point
    out = np.empty_like(v)
    for r in range(a.outer):
        inv, shift = inv_sqrt(int((v[r] * v[r]).sum()))
        out[r] = multiply_by_quantized_multiplier(v[r], inv, shift + OUTPUT_SHIFT)
    return np.clip(out, -128, 127).astype(np.int8).reshape(np.shape(x))


register("l2_normalization", prepare, run, L2NormalizationArgs)
