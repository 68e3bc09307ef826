"""Rule of the float32 recurrent kernel ``td_lstm_f32`` (TFLite Micro's float LSTM): the
shapes that keep every read and write inside the planned float32 buffers, a finite
non-negative cell clip. Its state (h and c, [B, S] each) is the op's further outputs, in
the arena the network holds across calls."""

from __future__ import annotations

import math

from tinydeploy.quant.preconditions import Operand, Spec, _Check, register

F = ("float32",)


def _lstm_f32(c: _Check) -> Spec:
    """td_lstm_f32: dims > 0 and element counts within int32, 0/1 flags, a finite
    cell_clip >= 0; input [B*T*I], 8 weights ([S, I] then [S, S]), 4 biases [S], output
    [B*T*S] (float32)."""
    a = c.a
    c.positive("n_batch", "n_time", "n_input", "n_state")
    for flag in ("time_major", "cell_sigmoid"):
        c.within(flag, 0, 1, "a 0/1 flag")
    clip = float(a.cell_clip)
    if not math.isfinite(clip) or clip < 0:
        c.fail(f"cell_clip = {clip} is not a finite value >= 0")
    n_x = c.product("input elements", a.n_batch, a.n_time, a.n_input)
    n_y = c.product("output elements", a.n_batch, a.n_time, a.n_state)
    n_s, n_i = int(a.n_state), int(a.n_input)
    c.product("input weights", n_s, n_i)
    c.product("recurrent weights", n_s, n_s)
    ins = [Operand("input", 4 * n_x, F)]
    ins += [Operand("weights", 4 * n_s * n_i, F) for _ in range(4)]
    ins += [Operand("weights", 4 * n_s * n_s, F) for _ in range(4)]
    ins += [Operand("bias", 4 * n_s, F) for _ in range(4)]
    return Spec(ins, Operand("output", 4 * n_y, F))


register("td_lstm_f32", _lstm_f32)
