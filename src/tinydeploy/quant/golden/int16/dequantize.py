"""dequantize int16 -> float32, ``y = s * (q - zp)`` (kernel ``td_dequantize_s16_f32``).

As for int8 (:mod:`tinydeploy.quant.golden.dequantize`): ``q - zp`` needs at most 17 bits
and ``s`` 24, so TFLite's double product is exact and its rounding to float equals the C
kernel's float32 multiply."""

from __future__ import annotations

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register_variant, require_same_size
from tinydeploy.quant.golden.dequantize import DequantizeArgs
from tinydeploy.quant.golden.dequantize import run as _run


class DequantizeS16Args(DequantizeArgs):
    C_FUNC = "td_dequantize_s16_f32"


def prepare(g: Graph, op: Op) -> DequantizeS16Args:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if y.dtype != "float32" or x.quant is None or x.quant.per_channel:
        raise UnsupportedError(f"dequantize {x.dtype} -> {y.dtype}: int16 -> float32 with "
                               "per-tensor quantization only", node=op.name)
    return DequantizeS16Args(size=x.size, scale=x.quant.s, zero_point=x.quant.zp)


register_variant("dequantize", lambda g, op: g.t(op.inputs[0]).dtype == "int16", prepare,
                 _run, DequantizeS16Args)
