"""The float32 kernels (``runtime/kernels/td_*_f32.c`` and the any-width copies on float32
tensors), C under ASan/UBSan vs the numpy golden (``quant/golden/float32/``): random
shapes, parameters and activations per kind (hypothesis draws the seeds), all cases of
a kind in one build. Bit for bit, except the libm functions (expf, erff, tanhf, powf,
logf), which may be an ulp off the golden's correctly rounded value."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.harness import run_c_graph
from tests.kernels._movement_multi import C_SETTINGS, merge_cases
from tests.kernels.f32_cases import CASES, LIBM_FNS
from tinydeploy.compiler import lower
from tinydeploy.quant.execute import run_graph

pytestmark = pytest.mark.cc


def _libm(g, op) -> bool:
    return op.kind in ("pow", "softmax", "log_softmax", "softmax_ce_grad", "gelu_grad") or (
        op.kind == "unary" and op.attrs["fn"] in LIBM_FNS)


def assert_c_matches_golden(cases) -> None:
    g, inputs = merge_cases(cases)
    got = run_c_graph(g, inputs, sanitize=True)
    want = run_graph(g, inputs)
    for op in g.ops:
        name = op.outputs[0]
        what = f"{op.kind} {[g.t(n).shape for n in op.inputs if n]} -> {g.t(name).shape} " \
               f"{op.attrs}"
        y, w = got[name].reshape(want[name].shape), want[name]
        assert y.dtype == w.dtype == np.float32, what
        if _libm(g, op):
            # (an ulp of erff in 1 + erf(x) near -1 is absolute, not relative)
            np.testing.assert_allclose(y, w, rtol=4e-7, atol=1e-6, err_msg=what)
        else:
            np.testing.assert_array_equal(y, w, err_msg=what)


@pytest.mark.parametrize("kind", sorted(CASES))
@C_SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_f32_kernel_matches_golden_on_random_cases(kind, seed):
    rng = np.random.default_rng(seed)
    assert_c_matches_golden([CASES[kind](rng, "") for _ in range(8)])


def test_every_case_kind_lowers_to_a_float_kernel():
    rng = np.random.default_rng(5)
    for kind, make in CASES.items():
        for _ in range(5):
            g, _ = make(rng, "")
            funcs = {a.C_FUNC for a in lower(g).args.values() if a is not None}
            assert funcs and all(f.endswith("_f32") or f.endswith("_any") for f in funcs), \
                (kind, funcs)
