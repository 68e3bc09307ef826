"""mean (int8): mean over ``axes``, requantized to the output, as TFLite Micro's MEAN.

TFLite Micro runs every int8 MEAN (also the 4-D mean over H,W with keepdims, whose
special kernel is float-only since TFLM "Align mean kernel to TFL") as
``QuantizedMeanOrSum``:

1. ``sum`` = int32 sum of the raw input codes over the reduced axes (``count`` of them);
2. the Q31 multiplier of ``s_in / s_out`` (``QuantizeMultiplier``) absorbs ``1/count``:
   with ``k = min(floor(log2(count)), 32, 31 + shift)``,
   ``multiplier' = (multiplier << k) / count`` (integer division), ``shift' = shift - k``;
3. ``y = MultiplyByQuantizedMultiplier(sum - zp_in * count, multiplier', shift') + zp_out``,
   clamped to int8. Fused activations do not exist for MEAN.

Shapes are left-extended to :data:`MAX_DIMS`; the kernel walks the kept dims (output
order) and, for each output, the reduced dims, both given as (size, input stride) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register
from tinydeploy.quant.requant import multiply_by_quantized_multiplier, quantize_multiplier

MAX_DIMS = 6


@dataclass(frozen=True, eq=False)
class MeanArgs(KernelArgs):
    C_FUNC = "td_mean_s8"

    keep_dims: np.ndarray = array_field()     # [MAX_DIMS] kept dim sizes, leading 1s
    keep_strides: np.ndarray = array_field()  # [MAX_DIMS] their input strides (elements)
    red_dims: np.ndarray = array_field()      # [MAX_DIMS] reduced dim sizes, leading 1s
    red_strides: np.ndarray = array_field()   # [MAX_DIMS] their input strides (elements)
    count: int = 1                            # number of elements averaged per output
    input_zp: int = 0
    output_zp: int = 0
    multiplier: int = 0                       # Q31 of s_in / s_out / count (see above)
    shift: int = 0


def mean_multiplier(s_in: float, s_out: float, count: int) -> tuple[int, int]:
    """(multiplier, shift) of ``s_in / (s_out * count)`` the way TFLite Micro derives it."""
    mult, shift = quantize_multiplier(s_in / s_out)
    k = min(count.bit_length() - 1, 32, 31 + shift)
    return (mult << k) // count, shift - k


def _padded(pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    pairs = [(1, 0)] * (MAX_DIMS - len(pairs)) + pairs
    return (np.array([d for d, _ in pairs], dtype=np.int32),
            np.array([s for _, s in pairs], dtype=np.int32))


def _axes(op: Op, ndim: int) -> list[int]:
    axes = sorted({int(a) + ndim if int(a) < 0 else int(a) for a in op.attrs["axes"]})
    if any(not 0 <= a < ndim for a in axes):
        raise UnsupportedError(f"mean axes {op.attrs['axes']} out of range for {ndim}-D",
                               node=op.name)
    return axes


def prepare(g: Graph, op: Op) -> MeanArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "int8" or y.dtype != "int8":
        raise UnsupportedError(f"mean supports int8 only, got {x.dtype} -> {y.dtype}",
                               node=op.name)
    if len(x.shape) > MAX_DIMS:
        raise UnsupportedError(f"mean supports at most {MAX_DIMS}-D input", node=op.name)
    axes = _axes(op, len(x.shape))
    strides = [int(np.prod(x.shape[d + 1:], dtype=np.int64)) for d in range(len(x.shape))]
    keep = [(x.shape[d], strides[d]) for d in range(len(x.shape)) if d not in axes]
    red = [(x.shape[d], strides[d]) for d in axes]
    count = int(np.prod([d for d, _ in red], dtype=np.int64))
    if int(np.prod([d for d, _ in keep], dtype=np.int64)) != y.size:
        raise UnsupportedError(f"mean output shape {y.shape} does not match input "
                               f"{x.shape} over axes {axes}", node=op.name)
    mult, shift = mean_multiplier(x.quant.s, y.quant.s, count)
    kd, ks = _padded(keep)
    rd, rs = _padded(red)
    return MeanArgs(kd, ks, rd, rs, count, x.quant.zp, y.quant.zp, mult, shift)


def run(a: MeanArgs, x: np.ndarray) -> np.ndarray:
    flat = np.ascontiguousarray(x).reshape(-1).astype(np.int64)
    shape = (*a.keep_dims, *a.red_dims)
    strides = tuple(int(s) * flat.itemsize for s in (*a.keep_strides, *a.red_strides))
    view = np.lib.stride_tricks.as_strided(flat, shape, strides, writeable=False)
    acc = view.sum(axis=tuple(range(MAX_DIMS, 2 * MAX_DIMS))).reshape(-1)
    y = multiply_by_quantized_multiplier(acc - a.input_zp * a.count, a.multiplier, a.shift)
    return np.clip(y + a.output_zp, -128, 127).astype(np.int8)


register("mean", prepare, run, MeanArgs)
