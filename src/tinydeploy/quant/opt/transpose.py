"""td_transpose_s8_opt / td_transpose_u8_opt: the int8 / uint8 transposes (the layout
edges of the integer graphs of NEMO, QuantLab and Deeploy: NCHW in, NHWC inside) with the
dimensions collapsed here - size-1 dimensions dropped, an output dimension merged into its
outer neighbour when their input strides stay contiguous - to at most three, so the kernel
moves 8 x 8 byte blocks in registers (2-D transposes with word-aligned rows) or runs a
constant-stride copy loop instead of six nested index sums per byte. Transposes that keep
more than three dimensions keep the reference kernel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tinydeploy.quant.golden.transpose import TransposeArgs, TransposeU8Args
from tinydeploy.quant.opt import OptArgs, register


@dataclass(frozen=True, eq=False)
class TransposeS8OptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_transpose_s8_opt"
    n0: int
    n1: int
    n2: int
    s0: int
    s1: int
    s2: int

    def parallel_units(self) -> int:
        """The cores share out groups of four output rows (check/rv32/harts.py)."""
        return self.n0 * -(-self.n1 // 4)

    def c_config(self) -> dict[str, tuple[int, ...]]:
        """TD_TR_PATHS 1 when the strides allow the register-block path (the kernel also
        needs a word-aligned input, checked per call): else its code is left out."""
        blocks = (self.s1 == 1 and self.n2 >= 4 and self.n2 % 2 == 0 and self.s2 % 4 == 0
                  and self.n1 >= 4 and (self.n0 == 1 or self.s0 % 4 == 0))
        return {"TD_TR_PATHS": (1,)} if blocks else {}


class TransposeU8OptArgs(TransposeS8OptArgs):
    C_FUNC: ClassVar[str] = "td_transpose_u8_opt"


def collapse(shape, strides) -> list[tuple[int, int]]:
    """(size, input stride) of each output dimension after dropping size-1 dimensions and
    merging a dimension into its outer neighbour where the reads stay contiguous."""
    dims: list[tuple[int, int]] = []
    for n, s in zip((int(v) for v in shape), (int(v) for v in strides)):
        if n == 1:
            continue
        if dims and dims[-1][1] == s * n:
            dims[-1] = (dims[-1][0] * n, s)
        else:
            dims.append((n, s))
    return dims or [(1, 1)]


def make(a: TransposeArgs, consts, cores: int = 1, lean: bool = False):
    dims = collapse(a.out_shape, a.in_strides)
    if len(dims) > 3:
        return None
    dims = [(1, 0)] * (3 - len(dims)) + dims
    cls = TransposeU8OptArgs if type(a) is TransposeU8Args else TransposeS8OptArgs
    return cls(*(d[0] for d in dims), *(d[1] for d in dims))


register(TransposeArgs, make)
register(TransposeU8Args, make)
