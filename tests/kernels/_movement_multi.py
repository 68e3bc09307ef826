"""One C build for many one-op cases (pooling / data-movement kernel tests).

Each case ``(graph, inputs)`` from ``tests/golden/_movement_cases.py`` gets its tensor and
op names prefixed, then all cases sit side by side in one graph, so a single ASan/UBSan
build checks them all against the numpy golden.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hypothesis import Phase, settings

from tests.harness import run_c_graph
from tinydeploy.ir.graph import Graph
from tinydeploy.quant.execute import run_graph


# Each example is a C build: no shrinking (a failure names the op, shapes and attrs).
C_SETTINGS = settings(max_examples=3, deadline=None,
                      phases=[Phase.explicit, Phase.reuse, Phase.generate])


def _prefixed(g: Graph, p: str) -> Graph:
    def r(n: str) -> str:
        return p + n if n else n

    tensors = {r(n): replace(t, name=r(n)) for n, t in g.tensors.items()}
    ops = [op.with_(name=r(op.name), inputs=tuple(map(r, op.inputs)),
                    outputs=tuple(map(r, op.outputs))) for op in g.ops]
    return Graph(g.name, tensors, ops, [r(n) for n in g.inputs], [r(n) for n in g.outputs])


def merge_cases(cases: list[tuple[Graph, list[np.ndarray]]]
                ) -> tuple[Graph, list[np.ndarray]]:
    """All cases in one graph (names prefixed ``k<i>_``) and its flat input list."""
    tensors, ops, ins, outs, arrays = {}, [], [], [], []
    for i, (g, inputs) in enumerate(cases):
        g = _prefixed(g, f"k{i}_")
        tensors.update(g.tensors)
        ops += g.ops
        ins += g.inputs
        outs += g.outputs
        arrays += inputs
    return Graph("movement_cases", tensors, ops, ins, outs), arrays


def assert_c_matches_golden(cases: list[tuple[Graph, list[np.ndarray]]]) -> None:
    """Build every case into one C program (sanitized) and compare all outputs bit for bit."""
    g, inputs = merge_cases(cases)
    got = run_c_graph(g, inputs, sanitize=True)
    want = run_graph(g, inputs)
    for op in g.ops:
        name = op.outputs[0]
        what = f"{op.kind} {[g.t(n).shape for n in op.inputs]} -> {g.t(name).shape} {op.attrs}"
        assert got[name].dtype == want[name].dtype, what
        np.testing.assert_array_equal(got[name].reshape(want[name].shape), want[name],
                                      err_msg=what)
