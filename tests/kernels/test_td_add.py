"""td_add_s8 (C, under ASan/UBSan) vs the numpy golden, bit for bit.

Random layers go into ONE graph so one C build covers them all. :func:`assert_c_matches`
and :func:`sweep_input` are reused by the other elementwise/activation kernel tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.golden.test_add import binary_graph
from tests.graphs import random_input
from tests.harness import run_c_graph_many
from tests.kernels.test_td_conv2d import merge_graphs
from tinydeploy.ir.graph import Graph, Tensor
from tinydeploy.quant.execute import run_graph

pytestmark = pytest.mark.cc


def sweep_input(t: Tensor) -> np.ndarray:
    """Every value of an 8-bit dtype in turn (repeated/truncated to ``t``'s size)."""
    values = np.arange(256).astype(np.uint8).view(np.dtype(t.dtype))
    return np.resize(values, t.size).reshape(t.shape)


def extreme_input(t: Tensor, which: int) -> np.ndarray:
    info = np.iinfo(np.dtype(t.dtype))
    return np.full(t.shape, info.min if which == 0 else info.max, dtype=t.dtype)


def int_records(g: Graph, rng: np.random.Generator, n_random: int = 2) -> list[list]:
    """Random records, a sweep of all values, and all-min / all-max records."""
    recs = [[random_input(rng, g.t(n)) for n in g.inputs] for _ in range(n_random)]
    recs.append([sweep_input(g.t(n)) for n in g.inputs])
    recs += [[extreme_input(g.t(n), w) for n in g.inputs] for w in (0, 1)]
    return recs


def assert_c_matches(graphs: list[Graph], records=None, seed: int = 0) -> None:
    """Build all graphs as one C program; every output equals the golden's, byte for byte."""
    g = merge_graphs(graphs)
    recs = records(g) if callable(records) else int_records(g, np.random.default_rng(seed))
    got = run_c_graph_many(g, recs, sanitize=True)
    for rec, out in zip(recs, got):
        want = run_graph(g, rec)
        for name in g.outputs:
            w = want[name]
            assert out[name].dtype == w.dtype, name
            np.testing.assert_array_equal(out[name].reshape(w.shape).view(np.uint8),
                                          w.view(np.uint8), err_msg=name)


def random_shapes(rng: np.random.Generator) -> tuple[tuple, tuple]:
    rank = int(rng.integers(1, 5))
    out = tuple(int(d) for d in rng.integers(1, 6, size=rank))
    kind = rng.integers(0, 4)
    if kind == 0:
        b = out
    elif kind == 1:
        b = out[int(rng.integers(0, rank)):]
    elif kind == 2:
        b = tuple(1 if rng.random() < 0.5 else d for d in out)
    else:
        b = (1,)
    return (b, out) if rng.random() < 0.5 else (out, b)


def binary_cases(kind: str, seed: int, count: int = 16) -> list[Graph]:
    """Random broadcast layers, plus a 6-dim walk that cannot merge and constant operands."""
    rng = np.random.default_rng(seed)
    graphs = [binary_graph(kind, rng, *random_shapes(rng), prefix=f"r{i}_",
                           act_fn=str(rng.choice(["none", "relu", "relu6", "relu_n1_to_1"])),
                           out_ratio=float(rng.choice([0.01, 0.5, 1.0, 2.0, 50.0])))
              for i in range(count)]
    graphs.append(binary_graph(kind, rng, (2, 1, 3, 1, 2, 1), (1, 2, 1, 3, 1, 2), prefix="d6_"))
    graphs.append(binary_graph(kind, rng, (3, 7), (7,), b_const=True, prefix="c1_"))
    graphs.append(binary_graph(kind, rng, (5,), (), b_const=True, prefix="c0_"))
    return graphs


def test_td_add_random_broadcast_layers_match_golden():
    assert_c_matches(binary_cases("add", seed=11), seed=12)


def test_td_add_same_shape_large_tensor_matches_golden():
    rng = np.random.default_rng(13)
    assert_c_matches([binary_graph("add", rng, (1, 16, 16, 32), (1, 16, 16, 32), "relu")],
                     seed=14)
