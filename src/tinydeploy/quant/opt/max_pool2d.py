"""td_max_pool2d_s8_opt: the optimized int8 max pool's args (kernels/opt/
td_max_pool2d_s8_opt.h): the reference geometry as it is (every kernel size, stride,
padding and activation clamp the reference takes; nothing to fold).

In place: the kernel writes output pixels in order, each one's channels after reading
their window (four channels at a time), so on one core the output may start as far
below its dying input as the pixel-by-pixel rule allows (quant/opt/_inplace.py, a round
per pixel: channel groups of a pixel read only their own channels, so the bytes a group
writes were read before). Several cores write their rows concurrently: no sharing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from tinydeploy.quant.golden._pool_common import PoolArgs
from tinydeploy.quant.golden.max_pool2d import MaxPool2dArgs
from tinydeploy.quant.opt import OptArgs, python_field, register
from tinydeploy.quant.opt._inplace import margin_by_pixels


@dataclass(frozen=True, eq=False)
class MaxPool2dOptArgs(OptArgs, PoolArgs):
    """The reference pool geometry (:class:`PoolArgs`, the same struct members in the same
    order) and the team it was made for."""

    C_FUNC: ClassVar[str] = "td_max_pool2d_s8_opt"
    cores: int = python_field(1)         # the team it was made for (not in the struct)

    def parallel_units(self) -> int:
        return self.batches * self.out_h

    def inplace_margin(self) -> int | None:
        if self.cores != 1:
            return None
        pixels = self.batches * self.out_h * self.out_w
        return margin_by_pixels(self.batches, self.in_h, self.in_w, self.channels,
                                self.out_h, self.out_w, self.channels, self.stride_h,
                                self.stride_w, self.pad_top, self.pad_left,
                                list(range(pixels)))


def make(a: MaxPool2dArgs, consts, cores: int = 1, lean: bool = False) -> MaxPool2dOptArgs:
    return MaxPool2dOptArgs(*(getattr(a, f.name) for f in fields(MaxPool2dArgs)),
                            cores=cores)


register(MaxPool2dArgs, make)
