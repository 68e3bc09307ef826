"""stream_window: the receptive-field window of one time step of a causal convolution
computed one step per call (:mod:`tinydeploy.passes.streaming`), kernel
``td_stream_window_any``.

Seen as ``[outer, time, row]`` (``outer``: the product of the dims before the time axis,
``row``: of those after it), the history holds the last ``hist`` steps of the input; the
window is the history followed by the new step ``x`` (``[outer, hist + 1, row]``), and
the new history is the window without its oldest step. Bytes are moved, never changed (any
integer element type).

The history is the op's second output, held across calls (``graph.meta["state"]``):
:func:`run` takes its current value after ``x`` and returns ``(window, history)``;
:func:`reset_values` gives the value it starts from: every element the ``fill`` attribute,
the padding value (real 0: the zero point) of the causal convolution the window feeds,
so the first steps see exactly the left padding the whole-sequence convolution sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden._integer import ELEM_BYTES, require
from tinydeploy.quant.golden.slice import check_copy


@dataclass(frozen=True, eq=False)
class StreamWindowArgs(KernelArgs):
    C_FUNC = "td_stream_window_any"

    elem_bytes: int           # 1, 2 or 4
    outer: int                # product of the dims before the time axis
    hist: int                 # steps the history keeps: (K - 1) * dilation
    row: int                  # elements per step (product of the dims after the axis)


def _view(g: Graph, op: Op) -> tuple[int, int, int, int]:
    """(axis, outer, hist, row) of the op, checked against its tensors."""
    x, win, hist = g.t(op.inputs[0]), g.t(op.outputs[0]), g.t(op.outputs[1])
    n = len(x.shape)
    axis = int(op.attrs.get("axis", -1))
    require(-n <= axis < n, op, f"time axis {axis} outside {n} dims")
    axis %= n
    h = int(hist.shape[axis]) if len(hist.shape) == n else -1
    require(x.shape[axis] == 1 and h >= 1 and
            all(len(t.shape) == n and all(a == b for d, (a, b) in
                                          enumerate(zip(t.shape, x.shape)) if d != axis)
                for t in (win, hist)) and win.shape[axis] == h + 1, op,
            f"step {list(x.shape)}, window {list(win.shape)} and history {list(hist.shape)} "
            f"do not agree along time axis {axis}")
    return axis, int(np.prod(x.shape[:axis])), h, int(np.prod(x.shape[axis + 1:]))


def prepare(g: Graph, op: Op) -> StreamWindowArgs:
    x, win, hist = g.t(op.inputs[0]), g.t(op.outputs[0]), g.t(op.outputs[1])
    check_copy(op, x, win)
    check_copy(op, x, hist)
    _, outer, h, row = _view(g, op)
    return StreamWindowArgs(ELEM_BYTES[x.dtype], outer, h, row)


def reset_values(g: Graph, op: Op) -> tuple[np.ndarray]:
    """The history before the first step: the causal padding (``fill``) everywhere."""
    h = g.t(op.outputs[1])
    fill = int(op.attrs.get("fill", 0))
    info = np.iinfo(h.np_dtype)
    require(info.min <= fill <= info.max, op, f"fill {fill} does not fit {h.dtype}")
    return (np.full(h.shape, fill, h.np_dtype),)


def run(a: StreamWindowArgs, x: np.ndarray, history: np.ndarray):
    """Returns (window, new history)."""
    xs = np.asarray(x).reshape(a.outer, 1, a.row)
    hs = np.asarray(history).reshape(a.outer, a.hist, a.row)
    win = np.concatenate([hs, xs], axis=1)
    return win, np.ascontiguousarray(win[:, 1:, :]).reshape(np.shape(history))


register("stream_window", prepare, run, StreamWindowArgs)
