"""sum (int8, int16): TFLite Micro's quantized SUM, ``QuantizedMeanOrSum`` without the
division: ``y = MultiplyByQuantizedMultiplier(sum - zp_in * count, s_in / s_out) + zp_out``,
clamped to the type. The MEAN kernels run it (``td_mean_s8``, ``td_mean_s16``), with a
multiplier that does not absorb ``1 / count``."""

from __future__ import annotations

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import _reduce_common as _rc
from tinydeploy.quant.golden import mean as _mean
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden.int16 import mean as _mean16
from tinydeploy.quant.golden.int16._common import require_int16
from tinydeploy.quant.golden._lut8 import quant8
from tinydeploy.quant.requant import quantize_multiplier


def prepare(g: Graph, op: Op) -> _mean.MeanArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != y.dtype or x.dtype not in ("int8", "int16"):
        raise UnsupportedError(f"sum: {x.dtype} -> {y.dtype} (int8 or int16)", node=op.name)
    (sx, zx), (sy, zy) = quant8(op, x), quant8(op, y)
    k = _rc.layout(op, x, y)
    mult, shift = quantize_multiplier(sx / sy)
    if x.dtype == "int16":
        require_int16(op, x, y)
        if k["count"] * (1 << 15) > 2**31 - 1:
            raise UnsupportedError(f"sum: the int32 sum of {k['count']} int16 values may "
                                   "overflow", node=op.name)
        return _mean16.MeanS16Args(**k, input_zp=0, output_zp=0, multiplier=mult,
                                   shift=shift)
    return _mean.MeanArgs(**k, input_zp=zx, output_zp=zy, multiplier=mult, shift=shift)


def run(a: _mean.MeanArgs, x):
    return (_mean16.run if isinstance(a, _mean16.MeanS16Args) else _mean.run)(a, x)


register("sum", prepare, run, _mean.MeanArgs)
