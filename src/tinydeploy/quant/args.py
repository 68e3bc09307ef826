"""Kernel argument structs: what Python precomputes and the C kernel only reads.

Each op's golden module defines a frozen dataclass deriving from :class:`KernelArgs`.
Field names are the C struct's member names (codegen writes C99 designated initializers,
so a renamed field fails to compile instead of silently shifting). Scalars are C
``int32_t`` unless the field's metadata says otherwise; numpy arrays become ``static
const`` arrays of the element type given by :func:`array_field`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np


def array_field(ctype: str = "int32_t"):
    """Declare an array member (emitted as a pointer to a static const array)."""
    return dataclasses.field(metadata={"array": ctype})


def scalar_field(ctype: str):
    """Declare a scalar member of a C type other than int32_t (e.g. "float")."""
    return dataclasses.field(metadata={"scalar": ctype})


@dataclass(frozen=True, eq=False)
class KernelArgs:
    C_FUNC: ClassVar[str] = ""     # e.g. "td_conv2d_s8"; struct type is C_FUNC + "_args_t"
    # True when the kernel takes its activation inputs as one array of pointers
    # (``const int8_t *const *ins``), e.g. concat.
    C_VARIADIC: ClassVar[bool] = False

    @classmethod
    def c_struct(cls) -> str:
        return cls.C_FUNC + "_args_t"

    def c_members(self) -> list[tuple[str, str, object]]:
        """(member name, kind, value) with kind "scalar:<ctype>" or "array:<ctype>"."""
        out = []
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if "array" in f.metadata:
                out.append((f.name, "array:" + f.metadata["array"], np.asarray(v).ravel()))
            else:
                out.append((f.name, "scalar:" + f.metadata.get("scalar", "int32_t"), v))
        return out
