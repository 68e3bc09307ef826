"""Per-core work split (runtime/tiled/td_split.h) for every core count 1..16: the C and
its Python mirror agree part for part, and the parts of all cores cover every output of
the tile exactly once, with contiguous output bytes and balanced counts."""

from __future__ import annotations

import itertools
import subprocess

import numpy as np
import pytest

from tinydeploy.codegen.runtime_files import RUNTIME
from tinydeploy.tiling.split import CHANNELS, ROWS, core_parts, core_range

CORES = range(1, 17)
ROWS_ = range(1, 10)
COLS = (1, 3)
CHANS = [(1, 1), (4, 1), (7, 1), (12, 1), (6, 2), (9, 3), (16, 4)]   # (chans, c_step)

C_MAIN = r"""
#include <stdio.h>
#include "td_split.h"

static void show(const void *ctx, const td_part_t *p)
{
    (void)ctx;
    printf(" %d %d %d %d %d %d", (int)p->r0, (int)p->r1, (int)p->w0, (int)p->w1,
           (int)p->c0, (int)p->c1);
}

int main(void)
{
    static const int chans[][2] = {%CHANS%};
    for (int split = 0; split < 2; ++split)
        for (int rows = 1; rows < 10; ++rows)
            for (int cols = 1; cols <= 3; cols += 2)
                for (unsigned k = 0; k < sizeof chans / sizeof chans[0]; ++k)
                    for (int cores = 1; cores <= 16; ++cores)
                        for (int core = 0; core < cores; ++core) {
                            printf("%d %d %d %d %d %d %d:", split, rows, cols, chans[k][0],
                                   chans[k][1], cores, core);
                            td_core_parts(split, rows, cols, chans[k][0], chans[k][1], cores,
                                          core, show, NULL);
                            printf("\n");
                        }
    return 0;
}
"""


def _cases():
    for split, rows, cols, (chans, step), cores in itertools.product(
            (ROWS, CHANNELS), ROWS_, COLS, CHANS, CORES):
        yield split, rows, cols, chans, step, cores


@pytest.fixture(scope="module")
def c_parts(tmp_path_factory) -> dict[tuple, list[tuple]]:
    d = tmp_path_factory.mktemp("split")
    src = d / "split.c"
    src.write_text(C_MAIN.replace("%CHANS%", ", ".join(f"{{{a}, {b}}}" for a, b in CHANS)))
    exe = d / "split"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", f"-I{RUNTIME / 'tiled'}", str(src), "-o",
                    str(exe)], check=True)
    out = {}
    for line in subprocess.run([str(exe)], check=True, capture_output=True,
                               text=True).stdout.splitlines():
        key, parts = line.split(":")
        vals = [int(v) for v in parts.split()]
        out[tuple(int(v) for v in key.split())] = [tuple(vals[i:i + 6])
                                                   for i in range(0, len(vals), 6)]
    return out


def test_c_and_python_split_agree_for_every_core_count(c_parts):
    n = 0
    for split, rows, cols, chans, step, cores in _cases():
        for core in range(cores):
            py = [tuple(p) for p in core_parts(split, rows, cols, chans, step, cores, core)]
            assert c_parts[(split, rows, cols, chans, step, cores, core)] == py
            n += 1
    assert n == len(c_parts)


def test_parts_cover_each_output_once_contiguously_and_balanced():
    for split, rows, cols, chans, step, cores in _cases():
        hits = np.zeros((rows, cols, chans), np.int32)
        per_core = []
        for core in range(cores):
            parts = core_parts(split, rows, cols, chans, step, cores, core)
            for p in parts:
                hits[p.r0:p.r1, p.w0:p.w1, p.c0:p.c1] += 1
                # the output bytes of a part are one contiguous run of the [r, w, c] tile
                full_c = (p.c0, p.c1) == (0, chans)
                assert full_c and (p.w0, p.w1) == (0, cols) or (p.r1 - p.r0, p.w1 - p.w0) \
                    == (1, 1)
                assert p.c0 % step == 0 and p.c1 % step == 0
            per_core.append(sum((p.r1 - p.r0) * (p.w1 - p.w0) * (p.c1 - p.c0) for p in parts))
        assert (hits == 1).all(), (split, rows, cols, chans, step, cores)
        units = rows if split == ROWS else chans // step
        unit = cols * chans if split == ROWS else rows * cols * step
        assert max(per_core) == -(-units // cores) * unit     # the slowest core: ceil(n/P)


@pytest.mark.parametrize("cores", CORES)
def test_core_range_is_ceil_chunks_in_core_order(cores):
    for n in range(0, 40):
        ranges = [core_range(n, cores, c) for c in range(cores)]
        assert ranges[0][0] == 0 and ranges[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
        assert all(hi - lo <= -(-n // cores) for lo, hi in ranges)
