"""Reduction op kinds of TFLite models beyond MEAN: SUM, REDUCE_MAX and ARG_MAX/ARG_MIN."""

from __future__ import annotations

from tinydeploy.ir.ops import OpDef, reduce_macs, register

_AXES = {"axes": "reduced axes", "keepdims": "bool"}

register(OpDef("sum", ("x",), _AXES, reduce_macs, "sum over axes, requantized"))
register(OpDef("reduce_max", ("x",), _AXES, reduce_macs,
               "maximum over axes of the stored integers (shared quantization)"))
register(OpDef("arg_max", ("x",), {"axis": "the reduced axis"}, reduce_macs,
               "int32 index of the first largest element along the axis"))
register(OpDef("arg_min", ("x",), {"axis": "the reduced axis"}, reduce_macs,
               "int32 index of the first smallest element along the axis"))
