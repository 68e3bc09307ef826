"""The goldens of the QDQ transformer ops (layernorm, softmax_exp) against the float
computation they stand for (dequantize, float64 op, quantize half to even): at most one
step apart, and equal for almost every value."""

from __future__ import annotations

import numpy as np
import pytest

from tests.kernels import attention_cases as cases
from tinydeploy.quant.execute import run_graph


def _dq(g, name, v):
    q = g.t(name).quant
    return (v.astype(np.float64) - q.zp) * q.s


def _q(g, name, real):
    q = g.t(name).quant
    return np.clip(np.rint(real / q.s) + q.zp, -128, 127)


@pytest.mark.parametrize("seed", range(5))
def test_layernorm_golden_is_within_one_step_of_float(seed):
    rng = np.random.default_rng(seed)
    g, (x,) = cases.layernorm(rng, "")
    op = g.ops[0]
    r = _dq(g, "x", x)
    mu = r.mean(axis=-1, keepdims=True)
    var = ((r - mu) ** 2).mean(axis=-1, keepdims=True)
    want = _q(g, "y", (r - mu) / np.sqrt(var + op.attrs["epsilon"]) * op.attrs["gamma"]
              + op.attrs["beta"])
    got = run_graph(g, [x])["y"].astype(np.float64)
    diff = np.abs(got - want)
    assert diff.max() <= 1 and (diff == 0).mean() > 0.98, (diff.max(), (diff == 0).mean())


@pytest.mark.parametrize("seed", range(5))
def test_softmax_exp_golden_is_within_one_step_of_float(seed):
    rng = np.random.default_rng(seed)
    g, (x,) = cases.softmax_exp(rng, "")
    r = _dq(g, "x", x)
    e = np.exp(r - r.max(axis=-1, keepdims=True))
    want = _q(g, "y", e / e.sum(axis=-1, keepdims=True))
    got = run_graph(g, [x])["y"].astype(np.float64)
    diff = np.abs(got - want)
    assert diff.max() <= 1 and (diff == 0).mean() > 0.98, (diff.max(), (diff == 0).mean())
