"""quantize between int8/int16 and int32 (TFLite Micro's QUANTIZE of quantized tensors:
int8 -> int32, int16 -> int32, int32 -> int8, int32 -> int16), bit-exact with TFLite's
``Requantize``: ``q = zp_out + M(x - zp_in)``, ``M = s_in / s_out`` from the float32
scales (``MultiplyByQuantizedMultiplier``), clamped to the output type. Kernels
``td_requantize_{s8_s32,s32_s8,s16_s32,s32_s16}`` (the driver of the other requantize
kernels, td_requantize_impl.h)."""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register_variant, require_same_size
from tinydeploy.quant.golden.quantize import RequantizeArgs
from tinydeploy.quant.requant import multiply_by_quantized_multiplier, quantize_multiplier


class RequantizeS32Args(RequantizeArgs):
    """Marks this module's kernels (one ``run`` serves them all)."""


class RequantizeS8S32Args(RequantizeS32Args):
    C_FUNC = "td_requantize_s8_s32"


class RequantizeS32S8Args(RequantizeS32Args):
    C_FUNC = "td_requantize_s32_s8"


class RequantizeS16S32Args(RequantizeS32Args):
    C_FUNC = "td_requantize_s16_s32"


class RequantizeS32S16Args(RequantizeS32Args):
    C_FUNC = "td_requantize_s32_s16"


_ARGS = {("int8", "int32"): RequantizeS8S32Args, ("int32", "int8"): RequantizeS32S8Args,
         ("int16", "int32"): RequantizeS16S32Args, ("int32", "int16"): RequantizeS32S16Args}


def _applies(g: Graph, op: Op) -> bool:
    return (g.t(op.inputs[0]).dtype, g.t(op.outputs[0]).dtype) in _ARGS


def prepare(g: Graph, op: Op) -> RequantizeS32Args:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if op.attrs.get("act", "none") != "none":
        raise UnsupportedError(f"quantize {x.dtype} -> {y.dtype} with an activation (TFLite "
                               "Micro's RELU kernels keep the type)", node=op.name)
    for t in (x, y):
        if t.quant is None or t.quant.per_channel:
            raise UnsupportedError(f"quantize: tensor '{t.name}' needs per-tensor "
                                   "quantization", node=op.name)
    mult, shift = quantize_multiplier(float(np.float32(x.quant.s)) /
                                      float(np.float32(y.quant.s)))
    info = np.iinfo(y.np_dtype)
    return _ARGS[(x.dtype, y.dtype)](size=x.size, input_offset=-x.quant.zp, multiplier=mult,
                                     shift=shift, output_offset=y.quant.zp,
                                     act_min=int(info.min), act_max=int(info.max))


def run(k: RequantizeS32Args, x: np.ndarray) -> np.ndarray:
    v = np.asarray(x).astype(np.int64) + k.input_offset
    y = multiply_by_quantized_multiplier(v, k.multiplier, k.shift) + k.output_offset
    out = {RequantizeS32S8Args: np.int8, RequantizeS32S16Args: np.int16}.get(type(k), np.int32)
    return np.clip(y, k.act_min, k.act_max).astype(out)


register_variant("quantize", _applies, prepare, run, RequantizeS32Args)
