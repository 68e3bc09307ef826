"""Kernels of TFLite Micro's further builtins (C, under ASan/UBSan) vs their goldens, bit
for bit: for every case of :mod:`tests.cases_tflite_ops`, random layers in one C build,
run on random records, a sweep of every value and the extremes of the ranges."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cases_tflite_ops import CASES, case_inputs
from tests.kernels.test_td_add import assert_c_matches

pytestmark = pytest.mark.cc


def records(g) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(0)
    recs = [case_inputs(g, rng) for _ in range(2)] + [case_inputs(g, rng, sweep=True)]
    for which in (0, 1):
        rec = []
        for x in case_inputs(g, rng):
            info = np.iinfo(x.dtype)
            ext = np.full(x.shape, [info.min, info.max][which], x.dtype)
            rec.append(np.where(x == 0, x, ext))       # keeps DIV's avoided zero points out
        recs.append(rec)
    return recs


@pytest.mark.parametrize("name", sorted(CASES))
def test_td_random_layers_match_golden(name):
    rng = np.random.default_rng(sorted(CASES).index(name))
    graphs = [CASES[name](rng, f"c{i}_") for i in range(10)] + \
        [CASES[name](rng, "big_", n=65536)]
    g_meta = {}
    for g in graphs:
        g_meta.update(g.meta.get("avoid", {}))

    def recs(merged):
        merged.meta["avoid"] = g_meta
        return records(merged)
    assert_c_matches(graphs, records=recs)
