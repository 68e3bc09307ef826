"""Optimized kernels (runtime/kernels/opt/) vs the reference C kernels and the numpy golden.

Every case is compiled into one program (tests/kernels/opt_program.py) with its optimized
args made exactly as the compiler makes them (tinydeploy.quant.opt): built on the host
with ASan/UBSan, the scratch in a heap block of exactly the size the args declare, and
split over 1..3 cores run one after another; every case must give the golden's bytes
from both kernels. One test runs an rv32imc build in QEMU.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess

import numpy as np
import pytest

from tests.kernels import opt_cases as oc
from tests.kernels import opt_program as op
from tinydeploy.quant.opt._tflite_rq import fast_requant, fast_requant_z

pytestmark = pytest.mark.cc


def assert_all_match(cases, work, config: bool = False) -> None:
    """Optimized == reference == golden, byte for byte, for every case."""
    rows = op.run_host(cases, work, config=config)
    for i, (case, row) in enumerate(zip(cases, rows)):
        assert row["ref_ok"], f"reference kernel, case {i}: {case.ref}"
        assert row["opt_ok"], f"optimized kernel, case {i} ({case.cores} cores): {case.ref}"


def cases_of(tuples, cores=(1, 2, 3)):
    return [oc.as_case(t, cores=cores[i % len(cores)]) for i, t in enumerate(tuples)]


# ---- convolution ------------------------------------------------------------------------

def test_opt_conv_random_layers_match_reference(tmp_path):
    rng = np.random.default_rng(11)
    assert_all_match(cases_of([oc.random_conv_case(rng, edge=i % 2 == 1) for i in range(120)]),
                     tmp_path)


def test_opt_conv_row_path_three_wide_stride_one_matches(tmp_path):
    """3-wide, stride-1 kernels with >= 4 channels use the row ring: padding rows,
    dilation/stride along H, batches, widths not a multiple of 4."""
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
    cases = cases_of([oc.conv_case(rng, edge=i % 2 == 0, bias=b, **s)
                      for i, s in enumerate(shapes) for b in ("small", "huge", "none")])
    assert [c.opt_args().path for c in cases].count(1) >= 12
    assert_all_match(cases, tmp_path)


def test_opt_conv_mlperf_like_shapes_match(tmp_path):
    """Pointwise, the KWS first layer (10x4, stride 2, one input channel), strided 3x3."""
    rng = np.random.default_rng(13)
    cases = cases_of([
        oc.conv_case(rng, h=5, w=5, cin=64, cout=64, k=(1, 1), pads=(0, 0, 0, 0), small_w=True),
        oc.conv_case(rng, h=49, w=10, cin=1, cout=12, k=(10, 4), stride=(2, 2), pads=(4, 1, 5, 1)),
        oc.conv_case(rng, h=12, w=12, cin=3, cout=8, k=(3, 3), stride=(2, 2), pads=(0, 0, 1, 1)),
        oc.conv_case(rng, h=6, w=6, cin=32, cout=21, k=(1, 1), pads=(0, 0, 0, 0), n=2),
    ], cores=(1, 8))
    assert_all_match(cases, tmp_path)


def test_opt_conv_heavy_weights_take_plain_loops(tmp_path):
    """sum |w| >= 32768 in a channel could overflow a low lane: those blocks ("wide") run
    plain loops on the staged words and must still be exact."""
    rng = np.random.default_rng(14)
    tuples = [oc.conv_case(rng, h=3, w=3, cin=600, cout=6, k=(1, 1), pads=(0, 0, 0, 0)),
              oc.conv_case(rng, h=4, w=6, cin=60, cout=5, k=(3, 3), pads=(1, 1, 1, 1))]
    for shape in (dict(cin=300, k=(1, 1), pads=(0, 0, 0, 0)), dict(cin=40, k=(3, 3))):
        args, x, w, b = oc.conv_case(rng, h=3, w=6, cout=4, **shape)
        x[:], w[:] = 127, -128        # worst case for the low lane
        tuples.append((args, x, w, b))
    cases = cases_of(tuples)
    for c in cases:
        assert 2 in c.opt_args().blk[2::6], "no wide block"
    assert_all_match(cases, tmp_path)


def _large_shift_case(rng, mix: bool, **shape):
    """A conv whose channels have right shifts 22..29 (VWW's late layers: tiny scales) and
    accumulators up to ~2^28, so the outputs move; ``mix``: some channels with ordinary
    shifts in the same blocks; dead channels (zero weights, any bias and shift)."""
    args, x, w, _ = oc.conv_case(rng, **shape)
    n = args.out_c
    shift = rng.integers(-29, -21, n)
    mult = rng.integers(1 << 30, 1 << 31, n)
    if mix:
        normal = rng.random(n) < 0.4
        shift = np.where(normal, rng.integers(-18, -8, n), shift)
    x_max = max(abs(-128 + args.input_offset), abs(127 + args.input_offset))
    room = (1 << 29) - 1 - np.abs(w.astype(np.int64)).reshape(n, -1).sum(1) * x_max
    b = (rng.uniform(-1, 1, n) * room).astype(np.int64).astype(np.int32)
    dead = rng.random(n) < 0.3            # all-zero weights, bias ~2^30 (VWW): one output
    w[dead] = 0
    b[dead] = rng.integers(-(1 << 31) + 2048, (1 << 31) - 2048, int(dead.sum()))
    shift[dead] = rng.integers(-31, 0, int(dead.sum()))
    lo, hi = oc.act_range(rng, args.output_offset)
    args = dataclasses.replace(args, out_mult=mult.astype(np.int32),
                               out_shift=shift.astype(np.int32), act_min=lo, act_max=hi)
    return args, x, w, b


def test_opt_conv_large_right_shifts_take_the_offset_after_the_shift(tmp_path):
    """Right shifts 22..29 do not fit the folded output offset: those blocks (TD_CV_FASTZ)
    add it after the shift, on the im2col path (pointwise and 3x3), and stay exact; a
    channel with zero weights has one output, whatever its bias and shift."""
    rng = np.random.default_rng(15)
    tuples = []
    for i in range(16):
        shape = [dict(h=5, w=6, cin=24, cout=13, k=(1, 1), pads=(0, 0, 0, 0)),
                 dict(h=6, w=5, cin=3, cout=9, k=(3, 3), stride=(2, 2)),
                 dict(n=2, h=3, w=3, cin=40, cout=10, k=(1, 1), pads=(0, 0, 0, 0))][i % 3]
        tuples.append(_large_shift_case(rng, mix=i % 2 == 1, **shape))
    cases = cases_of(tuples)
    modes = np.concatenate([c.opt_args().blk[2::6] for c in cases])
    assert np.count_nonzero(modes == 4) >= 20, "no TD_CV_FASTZ block"
    assert np.count_nonzero(modes == 1) <= 2, "dead channels should not need td_requant"
    assert_all_match(cases, tmp_path)


def test_opt_conv_compiles_only_the_paths_its_layers_reach(tmp_path):
    """td_opt_config.h's TD_CV_PATHS (quant/opt/conv2d.py c_config): a project compiles
    the block functions its layers reach - block sizes, one-pixel tails only when a pass
    ends 1 or 2 pixels after a group of 4, row blocks only on the row path, the plain
    loops only for WIDE blocks, the reference epilogue only for modes without a fast one.
    Each layer built alone with its own header (the others' functions left out) and split
    over cores must stay exact."""
    rng = np.random.default_rng(15)
    one = dict(k=(1, 1), pads=(0, 0, 0, 0))
    tuples = [
        (oc.conv_case(rng, h=5, w=5, cin=3, cout=5), 1),             # 25 pixels: tails
        (oc.conv_case(rng, h=3, w=5, cin=7, cout=9, **one), 3),      # 15: a block through tmp
        (oc.conv_case(rng, h=9, w=11, cin=16, cout=16, pads=(1, 1, 1, 1)), 2),  # row path
        (oc.conv_case(rng, h=3, w=3, cin=600, cout=6, **one), 1),    # heavy weights: WIDE
    ]
    cases = [oc.as_case(t, cores=c) for t, c in tuples]
    cases += [oc.conv_rq_case(rng, h=9, w=11, cin=8, cout=9, stride=(2, 2)),   # 30 pixels
              oc.conv_rq_case(rng, h=5, w=5, cin=12, cout=8, raw=True, cores=2, **one)]
    paths = [c.opt_args().c_config()["TD_CV_PATHS"] for c in cases]
    assert paths == [(1, 3), (1, 2), (5,), (1, 2, 3, 4, 7), (1, 2, 3, 4, 8), (2, 4, 8)]
    for i, c in enumerate(cases):
        assert_all_match([c], tmp_path / f"layer{i}", config=True)


# ---- depthwise --------------------------------------------------------------------------

def test_opt_depthwise_random_layers_match_reference(tmp_path):
    rng = np.random.default_rng(21)
    assert_all_match(cases_of([oc.random_dw_case(rng, edge=i % 2 == 1) for i in range(150)]),
                     tmp_path)


def test_opt_depthwise_named_shapes_match(tmp_path):
    rng = np.random.default_rng(22)
    shapes = [
        dict(h=25, w=5, cin=16, k=(3, 3), pads=(1, 1, 1, 1)),              # DS-CNN
        dict(h=12, w=12, cin=8, k=(3, 3), stride=(2, 2), pads=(0, 0, 1, 1)),
        dict(h=7, w=9, cin=3, dm=3, k=(3, 3), pads=(1, 1, 1, 1), n=2),
        dict(h=1, w=17, cin=5, k=(1, 3), pads=(0, 1, 0, 1)),                # one row
        dict(h=30, w=40, cin=2, k=(3, 3), pads=(1, 1, 1, 1)),
        dict(h=9, w=9, cin=4, k=(5, 5), dilation=(2, 1), pads=(4, 2, 4, 2)),
        dict(h=2, w=2, cin=3, k=(3, 3), pads=(1, 1, 1, 1)),
        dict(h=6, w=6, cin=16, k=(3, 3), stride=(2, 2), pads=(0, 0, 1, 1)),  # VWW late
    ]
    tuples = [oc.dw_case(rng, edge=i % 2 == 1, bias=b, **s)
              for i, s in enumerate(shapes) for b in ("small", "huge")]
    tuples.append(oc.dw_case(rng, h=18, w=18, cin=2, k=(16, 16), pads=(0, 0, 0, 0)))
    tuples[-1][2][:] = np.int8(-128)         # 256 taps of -128
    assert_all_match(cases_of(tuples), tmp_path)


# ---- fully connected --------------------------------------------------------------------

def test_opt_fully_connected_random_layers_match_reference(tmp_path):
    rng = np.random.default_rng(31)
    assert_all_match(cases_of([oc.random_fc_case(rng, edge=i % 2 == 1) for i in range(120)]),
                     tmp_path)


def test_opt_fully_connected_named_shapes_match(tmp_path):
    rng = np.random.default_rng(32)
    assert_all_match(cases_of([
        oc.fc_case(rng, cin=640, cout=128, small_w=True),                # AD encoder
        oc.fc_case(rng, cin=64, cout=12, per_channel=False),            # KWS head
        oc.fc_case(rng, n=3, cin=1500, cout=11, per_channel=False),
        oc.fc_case(rng, n=2, cin=5, cout=3, bias="none"),
        oc.fc_case(rng, cin=33, cout=9, bias="huge", edge=True),
        oc.fc_case(rng, cin=256, cout=2)]), tmp_path)                    # VWW head


# ---- requantization, no static memory, rv32 ---------------------------------------------

RQ_CHECK = r"""
#include <stdio.h>
#include <stdlib.h>
#include "kernels/opt/td_opt_common.h"
int main(int argc, char **argv) {
    uint32_t s = 1u;
    long bad = 0, n = 0;
    for (int i = 1; i + 7 < argc; i += 8) {
        const int32_t mult = atoi(argv[i]), shift = atoi(argv[i + 1]), zp = atoi(argv[i + 2]);
        const uint32_t m4 = (uint32_t)strtol(argv[i + 3], NULL, 10);
        const int32_t cp = atoi(argv[i + 4]), dn = atoi(argv[i + 5]), sh = atoi(argv[i + 6]);
        const int32_t zo = atoi(argv[i + 7]);     /* TD_CV_FASTZ: offset after the shift */
        for (int32_t k = 0; k < 60000; ++k) {
            int32_t a;
            s = s * 1664525u + 1013904223u;
            a = k < 20000 ? k - 10000 : (int32_t)(s >> 2) - (1 << 29) + 1;
            if (k >= 40000) a >>= (s & 31u) % 29u;
            ++n;
            bad += td_opt_rq(a, m4, cp, dn, sh) + zo
                   != (int32_t)((uint32_t)td_requant(a, mult, shift) + (uint32_t)zp);
        }
    }
    printf("%ld %ld\n", n, bad);
    return bad != 0;
}
"""


def test_fast_requantization_equals_tflite_double_rounding(tmp_path):
    """td_opt_rq with the constants Python makes == td_requant + zp for shifts 0..-21,
    extreme multipliers, |acc| < 2^29; and the TD_CV_FASTZ form (the offset added after
    the shift) for shifts 0..-29."""
    src = tmp_path / "rq.c"
    src.write_text(RQ_CHECK)
    exe = tmp_path / "rq"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", *op.SAN,
                    f"-I{op.RUNTIME}", str(src), "-o", str(exe)], check=True)
    argv = []
    for r in range(30):
        for m in (1073741824, 1073741825, 1518500250, 1717986918, 2147483647):
            for zp in (-128, -43, 42, 127):
                forms = [(fast_requant_z(m, -r, (1 << 29) - 1), zp)]
                if r < 22:
                    forms.append((fast_requant(m, -r, zp, (1 << 29) - 1), 0))
                for k, zo in forms:
                    assert k is not None
                    argv += [str(v) for v in (m, -r, zp, k[0] & 0xFFFFFFFF, *k[1:], zo)]
    r = subprocess.run([str(exe), *argv], capture_output=True, text=True)
    n, bad = map(int, r.stdout.split())
    assert r.returncode == 0 and n > 15_000_000 and bad == 0, r.stdout + r.stderr


def test_fast_requantization_is_refused_outside_its_conditions():
    assert fast_requant(2**30 - 1, -3, 0, 100) is None        # not a normalized multiplier
    assert fast_requant(2**30, 1, 0, 100) is None             # a left shift
    assert fast_requant(2**30, -22, 0, 100) is None           # too far right
    assert fast_requant(2**30, -3, 0, 1 << 29) is None        # accumulator too large
    assert fast_requant_z(2**30, -29, 100) is not None        # the offset after the shift
    assert fast_requant_z(2**30, -30, 100) is None
    assert fast_requant_z(2**30, 1, 100) is None
    assert fast_requant_z(2**30, -25, 1 << 29) is None


def _rv32_module():
    spec = importlib.util.spec_from_file_location("rv32_kernels",
                                                  op.REPO / "benchmarks" / "rv32_kernels.py")
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
    cases = cases_of([
        oc.conv_case(rng, h=6, w=9, cin=8, cout=9, k=(3, 3), pads=(1, 1, 1, 1), edge=True),
        oc.conv_case(rng, h=9, w=4, cin=1, cout=7, k=(4, 2), stride=(2, 2), pads=(1, 0, 2, 1)),
        oc.dw_case(rng, h=7, w=5, cin=6, k=(3, 3), pads=(1, 1, 1, 1), edge=True),
        oc.fc_case(rng, cin=37, cout=19, per_channel=False)], cores=(1, 2))
    code, out = rv.run_elf(rv.build_elf(op.source(cases), op.sources(cases), tmp_path),
                           timeout=120)
    rows = op.parse(out)
    assert code == 0 and len(rows) == len(cases), out
    assert all(r["ref_ok"] and r["opt_ok"] for r in rows), out
