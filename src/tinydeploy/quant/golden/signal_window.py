"""signal_window (TFLite Micro's SignalWindow, ``signal/src/window.cc``): the int16 frame
times the int16 window, ``y[i] = clamp16((x[i] * w[i mod n]) >> shift)`` (the int32
product, arithmetic right shift). Kernel ``td_signal_window``.

As TFLM's kernel does, the input (any rank >= 1) is walked flat in chunks of the window's
length n: micro_speech's [1, 480] frame with a 480-point window is one chunk, a [k, n]
batch of frames k. Refused (naming the node): a window that is not 1-D int16, a flat size
that is not a whole number of windows (TFLM would read past the input), an output of
another size or rank, a shift outside [0, 31].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register


@dataclass(frozen=True, eq=False)
class SignalWindowArgs(KernelArgs):
    C_FUNC = "td_signal_window"
    size: int                    # input (= output) elements
    window: int                  # window length: size is a multiple of it
    shift: int


def prepare(g: Graph, op: Op) -> SignalWindowArgs:
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    for t, what in ((x, "input"), (w, "window"), (y, "output")):
        if t.dtype != "int16":
            raise UnsupportedError(f"signal_window: {what} '{t.name}' must be int16, got "
                                   f"{t.dtype}", node=op.name)
    if len(x.shape) < 1 or len(w.shape) != 1 or len(y.shape) != len(x.shape):
        raise UnsupportedError(f"signal_window: input {list(x.shape)} (rank >= 1), window "
                               f"{list(w.shape)} (1-D) and output {list(y.shape)} (the "
                               "input's rank) as TFLite Micro requires", node=op.name)
    n = int(w.shape[0])
    if n < 1 or x.size % n or y.size != x.size:
        raise UnsupportedError(f"signal_window: input {list(x.shape)} is not a whole number "
                               f"of {n}-point windows, or output {list(y.shape)} differs",
                               node=op.name)
    shift = int(op.attrs.get("shift", 0))
    if not 0 <= shift <= 31:
        raise UnsupportedError(f"signal_window: shift {shift} outside [0, 31]", node=op.name)
    return SignalWindowArgs(int(x.size), n, shift)


def run(a: SignalWindowArgs, x, w):
    xs = np.asarray(x, np.int64).reshape(-1, a.window)
    raw = (xs * np.asarray(w, np.int64).reshape(1, a.window)) >> a.shift
    return np.clip(raw, -32768, 32767).astype(np.int16).reshape(np.shape(x))


register("signal_window", prepare, run, SignalWindowArgs)
