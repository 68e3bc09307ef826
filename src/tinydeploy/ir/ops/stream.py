"""Op kinds of streaming (``CompileOptions.stream``, :mod:`tinydeploy.passes.streaming`):
a causal temporal convolution computed one time step per call keeps the last
``(K - 1) * d`` steps of its input in memory held across calls."""

from __future__ import annotations

from tinydeploy.ir.ops import OpDef, register

register(OpDef(
    "stream_window", ("x",),
    {"axis": "the time axis of x (of size 1: one step)",
     "fill": "the value the history starts from (and returns to on reset): the padding "
             "value of the causal convolution it feeds, the zero point of x"},
    doc="The receptive-field window of one step: x [.., 1 (time), ..] appended to the "
        "history [.., H, ..] gives the window [.., H + 1, ..] (output 0); the history then "
        "drops its oldest step and keeps the newest H (output 1: a state tensor, "
        "graph.meta['state'], held across calls and updated in place)."))
