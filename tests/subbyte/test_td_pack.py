"""td_pack.h (C) agrees with quant/packing.py: every byte unpacks to the same values, and
the sequential packer writes the same bytes (last byte's unused bits 0)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tinydeploy.quant.packing import pack_bits, unpack_bits

pytestmark = pytest.mark.cc

KERNELS = Path(__file__).resolve().parents[2] / "src" / "tinydeploy" / "runtime" / "kernels"

DRIVER = r"""
#include <stdio.h>
#include "td_pack.h"

int main(void)
{
    static const int32_t widths[3] = {2, 4, 8};
    for (int32_t wi = 0; wi < 3; ++wi) {
        const int32_t bits = widths[wi];
        for (int32_t s = 0; s < 2; ++s) {
            uint8_t all[256];
            for (int32_t i = 0; i < 256; ++i) all[i] = (uint8_t)i;
            for (int32_t i = 0; i < 256 * (8 / bits); ++i)
                printf("%d ", (int)td_unpack(all, i, bits, s));
            printf("\n");
        }
        /* pack n = 1..9 values v_i = i - 3 (low bits) and print the bytes */
        for (int32_t n = 1; n <= 9; ++n) {
            uint8_t out[9] = {0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
            td_packer_t w;
            td_pack_init(&w, out, bits);
            for (int32_t i = 0; i < n; ++i) td_pack_put(&w, i - 3);
            td_pack_flush(&w);
            for (int32_t i = 0; i < (n * bits + 7) / 8; ++i) printf("%d ", out[i]);
            printf("\n");
        }
    }
    return 0;
}
"""


def test_td_pack_matches_python_packing(tmp_path):
    src = tmp_path / "drv.c"
    src.write_text(DRIVER)
    exe = tmp_path / "drv"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", f"-I{KERNELS}", str(src), "-o", str(exe)],
                   check=True)
    lines = subprocess.run([str(exe)], check=True, capture_output=True, text=True
                           ).stdout.splitlines()
    every_byte = np.arange(256, dtype=np.uint8)
    for bits in (2, 4, 8):
        for signed in (0, 1):
            got = [int(v) for v in lines.pop(0).split()]
            want = unpack_bits(every_byte, bits, 256 * (8 // bits), bool(signed)).tolist()
            assert got == want, (bits, signed)
        for n in range(1, 10):
            values = [(i - 3) & ((1 << bits) - 1) for i in range(n)]   # low bits of i - 3
            got = [int(v) for v in lines.pop(0).split()]
            assert got == pack_bits(values, bits).tolist(), (bits, n)
