"""int8 elementwise ops as a 256-entry table: the golden evaluates the op's integer
arithmetic once for every int8 value at compile time, the kernel (``td_lut_s8``, shared
with the ``lut`` kind of QDQ models: :mod:`.lut`) only looks the table up,
``y = table[x + 128]``. Exact by construction: the table *is* the
arithmetic, tested against TFLite Micro value by value.

Used by the int8 versions of leaky_relu, hard_swish, abs and rsqrt (their int16
versions compute, a 65536-entry table being too large)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import require_same_size

INT8_VALUES = np.arange(-128, 128, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class LutS8Args(KernelArgs):
    C_FUNC = "td_lut_s8"
    size: int
    table: np.ndarray = array_field("int8_t")   # [256]: y for x = -128 .. 127


def lut_args(g: Graph, op: Op, values) -> LutS8Args:
    """The table of ``values(x)`` (int64 array of the results for int64 inputs ``x``)."""
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "int8" or y.dtype != "int8":
        raise UnsupportedError(f"{op.kind}: int8 -> int8 expected, got {x.dtype} -> "
                               f"{y.dtype}", node=op.name)
    table = np.asarray(values(INT8_VALUES), dtype=np.int64)
    return LutS8Args(x.size, table.astype(np.int8))


def run_lut(a: LutS8Args, x: np.ndarray) -> np.ndarray:
    return np.asarray(a.table)[np.asarray(x).astype(np.int64) + 128].reshape(np.shape(x))


def quant8(op: Op, t) -> tuple[float, int]:
    """(float32 scale, zero point) of a per-tensor quantized tensor."""
    if t.quant is None or t.quant.per_channel:
        raise UnsupportedError(f"{op.kind}: tensor '{t.name}' needs per-tensor "
                               "quantization", node=op.name)
    return float(np.float32(t.quant.s)), t.quant.zp
