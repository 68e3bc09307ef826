"""What the two importers of integer-deployable graphs share: the IR storage of a value
range and the bookkeeping of their IR builders (:class:`tinydeploy.frontend.pulp.build.
Builder` for the layer-level importer, :class:`tinydeploy.frontend.pulp.integer.values.
Builder` for the tensor-level one).

Representation of the graph's integers in the IR: a value range that fits int8 is an int8
tensor with zero point 0; [0, 255] is int8 with zero point -128 (``x_i8 = x_u8 - 128``,
the kernels add the offset back); wider ranges are int16 or int32 with zero point 0.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Tensor


def storage(lo: int, hi: int) -> tuple[str, int]:
    """(IR dtype, zero point) that holds integers in [lo, hi]: int8, uint8 values as int8
    with zero point -128, int16, int32."""
    if -128 <= lo and hi <= 127:
        return "int8", 0
    if 0 <= lo and hi <= 255:
        return "int8", -128
    if -(2**15) <= lo and hi < 2**15:
        return "int16", 0
    if -(2**31) <= lo and hi < 2**31:
        return "int32", 0
    raise UnsupportedError(f"values in [{lo}, {hi}] do not fit 32 bits")


class BuilderBase:
    """Constants and unique tensor names of a builder with the fields ``consts`` and
    ``tensors`` and the methods ``error(reason)`` and ``tensor(base, shape, dtype, zp,
    data)`` (each importer names nodes and checks shapes its own way)."""

    def const_of(self, name: str, what: str) -> np.ndarray:
        if name not in self.consts:
            raise self.error(f"{what} '{name}' must be a constant")
        return self.consts[name]

    def unique(self, base: str) -> str:
        name, i = base, 1
        while name in self.tensors:
            name, i = f"{base}_{i}", i + 1
        return name

    def const(self, base: str, data: np.ndarray) -> str:
        """A constant tensor holding ``data`` (the subclass's ``tensor``, zero point 0)."""
        return self.tensor(base, data.shape, str(data.dtype), 0, data)

    def t(self, name: str) -> Tensor:
        return self.tensors[name]
