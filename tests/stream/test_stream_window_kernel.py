"""stream_window: the numpy golden against the plain definition (the window of step t is
the input steps t - H .. t, the steps before 0 the padding value), and td_stream_window_any
(C, ASan/UBSan) against the golden over many steps, for 1-, 2- and 4-byte elements, time
at several axes, several history lengths, in one C build."""

from __future__ import annotations

import numpy as np
import pytest

from tests.harness import run_c_graph_many
from tinydeploy.ir.graph import Graph, Op, QuantParams, Tensor
from tinydeploy.quant.execute import initial_state, run_stream

STEPS = 9
# (dtype, step shape, time axis, history steps, zero point = the padding value)
CASES = [("int8", (1, 1, 1, 3), 2, 2, -128), ("int8", (1, 1, 1, 5), 2, 8, 7),
         ("int16", (1, 1, 1, 4), 2, 4, 0), ("int16", (2, 1, 3, 2), 1, 3, -1),
         ("int32", (1, 3, 1), 2, 1, 0), ("uint8", (1, 2, 1, 1), 2, 6, 0)]


def window_graph() -> Graph:
    tensors, ops, ins, outs, state = {}, [], [], [], []
    for i, (dt, shape, axis, hist, zp) in enumerate(CASES):
        q = QuantParams.make(0.1, zp)

        def t(name, n):
            s = tuple(n if j == axis else d for j, d in enumerate(shape))
            tensors[name] = Tensor(name, s, dt, q)
            return name

        x, w, h = t(f"x{i}", 1), t(f"w{i}", hist + 1), t(f"h{i}", hist)
        ops.append(Op("stream_window", f"win{i}", (x,), (w, h), {"axis": axis, "fill": zp}))
        ins.append(x)
        outs.append(w)
        state.append(h)
    return Graph("windows", tensors, ops, ins, outs, meta={"state": state})


def _records(g: Graph, seed: int = 0) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(STEPS):
        rec = []
        for n in g.inputs:
            t = g.t(n)
            info = np.iinfo(t.np_dtype)
            rec.append(rng.integers(info.min, info.max, t.shape, endpoint=True)
                       .astype(t.np_dtype))
        out.append(rec)
    return out


def test_golden_is_the_sliding_window_with_causal_padding():
    g = window_graph()
    recs = _records(g)
    start = initial_state(g)
    for i, (dt, shape, axis, hist, zp) in enumerate(CASES):
        assert (start[f"h{i}"] == zp).all()
        seq = np.concatenate([np.full(tuple(hist if j == axis else d
                                            for j, d in enumerate(shape)), zp, dt)]
                             + [r[i] for r in recs], axis=axis)
        for step, env in enumerate(run_stream(g, recs)):
            want = np.take(seq, range(step, step + hist + 1), axis=axis)
            assert np.array_equal(env[f"w{i}"], want), (i, step)


@pytest.mark.cc
def test_c_kernel_matches_golden_over_many_steps():
    g = window_graph()
    recs = _records(g, seed=1)
    got = run_c_graph_many(g, recs, sanitize=True)
    want = run_stream(g, recs)
    for step, (c, w) in enumerate(zip(got, want)):
        for n in g.outputs:
            assert np.array_equal(c[n].reshape(w[n].shape), w[n]), (n, step)
