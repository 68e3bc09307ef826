"""signal_energy (TFLite Micro's SignalEnergy, ``signal/src/energy.cc``): the power of each
complex bin of an int16 spectrum interleaved (re, im), ``y[k] = re[k]^2 + im[k]^2``
(uint32: 2 * 32768^2 = 2^31 fits) for ``start_index <= k < end_index``. TFLM leaves the
other output elements unwritten (whatever its arena held); here they are 0, in the golden
and in the kernel ``td_signal_energy`` alike.

TFLM takes a 1-D int16 input and a 1-D uint32 output and does not check the indices;
refused here (naming the node): other shapes or dtypes, an end_index past the output or
past the input's complex bins (TFLM would read or write out of bounds). start_index >=
end_index writes no bin (all 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register


@dataclass(frozen=True, eq=False)
class SignalEnergyArgs(KernelArgs):
    C_FUNC = "td_signal_energy"
    in_size: int                 # int16 elements of the spectrum (2 per bin)
    size: int                    # uint32 output elements
    start_index: int
    end_index: int               # written: [start_index, end_index); 0 elsewhere


def prepare(g: Graph, op: Op) -> SignalEnergyArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "int16" or y.dtype != "uint32" or len(x.shape) != 1 or len(y.shape) != 1:
        raise UnsupportedError(f"signal_energy: takes a 1-D int16 spectrum to a 1-D uint32 "
                               f"output, got {x.dtype} {list(x.shape)} -> {y.dtype} "
                               f"{list(y.shape)}", node=op.name)
    start, end = int(op.attrs["start_index"]), int(op.attrs["end_index"])
    if start < 0 or (end > start and end > min(y.size, x.size // 2)):
        raise UnsupportedError(f"signal_energy: bins [{start}, {end}) do not lie within the "
                               f"{x.size // 2} bins of input '{x.name}' and the {y.size} "
                               f"elements of output '{y.name}'", node=op.name)
    return SignalEnergyArgs(int(x.size), int(y.size), start, max(start, end))


def run(a: SignalEnergyArgs, x):
    y = np.zeros(a.size, np.uint32)
    s, e = a.start_index, a.end_index
    if e > s:
        c = np.asarray(x, np.int64).ravel()[:2 * e].reshape(e, 2)[s:]
        y[s:e] = (c * c).sum(axis=1).astype(np.uint32)
    return y


register("signal_energy", prepare, run, SignalEnergyArgs)
