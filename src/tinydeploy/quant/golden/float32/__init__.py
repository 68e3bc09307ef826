"""Numpy goldens of float32 ops: the spec of the ``td_*_f32`` kernels.

Each module registers float32 variants of the integer kinds (chosen when the op's output
is float32, :func:`is_f32`) or the float-only kinds of :mod:`tinydeploy.ir.ops.float32`.
Every golden computes in float32, operation by operation, in the order its C kernel does
(sums in increasing index from 0.0f, no fused multiply-add: the C is C99 without
contraction), so the C equals the golden bit for bit except where the C calls a libm
function (expf, erff, tanhf, powf, logf): there the golden rounds the float64 value to
float32, which a correctly rounded libm gives and others miss by an ulp.
"""

from __future__ import annotations

import importlib
import pkgutil

for _m in pkgutil.iter_modules(__path__):
    if not _m.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_m.name}")
