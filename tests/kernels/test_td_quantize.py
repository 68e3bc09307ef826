"""td_quantize_f32_s8 / td_requantize_* (C, under ASan/UBSan) vs the numpy golden."""

from __future__ import annotations

import numpy as np
import pytest

from tests.golden.test_quantize import SHAPE, float_inputs, quantize_graph
from tests.kernels.test_td_add import assert_c_matches
from tinydeploy.ir.graph import Graph

pytestmark = pytest.mark.cc

SPECIAL_FLOATS = np.array([np.inf, -np.inf, np.nan, 3e38, -3e38, 1e-45, -1e-45, 0.0, -0.0],
                          np.float32)


def float_records(g: Graph) -> list[list[np.ndarray]]:
    """Random reals with .5 ties, then non-finite and extreme values (saturation path)."""
    rng = np.random.default_rng(61)
    recs = []
    for _ in range(2):
        recs.append([float_inputs(rng, g.t(g.consumers(n)[0].outputs[0]).quant.s,
                                  g.t(g.consumers(n)[0].outputs[0]).quant.zp)
                     for n in g.inputs])
    recs.append([np.resize(SPECIAL_FLOATS, SHAPE) for _ in g.inputs])
    return recs


def test_td_quantize_f32_s8_random_and_special_values_match_golden():
    rng = np.random.default_rng(62)
    graphs = [quantize_graph("float32", "int8", out_q=(2.0 ** rng.uniform(-9, 2),
                                                       int(rng.integers(-128, 128))),
                             prefix=f"f{i}_") for i in range(8)]
    assert_c_matches(graphs, float_records)


def requant_cases(rng: np.random.Generator) -> list[Graph]:
    zp = {"int8": lambda: int(rng.integers(-128, 128)), "uint8": lambda: int(rng.integers(0, 256))}
    graphs = []
    pairs = [("int8", "int8"), ("int8", "uint8"), ("uint8", "int8")] * 4
    for i, (src, dst) in enumerate(pairs):
        in_q = (2.0 ** rng.uniform(-8, 1), zp[src]())
        out_q = (in_q[0] * 2.0 ** rng.uniform(-6, 6), zp[dst]())
        graphs.append(quantize_graph(src, dst, in_q, out_q, prefix=f"r{i}_"))
    graphs.append(quantize_graph("int8", "uint8", (0.05, 3), (0.05, 131), prefix="x1_"))
    graphs.append(quantize_graph("uint8", "int8", (0.05, 200), (0.05, 72), prefix="x2_"))
    return graphs


def activation_cases(rng: np.random.Generator) -> list[Graph]:
    graphs = []
    for i, fn in enumerate(["relu", "relu6", "relu_n1_to_1"] * 3):
        in_q = (2.0 ** rng.uniform(-8, 0), int(rng.integers(-128, 128)))
        out_q = in_q if i < 3 else (in_q[0] * rng.uniform(0.3, 3), int(rng.integers(-128, 128)))
        graphs.append(quantize_graph("int8", "int8", in_q, out_q, act_fn=fn, prefix=f"a{i}_"))
    return graphs


def test_td_requantize_all_dtype_pairs_match_golden():
    rng = np.random.default_rng(63)
    assert_c_matches(requant_cases(rng), seed=64)


def test_td_requantize_standalone_activations_match_golden():
    rng = np.random.default_rng(65)
    assert_c_matches(activation_cases(rng), seed=66)
