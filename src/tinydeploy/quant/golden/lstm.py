"""lstm: TFLite Micro's integer UNIDIRECTIONAL_SEQUENCE_LSTM, 8x8 -> 16 (int8 activations
and weights, int32 bias, kernel ``td_lstm_s8``) and 16x8 -> 16 (int16 activations with zero
point 0, int8 weights, int64 bias, kernel ``td_lstm_s16``); int16 cell state in both.

Per step, for each gate k (TFLite's order: input i, forget f, cell g, output o):

- ``xk = clamp16(M_xk(W_xk (x + x_offset) + b_k))`` and ``hk = clamp16(M_hk(W_hk (h +
  h_offset)))``: two fully-connected layers to int16 in Q3.12 (output scale 2^-12,
  ``M = s_in * s_w / 2^-12`` by ``QuantizeMultiplier``; int8: int32 sums and TFLite's
  32-bit requantization, 16x8: int64 sums and its 64-bit one); the recurrent one has no
  bias;
- ``gate = act(clamp16(xk + hk))``: the int16 sigmoid (tanh for the cell gate, or sigmoid
  when the op says so) of Q3.12 input (multiplier 3, no shift), output Q0.15
  (:mod:`.int16.logistic`);

then ``c = clamp16(M_f(f * c))``, ``c = clamp16(c + clamp16(M_i(i * g)))`` (``M_f =
2^-15``, ``M_i = 2^-30 / s_c``), clipped to ``±cell_clip / s_c`` when the op clips;
``h = clamp(M_o(tanh_c(c) * o) + h_zp)`` (to int8 or int16) with ``M_o = 2^-30 / s_h``
and ``tanh_c`` the int16 tanh of the cell state (its scale 2^p, p = TFLite's rounded
log2: input shift ``15 + p - 3``, as a multiplier ``3 << s`` when >= 0, else multiplier 3
and right shift);
the step's output row is h. Every multiplication by ``M`` is TFLite's
MultiplyByQuantizedMultiplier. Batches run one after the other over all their steps
(batch-major input) or together, step by step (time-major).

The state (h, c) is the op's second and third output, held across calls
(``graph.meta["state"]``): :func:`run` takes the current values after the op's inputs and
returns ``(y, h, c)``. TFLM resets it to h's zero point (int8; int16: 0) and 0
(:func:`reset_values`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import register
from tinydeploy.quant.golden.int16._common import (INT64_ACC_LIMIT, check_shifts64,
                                                   require_int16, requant64)
from tinydeploy.quant.golden.int16.logistic import (LogisticS16Args, checked_log2,
                                                    run_logistic, run_tanh)
from tinydeploy.quant.golden.int16.luts import SIGMOID_Q16
from tinydeploy.quant.requant import multiply_by_quantized_multiplier, quantize_multiplier

GATE_SCALE = 2.0 ** -12          # the fully-connected outputs: Q3.12
ACT_SCALE = 2.0 ** -15           # the sigmoid / tanh outputs: Q0.15
I16 = (-32768, 32767)


@dataclass(frozen=True, eq=False)
class LstmS8Args(KernelArgs):
    C_FUNC = "td_lstm_s8"
    C_SCRATCH = True
    n_batch: int
    n_time: int
    n_input: int
    n_state: int
    time_major: int               # 1: x is [T, B, I], all batches per step
    x_offset: int                 # -zero point of x
    h_offset: int                 # -zero point of h (the recurrent input)
    h_zp: int                     # zero point of h (the output of the hidden update)
    cell_sigmoid: int             # 1: the cell gate uses sigmoid instead of tanh
    f_mult: int                   # f * c -> c
    f_shift: int
    i_mult: int                   # i * g -> c
    i_shift: int
    o_mult: int                   # tanh(c) * o -> h
    o_shift: int
    tanh_mult: int                # the cell state's tanh input rescale
    tanh_shift: int
    clip: int                     # 1: clip the cell state to [-cell_clip, cell_clip]
    cell_clip: int
    x_mult: np.ndarray = array_field()      # [4] per gate i, f, g, o
    x_shift: np.ndarray = array_field()
    h_mult: np.ndarray = array_field()
    h_shift: np.ndarray = array_field()
    table: np.ndarray = array_field("uint16_t")      # [256] sigmoid(i / 24) in 0.16

    @property
    def wide(self) -> bool:
        return False

    @property
    def rows(self) -> int:
        """State rows one step computes together."""
        return self.n_batch if self.time_major else 1

    def scratch_size(self) -> int:
        return 4 * self.rows * self.n_state * 2          # four int16 gate buffers


@dataclass(frozen=True, eq=False)
class LstmS16Args(LstmS8Args):
    C_FUNC = "td_lstm_s16"

    @property
    def wide(self) -> bool:
        return True


def _weights(g: Graph, op: Op, k: int, cols: int, rows: int) -> np.ndarray:
    w = g.t(op.inputs[k])
    if w.dtype != "int8" or not w.is_const or w.quant is None or w.quant.per_channel:
        raise UnsupportedError(f"lstm: weights '{w.name}' must be constant per-tensor "
                               "quantized int8", node=op.name)
    if tuple(w.shape) != (rows, cols):
        raise UnsupportedError(f"lstm: weights '{w.name}' of shape {list(w.shape)}, expected "
                               f"{[rows, cols]}", node=op.name)
    if w.quant.zp != 0:
        raise UnsupportedError(f"lstm: weights '{w.name}' have zero point {w.quant.zp} "
                               "(symmetric int8 only)", node=op.name)
    return w


def _mult(real: float) -> tuple[int, int]:
    return quantize_multiplier(real)


def prepare(g: Graph, op: Op) -> LstmS8Args:
    x, y, h, c = (g.t(n) for n in (op.inputs[0], *op.outputs[:3]))
    act = x.dtype if x.dtype in ("int8", "int16") else "int8"
    for t, dt in ((x, act), (y, act), (h, act), (c, "int16")):
        if t.dtype != dt or t.quant is None or t.quant.per_channel:
            raise UnsupportedError(f"lstm: '{t.name}' must be per-tensor quantized {dt} "
                                   f"(TFLM's integer LSTM: int8 or int16 activations, int16 "
                                   f"cell), got {t.dtype}", node=op.name)
    wide = act == "int16"
    if wide:
        require_int16(op, x, y, h)
    if len(x.shape) != 3 or len(y.shape) != 3:
        raise UnsupportedError("lstm: input and output must be 3-D", node=op.name)
    tm = bool(op.attrs.get("time_major"))
    t_steps, batch = (x.shape[0], x.shape[1]) if tm else (x.shape[1], x.shape[0])
    n_in, n_state = int(x.shape[2]), int(y.shape[2])
    if tuple(y.shape[:2]) != tuple(x.shape[:2]) or h.size != batch * n_state or \
            c.size != batch * n_state:
        raise UnsupportedError(f"lstm: input {list(x.shape)}, output {list(y.shape)}, state "
                               f"{list(h.shape)} / {list(c.shape)} do not agree", node=op.name)
    f32 = np.float32
    sx, sh, sc = float(f32(x.quant.s)), float(f32(h.quant.s)), float(f32(c.quant.s))
    x_mult, x_shift, h_mult, h_shift = [], [], [], []
    for k in range(4):
        wx = _weights(g, op, 1 + k, n_in, n_state)
        wh = _weights(g, op, 5 + k, n_state, n_state)
        b = g.t(op.inputs[9 + k])
        bt = "int64" if wide else "int32"
        if b.dtype != bt or not b.is_const or tuple(b.shape) != (n_state,):
            raise UnsupportedError(f"lstm: bias '{b.name}' must be a constant {bt} "
                                   f"[{n_state}]", node=op.name)
        if wide:
            worst = 32768 * max(int(np.abs(wx.data.astype(np.int64)).sum(1).max()),
                                int(np.abs(wh.data.astype(np.int64)).sum(1).max())) + \
                int(np.abs(b.data.astype(np.int64)).max())
            if worst >= INT64_ACC_LIMIT:
                raise UnsupportedError(f"lstm (16x8): accumulator may reach {worst} >= 2^47",
                                       node=op.name)
        for m, s, w, si in ((x_mult, x_shift, wx, sx), (h_mult, h_shift, wh, sh)):
            mult, shift = _mult(si * float(f32(w.quant.s)) / GATE_SCALE)
            m.append(mult)
            s.append(shift)
    act = op.attrs.get("cell_act", "tanh")
    if act not in ("tanh", "sigmoid"):
        raise UnsupportedError(f"lstm: cell gate activation {act} (tanh or sigmoid)",
                               node=op.name)
    _, power = checked_log2(sc)                       # TFLite's CellStateInfo
    left = 15 + power - 3
    tanh_mult, tanh_shift = (3 << left, 0) if left >= 0 else (3, -left)
    if left > 14 or tanh_shift > 31:
        raise UnsupportedError(f"lstm: cell state scale {sc} is out of the int16 tanh's "
                               "range", node=op.name)
    clip_f = float(f32(op.attrs.get("cell_clip", 0.0)))
    q_clip = int(min(max(clip_f / sc, -32768.0), 32767.0))
    f_m, f_s = _mult(ACT_SCALE * sc / sc)
    i_m, i_s = _mult(ACT_SCALE * ACT_SCALE / sc)
    o_m, o_s = _mult(ACT_SCALE * ACT_SCALE / sh)
    i32 = np.int32
    if wide:
        check_shifts64(op, np.array(x_shift + h_shift))
    cls = LstmS16Args if wide else LstmS8Args
    return cls(int(batch), int(t_steps), n_in, n_state, int(tm), -x.quant.zp,
                      -h.quant.zp, h.quant.zp, int(act == "sigmoid"), f_m, f_s, i_m, i_s,
                      o_m, o_s, tanh_mult, tanh_shift, int(clip_f > 0), q_clip,
                      np.array(x_mult, i32), np.array(x_shift, i32), np.array(h_mult, i32),
                      np.array(h_shift, i32), SIGMOID_Q16)


def reset_values(g: Graph, op: Op) -> tuple[np.ndarray, np.ndarray]:
    """The state TFLM starts from (ResetVariableTensors): h at its zero point, c at 0."""
    h, c = g.t(op.outputs[1]), g.t(op.outputs[2])
    fill = h.quant.zp if h.dtype == "int8" else 0
    return (np.full(h.shape, fill, h.np_dtype), np.zeros(c.shape, np.int16))


def _fc(a: LstmS8Args, k: int, v: np.ndarray, off: int, w: np.ndarray, mult, shift,
        bias=None) -> np.ndarray:
    acc = (v.astype(np.int64) + off) @ w.astype(np.int64).T
    if bias is not None:
        acc = acc + bias.astype(np.int64)
    rq = requant64 if a.wide else multiply_by_quantized_multiplier
    return np.clip(rq(acc, int(mult[k]), int(shift[k])), *I16)


def _mul(p: np.ndarray, q: np.ndarray, mult: int, shift: int, offset: int = 0,
         lo_hi=I16) -> np.ndarray:
    prod = p.astype(np.int64) * q.astype(np.int64)
    return np.clip(multiply_by_quantized_multiplier(prod, mult, shift) + offset, *lo_hi)


def step(a: LstmS8Args, xt, weights, biases, h, c):
    """One step on ``rows`` state rows: x [rows, I], h [rows, S] int8, c [rows, S] int16
    -> (h, c) updated."""
    gate = LogisticS16Args(0, 3, 0, a.table)
    cell = LogisticS16Args(0, a.tanh_mult, a.tanh_shift, a.table)
    wx, wh = weights[:4], weights[4:]
    out = []
    for k in range(4):
        v = np.clip(_fc(a, k, xt, a.x_offset, wx[k], a.x_mult, a.x_shift, biases[k])
                    + _fc(a, k, h, a.h_offset, wh[k], a.h_mult, a.h_shift), *I16)
        v = v.astype(np.int16)
        sig = k != 2 or a.cell_sigmoid
        out.append((run_logistic if sig else run_tanh)(gate, v).astype(np.int64))
    i, f, g_, o = out
    c = _mul(f, c, a.f_mult, a.f_shift)
    c = np.clip(c + _mul(i, g_, a.i_mult, a.i_shift), *I16)
    if a.clip:
        c = np.clip(c, -a.cell_clip, a.cell_clip)
    c = c.astype(np.int16)
    t = run_tanh(cell, c).astype(np.int64)
    dt = np.int16 if a.wide else np.int8
    info = np.iinfo(dt)
    h = _mul(t, o, a.o_mult, a.o_shift, a.h_zp, (int(info.min), int(info.max))).astype(dt)
    return h, c


def run(a: LstmS8Args, x, *rest):
    """``rest``: the 8 weights, 4 biases, then the state h and c; returns (y, h, c)."""
    weights, biases, (h0, c0) = rest[:8], rest[8:12], rest[12:14]
    S = a.n_state
    dt = np.int16 if a.wide else np.int8
    h = np.asarray(h0, dt).reshape(a.n_batch, S).copy()
    c = np.asarray(c0, np.int16).reshape(a.n_batch, S).copy()
    return run_sequence(a, np.asarray(x), h, c, dt,
                        lambda xt, h, c: step(a, xt, weights, biases, h, c))


def run_sequence(a, x: np.ndarray, h: np.ndarray, c: np.ndarray, dt, step_fn):
    """TFLM's walk over a sequence (integer and float LSTMs alike): time-major steps all
    batch rows together; batch-major runs each row through its time steps on its own.
    ``step_fn(x_t, h, c) -> (h, c)``; ``h``, ``c`` [B, S] are updated; returns (y, h, c)."""
    S, I = a.n_state, a.n_input
    if a.time_major:
        xs = x.reshape(a.n_time, a.n_batch, I)
        y = np.empty((a.n_time, a.n_batch, S), dt)
        for t in range(a.n_time):
            h, c = step_fn(xs[t], h, c)
            y[t] = h
    else:
        xs = x.reshape(a.n_batch, a.n_time, I)
        y = np.empty((a.n_batch, a.n_time, S), dt)
        for b in range(a.n_batch):
            hb, cb = h[b:b + 1], c[b:b + 1]
            for t in range(a.n_time):
                hb, cb = step_fn(xs[b, t:t + 1], hb, cb)
                y[b, t] = hb[0]
            h[b], c[b] = hb[0], cb[0]
    return y, h, c


register("lstm", prepare, run, LstmS8Args)
