"""16x8 kernels (C, under ASan/UBSan) vs their goldens, bit for bit: for every op kind
of :mod:`tests.cases_16x8`, random layers in one C build, run on random records, the
extremes of every input's range and a sweep of all int16 values."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cases_16x8 import CASES
from tests.golden.test_16x8_ops import case_inputs
from tests.kernels.test_td_add import assert_c_matches

pytestmark = pytest.mark.cc


def records16(g, seed: int = 0, n_random: int = 2) -> list[list[np.ndarray]]:
    """Random records, all-min / all-max records and a sweep of every integer value."""
    rng = np.random.default_rng(seed)
    recs = [case_inputs(g, rng) for _ in range(n_random)]
    for which in (0, 1):
        rec = []
        for n in g.inputs:
            t = g.t(n)
            if t.dtype == "float32":
                rec.append(np.full(t.shape, [-1e30, 1e30][which], np.float32))
            else:
                info = np.iinfo(t.dtype)
                rec.append(np.full(t.shape, [info.min, info.max][which], t.dtype))
        recs.append(rec)
    sweep = []
    for n in g.inputs:
        t = g.t(n)
        if t.dtype == "float32":
            sweep.append(np.resize(np.linspace(-40, 40, 997, dtype=np.float32), t.shape))
        else:
            info = np.iinfo(t.dtype)
            vals = np.arange(int(info.min), int(info.max) + 1, dtype=np.int64)
            sweep.append(np.resize(rng.permutation(vals), t.size).reshape(t.shape)
                         .astype(t.dtype))
    return recs + [sweep]


@pytest.mark.parametrize("kind", sorted(CASES))
def test_td_16x8_random_layers_match_golden(kind):
    rng = np.random.default_rng(sorted(CASES).index(kind))
    graphs = [CASES[kind](rng, f"{kind[:3]}{i}_") for i in range(12)]
    assert_c_matches(graphs, records=records16)
