"""Deeploy graphs: the ``RequantShift(x, mul, add)`` node.

Deeploy defines it on integers: ``y = clamp(floor((x * mul + add + div / 2) / div))``
with the clamp to ``n_levels`` (attribute ``n_levels_out`` or ``n_levels``) signed or
unsigned levels. The rounding term ``div / 2`` is Deeploy's (its kernels add it before
the shift). ``x`` is the integer accumulator even where the ONNX container is float.
The input type defaults to int8 (Deeploy infers it from the test data; use
``--input-type uint8`` for image inputs in 0..255).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from onnx import numpy_helper

from tinydeploy.frontend.pulp import chains
from tinydeploy.frontend.pulp.build import Builder
from tinydeploy.frontend.pulp.elementwise import chain_of

INPUT_TYPE = "int8"


def _attr(node, *names):
    for a in node.attribute:
        if a.name in names:
            if a.type == a.TENSOR:
                return numpy_helper.to_array(a.t)
            if a.type == a.INT:
                return np.array(a.i)
            if a.type == a.FLOAT:
                return np.array(a.f)
    return None


def requant_shift(b: Builder, node) -> None:
    div, levels, signed = (_attr(node, "div"), _attr(node, "n_levels_out", "n_levels"),
                           _attr(node, "signed"))
    if div is None or levels is None or signed is None:
        raise b.error("RequantShift needs the attributes div, n_levels(_out) and signed")
    d, n = int(np.asarray(div).ravel()[0]), int(np.asarray(levels).ravel()[0])
    if d <= 0 or d != float(np.asarray(div).ravel()[0]):
        raise b.error(f"RequantShift div {np.asarray(div).ravel()[0]} is not a positive integer")
    for name in node.input[1:3]:
        if name not in b.consts:
            raise b.error(f"RequantShift parameter '{name}' is not a constant")
    ch = chain_of(b, node.input[0], bits=None)        # integer semantics by definition
    if ch.bits is not None:                            # e.g. a residual Add of two values
        ch = chains.cast(ch, "int32", b.label)
    ch = chains.mul(ch, chains.per_channel(b.consts[node.input[1]], ch.shape, b.label),
                    b.label)
    add = chains.per_channel(b.consts[node.input[2]], ch.shape, b.label)
    ch = chains.add(ch, add + Fraction(d // 2), b.label)
    ch = chains.div(ch, np.array([Fraction(d)], dtype=object), b.label, rounding="floor")
    lo, hi = (-(n // 2), n // 2 - 1) if int(np.asarray(signed).ravel()[0]) else (0, n - 1)
    b.vals[node.output[0]] = chains.clip(ch, lo, hi, b.label)
    b.types[node.output[0]] = b.types.get(node.input[0], "float")


HANDLERS = {"RequantShift": requant_shift}
