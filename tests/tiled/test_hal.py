"""The host HAL (runtime/hal/td_hal_host.c): strided 3-D DMA, deferred until waited,
counters per direction, sequential cores, an L1 of exactly the requested size, and the
contract violations it refuses."""

from __future__ import annotations

import subprocess

import pytest

from tinydeploy.codegen.runtime_files import RUNTIME

C_MAIN = r"""
#include <stdio.h>
#include <string.h>
#include "td_hal.h"

static int order[32], n_order;

static void core_fn(void *arg)
{
    order[n_order++] = td_core_id() * 10 + *(int *)arg;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    int8_t src[5][6][7], dst[2 * 3 * 4];
    for (int i = 0; i < 5 * 6 * 7; ++i) ((int8_t *)src)[i] = (int8_t)i;
    if (strcmp(mode, "copy") == 0) {
        td_dma_box_t box = {{2, 3, 4}, {6 * 7, 7}, {3 * 4, 4}};
        memset(dst, 0, sizeof dst);
        int id = td_dma_start(dst, &src[1][2][3], &box, TD_DMA_L2_TO_L1);
        printf("before %d\n", dst[0] | dst[23]);          /* deferred: nothing moved yet */
        td_dma_wait(id);
        int ok = 1;
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 3; ++j)
                for (int k = 0; k < 4; ++k)
                    ok &= dst[(i * 3 + j) * 4 + k] == src[1 + i][2 + j][3 + k];
        td_dma_box_t back = {{1, 1, 5}, {0, 0}, {0, 0}};
        td_dma_wait(td_dma_start(&src[0][0][0], dst, &back, TD_DMA_L1_TO_L2));
        td_dma_box_t empty = {{0, 3, 4}, {0, 0}, {0, 0}};
        td_dma_wait(td_dma_start(dst, src, &empty, TD_DMA_L3_TO_L2));
        td_dma_counters_t c;
        td_dma_counters(&c);
        printf("ok %d counters %llu %llu %llu %llu %llu %llu\n", ok,
               (unsigned long long)c.bytes[0], (unsigned long long)c.transfers[0],
               (unsigned long long)c.bytes[1], (unsigned long long)c.transfers[1],
               (unsigned long long)c.bytes[2], (unsigned long long)c.transfers[2]);
    } else if (strcmp(mode, "cores") == 0) {
        int arg = 3;
        td_parallel(5, core_fn, &arg);
        for (int i = 0; i < n_order; ++i) printf("%d ", order[i]);
        printf("after %d\n", (int)td_core_id());
    } else if (strcmp(mode, "l1") == 0) {
        uint8_t *l1 = td_l1_acquire(100);
        printf("aligned %d\n", (int)((uintptr_t)l1 % 8 == 0));
        fflush(stdout);
        l1[99] = 1;
        l1[100] = 1;                                    /* one past the end: ASan */
    } else if (strcmp(mode, "unknown") == 0) {
        td_dma_wait(12345);
    } else if (strcmp(mode, "pending") == 0) {
        td_dma_box_t box = {{1, 1, 4}, {0, 0}, {0, 0}};
        td_dma_start(dst, src, &box, TD_DMA_L2_TO_L1);
        td_l1_acquire(64);                               /* a transfer never waited */
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def exe(tmp_path_factory):
    d = tmp_path_factory.mktemp("hal")
    (d / "t.c").write_text(C_MAIN)
    out = d / "t"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-g",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    f"-I{RUNTIME / 'hal'}", str(d / "t.c"), str(RUNTIME / "hal" / "td_hal_host.c"),
                    "-o", str(out)], check=True)
    return out


def _run(exe, mode):
    return subprocess.run([str(exe), mode], capture_output=True, text=True)


def test_strided_box_moves_on_wait_and_is_counted_per_direction(exe):
    r = _run(exe, "copy")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "before 0"
    assert lines[1] == "ok 1 counters 24 1 5 1 0 1"


def test_cores_run_in_order_with_their_ids(exe):
    r = _run(exe, "cores")
    assert r.stdout.split() == ["3", "13", "23", "33", "43", "after", "0"]


def test_l1_is_exactly_the_requested_size(exe):
    r = _run(exe, "l1")
    assert "aligned 1" in r.stdout
    assert r.returncode != 0 and "heap-buffer-overflow" in r.stderr


@pytest.mark.parametrize("mode, msg", [("unknown", "unknown or already waited"),
                                       ("pending", "never waited")])
def test_contract_violations_abort_with_a_message(exe, mode, msg):
    r = _run(exe, mode)
    assert r.returncode != 0 and msg in r.stderr
