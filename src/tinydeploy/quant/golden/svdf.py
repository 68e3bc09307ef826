"""svdf (int8 input and output, int16 state and time weights, int32 bias): TFLite
Micro's integer SVDF (kernel ``td_svdf_s8``); with an int8 state and int8 time weights its
"full int8" SVDF (``td_svdf_s8_s8``: the same arithmetic, the feature sums clamped to int8
before the state's zero point is added, the store wrapping as TFLM's).

Per call and batch row: the state ``[F, M]`` (F filters, M memory steps) shifts left by
one element over the whole row (as TFLM's flat copy does), then each filter's last column
is ``clamp16(M_1(W_f (x - x_zp))) + s_zp`` with ``M_1 = s_x * s_wf / s_state``; then
``acc[f] = sum_m W_t[f, m] (state[f, m] - s_zp)``, ``out[u] = bias[u] + sum of acc over
the rank filters of unit u`` (int32 sums, which wrap modulo 2^32 as TFLM's do: int16 x
int16 sums over the memory can exceed int32), ``y = clamp8(M_2(out) + y_zp)`` with ``M_2 =
s_state * s_wt / s_y``. Both multipliers are TFLM's: the scales multiplied and divided
in float32, then ``QuantizeMultiplier``; TFLite's 32-bit requantization. TFLite Micro
applies no fused activation on this path, nor does the kernel.

The state is the op's second output, held across calls (``graph.meta["state"]``):
:func:`run` takes its current value after the op's inputs and returns ``(y, state)``;
TFLM resets it to 0 (:func:`reset_values`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import register
from tinydeploy.quant.requant import multiply_by_quantized_multiplier, quantize_multiplier


@dataclass(frozen=True, eq=False)
class SvdfArgs(KernelArgs):
    C_FUNC = "td_svdf_s8"
    C_SCRATCH = True
    n_batch: int
    n_input: int
    n_filter: int
    n_memory: int
    rank: int
    x_offset: int                # -zero point of x
    state_zp: int
    out_offset: int              # zero point of y
    mult_1: int                  # W_feature x -> state
    shift_1: int
    mult_2: int                  # the time sums -> y
    shift_2: int

    @property
    def n_unit(self) -> int:
        return self.n_filter // self.rank

    def scratch_size(self) -> int:
        return 4 * self.n_batch * (self.n_filter + self.n_unit)


@dataclass(frozen=True, eq=False)
class SvdfS8StateArgs(SvdfArgs):
    """TFLite Micro's "full int8" SVDF: int8 state and int8 time weights."""
    C_FUNC = "td_svdf_s8_s8"


def _require(t, dtype: str, op: Op, what: str, const: bool = False) -> None:
    if t.dtype != dtype or t.quant is None or t.quant.per_channel or \
            (const and not t.is_const):
        raise UnsupportedError(f"svdf: {what} '{t.name}' must be {'constant ' if const else ''}"
                               f"per-tensor quantized {dtype}, got {t.dtype}", node=op.name)


def prepare(g: Graph, op: Op) -> SvdfArgs:
    x, wf, wt = (g.t(n) for n in op.inputs[:3])
    y, s = g.t(op.outputs[0]), g.t(op.outputs[1])
    if len(op.inputs) < 4 or not op.inputs[3]:
        raise UnsupportedError("svdf without a bias (TFLite Micro's int8 SVDF needs one)",
                               node=op.name)
    b = g.t(op.inputs[3])
    _require(x, "int8", op, "input")
    _require(y, "int8", op, "output")
    _require(wf, "int8", op, "feature weights", True)
    state_t = s.dtype if s.dtype in ("int8", "int16") else "int16"
    _require(s, state_t, op, "state")
    _require(wt, state_t, op, f"time weights (TFLite Micro: the state's type, {state_t})", True)
    if b.dtype != "int32" or not b.is_const:
        raise UnsupportedError(f"svdf: bias '{b.name}' must be a constant int32", node=op.name)
    if wf.quant.zp != 0 or wt.quant.zp != 0:
        raise UnsupportedError("svdf: weights must be symmetric (zero point 0)", node=op.name)
    rank = int(op.attrs.get("rank", 1))
    if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2 or rank < 1:
        raise UnsupportedError("svdf: 2-D input and weights, rank >= 1", node=op.name)
    n_batch, n_input = (int(v) for v in x.shape)
    n_filter, n_memory = int(wt.shape[0]), int(wt.shape[1])
    if tuple(wf.shape) != (n_filter, n_input) or n_filter % rank or \
            tuple(y.shape) != (n_batch, n_filter // rank) or \
            s.size != n_batch * n_filter * n_memory or b.size != n_filter // rank:
        raise UnsupportedError(f"svdf: shapes of input {list(x.shape)}, weights "
                               f"{list(wf.shape)} / {list(wt.shape)}, rank {rank}, output "
                               f"{list(y.shape)} and state {list(s.shape)} do not agree",
                               node=op.name)
    f = np.float32
    e1 = float(f(f(x.quant.s) * f(wf.quant.s)) / f(s.quant.s))      # float32, as TFLM
    e2 = float(f(f(s.quant.s) * f(wt.quant.s)) / f(y.quant.s))
    m1, s1 = quantize_multiplier(e1)
    m2, s2 = quantize_multiplier(e2)
    cls = SvdfS8StateArgs if state_t == "int8" else SvdfArgs
    return cls(n_batch, n_input, n_filter, n_memory, rank, -x.quant.zp, s.quant.zp,
               y.quant.zp, m1, s1, m2, s2)


def reset_values(g: Graph, op: Op) -> tuple[np.ndarray]:
    """The state TFLM starts from (ResetVariableTensors): 0 for an int16 state, the zero
    point for an int8 one."""
    s = g.t(op.outputs[1])
    fill = s.quant.zp if s.dtype == "int8" and s.quant is not None else 0
    return (np.full(s.shape, fill, s.np_dtype),)


def _wrap32(v: np.ndarray) -> np.ndarray:
    """int32 sums as TFLM's wrap on two's-complement targets (modulo 2^32)."""
    return (np.asarray(v, np.int64) + 2**31) % 2**32 - 2**31


def run(a: SvdfArgs, x, wf, wt, bias, state):
    """Returns (y, state)."""
    F, M, B = a.n_filter, a.n_memory, a.n_batch
    small = isinstance(a, SvdfS8StateArgs)
    lo, hi, st_t = (-128, 127, np.int8) if small else (-32768, 32767, np.int16)
    st = np.asarray(state, st_t).reshape(-1).copy()
    st[:-1] = st[1:].copy()                     # TFLM's flat shift over all rows
    st = st.reshape(B, F, M)
    xs = np.asarray(x).reshape(B, a.n_input).astype(np.int64) + a.x_offset
    dot = xs @ np.asarray(wf).reshape(F, a.n_input).astype(np.int64).T        # [B, F]
    v = np.clip(multiply_by_quantized_multiplier(dot, a.mult_1, a.shift_1), lo, hi)
    st[:, :, M - 1] = (a.state_zp + v).astype(st_t)          # wraps, as TFLM's store
    acc = ((st.astype(np.int64) - a.state_zp) *
           np.asarray(wt).reshape(F, M).astype(np.int64)).sum(axis=2)         # [B, F]
    out = _wrap32(acc.reshape(B, a.n_unit, a.rank).sum(axis=2) +
                  np.asarray(bias).astype(np.int64).reshape(1, a.n_unit))
    y = multiply_by_quantized_multiplier(out, a.mult_2, a.shift_2) + a.out_offset
    return np.clip(y, -128, 127).astype(np.int8), st.reshape(np.shape(state))


register("svdf", prepare, run, SvdfArgs)     # (SvdfS8StateArgs: the same run)
