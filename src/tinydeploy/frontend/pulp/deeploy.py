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

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.pulp import chains
from tinydeploy.frontend.pulp.build import Builder
from tinydeploy.frontend.pulp.elementwise import chain_of

INPUT_TYPE = "int8"
LIMIT = 2**62                  # int64 headroom of the requant kernel


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


def _one(b: Builder, v: np.ndarray, what: str) -> int | float:
    """A scalar attribute (an int, float or one-element tensor), finite."""
    a = np.asarray(v).ravel()
    if a.size != 1 or a.dtype.kind not in "biuf" or not np.isfinite(a[0]):
        raise b.error(f"RequantShift attribute {what} must be one finite number, got "
                      f"{a[:4].tolist()}", TinyDeployError)
    return a[0].item()


def requant_shift(b: Builder, node) -> None:
    div, levels, signed = (_attr(node, "div"), _attr(node, "n_levels_out", "n_levels"),
                           _attr(node, "signed"))
    if div is None or levels is None or signed is None:
        raise b.error("RequantShift needs the attributes div, n_levels(_out) and signed")
    if len(node.input) != 3 or not all(node.input):
        raise b.error(f"RequantShift has inputs {list(node.input)} (expected x, mul, add)",
                      TinyDeployError)
    div, levels, signed = (_one(b, v, k) for v, k in ((div, "div"), (levels, "n_levels"),
                                                     (signed, "signed")))
    if div <= 0 or div != int(div) or div >= LIMIT:
        raise b.error(f"RequantShift div {div:g} is not a positive integer below 2**62",
                      TinyDeployError)
    if levels < 2 or levels != int(levels) or levels > 2**32:
        raise b.error(f"RequantShift n_levels {levels:g} is not an integer in [2, 2**32]",
                      TinyDeployError)
    if signed not in (0, 1):
        raise b.error(f"RequantShift signed {signed:g} is not 0 or 1", TinyDeployError)
    d, n = int(div), int(levels)
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
    lo, hi = (-(n // 2), n // 2 - 1) if signed else (0, n - 1)
    b.vals[node.output[0]] = chains.clip(ch, lo, hi, b.label)
    b.types[node.output[0]] = b.types.get(node.input[0], "float")


HANDLERS = {"RequantShift": requant_shift}
