"""signal_filter_bank_square_root (TFLite Micro's SignalFilterBankSquareRoot,
``signal/src/filter_bank_square_root.cc`` and ``square_root_64.cc``): ``y[c] = sqrt64(x[c])
>> scale_bits``, uint64 -> uint32, with TFLM's rounded, saturating integer square root
(``_signal_common.sqrt64``) and the run-time int32 scalar ``scale_bits`` (the FFT
auto-scale's second output, in [0, 15] there). A shift count outside [0, 31] is undefined
in TFLM's C++; its host build (x86) shifts by the count mod 32, and so do the golden and
the kernel ``td_signal_filter_bank_square_root`` (as RV32's and x86's shift instructions
do).

TFLM takes a 1-D uint64 input, a rank-0 int32 shift and a 1-D uint32 output; here the
output must have the input's size too. Anything else is refused naming the node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._signal_common import sqrt64


@dataclass(frozen=True, eq=False)
class SignalFilterBankSquareRootArgs(KernelArgs):
    C_FUNC = "td_signal_filter_bank_square_root"
    size: int                    # channels


def prepare(g: Graph, op: Op) -> SignalFilterBankSquareRootArgs:
    x, s, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    if x.dtype != "uint64" or s.dtype != "int32" or y.dtype != "uint32":
        raise UnsupportedError(f"signal_filter_bank_square_root: takes uint64 and an int32 "
                               f"shift to uint32, got {x.dtype}, {s.dtype} -> {y.dtype}",
                               node=op.name)
    if len(x.shape) != 1 or len(s.shape) != 0 or len(y.shape) != 1 or y.size != x.size \
            or x.size < 1:
        raise UnsupportedError(f"signal_filter_bank_square_root: input {list(x.shape)} and "
                               f"output {list(y.shape)} must be the same 1-D size, the shift "
                               f"{list(s.shape)} a scalar (TFLite Micro's shapes)",
                               node=op.name)
    return SignalFilterBankSquareRootArgs(int(x.size))


def run(a: SignalFilterBankSquareRootArgs, x, scale_bits):
    shift = int(np.asarray(scale_bits).ravel()[0]) & 31
    return (sqrt64(np.asarray(x).ravel()) >> np.uint32(shift)).astype(np.uint32)


register("signal_filter_bank_square_root", prepare, run, SignalFilterBankSquareRootArgs)
