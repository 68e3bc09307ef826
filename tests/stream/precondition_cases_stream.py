"""Valid args and violations of the precondition rule of td_stream_window_any
(quant/preconditions/stream.py), for tests/codegen/test_preconditions.py."""

from __future__ import annotations

from tinydeploy.quant.golden.stream_window import StreamWindowArgs

WINDOW = StreamWindowArgs(elem_bytes=2, outer=1, hist=4, row=6)

CASES_STREAM = {
    "td_stream_window_any": (WINDOW, [
        ({"elem_bytes": 3}, "elem_bytes = 3: elements are 1/2/4 bytes wide"),
        ({"hist": 0}, "hist = 0 must be > 0"),
        ({"row": -2}, "row = -2 must be > 0"),
        ({"outer": 1 << 20, "row": 1 << 12}, "exceeds INT32_MAX")]),
}
