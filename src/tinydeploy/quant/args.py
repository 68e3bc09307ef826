"""Kernel argument structs: what Python precomputes and the C kernel only reads.

Each op's golden module defines a frozen dataclass deriving from :class:`KernelArgs`.
Field names are the C struct's member names (codegen writes C99 designated initializers,
so a renamed field fails to compile instead of silently shifting). Scalars are C
``int32_t`` unless the field's metadata says otherwise; numpy arrays become ``static
const`` arrays of the element type given by :func:`array_field`.

Every integer member is checked to fit its C type when the struct is made: numbers
derived from a model file (shapes, pads, strides, offsets, shifts) that do not fit make
the op an error naming it, never a C constant that wraps or does not compile.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.errors import UnsupportedError

C_INT_RANGES = {"int8_t": (-2**7, 2**7 - 1), "uint8_t": (0, 2**8 - 1),
                "int16_t": (-2**15, 2**15 - 1), "uint16_t": (0, 2**16 - 1),
                "int32_t": (-2**31, 2**31 - 1), "uint32_t": (0, 2**32 - 1),
                "int64_t": (-2**63, 2**63 - 1), "uint64_t": (0, 2**64 - 1)}


_NO_DEFAULT = dataclasses.MISSING


def array_field(ctype: str = "int32_t", default=_NO_DEFAULT):
    """Declare an array member (emitted as a pointer to a static const array)."""
    if default is _NO_DEFAULT:
        return dataclasses.field(metadata={"array": ctype})
    return dataclasses.field(default=default, metadata={"array": ctype})


def scalar_field(ctype: str, default=_NO_DEFAULT):
    """Declare a scalar member of a C type other than int32_t (e.g. "float")."""
    if default is _NO_DEFAULT:
        return dataclasses.field(metadata={"scalar": ctype})
    return dataclasses.field(default=default, metadata={"scalar": ctype})


@dataclass(frozen=True, eq=False)
class KernelArgs:
    C_FUNC: ClassVar[str] = ""     # e.g. "td_conv2d_s8"; struct type is C_FUNC + "_args_t"
    # True when the kernel takes its activation inputs as one array of pointers
    # (``const int8_t *const *ins``), e.g. concat.
    C_VARIADIC: ClassVar[bool] = False
    # Optimized kernels (quant/opt/): the op inputs the C function takes, by position
    # (None: all of them; constants packed into the struct are not passed), the header
    # that declares it (runtime-relative; "": kernels/<C_FUNC>.h), and whether it takes
    # ``(void *scratch, const td_team_t *team)`` after its output.
    C_INPUTS: ClassVar[tuple[int, ...] | None] = None
    C_HEADER: ClassVar[str] = ""
    C_SCRATCH: ClassVar[bool] = False

    def scratch_size(self) -> int:
        """Arena bytes the kernel needs during the call, per core (C_SCRATCH kernels)."""
        return 0

    def inplace_margin(self) -> int | None:
        """Optimized kernels: how many bytes below its dying input the output may start
        and still be computed in place, from the kernel's own order of reads and writes
        (memory/sliding.py explains the idea), or None if it may not share bytes with its
        input. Reference kernels: None (their kind's rule in memory/sliding.py decides)."""
        return None

    def __post_init__(self):
        for f in dataclasses.fields(self):
            ctype = f.metadata.get("array") or f.metadata.get("scalar", "int32_t")
            if ctype not in C_INT_RANGES:
                continue
            v = getattr(self, f.name)
            if isinstance(v, (bool, np.bool_)) or not isinstance(
                    v, (int, np.integer, np.ndarray, list, tuple)):
                continue
            a = np.asarray(v)
            if a.size == 0 or a.dtype.kind not in "iu":
                continue
            lo, hi = C_INT_RANGES[ctype]
            if int(a.min()) < lo or int(a.max()) > hi:
                bad = int(a.min()) if int(a.min()) < lo else int(a.max())
                raise UnsupportedError(f"{self.C_FUNC or type(self).__name__}: argument "
                                       f"{f.name} = {bad} does not fit the kernel's {ctype}")

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
