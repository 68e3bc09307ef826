"""Rows of the TFLite op table (:data:`tinydeploy.frontend.tflite_ops.OPS`) for TFLite
Micro's elementwise and reduction builtins beyond the CNN core: SUB, DIV,
SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, PRELU, LEAKY_RELU, HARD_SWISH, ABS, RSQRT, CAST, SUM,
REDUCE_MAX, ARG_MAX, ARG_MIN, L2_NORMALIZATION; and EXP, NEG, which TFLite Micro runs in
float32 only (float models). They are added to the one table here, where
their mappers are defined; the int8 loader (int8 and 16x8 models) takes them, the float
quantizer does not.
"""

from __future__ import annotations

import numpy as np
import tflite

from tinydeploy.frontend.tflite_ops import (BOTH, INT8, OPS, OpConverter, OpSpec, _binary, _mean,
                                            _one_input)
from tinydeploy.frontend.tflite_reader import TT

INT8_ONLY = frozenset({INT8})


def _two_inputs(c: OpConverter, spec: OpSpec) -> None:
    """Ops of two inputs without options."""
    c.add(spec.kind, (c.input(0), c.input(1)))


def _float_unary(c: OpConverter, spec: OpSpec) -> None:
    """EXP, NEG: TFLite Micro runs them in float32 only (its kernels refuse other types);
    a float model's op becomes the float ``unary`` kind."""
    x = c.t(c.input(0))
    if x.dtype != "float32":
        c.fail(f"{c.opname} on {x.dtype}: TFLite Micro's {c.opname} is float32 only")
    c.add("unary", (x.name,), fn=spec.attrs["fn"])


def _leaky_relu(c: OpConverter, spec: OpSpec) -> None:
    c.add(spec.kind, (c.input(0),), alpha=float(c.options(spec.options).Alpha()))


def _arg_min_max(c: OpConverter, spec: OpSpec) -> None:
    o = c.options(spec.options, required=False)
    if o is not None and o.OutputType() != TT.INT32:
        c.fail(f"{c.opname} with a non-int32 output type (TFLite Micro computes int32)")
    rank = len(c.t(c.input(0)).shape)
    axis = [int(v) for v in np.asarray(c.const(1, "axis")).ravel()]
    if len(axis) != 1:
        c.fail(f"{c.opname} over {len(axis)} axes", unsupported=False)
    c.add(spec.kind, (c.input(0),), axis=c.axis(axis[0], rank))


def _l2_normalization(c: OpConverter, spec: OpSpec) -> None:
    if c.fused_act(c.options(spec.options, required=False)) != "none":
        c.fail("L2_NORMALIZATION with a fused activation (TFLite Micro refuses it)")
    c.add(spec.kind, (c.input(0),))


ROWS: dict[str, OpSpec] = {
    "SUB": OpSpec("sub", _binary, tflite.SubOptions, loaders=INT8_ONLY, n_inputs=(2, 2)),
    "LEAKY_RELU": OpSpec("leaky_relu", _leaky_relu, tflite.LeakyReluOptions,
                         loaders=INT8_ONLY),
    "HARD_SWISH": OpSpec("hard_swish", _one_input, loaders=INT8_ONLY),
    "ABS": OpSpec("abs", _one_input, loaders=INT8_ONLY),
    "RSQRT": OpSpec("rsqrt", _one_input, loaders=INT8_ONLY),
    "PRELU": OpSpec("prelu", _two_inputs, loaders=INT8_ONLY, n_inputs=(2, 2)),
    "SQUARED_DIFFERENCE": OpSpec("squared_difference", _two_inputs, loaders=INT8_ONLY,
                                 n_inputs=(2, 2)),
    "DIV": OpSpec("div", _binary, tflite.DivOptions, loaders=INT8_ONLY, n_inputs=(2, 2)),
    "MAXIMUM": OpSpec("maximum", _two_inputs, loaders=INT8_ONLY, n_inputs=(2, 2)),
    "MINIMUM": OpSpec("minimum", _two_inputs, loaders=INT8_ONLY, n_inputs=(2, 2)),
    "SUM": OpSpec("sum", _mean, tflite.ReducerOptions, loaders=INT8_ONLY, n_inputs=(2, 2)),
    "REDUCE_MAX": OpSpec("reduce_max", _mean, tflite.ReducerOptions, loaders=INT8_ONLY,
                         n_inputs=(2, 2)),
    "ARG_MAX": OpSpec("arg_max", _arg_min_max, tflite.ArgMaxOptions, loaders=INT8_ONLY,
                      n_inputs=(2, 2)),
    "ARG_MIN": OpSpec("arg_min", _arg_min_max, tflite.ArgMinOptions, loaders=INT8_ONLY,
                      n_inputs=(2, 2)),
    "CAST": OpSpec("cast", _one_input, loaders=INT8_ONLY),
    "EXP": OpSpec("unary", _float_unary, attrs={"fn": "exp"}, loaders=BOTH),
    "NEG": OpSpec("unary", _float_unary, attrs={"fn": "neg"}, loaders=BOTH),
    "L2_NORMALIZATION": OpSpec("l2_normalization", _l2_normalization, tflite.L2NormOptions,
                               loaders=INT8_ONLY),
}
OPS.update(ROWS)
