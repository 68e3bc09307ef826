"""td_fixedpoint.h vs quant/golden/_fixedpoint.py on raw int32 values (ASan/UBSan).

The int8 kernels round these functions to 8 bits, which hides small deviations (a
Newton step fewer still gives the same int8 softmax on random data). So the helpers are
compared here at full Q0.31 resolution, on edge values and random values of every range.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tinydeploy.check import hostrun
from tinydeploy.quant.golden import _fixedpoint as fp

pytestmark = pytest.mark.cc

KERNELS = Path(__file__).resolve().parents[2] / "src" / "tinydeploy" / "runtime" / "kernels"

# Reads one int32 a per line; prints the helpers at a, -|a| or |a| as their domains need.
DRIVER = r"""
#include <stdio.h>
#include "td_fixedpoint.h"
int main(void)
{
    long v;
    while (scanf("%ld", &v) == 1) {
        const int32_t a = (int32_t)v;
        const int32_t neg = a > 0 ? -a : a;
        const int32_t pos = a >= 0 ? a : (a == INT32_MIN ? INT32_MAX : -a);
        const int inside = a > -(1 << 30) && a < (1 << 30);
        int bits = 0;
        const int32_t recip = pos >= (1 << 19) ? td_fp_reciprocal(pos, 12, &bits) : 0;
        printf("%ld %ld %ld %ld %ld %ld %ld %ld %d\n",
               (long)td_fp_exp_on_negative_values(neg, 5),
               (long)td_fp_exp_on_negative_values(neg, 4),
               (long)td_fp_one_over_one_plus_x(pos),
               (long)td_fp_one_minus_x_over_one_plus_x(pos),
               (long)(inside ? td_fp_logistic(a, 4) : 0),
               (long)(inside ? td_fp_tanh(a, 4) : 0),
               (long)td_fp_mul_pot(a, 3), (long)recip, bits);
    }
    return 0;
}
"""


def golden_rows(a: np.ndarray) -> np.ndarray:
    neg = np.where(a > 0, -a, a)
    pos = np.where(a >= 0, a, np.where(a == -(2**31), 2**31 - 1, -a))
    inside = (a > -(1 << 30)) & (a < (1 << 30))
    inner = np.where(inside, a, 0)
    has_recip = pos >= (1 << 19)
    recip, bits = fp.get_reciprocal(np.where(has_recip, pos, 1 << 19), 12)
    return np.stack([fp.exp_on_negative_values(neg, 5), fp.exp_on_negative_values(neg, 4),
                     fp.one_over_one_plus_x_for_x_in_0_1(pos),
                     fp.one_minus_x_over_one_plus_x_for_x_in_0_1(pos),
                     np.where(inside, fp.logistic(inner, 4), 0),
                     np.where(inside, fp.tanh(inner, 4), 0),
                     fp.saturating_rounding_mul_by_pot(a, 3),
                     np.where(has_recip, recip, 0), np.where(has_recip, bits, 0)], axis=1)


def raw_inputs() -> np.ndarray:
    rng = np.random.default_rng(81)
    edges = [0, 1, -1, 2**31 - 1, -(2**31) + 1, -(2**31)]
    edges += [s * 2**k + d for k in range(31) for d in (-1, 0, 1) for s in (1, -1)]
    a = np.concatenate([np.array(edges, np.int64), rng.integers(-(2**31), 2**31, 20000),
                        rng.integers(-(2**24), 2**24, 5000), rng.integers(-4096, 4096, 2000)])
    return np.clip(a, -(2**31), 2**31 - 1)


def test_td_fixedpoint_helpers_match_python_twin_on_raw_values(tmp_path):
    cc = shutil.which("cc")
    assert cc, "no host C compiler"
    src, exe = tmp_path / "fp.c", tmp_path / "fp"
    src.write_text(DRIVER)
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", *hostrun.SANITIZE.split(),
                    f"-I{KERNELS}", str(src), "-o", str(exe)], check=True)
    a = raw_inputs()
    res = subprocess.run([str(exe)], input="\n".join(map(str, a.tolist())),
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    got = np.array([line.split() for line in res.stdout.splitlines()], dtype=np.int64)
    want = golden_rows(a)
    names = ["exp Q5", "exp Q4", "1/(1+x)", "(1-x)/(1+x)", "logistic", "tanh", "x*2^3",
             "reciprocal", "bits over unit"]
    for i, name in enumerate(names):
        bad = np.flatnonzero(got[:, i] != want[:, i])
        assert bad.size == 0, f"{name}: first mismatch at a={a[bad[0]]}: " \
                              f"C {got[bad[0], i]} vs golden {want[bad[0], i]}"


def test_fixedpoint_python_twin_approximates_real_functions():
    """Sanity of the golden itself against float math (gemmlowp's accuracy, ~1e-6)."""
    x = np.linspace(-15.9, 15.9, 4001)
    q4 = np.round(x * 2**27).astype(np.int64)
    np.testing.assert_allclose(fp.logistic(q4, 4) / 2**31, 1 / (1 + np.exp(-x)), atol=2e-7)
    np.testing.assert_allclose(fp.tanh(q4, 4) / 2**31, np.tanh(x), atol=4e-7)
    neg = -np.abs(q4)                  # the same raws read as Q5 (26 fraction bits): -|2x|
    np.testing.assert_allclose(fp.exp_on_negative_values(neg, 5) / 2**31,
                               np.exp(-np.abs(2 * x)), atol=3e-7)
