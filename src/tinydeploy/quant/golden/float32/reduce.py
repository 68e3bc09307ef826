"""reduce (sum or mean), reduce_max and mean (float32) over axes (kernel td_reduce_f32):
per output (the kept dims in row-major order), the reduced elements in row-major order,
summed in float32 from 0.0f (mean: / their count) or maxed from the first element."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden.float32._common import (F32, MAX_DIMS, all_f32, is_f32, padded,
                                                     require, row_strides, seq_sum)


@dataclass(frozen=True, eq=False)
class ReduceF32Args(KernelArgs):
    C_FUNC = "td_reduce_f32"

    mode: int                 # 0 sum, 1 mean, 2 max
    in_size: int
    count: int
    out_shape: np.ndarray = array_field()
    out_strides: np.ndarray = array_field()
    red_shape: np.ndarray = array_field()
    red_strides: np.ndarray = array_field()


def prepare(g: Graph, op: Op) -> ReduceF32Args:
    x, y = all_f32(g, op, 1)
    nd = len(x.shape)
    axes = sorted({int(a) % nd for a in op.attrs["axes"]}) if nd else []
    require(0 < nd <= MAX_DIMS and axes, op, f"reduce over {op.attrs.get('axes')} of a "
            f"{nd}-D input")
    st = row_strides(x.shape)
    keep = [d for d in range(nd) if d not in axes]
    count = int(np.prod([x.shape[d] for d in axes]))
    require(y.size * count == x.size, op, f"output {list(y.shape)} does not hold the "
            f"{x.size // count} results")
    if op.kind == "reduce_max":
        mode = 2
    elif op.kind == "mean":
        mode = 1
    else:
        mode = {"sum": 0, "mean": 1, "max": 2}.get(op.attrs.get("mode", "sum"), -1)
        require(mode >= 0, op, f"unknown mode {op.attrs.get('mode')}")
    return ReduceF32Args(mode, x.size, count, padded([x.shape[d] for d in keep], 1),
                         padded([st[d] for d in keep], 0),
                         padded([x.shape[d] for d in axes], 1), padded([st[d] for d in axes], 0))


def run(p: ReduceF32Args, x: np.ndarray) -> np.ndarray:
    flat = np.ascontiguousarray(x, dtype=F32).reshape(-1)
    shape = tuple(int(d) for d in p.out_shape) + tuple(int(d) for d in p.red_shape)
    strides = tuple(int(s) * 4 for s in (*p.out_strides, *p.red_strides))
    m = np.lib.stride_tricks.as_strided(flat, shape, strides, writeable=False)
    m = m.reshape(-1, p.count)
    if p.mode == 2:
        acc = m[:, 0].copy()
        for j in range(1, p.count):
            acc = np.where(m[:, j] > acc, m[:, j], acc)
        return acc.astype(F32)
    s = seq_sum(m)
    return (s / F32(p.count)).astype(F32) if p.mode == 1 else s


for _kind in ("reduce", "reduce_max", "mean"):
    register_variant(_kind, is_f32, prepare, run, ReduceF32Args)
