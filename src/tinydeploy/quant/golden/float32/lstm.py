"""lstm (float32): TFLite Micro's float UNIDIRECTIONAL_SEQUENCE_LSTM (kernel td_lstm_f32),
the variant of kind ``lstm`` for float32 tensors (:func:`is_f32`).

Per step, on the state rows the step computes (time-major: every batch row at once;
batch-major: one batch row, all its steps, then the next) and for each gate k (TFLite's
order: input i, forget f, cell g, output o), as TFLM's ``LstmStep<float, ...>`` does:

- ``xk = fin(sum_d x[d] W_xk[j, d] + b_k[j])`` and ``hk = fin(sum_d h[d] W_hk[j, d] +
  0.0f)``: TFLite's float FullyConnected (the sum in float32 from 0.0f in increasing d,
  then the bias; the recurrent one has none, so TFLM adds 0.0f), ``fin`` its activation
  clamp to [-FLT_MAX, FLT_MAX] (kTfLiteActNone);
- ``gate = act(xk + hk)``: TFLite's float Logistic (1.0f above 16.619047164916992188f,
  ``expf(v)`` below -9.0f, else ``1.0f / (1.0f + expf(-v))``) for i, f, o, and ``tanhf``
  for the cell gate (or the Logistic when the op says ``cell_act`` sigmoid);

then ``c = fin(f * c)``, ``c = c + fin(i * g)``, clipped to [-cell_clip, cell_clip] when
cell_clip > 0 (``max(min(clip, c), -clip)``); ``h = fin(tanhf(c) * o)``; the step's output
row is h. Every operation is one float32 operation in this order (no fused multiply-add),
so the C kernel equals this golden bit for bit except where it calls libm (expf, tanhf):
here the float64 value rounded to float32, which a correctly rounded libm gives.

The state (h, c) is the op's second and third output, held across calls
(``graph.meta["state"]``); TFLM resets both to 0 (:func:`reset_values`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, scalar_field
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden.float32._common import F32, finite, is_f32, libm, require
from tinydeploy.quant.golden.lstm import run_sequence

FLT_MAX = F32(np.finfo(np.float32).max)
SIG_HI, SIG_LO = F32(16.619047164916992188), F32(-9.0)     # TFLite's float Logistic


@dataclass(frozen=True, eq=False)
class LstmF32Args(KernelArgs):
    C_FUNC = "td_lstm_f32"

    n_batch: int
    n_time: int
    n_input: int
    n_state: int
    time_major: int               # 1: x is [T, B, I], all batches per step
    cell_sigmoid: int             # 1: the cell gate uses sigmoid instead of tanh
    cell_clip: float = scalar_field("float", 0.0)    # > 0: clip c to [-clip, clip]


def prepare(g: Graph, op: Op) -> LstmF32Args:
    ts = [g.t(n) for n in (*op.inputs[:13], *op.outputs[:3])]
    for t in ts:
        require(t.dtype == "float32", op, f"tensor '{t.name}' is {t.dtype}: the float LSTM "
                "takes float32 input, weights, biases and state")
    x, y, h, c = ts[0], ts[13], ts[14], ts[15]
    require(len(x.shape) == 3 and len(y.shape) == 3, op, "input and output must be 3-D")
    tm = bool(op.attrs.get("time_major"))
    t_steps, batch = (x.shape[0], x.shape[1]) if tm else (x.shape[1], x.shape[0])
    n_in, n_state = int(x.shape[2]), int(y.shape[2])
    require(tuple(y.shape[:2]) == tuple(x.shape[:2]) and h.size == batch * n_state and
            c.size == batch * n_state, op, f"input {list(x.shape)}, output "
            f"{list(y.shape)}, state {list(h.shape)} / {list(c.shape)} do not agree")
    for k in range(8):
        w = ts[1 + k]
        want = (n_state, n_in if k < 4 else n_state)
        require(w.is_const and tuple(w.shape) == want, op, f"weights '{w.name}' must be a "
                f"constant {list(want)}, got {list(w.shape)}")
    for k in range(4):
        b = ts[9 + k]
        require(b.is_const and tuple(b.shape) == (n_state,), op, f"bias '{b.name}' must be "
                f"a constant [{n_state}], got {list(b.shape)}")
    act = op.attrs.get("cell_act", "tanh")
    require(act in ("tanh", "sigmoid"), op, f"cell gate activation {act} (tanh or sigmoid)")
    clip = op.attrs.get("cell_clip", 0.0)
    finite(op, cell_clip=clip)
    require(float(F32(clip)) >= 0, op, f"cell_clip = {clip} is negative")
    return LstmF32Args(int(batch), int(t_steps), n_in, n_state, int(tm),
                       int(act == "sigmoid"), float(F32(clip)))


def reset_values(g: Graph, op: Op) -> tuple[np.ndarray, np.ndarray]:
    """The state TFLM starts from (ResetVariableTensors): h and c at 0."""
    h, c = g.t(op.outputs[1]), g.t(op.outputs[2])
    return np.zeros(h.shape, F32), np.zeros(c.shape, F32)


def _fin(v: np.ndarray) -> np.ndarray:
    """TFLite's float activation clamp of kTfLiteActNone: [-FLT_MAX, FLT_MAX]."""
    return np.minimum(np.maximum(v, -FLT_MAX), FLT_MAX).astype(F32)


def _fc(v: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """v [rows, n] by w [S, n]: float32 sums from 0.0f in increasing column order."""
    acc = np.zeros((v.shape[0], w.shape[0]), F32)
    for d in range(w.shape[1]):
        acc = (acc + v[:, d:d + 1] * w[None, :, d]).astype(F32)
    return _fin(acc + (b[None, :] if b is not None else F32(0)))


def sigmoid(v: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        mid = F32(1) / (F32(1) + libm(np.exp, -v))
    return np.where(v > SIG_HI, F32(1), np.where(v < SIG_LO, libm(np.exp, v), mid)
                    ).astype(F32)


def step(a: LstmF32Args, xt, weights, biases, h, c):
    """One step on ``rows`` state rows: x [rows, I], h and c [rows, S] -> (h, c)."""
    out = []
    for k in range(4):
        v = (_fc(xt, weights[k], biases[k]) + _fc(h, weights[4 + k], None)).astype(F32)
        tanh = k == 2 and not a.cell_sigmoid
        out.append(libm(np.tanh, v) if tanh else sigmoid(v))
    i, f, g_, o = out
    c = (_fin(f * c) + _fin(i * g_)).astype(F32)
    if F32(a.cell_clip) > 0:
        clip = F32(a.cell_clip)
        m = np.where(c < clip, c, clip)           # std::min(clip, c), std::max(m, -clip)
        c = np.where(m < -clip, -clip, m).astype(F32)
    h = _fin(libm(np.tanh, c) * o)
    return h, c


def run(a: LstmF32Args, x, *rest):
    """``rest``: the 8 weights, 4 biases, then the state h and c; returns (y, h, c)."""
    weights = [np.asarray(w, F32) for w in rest[:8]]
    biases = [np.asarray(b, F32) for b in rest[8:12]]
    S = a.n_state
    h = np.asarray(rest[12], F32).reshape(a.n_batch, S).copy()
    c = np.asarray(rest[13], F32).reshape(a.n_batch, S).copy()
    return run_sequence(a, np.asarray(x, F32), h, c, F32,
                        lambda xt, h, c: step(a, xt, weights, biases, h, c))


register_variant("lstm", is_f32, prepare, run, LstmF32Args)
