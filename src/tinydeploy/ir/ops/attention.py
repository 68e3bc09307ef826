"""Op kinds of integer transformers and language models (Deeploy's integer operators).

Every kind here computes on the integers a graph holds (scale 1): an 8-bit input's
stored value plus ``-zero point`` is the source value, outputs are stored with their own
zero point. The arithmetic of each kind is its golden (``quant/golden/<kind>.py``), which
follows Deeploy's generic C kernels (``TargetLibraries/Generic/src``) bit for bit.
"""

from __future__ import annotations

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.ir.ops import OpDef, elementwise_macs, reduce_macs, register


def matmul_macs(g: Graph, op: Op) -> int:
    return g.t(op.outputs[0]).size * int(op.attrs["k"])


_ROW = "normalized over the last axis, one row at a time"

register(OpDef("matmul", ("a", "b", "bias"),
               {"k": "the reduced dimension",
                "trans_a": "A is stored [.., K, M] (ONNX Gemm transA)",
                "trans_b": "B is stored [.., N, K] (ONNX Gemm transB)",
                "alpha": "integer factor of the product", "beta": "integer factor of the bias"},
               matmul_macs,
               "int32 y[..., m, n] = alpha * sum_k (a + oa)[..., m, k] * (b + ob)[..., k, n] "
               "+ beta * bias[..., m, n]; batch dims and the bias broadcast (numpy rules)"))
register(OpDef("isoftmax", ("x",),
               {"coeff_a": "int", "coeff_b": "int", "coeff_c": "int", "log2": "int",
                "n_levels": "output levels"}, elementwise_macs,
               "I-BERT integer softmax (Deeploy iSoftmax), " + _ROW + "; output in "
               "[0, n_levels - 1]"))
register(OpDef("itamax", ("x",), {"n_levels": "output levels"}, elementwise_macs,
               "ITA's shift softmax (Deeploy ITAMax), " + _ROW))
register(OpDef("itapartialmax", ("x",), {"n_levels": "output levels",
                                          "group_width": "columns per partial max"},
               elementwise_macs, "ITA's streaming shift softmax (ITAPartialMax), " + _ROW))
register(OpDef("igelu", ("x",), {"b": "int", "one": "int"}, elementwise_macs,
               "I-BERT integer GELU (iGELU): x * ((one + L(x)) >> 1), int32 output"))
register(OpDef("ihardswish", ("x",), {"one_over_six": "int", "three": "int", "six": "int"},
               elementwise_macs, "x * (clip(x + three, 0, six) * one_over_six), int32"))
register(OpDef("ilayernorm", ("x", "weight", "bias"),
               {"log2d": "output shift", "clip": "(lo, hi) output bounds"}, reduce_macs,
               "integer layer norm (iLayerNorm), " + _ROW))
register(OpDef("irmsnorm", ("x", "weight"),
               {"log2d": "output shift", "clip": "(lo, hi) output bounds"}, reduce_macs,
               "integer RMS norm (iRMSNorm), " + _ROW))
register(OpDef("inonorm", ("x", "weight", "bias"),
               {"mul": "int", "log2d": "output shift", "clip": "(lo, hi) output bounds"},
               elementwise_macs, "((x * weight + bias) * mul) >> log2d (iNoNorm)"))
register(OpDef("integer_div", ("a", "b"), {"delta": "int", "eps": "int", "eta": "int"},
               elementwise_macs,
               "round(a * delta * eta / (b * eta + eps)), half away from zero (IntegerDiv); "
               "b broadcasts"))
register(OpDef("reduce", ("x",), {"axes": "reduced axes", "mode": "'sum' or 'mean'"},
               reduce_macs,
               "int sum over axes, or the mean rounded half up (floor(mean + 1/2): "
               "IntegerMean, Deeploy's ReduceMean); output dims keep the reduced axes only "
               "if the output shape says so"))
register(OpDef("layernorm", ("x",),
               {"gamma": "real per-column scale (float64 array)",
                "beta": "real per-column offset (float64 array)",
                "epsilon": "float added to the variance"}, reduce_macs,
               "ONNX LayerNormalization of quantized values over the last axis, in integer "
               "arithmetic: the row's mean and variance exact, 1/sqrt in fixed point "
               "(within one step of float32)"))
register(OpDef("lut", ("x",), {"table": "256 output codes, indexed by the input code + 128"},
               elementwise_macs,
               "int8 -> int8 through a table: a float elementwise function between a "
               "DequantizeLinear and a QuantizeLinear (Erf, Gelu, ...) evaluated once per "
               "input code"))
register(OpDef("softmax_exp", ("x",), {}, elementwise_macs,
               "softmax over the last axis of int8 codes (QDQ models): exp of the scaled "
               "distance to the row maximum from a table, normalized and requantized in "
               "64-bit integers (within one step of float32)"))
