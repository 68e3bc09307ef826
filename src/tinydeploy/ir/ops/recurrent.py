"""Recurrent op kinds: TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM (the standard LSTM TFLite
Micro runs: no peephole, projection, layer norm or CIFG)."""

from __future__ import annotations

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.ir.ops import OpDef, register

GATES = ("i", "f", "c", "o")        # input, forget, cell, output: TFLite's input order


def lstm_macs(g: Graph, op: Op) -> int:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    n_in, n_state = int(x.shape[-1]), int(y.shape[-1])
    steps = y.size // n_state
    return steps * 4 * n_state * (n_in + n_state)


register(OpDef(
    "lstm",
    ("x", *(f"w_x{k}" for k in GATES), *(f"w_h{k}" for k in GATES),
     *(f"b_{k}" for k in GATES)),
    {"time_major": "x is [T, B, I] (else [B, T, I])",
     "cell_act": "the cell gate's activation: tanh or sigmoid",
     "cell_clip": "float clip of the cell state (0: none)"},
    lstm_macs,
    "A sequence LSTM: for every step, gate k = act(W_xk x_t + W_hk h + b_k) (sigmoid for "
    "i, f, o); c = f * c + i * g; h = o * tanh(c); y_t = h. Outputs (y, h, c): h and c are "
    "the state, held across calls (graph.meta['state']) and updated in place."))


def svdf_macs(g: Graph, op: Op) -> int:
    x, wf, wt = (g.t(n) for n in op.inputs[:3])
    return x.shape[0] * wf.shape[0] * (x.shape[1] + wt.shape[1])


register(OpDef(
    "svdf", ("x", "w_feature", "w_time", "bias"),
    {"rank": "filters per output unit"},
    svdf_macs,
    "TFLite's SVDF: the state [B, F * M] (F filters, M memory steps) shifts one step "
    "left, its last column per filter becomes W_feature x; y[u] = bias[u] + sum over the "
    "rank filters of unit u of sum_m W_time[f, m] state[f, m]. Outputs (y, state): the "
    "state is held across calls (graph.meta['state']) and updated in place."))
