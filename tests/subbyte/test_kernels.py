"""Every sub-byte precision combination: C kernel (ASan/UBSan) vs the numpy golden.

For each op, one graph holds one random layer per combination of bit widths (27 for
conv / pointwise / depthwise / fc / add, 9 for each pooling), activations randomly
signed or unsigned, so one C build covers them all; hypothesis varies the shapes,
quantization and signedness through the seed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.subbyte import _cases as cs
from tinydeploy.quant.execute import run_graph

pytestmark = pytest.mark.cc

SEEDS = st.integers(0, 2**32 - 1)
EXAMPLES = settings(max_examples=2, deadline=None)


def _weighted_graphs(rng, builder, tag: str, **kw) -> list:
    out = []
    for i, (xb, wb, yb) in enumerate(cs.bit_combos(3)):
        x_dt, y_dt = cs.act_dtypes(rng, (xb, yb))
        out.append(builder(rng, f"{tag}{i}_", x_dt, cs.W_DTYPE[wb], y_dt, **kw))
    return out


@EXAMPLES
@given(seed=SEEDS)
def test_conv2d_sb_every_combination_matches_golden(seed):
    rng = np.random.default_rng(seed)
    cs.assert_c_matches_golden(_weighted_graphs(rng, cs.conv_case, "c"), seed)


@EXAMPLES
@given(seed=SEEDS)
def test_pointwise_conv2d_sb_every_combination_matches_golden(seed):
    rng = np.random.default_rng(seed)
    cs.assert_c_matches_golden(_weighted_graphs(rng, cs.conv_case, "p", pointwise=True), seed)


@EXAMPLES
@given(seed=SEEDS)
def test_depthwise_conv2d_sb_every_combination_matches_golden(seed):
    rng = np.random.default_rng(seed)
    cs.assert_c_matches_golden(_weighted_graphs(rng, cs.depthwise_case, "d"), seed)


@EXAMPLES
@given(seed=SEEDS)
def test_fully_connected_sb_every_combination_matches_golden(seed):
    rng = np.random.default_rng(seed)
    cs.assert_c_matches_golden(_weighted_graphs(rng, cs.fc_case, "f"), seed)


@EXAMPLES
@given(seed=SEEDS)
def test_add_sb_every_combination_matches_golden(seed):
    rng = np.random.default_rng(seed)
    graphs = [cs.add_case(rng, f"a{i}_", *cs.act_dtypes(rng, bits))
              for i, bits in enumerate(cs.bit_combos(3))]
    cs.assert_c_matches_golden(graphs, seed)


@EXAMPLES
@given(seed=SEEDS)
def test_avg_and_max_pool2d_sb_every_combination_matches_golden(seed):
    rng = np.random.default_rng(seed)
    graphs = [cs.pool_case(rng, f"{kind[:3]}{i}_", kind, *cs.act_dtypes(rng, bits))
              for kind in ("avg_pool2d", "max_pool2d")
              for i, bits in enumerate(cs.bit_combos(2))]
    cs.assert_c_matches_golden(graphs, seed)


def _eight_bit_cases(rng) -> list:
    """One layer of each op with 8-bit activations, int8 or uint8 in any mix."""
    def dts(n):
        return [cs.act_dtype(8, bool(rng.random() < 0.5)) for _ in range(n)]

    graphs = []
    for i in range(3):
        graphs.append(cs.conv_case(rng, f"c{i}_", dts(1)[0], "int8", dts(1)[0]))
        graphs.append(cs.depthwise_case(rng, f"d{i}_", dts(1)[0], "int8", dts(1)[0]))
        graphs.append(cs.fc_case(rng, f"f{i}_", dts(1)[0], "int8", dts(1)[0]))
        graphs.append(cs.add_case(rng, f"a{i}_", *dts(3)))
        graphs.append(cs.pool_case(rng, f"m{i}_", "max_pool2d", *dts(2)))
        graphs.append(cs.pool_case(rng, f"v{i}_", "avg_pool2d", *dts(2)))
    return graphs


def test_sb_kernels_at_8_bits_signed_and_unsigned_match_golden():
    rng = np.random.default_rng(88)
    g = cs.merge(_eight_bit_cases(rng))
    args = cs.subbyte_args(g)
    assert {a.C_FUNC for a in args.values()} == {
        "td_conv2d_sb", "td_depthwise_conv2d_sb", "td_fully_connected_sb", "td_add_sb",
        "td_max_pool2d_sb", "td_avg_pool2d_sb"}
    recs = [[cs.random_values(rng, g.t(n)) for n in g.inputs] for _ in range(2)]
    for rec, out in zip(recs, cs.run_c_with_args(g, args, recs)):
        want = run_graph(g, rec, args)
        for name in g.outputs:
            np.testing.assert_array_equal(out[name], want[name], err_msg=name)
