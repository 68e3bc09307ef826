"""quantize: float32 -> int8, and requantization between int8/uint8 quantizations.

- float32 -> int8 (TFLite AffineQuantize): ``q = round(x / s) + zp`` with the division in
  float32 and round half away from zero, clamped to [-128, 127]. Where TFLite's
  float -> int32 cast is undefined (NaN, |x / s| >= 2**31) we saturate instead (NaN -> zp).
- int8 -> int8, int8 -> uint8, uint8 -> int8 (TFLite Requantize):
  ``q = zp_out + M(x - zp_in)`` with ``M = s_in / s_out`` (``MultiplyByQuantizedMultiplier``),
  clamped to the output type.
- attr ``act`` ("relu", "relu6", "relu_n1_to_1"; int8 -> int8 only) is a standalone
  activation expressed as a requantize, computed like TFLite Micro's RELU kernel: the
  multiplier comes from the float32 quotient ``s_in / s_out`` and the clamp bounds from
  ``zp_out + round(bound / s_out)`` in float32. With equal input and output quantization
  this is exactly TFLite Micro's RELU6 (which clamps in the input domain).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, scalar_field
from tinydeploy.quant.golden import register, require_same_size
from tinydeploy.quant.requant import multiply_by_quantized_multiplier, quantize_multiplier

_ACT_BOUNDS = {"none": (None, None), "relu": (0.0, None), "relu6": (0.0, 6.0),
               "relu_n1_to_1": (-1.0, 1.0)}
# float -> int quantization saturates here first; any bound beyond 255 + 128 gives the
# same int8/uint8 result as exact integer math and keeps the C float -> int cast defined.
_FLOAT_CLAMP = 512.0


@dataclass(frozen=True, eq=False)
class QuantizeF32Args(KernelArgs):
    C_FUNC = "td_quantize_f32_s8"
    size: int
    scale: float = scalar_field("float")
    zero_point: int


@dataclass(frozen=True, eq=False)
class RequantizeArgs(KernelArgs):
    """int8 -> int8; subclasses only change the C function (dtypes)."""
    C_FUNC = "td_requantize_s8"
    size: int
    input_offset: int            # -zero_point of the input
    multiplier: int
    shift: int                   # > 0 is a left shift
    output_offset: int           # zero_point of the output
    act_min: int
    act_max: int


class RequantizeS8U8Args(RequantizeArgs):
    C_FUNC = "td_requantize_s8_u8"


class RequantizeU8S8Args(RequantizeArgs):
    C_FUNC = "td_requantize_u8_s8"


_REQUANT = {("int8", "int8"): RequantizeArgs, ("int8", "uint8"): RequantizeS8U8Args,
            ("uint8", "int8"): RequantizeU8S8Args}


def _per_tensor(g: Graph, op: Op, name: str):
    q = g.t(name).quant
    if q is None or q.per_channel:
        raise UnsupportedError(f"quantize: tensor {name} needs per-tensor quantization",
                               node=op.name)
    return q


def _act_range(act: str, scale: float, zp: int, dtype: str, node: str) -> tuple[int, int]:
    """TFLite Micro RELU/RELU6 bounds: zp + round(bound / s) in float32, clamped to dtype."""
    if act not in _ACT_BOUNDS:
        raise UnsupportedError(f"quantize: unknown activation {act}", node=node)
    info = np.iinfo(dtype)
    lo_real, hi_real = _ACT_BOUNDS[act]

    def q(real: float) -> int:
        r = float(np.float32(real) / np.float32(scale))
        return zp + int(np.sign(r) * np.floor(abs(r) + 0.5))

    lo = int(info.min) if lo_real is None else max(int(info.min), q(lo_real))
    hi = int(info.max) if hi_real is None else min(int(info.max), q(hi_real))
    return lo, hi


def _prepare_requantize(g: Graph, op: Op, src: str, dst: str) -> RequantizeArgs:
    qi, qo = _per_tensor(g, op, op.inputs[0]), _per_tensor(g, op, op.outputs[0])
    act = op.attrs.get("act", "none")
    if act == "none":
        mult, shift = quantize_multiplier(qi.s / qo.s)
    elif (src, dst) == ("int8", "int8"):
        mult, shift = quantize_multiplier(float(np.float32(qi.s) / np.float32(qo.s)))
    else:
        raise UnsupportedError(f"quantize: activation {act} needs int8 -> int8", node=op.name)
    lo, hi = _act_range(act, qo.s, qo.zp, dst, op.name)
    return _REQUANT[(src, dst)](size=g.t(op.inputs[0]).size, input_offset=-qi.zp,
                                multiplier=mult, shift=shift, output_offset=qo.zp,
                                act_min=lo, act_max=hi)


def prepare(g: Graph, op: Op) -> KernelArgs:
    require_same_size(g, op)
    src, dst = g.t(op.inputs[0]).dtype, g.t(op.outputs[0]).dtype
    if (src, dst) in _REQUANT:
        return _prepare_requantize(g, op, src, dst)
    if (src, dst) == ("float32", "int8") and op.attrs.get("act", "none") == "none":
        q = _per_tensor(g, op, op.outputs[0])
        return QuantizeF32Args(size=g.t(op.inputs[0]).size, scale=q.s, zero_point=q.zp)
    raise UnsupportedError(f"quantize {src} -> {dst} (act {op.attrs.get('act', 'none')}) is "
                           "not supported", node=op.name)


def _run_float(args: QuantizeF32Args, x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        q = np.asarray(x, np.float32) / np.float32(args.scale)      # float32 division
    q = np.nan_to_num(q.astype(np.float64), nan=0.0)
    q = np.clip(q, -_FLOAT_CLAMP, _FLOAT_CLAMP)
    r = np.sign(q) * np.floor(np.abs(q) + 0.5)                      # std::round
    return np.clip(r.astype(np.int64) + args.zero_point, -128, 127).astype(np.int8)


def run(args: KernelArgs, x: np.ndarray) -> np.ndarray:
    if isinstance(args, QuantizeF32Args):
        return _run_float(args, x)
    v = np.asarray(x).astype(np.int64) + args.input_offset
    y = multiply_by_quantized_multiplier(v, args.multiplier, args.shift) + args.output_offset
    dtype = np.uint8 if isinstance(args, RequantizeS8U8Args) else np.int8
    return np.clip(y, args.act_min, args.act_max).astype(dtype)


register("quantize", prepare, run, RequantizeArgs)
