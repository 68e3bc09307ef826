"""The integer-graph kernels (matmul, integer softmaxes, activations, norms, integer
division and reductions, the any-width adds, requant and data movers), C under
ASan/UBSan vs the numpy golden: every kind, random shapes, offsets and parameters, all
cases of a kind in one build (tests/kernels/attention_cases.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.harness import run_c_graph
from tests.kernels._movement_multi import merge_cases
from tests.kernels.attention_cases import CASES
from tinydeploy.compiler import lower
from tinydeploy.quant.execute import run_graph

pytestmark = pytest.mark.cc


def assert_c_matches_golden(cases) -> None:
    """All cases in one sanitized C build; every output equal to the golden's."""
    g, inputs = merge_cases(cases)
    got = run_c_graph(g, inputs, sanitize=True)
    want = run_graph(g, inputs)
    for op in g.ops:
        name = op.outputs[0]
        what = f"{op.kind} {[g.t(n).shape for n in op.inputs if n]} -> {g.t(name).shape} " \
               f"{op.attrs}"
        assert got[name].dtype == want[name].dtype, what
        np.testing.assert_array_equal(got[name].reshape(want[name].shape), want[name],
                                      err_msg=what)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_kernel_matches_golden_on_random_cases(kind):
    rng = np.random.default_rng(sorted(CASES).index(kind) + 11)
    cases = [CASES[kind](rng, "") for _ in range(8)]
    assert_c_matches_golden(cases)


def test_every_case_kind_lowers_to_its_own_kernel():
    rng = np.random.default_rng(3)
    for kind, make in CASES.items():
        g, _ = make(rng, "")
        funcs = {a.C_FUNC for a in lower(g).args.values() if a is not None}
        assert funcs, kind
        assert not funcs & {"td_transpose_s8", "td_concat_s8", "td_pad_s8"} or \
            kind not in ("transpose_wide", "concat_wide"), (kind, funcs)
