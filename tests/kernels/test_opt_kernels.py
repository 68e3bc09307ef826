"""Optimized kernels (runtime/kernels/opt/) vs the reference C kernels and the numpy golden.

The optimized conv/depthwise/fully-connected kernels are built on the host with
ASan/UBSan next to the reference kernels (tests/kernels/opt_driver.c); every case must
give the same bytes from all three. One test rebuilds with tiny scratch buffers so that
the chunking and plain-loop fallbacks run; one runs the rv32imc build in QEMU.
"""

from __future__ import annotations

import importlib.util
import subprocess

import numpy as np
import pytest

from tests.kernels import opt_cases as oc

pytestmark = pytest.mark.cc

TINY_SCRATCH = ("TD_OPT_CONV_PACK_BYTES=600", "TD_OPT_CONV_COL_WORDS=64", "TD_OPT_DW_WORDS=100",
                "TD_OPT_FC_CHUNK=16")


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    return oc.build_driver(tmp_path_factory.mktemp("opt"))


def assert_all_match(exe, cases, work) -> None:
    """Optimized == reference == golden, byte for byte, for every case."""
    for i, (case, (ref, opt)) in enumerate(zip(cases, oc.run_driver(exe, cases, work))):
        want = oc.golden(case).astype(np.int8)
        np.testing.assert_array_equal(ref, want, err_msg=f"reference kernel, case {i}: {case[0]}")
        np.testing.assert_array_equal(opt, want, err_msg=f"optimized kernel, case {i}: {case[0]}")


# ---- convolution ------------------------------------------------------------------------

def test_opt_conv_random_layers_match_reference(driver, tmp_path):
    rng = np.random.default_rng(11)
    assert_all_match(driver, [oc.random_conv_case(rng, edge=i % 2 == 1) for i in range(120)],
                     tmp_path)


def test_opt_conv_row_path_three_wide_stride_one_matches(driver, tmp_path):
    """3-wide, stride-1 kernels with >= 4 channels per group use the row ring: padding
    rows, dilation/stride along H, groups, batches, widths not a multiple of 4."""
    rng = np.random.default_rng(12)
    shapes = [
        dict(h=9, w=11, cin=16, cout=16, k=(3, 3), pads=(1, 1, 1, 1)),
        dict(h=6, w=5, cin=4, cout=7, k=(3, 3), pads=(2, 1, 0, 1), n=2),
        dict(h=8, w=9, cin=5, cout=9, k=(3, 3), pads=(1, 0, 2, 2), stride=(2, 1)),
        dict(h=9, w=6, cin=6, cout=10, k=(2, 3), dilation=(2, 1), pads=(1, 1, 1, 1)),
        dict(h=7, w=7, cin=12, cout=6, k=(3, 3), groups=2, pads=(1, 1, 1, 1)),
        dict(h=5, w=13, cin=8, cout=3, k=(5, 3), pads=(2, 1, 2, 1)),
        dict(h=1, w=12, cin=7, cout=5, k=(1, 3), pads=(0, 1, 0, 1)),
    ]
    cases = [oc.conv_case(rng, edge=i % 2 == 0, bias=b, **s)
             for i, s in enumerate(shapes) for b in ("small", "huge", "none")]
    assert_all_match(driver, cases, tmp_path)


def test_opt_conv_mlperf_like_shapes_match(driver, tmp_path):
    """Pointwise, the KWS first layer (10x4, stride 2, one input channel), strided 3x3."""
    rng = np.random.default_rng(13)
    cases = [
        oc.conv_case(rng, h=5, w=5, cin=64, cout=64, k=(1, 1), pads=(0, 0, 0, 0), small_w=True),
        oc.conv_case(rng, h=49, w=10, cin=1, cout=12, k=(10, 4), stride=(2, 2), pads=(4, 1, 5, 1)),
        oc.conv_case(rng, h=12, w=12, cin=3, cout=8, k=(3, 3), stride=(2, 2), pads=(0, 0, 1, 1)),
        oc.conv_case(rng, h=6, w=6, cin=32, cout=21, k=(1, 1), pads=(0, 0, 0, 0), n=2),
    ]
    assert_all_match(driver, cases, tmp_path)


def test_opt_conv_heavy_weights_take_plain_loops(driver, tmp_path):
    """sum |w| >= 32768 in a channel could overflow a low lane: those blocks must still
    be exact (im2col path and row path)."""
    rng = np.random.default_rng(14)
    cases = [oc.conv_case(rng, h=3, w=3, cin=600, cout=6, k=(1, 1), pads=(0, 0, 0, 0)),
             oc.conv_case(rng, h=4, w=6, cin=60, cout=5, k=(3, 3), pads=(1, 1, 1, 1))]
    # worst case for the low lane: w = -128 and x = 127 everywhere
    for shape in (dict(cin=300, k=(1, 1), pads=(0, 0, 0, 0)), dict(cin=40, k=(3, 3))):
        args, x, w, b = oc.conv_case(rng, h=3, w=6, cout=4, **shape)
        x[:], w[:] = 127, -128
        cases.append((args, x, w, b))
    for args, _, w, _ in cases:
        assert np.abs(w.astype(np.int64)).reshape(args.out_c, -1).sum(1).max() >= 32768
    assert_all_match(driver, cases, tmp_path)


# ---- depthwise --------------------------------------------------------------------------

def test_opt_depthwise_random_layers_match_reference(driver, tmp_path):
    rng = np.random.default_rng(21)
    assert_all_match(driver, [oc.random_dw_case(rng, edge=i % 2 == 1) for i in range(150)],
                     tmp_path)


def test_opt_depthwise_named_shapes_match(driver, tmp_path):
    rng = np.random.default_rng(22)
    shapes = [
        dict(h=25, w=5, cin=16, k=(3, 3), pads=(1, 1, 1, 1)),              # DS-CNN
        dict(h=12, w=12, cin=8, k=(3, 3), stride=(2, 2), pads=(0, 0, 1, 1)),
        dict(h=7, w=9, cin=3, dm=3, k=(3, 3), pads=(1, 1, 1, 1), n=2),
        dict(h=1, w=17, cin=5, k=(1, 3), pads=(0, 1, 0, 1)),                # one row
        dict(h=30, w=40, cin=2, k=(3, 3), pads=(1, 1, 1, 1)),               # 64-word rows
        dict(h=4, w=70, cin=2, k=(3, 3), pads=(1, 1, 1, 1)),                # too wide: plain
        dict(h=9, w=9, cin=4, k=(5, 5), dilation=(2, 1), pads=(4, 2, 4, 2)),
        dict(h=2, w=2, cin=3, k=(3, 3), pads=(1, 1, 1, 1)),
    ]
    cases = [oc.dw_case(rng, edge=i % 2 == 1, bias=b, **s)
             for i, s in enumerate(shapes) for b in ("small", "huge")]
    # 256 taps of -128: sum |w| = 32768 could overflow a low lane (plain loops)
    cases.append(oc.dw_case(rng, h=18, w=18, cin=2, k=(16, 16), pads=(0, 0, 0, 0)))
    cases[-1][2][:] = np.int8(-128)
    assert_all_match(driver, cases, tmp_path)


# ---- fully connected --------------------------------------------------------------------

def test_opt_fully_connected_random_layers_match_reference(driver, tmp_path):
    rng = np.random.default_rng(31)
    assert_all_match(driver, [oc.random_fc_case(rng, edge=i % 2 == 1) for i in range(120)],
                     tmp_path)


def test_opt_fully_connected_named_shapes_match(driver, tmp_path):
    rng = np.random.default_rng(32)
    cases = [oc.fc_case(rng, cin=640, cout=128, small_w=True),                # AD encoder
             oc.fc_case(rng, cin=64, cout=12, per_channel=False),            # KWS head
             oc.fc_case(rng, n=3, cin=1500, cout=11, per_channel=False),     # > one chunk
             oc.fc_case(rng, n=2, cin=5, cout=3, bias="none"),
             oc.fc_case(rng, cin=33, cout=9, bias="huge", edge=True)]
    assert_all_match(driver, cases, tmp_path)


# ---- fallbacks, requantization, rv32 ------------------------------------------------------

def test_opt_kernels_with_tiny_scratch_chunk_and_fall_back_exactly(tmp_path):
    exe = oc.build_driver(tmp_path, TINY_SCRATCH)
    rng = np.random.default_rng(41)
    cases = ([oc.random_conv_case(rng, edge=True) for _ in range(30)]
             + [oc.conv_case(rng, h=6, w=7, cin=4, cout=13, k=(3, 3), pads=(1, 1, 1, 1))]
             + [oc.random_dw_case(rng, edge=True) for _ in range(30)]
             + [oc.random_fc_case(rng, edge=True) for _ in range(20)])
    assert_all_match(exe, cases, tmp_path)


RQ_CHECK = r"""
#include <stdio.h>
#include "td_opt_common.h"
int main(void) {
    static const int32_t mults[] = {1073741824, 1073741825, 1518500250, 1717986918, 2147483647};
    uint32_t s = 1u;
    long bad = 0, n = 0;
    for (int32_t r = 0; r <= 21; ++r) {
        for (unsigned m = 0; m < sizeof mults / sizeof mults[0]; ++m) {
            for (int32_t zp = -128; zp <= 127; zp += 85) {
                td_opt_chan_t c;
                if (!td_opt_chan_requant(&c, mults[m], -r, zp, (1 << 29) - 1)) return 3;
                for (int32_t i = 0; i < 60000; ++i) {
                    int32_t a;
                    s = s * 1664525u + 1013904223u;
                    a = i < 20000 ? i - 10000 : (int32_t)(s >> 2) - (1 << 29) + 1;
                    if (i >= 40000) a >>= (s & 31u) % 29u;
                    ++n;
                    bad += td_opt_rq(a, c.m4, c.c_pos, c.d_neg, c.sh)
                           != (int32_t)((uint32_t)td_requant(a, mults[m], -r) + (uint32_t)zp);
                }
            }
        }
    }
    printf("%ld %ld\n", n, bad);
    return bad != 0;
}
"""


def test_fast_requantization_equals_tflite_double_rounding(tmp_path):
    """td_opt_rq == td_requant + zp for shifts 0..-21, extreme multipliers, |acc| < 2^29."""
    src = tmp_path / "rq.c"
    src.write_text(RQ_CHECK)
    exe = tmp_path / "rq"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    f"-I{oc.KERNELS}", f"-I{oc.KERNELS / 'opt'}", str(src), "-o", str(exe)],
                   check=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True)
    n, bad = map(int, r.stdout.split())
    assert r.returncode == 0 and n > 6_000_000 and bad == 0, r.stdout + r.stderr


def _rv32_module():
    spec = importlib.util.spec_from_file_location("rv32_kernels",
                                                  oc.REPO / "benchmarks" / "rv32_kernels.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.qemu
def test_opt_kernels_rv32_build_in_qemu_matches_golden(tmp_path):
    rv = _rv32_module()
    missing = rv.toolchain_missing()
    if missing:
        pytest.skip(f"{missing} not installed (make riscv-tools)")
    rng = np.random.default_rng(51)
    cases = [oc.conv_case(rng, h=6, w=9, cin=8, cout=9, k=(3, 3), pads=(1, 1, 1, 1), edge=True),
             oc.conv_case(rng, h=9, w=4, cin=1, cout=7, k=(4, 2), stride=(2, 2),
                          pads=(1, 0, 2, 1)),
             oc.dw_case(rng, h=7, w=5, cin=6, k=(3, 3), pads=(1, 1, 1, 1), edge=True),
             oc.fc_case(rng, cin=37, cout=19, per_channel=False)]
    want = [oc.golden(c) for c in cases]
    elf = rv.build_elf(rv.program_source(cases, want, dump=True), tmp_path)
    code, out = rv.run_elf(elf, timeout=120)
    rows = rv.parse(out)
    assert code == 0 and len(rows) == len(cases), out
    for w, row in zip(want, rows):
        expect = w.astype(np.int8).view(np.uint8).tobytes().hex()
        assert row["ref_hex"] == expect and row["opt_hex"] == expect
        assert row["ref_ok"] and row["opt_ok"]
