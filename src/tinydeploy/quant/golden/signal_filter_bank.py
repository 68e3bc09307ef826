"""signal_filter_bank: TFLite Micro's SignalFilterBank (``signal/micro/kernels/filter_bank.cc``
over ``FilterbankAccumulateChannels``, ``signal/src/filter_bank.cc``), kernel
``td_signal_filter_bank``.

Channel ``i`` of ``num_channels + 1`` reads ``channel_widths[i]`` consecutive energies from
``x[channel_frequency_starts[i]]`` and as many int16 weights and unweights from
``channel_weight_starts[i]``; with ``W(i) = sum weights[ws + j] * x[fs + j]`` and ``U(i)``
the same sum over the unweights, TFLM's accumulators hold ``W(0)`` and ``W(i) + U(i - 1)``
and the micro kernel drops element 0: ``y[c] = W(c + 1) + U(c)`` (uint64). Products and
sums are TFLM's: the int16 weight converted to uint64 (a negative weight wraps), times the
uint32 energy, accumulated modulo 2^64. The output is the first ``y.size`` of those
(TFLM copies as many as the output holds; more than ``num_channels`` would read past its
work area, refused). No scratch: channel c only needs the running accumulators.

The five tables must be constants (TFLM reads them as inputs; here they are validated at
compile time and passed as const arrays): every channel TFLM reads (all ``num_channels + 1``)
must stay inside the input and the weight tables, or the op is refused naming the node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register

_TABLES = ("weights", "unweights", "channel_frequency_starts", "channel_weight_starts",
           "channel_widths")


@dataclass(frozen=True, eq=False)
class SignalFilterBankArgs(KernelArgs):
    C_FUNC = "td_signal_filter_bank"
    num_channels: int
    n_out: int                   # channels written (<= num_channels)
    n_input: int                 # energies in x
    n_weights: int
    n_unweights: int
    n_freq_starts: int           # lengths of the three channel tables (>= num_channels + 1)
    n_weight_starts: int
    n_widths: int


def table_error(num_channels: int, n_input: int, weights, unweights, freq_starts,
                weight_starts, widths) -> str | None:
    """Why TFLM would read outside a buffer with these tables (None: every read is inside)."""
    n = num_channels + 1
    for name, t in (("channel_frequency_starts", freq_starts),
                    ("channel_weight_starts", weight_starts), ("channel_widths", widths)):
        if np.size(t) < n:
            return f"{name} has {np.size(t)} entries, num_channels + 1 = {n} are read"
    n_w = min(np.size(weights), np.size(unweights))
    for i in range(n):
        fs, ws, w = int(freq_starts[i]), int(weight_starts[i]), int(widths[i])
        if w <= 0:
            continue
        if fs < 0 or fs + w > n_input:
            return (f"channel {i} reads energies [{fs}, {fs + w}) of an input of {n_input}")
        if ws < 0 or ws + w > n_w:
            return (f"channel {i} reads weights [{ws}, {ws + w}) of tables of "
                    f"{np.size(weights)} / {np.size(unweights)}")
    return None


def prepare(g: Graph, op: Op) -> SignalFilterBankArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    nc = int(op.attrs["num_channels"])
    if x.dtype != "uint32" or y.dtype != "uint64" or len(x.shape) != 1 or len(y.shape) != 1:
        raise UnsupportedError(f"signal_filter_bank: a 1-D uint32 input and uint64 output "
                               f"(as TFLM), got {x.dtype} {list(x.shape)} -> {y.dtype} "
                               f"{list(y.shape)}", node=op.name)
    tabs = [g.t(n) for n in op.inputs[1:6]]
    for name, t in zip(_TABLES, tabs):
        if t.dtype != "int16" or len(t.shape) != 1 or not t.is_const:
            raise UnsupportedError(f"signal_filter_bank: {name} '{t.name}' must be a constant "
                                   f"1-D int16 table, got {'a constant ' if t.is_const else ''}"
                                   f"{t.dtype} {list(t.shape)}", node=op.name)
    if nc < 1 or y.size > nc:
        raise UnsupportedError(f"signal_filter_bank: an output of {y.size} channels with "
                               f"num_channels = {nc} (TFLM copies past its {nc} channels)",
                               node=op.name)
    why = table_error(nc, x.size, *(np.asarray(t.data).ravel() for t in tabs))
    if why:
        raise UnsupportedError(f"signal_filter_bank: {why} (TFLM would read out of bounds)",
                               node=op.name)
    return SignalFilterBankArgs(nc, int(y.size), int(x.size), *(int(t.size) for t in tabs))


def run(a: SignalFilterBankArgs, x, weights, unweights, freq_starts, weight_starts, widths):
    x = np.asarray(x).ravel().astype(np.uint64)
    w = np.asarray(weights).ravel().astype(np.int64).astype(np.uint64)   # int16 -> uint64
    u = np.asarray(unweights).ravel().astype(np.int64).astype(np.uint64)
    fs, ws, cw = (np.asarray(t).ravel().astype(np.int64)
                  for t in (freq_starts, weight_starts, widths))

    def dot(tab, i):
        n = max(int(cw[i]), 0)
        seg = tab[ws[i]:ws[i] + n] * x[fs[i]:fs[i] + n]       # wraps modulo 2^64
        return seg.sum(dtype=np.uint64)

    y = np.zeros(a.n_out, np.uint64)
    with np.errstate(over="ignore"):
        for c in range(a.n_out):
            y[c] = dot(w, c + 1) + dot(u, c)
    return y


register("signal_filter_bank", prepare, run, SignalFilterBankArgs)
