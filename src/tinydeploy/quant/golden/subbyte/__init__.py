"""Goldens of packed sub-byte and mixed-precision layers (PULP-NN mixed style).

Any conv2d, depthwise_conv2d, fully_connected, add, avg_pool2d or max_pool2d that touches
a packed dtype (int4, uint4, int2, uint2; see :mod:`tinydeploy.quant.packing`) is served
here instead of by the int8 golden: activations in and out in {2, 4, 8} bits, signed or
unsigned; weights in {2, 4, 8} bits, signed and symmetric. The arithmetic is the int8
arithmetic of the op (TFLite-style multiplier + shift) with the output clamped to the
output dtype's range; so with 8 bits everywhere it gives the int8 golden's result.

Values are unpacked numpy arrays (one value per int8/uint8 element); packing is storage
only and lives in the C kernels (``td_*_sb.c``, ``td_pack.h``). Modules here register
themselves with :func:`tinydeploy.quant.golden.register_variant`; they are imported
automatically.
"""

from __future__ import annotations

import importlib
import pkgutil

for _m in pkgutil.iter_modules(__path__):
    if not _m.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_m.name}")
