"""Goldens of TFLite's "16x8" quantization: int16 activations, int8 weights, int64 bias.

Any conv2d, depthwise_conv2d, fully_connected, add, mul, avg_pool2d, max_pool2d,
softmax, logistic, tanh, concat, quantize, dequantize or mean whose activations are int16
(and that is not a fused PULP requantization) is served here instead of by the int8
golden, bit-exact with TFLite Micro's int16 reference kernels:

- int16 activations are symmetric (zero point 0, as TFLite's converter writes them and
  most of TFLite's int16 kernels require); weights int8 and symmetric;
- conv, depthwise and fully connected accumulate in int64 with an int64 bias and
  requantize with TFLite's 64-bit ``MultiplyByQuantizedMultiplier`` (a 16-bit multiplier,
  one rounding: :func:`._common.requant64`);
- add, mul, pooling, concat and mean use the int8 arithmetic on int16 values (add with a
  15-bit instead of 20-bit left shift); softmax uses TFLite's two 513-entry lookup
  tables, logistic and tanh its 256-entry sigmoid table (:mod:`.luts`).

Modules here register themselves with
:func:`tinydeploy.quant.golden.register_variant`; they are imported automatically.
"""

from __future__ import annotations

import importlib
import pkgutil

for _m in pkgutil.iter_modules(__path__):
    if not _m.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_m.name}")
