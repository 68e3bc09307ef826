"""Streaming (``CompileOptions.stream``, ``tinydeploy compile --stream``): a temporal
convolutional network given as a whole sequence becomes a graph that computes one new
time step per call, each causal convolution keeping its receptive-field history in
memory held across calls.

The time axis. The frontends give a 1-D convolution as an NHWC ``conv2d`` on
``[N, 1, L, C]`` (ONNX ``[N, C, L]`` -> transpose -> ``[N, 1, L, C]``; TFLite's Conv1D
expands dims at axis 1 the same way): time is the W axis there. A net whose
convolutions see ``[N, L, 1, C]`` streams along H; a convolution with both H and W
above 1 (a 2-D map) streams along W, the other spatial axis being computed whole at
every step. The first convolution fixes the axis and the length ``L``; the time axis of
every other tensor is traced from the graph inputs through the ops (a transpose moves
it, a reshape keeps it when it neither merges nor splits it), so the source layout's
transposes at the edges stay as they are, with ``L = 1``.

The rewrite. Every activation keeps its shape with ``L`` replaced by 1. A causal
convolution along time - stride 1, ``(K - 1) * d`` steps of left padding (its own pads,
plus an explicit ``pad`` op before it: TFLite's causal Conv1D), none on the right, any
dilation ``d`` - becomes ``stream_window`` (step x -> the window ``[.., (K-1)*d + 1, ..]``
and the history ``[.., (K-1)*d, ..]``, a state tensor: ``graph.meta["state"]``, reset to
the padding value, the zero point of x, which is real 0 as the convolution pads) followed
by the same convolution without padding along time on the window. Convolutions reading
the same tensor with the same history share one window. ``K = 1`` convolutions,
elementwise ops, requantizations, adds of two streams (at any delays: in a causal net
both are at step t), per-step pools, reductions and rows over other axes, and reshapes/
transposes that keep time stay as they are.

Anything else mixes time steps and is refused with one line naming the node and why:
a stride or pool along time, padding on the right of time (not causal), padding that is
not ``(K - 1) * d``, a reduction or flatten over time (a global pool, an FC over the
sequence), a slice or concatenation along time, or an op kind not known to be per-step.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from tinydeploy.errors import UnsupportedError, naming
from tinydeploy.ir.graph import Graph, Op

CONVS = ("conv2d", "depthwise_conv2d")
POOLS = ("avg_pool2d", "max_pool2d", "sum_pool2d")
# output element i depends on input element i only (same shape)
UNARY = ("requant", "quantize", "dequantize", "cast", "logistic", "tanh", "abs", "rsqrt",
         "hard_swish", "ihardswish", "igelu", "leaky_relu", "lut", "unary")
# elementwise with numpy broadcasting
BINARY = ("add", "sub", "mul", "div", "maximum", "minimum", "squared_difference", "prelu",
          "pow", "integer_div")
# over the last axis (a row): per step unless time is the last axis
ROW_LAST = ("softmax", "isoftmax", "itamax", "ilayernorm", "irmsnorm", "layernorm",
            "l2_normalization", "log_softmax", "fully_connected")
REDUCE = ("mean", "reduce", "reduce_max", "sum")
MAX_TRIES = 64


class _Refused(Exception):
    """A refusal at op ``index``; ``rank`` orders the candidates' refusals (the one that
    got furthest is reported; at the same op, a real reason before an axis mismatch)."""

    def __init__(self, index: int, err: UnsupportedError, mismatch: bool = False):
        super().__init__(str(err))
        self.index, self.err, self.rank = index, err, 2 * index + (not mismatch)


class _Mismatch(UnsupportedError):
    """The traced time axis is not the one the first convolution runs along."""


def _unique(base: str, taken) -> str:
    name, i = base, 1
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    return name


def _anchor(g: Graph) -> tuple[int, int, int]:
    """(op index, time axis of its NHWC input, L) of the first convolution: L is the
    length of its input before any padding (a pad op before it included)."""
    for i, op in enumerate(g.ops):
        if op.kind in CONVS and len(g.t(op.inputs[0]).shape) == 4:
            src = g.producer(op.inputs[0])
            x = g.t(src.inputs[0] if src is not None and src.kind == "pad" and
                    len(g.t(src.inputs[0]).shape) == 4 else op.inputs[0])
            axis = 1 if x.shape[2] == 1 and x.shape[1] > 1 else 2
            return i, axis, int(x.shape[axis])
    raise UnsupportedError("--stream: the graph has no convolution along a time axis (it "
                           "is for temporal convolution networks)")


def _conv_time(g: Graph, op: Op, t: int) -> tuple[int, int, int, int, int]:
    """(kernel, stride, dilation, left pad, right pad) of a conv/pool along axis t (1/2)."""
    k = t - 1
    if op.kind in CONVS:
        w = g.t(op.inputs[1])
        kern = int(w.shape[t] if op.kind == "conv2d" else w.shape[k])
        dil = int(op.attrs.get("dilation", (1, 1))[k])
    else:
        kern, dil = int(op.attrs["kernel"][k]), 1
    top, left, bottom, right = op.attrs.get("pads", (0, 0, 0, 0))
    before, after = (top, bottom) if t == 1 else (left, right)
    return kern, int(op.attrs.get("stride", (1, 1))[k]), dil, int(before), int(after)


class _Trace:
    """The time axis of every activation, traced from the graph inputs' axes."""

    def __init__(self, g: Graph, anchor: tuple[int, int, int], in_axes: dict[str, int]):
        self.g, self.length = g, anchor[2]
        self.axes: dict[str, int | None] = dict(in_axes)
        self.delays: dict[str, tuple[str, int]] = {}   # pad output -> (source, left pad)
        self.windows: dict[int, tuple[str, int, int]] = {}   # conv index -> (src, H, axis)
        for i, op in enumerate(g.ops):
            try:
                self._op(i, op, anchor)
            except UnsupportedError as e:
                raise _Refused(i, e.with_node(op.name, op.kind),
                               isinstance(e, _Mismatch)) from None

    def fail(self, reason: str):
        raise UnsupportedError(f"cannot stream one time step per call: {reason}")

    def _axis(self, n: str) -> int | None:
        if not n or self.g.t(n).is_const:
            return None
        if n in self.delays:
            self.fail(f"it reads '{n}', padded along time, which only a causal "
                      "convolution can take")
        return self.axes.get(n)

    def _set(self, op: Op, axis: int | None, n: str | None = None) -> None:
        n = n or op.outputs[0]
        if axis is not None and self.g.t(n).shape[axis] != self.length:
            self.fail(f"its output '{n}' has {self.g.t(n).shape[axis]} steps along time, "
                      f"not the sequence's {self.length} (one output per step)")
        self.axes[n] = axis

    def _op(self, i: int, op: Op, anchor) -> None:
        g, k = self.g, op.kind
        src, pad = op.inputs[0] if op.inputs else "", 0
        if k in CONVS and src in self.delays:      # an explicit causal pad before it
            src, pad = self.delays[src]
        ins = [self._axis(src)] + [self._axis(n) for n in op.inputs[1:]] if op.inputs else []
        t = ins[0] if ins else None
        if i == anchor[0] and t != anchor[1]:
            raise _Mismatch(f"cannot stream one time step per call: time is axis {t} of "
                            f"its input, not axis {anchor[1]}")
        live = [a for a in ins if a is not None]
        if t is None and not live:
            for n in op.outputs:             # computed from constants only
                self.axes[n] = None
            return
        if k in CONVS or k in POOLS:
            self._window(i, op, t, src, pad)
        elif k in UNARY:
            if k == "requant" and t == len(g.t(op.inputs[0]).shape) - 1 and any(
                    np.size(op.attrs.get(a, 1)) > 1 for a in ("mul", "add", "div")):
                self.fail("its per-channel parameters run along the time axis")
            self._set(op, t)
        elif k in BINARY:
            self._binary(op)
        elif k in ROW_LAST:
            x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
            if t == len(x.shape) - 1 or len(y.shape) != len(x.shape) or \
                    any(a is not None for a in ins[1:]):
                self.fail(f"{k} works along the last axis, which is time here")
            self._set(op, t)
        elif k in REDUCE:
            x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
            axes = [int(a) % len(x.shape) for a in op.attrs["axes"]]
            if t in axes:
                self.fail("it reduces over time (a global pool over the sequence)")
            self._set(op, t if len(y.shape) == len(x.shape) else
                      t - sum(a < t for a in axes))
        elif k == "transpose":
            self._set(op, list(op.attrs["perm"]).index(t))
        elif k == "reshape":
            self._reshape(op, t)
        elif k == "pad":
            self._pad(op, t)
        elif k == "concat":
            if int(op.attrs["axis"]) == t or any(a != t for a in ins):
                self.fail("it concatenates along time, or a constant or tensors whose "
                          "time axes differ")
            self._set(op, t)
        elif k == "slice":
            x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
            if op.attrs["starts"][t] != 0 or op.attrs["steps"][t] != 1 or \
                    y.shape[t] != x.shape[t]:
                self.fail("it slices along time")
            self._set(op, t)
        else:
            self.fail(f"'{k}' is not known to work one time step at a time (streaming "
                      "takes per-step ops, causal convolutions and reshapes/transposes "
                      "that keep the time axis)")

    def _window(self, i: int, op: Op, t: int | None, src: str, pad: int) -> None:
        if t not in (1, 2) or len(self.g.t(op.inputs[0]).shape) != 4:
            self.fail(f"time is axis {t}, not the H or W axis of its NHWC input")
        kern, stride, dil, before, after = _conv_time(self.g, op, t)
        what = "convolution" if op.kind in CONVS else "pool"
        if op.kind in POOLS and (kern, stride, before + pad, after) != (1, 1, 0, 0):
            self.fail(f"it pools along time (kernel {kern}, stride {stride}): it mixes time "
                      "steps")
        if stride != 1:
            self.fail(f"stride {stride} along time: one output every {stride} steps")
        if after:
            self.fail(f"the {what} pads time by {after} on the right: output t would read "
                      "later steps (not causal)")
        hist = (kern - 1) * dil
        if before + pad != hist:
            self.fail(f"{before + pad} steps of left padding along time, not (K - 1) * d "
                      f"= {hist}: not a causal convolution with one output per step")
        if hist:
            self.windows[i] = (src, hist, t)
        self._set(op, t)

    def _binary(self, op: Op) -> None:
        g, y = self.g, self.g.t(op.outputs[0])
        r, out = len(y.shape), None
        for n in op.inputs:
            if not n:
                continue
            shift = r - len(g.t(n).shape)
            a = self._axis(n)
            if a is not None:
                if out is not None and a + shift != out:
                    self.fail("its inputs' time axes do not line up")
                out = a + shift
        for n in op.inputs:
            if n and self._axis(n) is None:
                shape = g.t(n).shape
                j = out - (r - len(shape))
                if 0 <= j < len(shape) and shape[j] != 1:
                    self.fail(f"its operand '{n}' varies along time")
        self._set(op, out)

    def _reshape(self, op: Op, t: int) -> None:
        x, y = self.g.t(op.inputs[0]), self.g.t(op.outputs[0])
        before = int(np.prod(x.shape[:t]))
        for j, d in enumerate(y.shape):
            if d == x.shape[t] and int(np.prod(y.shape[:j])) == before:
                self._set(op, j)
                return
        self.fail(f"the reshape {list(x.shape)} -> {list(y.shape)} merges or splits the "
                  f"time axis {t} (a flatten over the sequence)")

    def _pad(self, op: Op, t: int) -> None:
        pads = [tuple(int(v) for v in p) for p in op.attrs["pads"]]
        if pads[t] == (0, 0):
            self._set(op, t)
            return
        if pads[t][1]:
            self.fail(f"it pads time by {pads[t][1]} on the right: later steps would "
                      "reach earlier outputs (not causal)")
        if any(p != (0, 0) for j, p in enumerate(pads) if j != t):
            self.fail("it pads time together with other axes")
        if op.inputs[0] in self.delays:
            self.fail("two paddings along time in a row")
        self.delays[op.outputs[0]] = (op.inputs[0], pads[t][0])


def _trace(g: Graph) -> _Trace:
    """The trace whose graph-input axes reach the first convolution at its time axis
    (inputs: each axis of the sequence's length is a candidate)."""
    anchor = _anchor(g)
    cands = [[a for a, d in enumerate(g.t(n).shape) if d == anchor[2]] or [None]
             for n in g.inputs]
    worst: _Refused | None = None
    for combo in itertools.islice(itertools.product(*cands), MAX_TRIES):
        if None in combo:
            continue
        try:
            return _Trace(g, anchor, dict(zip(g.inputs, combo)))
        except _Refused as r:
            if worst is None or r.rank > worst.rank:
                worst = r
    if worst is not None:
        raise worst.err
    bad = next(n for n, c in zip(g.inputs, cands) if c == [None])
    raise UnsupportedError(f"cannot stream: input '{bad}' {list(g.t(bad).shape)} has no "
                           f"axis of the sequence's length {anchor[2]}")


def stream_graph(g: Graph) -> Graph:
    """The one-step graph of sequence graph ``g`` (see the module docs); raises
    :class:`UnsupportedError` naming the node that mixes time steps."""
    with naming(g.source or None):
        if g.meta.get("state") or g.meta.get("train"):
            raise UnsupportedError("--stream: the graph already keeps state across calls "
                                   "or is a training step")
        tr = _trace(g)
        for n in g.outputs:
            if tr.axes.get(n) is None:
                raise UnsupportedError(f"--stream: output '{n}' does not run along time")
        return _rewrite(g, tr)


def _rewrite(g: Graph, tr: _Trace) -> Graph:
    tensors = {}
    for n, t in g.tensors.items():
        a = tr.axes.get(n)
        if n in tr.delays:
            continue
        tensors[n] = t if a is None or t.is_const else \
            replace(t, shape=tuple(1 if j == a else d for j, d in enumerate(t.shape)))
    taken = set(g.tensors) | {op.name for op in g.ops}
    ops, state, shared = [], [], {}
    for i, op in enumerate(g.ops):
        if op.kind == "pad" and op.outputs[0] in tr.delays:
            continue                  # folded into the convolution(s) it feeds
        src, _ = tr.delays.get(op.inputs[0], (op.inputs[0], 0)) if op.inputs else ("", 0)
        if (op.kind in CONVS or op.kind in POOLS) and tr.axes.get(src) is not None:
            t = tr.axes[src]
            pads = list(op.attrs.get("pads", (0, 0, 0, 0)))
            pads[t - 1] = 0           # (top, left, ..): the left/top of axis t
            op = op.with_(attrs={**op.attrs, "pads": tuple(pads)}, inputs=(src, *op.inputs[1:]))
            if i in tr.windows:
                key = tr.windows[i]
                if key not in shared:
                    shared[key] = _window(g, tensors, taken, ops, state, op, key)
                op = op.with_(inputs=(shared[key], *op.inputs[1:]))
        ops.append(op)
    meta = {**g.meta, "state": state,
            "stream": {"length": tr.length,
                       "input_axes": {n: tr.axes[n] for n in g.inputs},
                       "output_axes": {n: tr.axes[n] for n in g.outputs}}}
    return Graph(g.name, tensors, ops, list(g.inputs), list(g.outputs), g.source, meta)


def _window(g: Graph, tensors: dict, taken: set, ops: list, state: list, conv: Op,
            key: tuple[str, int, int]) -> str:
    """Add the stream_window op of (source, history steps, axis); returns the window."""
    src, hist, axis = key
    x = tensors[src]

    def steps(n: int) -> tuple[int, ...]:
        return tuple(n if j == axis else d for j, d in enumerate(x.shape))

    names = []
    for what, n in (("window", hist + 1), ("history", hist)):
        name = _unique(f"{src}_{what}{hist}", taken)
        taken.add(name)
        tensors[name] = replace(x, name=name, shape=steps(n), data=None)
        names.append(name)
    fill = x.quant.zp if x.quant is not None else 0
    op_name = _unique(f"{conv.name}_window", taken)
    taken.add(op_name)
    ops.append(Op("stream_window", op_name, (src,), tuple(names),
                  {"axis": axis, "fill": int(fill)}))
    state.append(names[1])
    return names[0]
