"""Rule of the streaming kernel ``td_stream_window_any`` (the receptive-field window of a
causal convolution computed one time step per call, passes/streaming.py)."""

from __future__ import annotations

from tinydeploy.quant.preconditions import Operand, Spec, _Check, register
from tinydeploy.quant.preconditions.movement import _WIDTH
from tinydeploy.quant.preconditions.attention import _width


def _stream_window(c: _Check) -> Spec:
    """td_stream_window_any: x [outer, 1, row] and the history [outer, hist, row] (held
    across calls, updated in place) -> the window [outer, hist + 1, row]."""
    a = c.a
    e = _width(c, "elem_bytes")
    c.positive("outer", "hist", "row")
    c.product("history bytes", e, a.outer, a.hist, a.row)
    n_win = c.product("window elements", a.outer, int(a.hist) + 1, a.row)
    c.product("window bytes", e, n_win)
    return Spec([Operand("input", e * c.product("step elements", a.outer, a.row), _WIDTH[e])],
                Operand("window", e * n_win, _WIDTH[e]))


register("td_stream_window_any", _stream_window)
