"""quantize with int16 on either side (16x8 models' edges and the int8/int16 boundaries
inside mixed models), bit-exact with TFLite Micro's QUANTIZE:

- float32 -> int16 (``AffineQuantize``): ``q = round(x / s) + zp``, float32 division,
  round half away from zero, clamped to int16 (kernel ``td_quantize_f32_s16``; NaN gives
  the zero point and huge values saturate where TFLite's float -> int cast is undefined);
- int16 -> int8, int8 -> int16, int16 -> int16 (``Requantize``): ``q = zp_out +
  M(x - zp_in)``, ``M = s_in / s_out`` (``MultiplyByQuantizedMultiplier``), clamped to the
  output type (kernels ``td_requantize_s16_s8``, ``td_requantize_s8_s16``,
  ``td_requantize_s16``).

An int16 -> int16 ``quantize`` with an activation is TFLite Micro's int16 RELU / RELU6:
the requantization by ``s_in / s_out`` (in double, as the TFLite Micro we test against
derives it), clamped to ``round(bound / s_out)`` (float32 quotients)."""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register_variant, require_same_size
from tinydeploy.quant.golden.quantize import QuantizeF32Args, RequantizeArgs, _act_range
from tinydeploy.quant.requant import multiply_by_quantized_multiplier, quantize_multiplier

_FLOAT_CLAMP = 1 << 17      # beyond 65535 + 32768 every float saturates int16 the same way


class Int16Quantize:
    """Marks the args of this module's kernels (the variant's ``run`` serves them all)."""

    C_FUNC = ""


class QuantizeF32S16Args(Int16Quantize, QuantizeF32Args):
    C_FUNC = "td_quantize_f32_s16"


class RequantizeS16S8Args(Int16Quantize, RequantizeArgs):
    C_FUNC = "td_requantize_s16_s8"


class RequantizeS8S16Args(Int16Quantize, RequantizeArgs):
    C_FUNC = "td_requantize_s8_s16"


class RequantizeS16Args(Int16Quantize, RequantizeArgs):
    C_FUNC = "td_requantize_s16"


_REQUANT = {("int16", "int8"): RequantizeS16S8Args, ("int8", "int16"): RequantizeS8S16Args,
            ("int16", "int16"): RequantizeS16Args}


def _applies(g: Graph, op: Op) -> bool:
    """int16 on a side and no int32 (int16 <-> int32: quant/golden/requantize_s32.py)."""
    pair = (g.t(op.inputs[0]).dtype, g.t(op.outputs[0]).dtype)
    return "int16" in pair and "int32" not in pair


def prepare(g: Graph, op: Op) -> QuantizeF32Args | RequantizeArgs:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    act = op.attrs.get("act", "none")
    if act != "none" and (x.dtype, y.dtype) != ("int16", "int16"):
        raise UnsupportedError(f"quantize {x.dtype} -> {y.dtype} with activation {act} "
                               "(TFLite Micro's RELU kernels keep the type)", node=op.name)
    for t in (x, y):
        if t.dtype != "float32" and (t.quant is None or t.quant.per_channel):
            raise UnsupportedError(f"quantize: tensor '{t.name}' needs per-tensor "
                                   "quantization", node=op.name)
    if x.dtype == "float32":
        return QuantizeF32S16Args(size=x.size, scale=y.quant.s, zero_point=y.quant.zp)
    cls = _REQUANT.get((x.dtype, y.dtype))
    if cls is None:
        raise UnsupportedError(f"quantize {x.dtype} -> {y.dtype} is not supported",
                               node=op.name)
    mult, shift = quantize_multiplier(float(np.float32(x.quant.s)) / float(np.float32(y.quant.s)))
    lo, hi = _act_range(act, y.quant.s, y.quant.zp, y.dtype, op.name)
    return cls(size=x.size, input_offset=-x.quant.zp, multiplier=mult, shift=shift,
               output_offset=y.quant.zp, act_min=lo, act_max=hi)


def run(k, x: np.ndarray) -> np.ndarray:
    if isinstance(k, QuantizeF32S16Args):
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            q = np.asarray(x, np.float32) / np.float32(k.scale)         # float32 division
        q = np.clip(np.nan_to_num(q.astype(np.float64), nan=0.0), -_FLOAT_CLAMP, _FLOAT_CLAMP)
        r = np.sign(q) * np.floor(np.abs(q) + 0.5)                      # std::round
        return np.clip(r.astype(np.int64) + k.zero_point, -32768, 32767).astype(np.int16)
    v = np.asarray(x).astype(np.int64) + k.input_offset
    y = multiply_by_quantized_multiplier(v, k.multiplier, k.shift) + k.output_offset
    dtype = np.int8 if isinstance(k, RequantizeS16S8Args) else np.int16
    return np.clip(y, k.act_min, k.act_max).astype(dtype)


register_variant("quantize", _applies, prepare, run, Int16Quantize)
