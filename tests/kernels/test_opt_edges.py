"""The graph edges of the integer graphs (issue 13): the byte tables that are a pure offset
(td_table_offset_opt.h under td_table_u8_s8_opt / td_table_s8_opt: four bytes per word)
and the 4 x 4 block transposes of td_transpose_opt_impl.h, run directly from one C
program on every pointer phase, in place, split over cores, with guard bytes around the
output.

Tables: the word path (offsets 0 and 128) and the byte path (any other offset) on lengths
0..67 and a long one, input and output at every word phase and in place, on 1..3 cores;
each output byte must be the table's entry for its input byte. Transposes: the
NCHW <-> NHWC edges of the PULP networks (eegnet's [100][512], ql_dvs's [16][4096],
Deeploy's [5][256] and [3][64]) and random shapes and permutations, at every input and
output phase, on 1, 2, 3 and 5 cores: the numpy golden's bytes. The program runs on the
host under ASan/UBSan and as an rv32imc build in QEMU (word accesses must stay aligned).
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tests.graphs import act, one_op
from tests.kernels import opt_program as op
from tests.kernels.test_opt_kernels import _rv32_module
from tinydeploy.codegen.opt_config import opt_config_header
from tinydeploy.compiler import lower
from tinydeploy.quant.golden import transpose as gt
from tinydeploy.quant.opt import transpose as ot
from tinydeploy.quant.opt.table_s8 import byte_offset

OFFSETS = (0, 1, 77, 127, 128, 129, 200, 255)
LENGTHS = (*range(68), 1000)


def _table(c: int, signed: bool) -> np.ndarray:
    """The 256 entries of a pure-offset table: entry j is the output of input byte j (or
    of int8 value j - 128 when ``signed``)."""
    src = np.arange(256) ^ (0x80 if signed else 0)
    return ((src + c) & 0xFF).astype(np.uint8).view(np.int8)


def _c_bytes(name: str, values, ctype: str = "uint8_t") -> str:
    flat = np.asarray(values).astype(np.int64).ravel()
    body = ",".join(str(int(v)) for v in flat) if flat.size else "0"
    return f"static const {ctype} {name}[{max(flat.size, 1)}] = {{{body}}};\n"


_PRELUDE = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernels/opt/td_table_u8_s8_opt.h"
#include "kernels/opt/td_table_s8_opt.h"
#include "kernels/opt/td_transpose_s8_opt.h"
#include "kernels/opt/td_transpose_u8_opt.h"

#define GUARD 8
#if defined(__riscv)
static uint8_t pool[2][70000 + 2 * GUARD] __attribute__((aligned(8)));
static uint8_t *block(int k, int32_t n) { (void)n; return pool[k]; }
static void release(uint8_t *p) { (void)p; }
#else
static uint8_t *block(int k, int32_t n) { (void)k; return malloc((size_t)n + 2 * GUARD); }
static void release(uint8_t *p) { free(p); }
#endif

/* n + 2 GUARD bytes: a phase shift and guard bytes (0xa5) on both sides. */
static int guards_ok(const uint8_t *b, int32_t lo, int32_t hi, int32_t total)
{
    for (int32_t i = 0; i < total; ++i)
        if ((i < lo || i >= hi) && b[i] != 0xa5) return 0;
    return 1;
}
"""

_TABLES = r"""
static int run_table(int signed_in, int32_t off, const int8_t *table)
{
    int bad = 0;
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; ++li) {
        const int32_t n = lengths[li], total = n + 2 * GUARD;
        for (int pin = 0; pin < 4; ++pin)
            for (int pout = -1; pout < 4; ++pout)        /* -1: in place */
                for (int32_t cores = 1; cores <= 3; ++cores) {
                    uint8_t *bi = block(0, n), *bo = pout < 0 ? bi : block(1, n);
                    uint8_t *x = bi + pin, *y = pout < 0 ? x : bo + pout;
                    uint8_t src[1000];
                    memset(bi, 0xa5, (size_t)total);
                    if (pout >= 0) memset(bo, 0xa5, (size_t)total);
                    for (int32_t i = 0; i < n; ++i) src[i] = x[i] = (uint8_t)(i * 37 + n + pin);
                    for (int32_t core = 0; core < cores; ++core) {
                        const td_team_t team = {core, cores, NULL};
                        if (signed_in) {
                            const td_table_s8_opt_args_t a = {n, off, table};
                            td_table_s8_opt(&a, (const int8_t *)x, (int8_t *)y, NULL, &team);
                        } else {
                            const td_table_u8_s8_opt_args_t a = {n, off, table};
                            td_table_u8_s8_opt(&a, x, (int8_t *)y, NULL, &team);
                        }
                    }
                    int ok = 1;
                    for (int32_t i = 0; i < n; ++i) {
                        const int32_t j = signed_in ? (int8_t)src[i] + 128 : src[i];
                        ok &= y[i] == (uint8_t)table[j];
                    }
                    ok &= guards_ok(bo, pout < 0 ? pin : pout, (pout < 0 ? pin : pout) + n,
                                    total);
                    if (pout >= 0) ok &= guards_ok(bi, pin, pin + n, total);
                    if (!ok) {
                        printf("table signed %d off %ld n %ld in %d out %d cores %ld FAIL\n",
                               signed_in, (long)off, (long)n, pin, pout, (long)cores);
                        ++bad;
                    }
                    if (pout >= 0) release(bo);
                    release(bi);
                }
    }
    return bad;
}
"""

_TRANSPOSE = r"""
static int run_transpose(int u8, const td_transpose_s8_opt_args_t *a, const uint8_t *in,
                         const uint8_t *want)
{
    const int32_t n = a->n0 * a->n1 * a->n2, total = n + 2 * GUARD;
    int bad = 0;
    for (int pin = 0; pin < 4; ++pin)
        for (int pout = 0; pout < 4; ++pout)
            for (int32_t cores = 1; cores <= 5; cores += cores < 3 ? 1 : 2) {
                uint8_t *bi = block(0, n), *bo = block(1, n);
                uint8_t *x = bi + pin, *y = bo + pout;
                memset(bi, 0xa5, (size_t)total);
                memset(bo, 0xa5, (size_t)total);
                memcpy(x, in, (size_t)n);
                for (int32_t core = 0; core < cores; ++core) {
                    const td_team_t team = {core, cores, NULL};
                    if (u8)
                        td_transpose_u8_opt(a, x, y, NULL, &team);
                    else
                        td_transpose_s8_opt(a, (const int8_t *)x, (int8_t *)y, NULL, &team);
                }
                if (memcmp(y, want, (size_t)n) != 0 || !guards_ok(bo, pout, pout + n, total) ||
                    memcmp(x, in, (size_t)n) != 0) {
                    printf("transpose %ld %ld %ld in %d out %d cores %ld FAIL\n", (long)a->n0,
                           (long)a->n1, (long)a->n2, pin, pout, (long)cores);
                    ++bad;
                }
                release(bo);
                release(bi);
            }
    return bad;
}
"""


def program(tables: list[tuple[bool, int, np.ndarray]], transposes: list) -> str:
    """C source: every table (signed index, offset, entries) and transpose (u8, opt
    args, input, golden output) case; prints ``cases <k> bad <b>``, exits with b."""
    parts = [_PRELUDE, _c_bytes("lengths", LENGTHS, "int32_t"), _TABLES, _TRANSPOSE]
    calls = []
    for k, (signed, off, table) in enumerate(tables):
        parts.append(_c_bytes(f"tab{k}", table, "int8_t"))
        calls.append(f"    bad += run_table({int(signed)}, {off}, tab{k});\n")
    for k, (u8, a, x, want) in enumerate(transposes):
        parts.append(_c_bytes(f"tin{k}", x.view(np.uint8)))
        parts.append(_c_bytes(f"tout{k}", want.view(np.uint8)))
        parts.append(f"static const td_transpose_s8_opt_args_t targs{k} = "
                     f"{{{a.n0}, {a.n1}, {a.n2}, {a.s0}, {a.s1}, {a.s2}}};\n")
        calls.append(f"    bad += run_transpose({int(u8)}, &targs{k}, tin{k}, tout{k});\n")
    parts.append("int main(void)\n{\n    int bad = 0;\n" + "".join(calls) +
                 f'    printf("cases {len(calls)} bad %d\\n", bad);\n    return bad;\n}}\n')
    return "".join(parts)


SOURCES = [op.RUNTIME / "kernels" / "opt" / f"{k}.c" for k in
           ("td_table_u8_s8_opt", "td_table_s8_opt", "td_transpose_s8_opt",
            "td_transpose_u8_opt")]

# (input shape, perm): the layout edges of the PULP networks
EDGES = [((1, 100, 1, 512), (0, 2, 3, 1)), ((1, 16, 64, 64), (0, 2, 3, 1)),
         ((1, 5, 16, 16), (0, 2, 3, 1)), ((1, 16, 16, 5), (0, 3, 1, 2)),
         ((1, 3, 8, 8), (0, 2, 3, 1)), ((2, 8, 6, 12), (0, 2, 3, 1)),
         ((3, 12, 10), (0, 2, 1)), ((1, 6, 7, 4), (0, 2, 3, 1)),
         ((1, 20, 1, 64), (0, 2, 3, 1)), ((1, 26, 16), (0, 2, 1)), ((1, 12, 8), (0, 2, 1)),
         ((2, 36, 12), (0, 2, 1)), ((1, 64, 3, 4), (0, 2, 3, 1))]


def transpose_cases(rng, dtype: str) -> list:
    shapes = list(EDGES)
    for _ in range(10):
        nd = int(rng.integers(2, 5))
        shape = tuple(int(rng.integers(1, 14)) for _ in range(nd))
        shapes.append((shape, tuple(int(p) for p in rng.permutation(nd))))
    out = []
    for shape, perm in shapes:
        x = rng.integers(0, 256, size=shape).astype(np.uint8).view(dtype)
        g = one_op("transpose", [act("x", shape, 1.0, 0, dtype)],
                   act("y", tuple(shape[p] for p in perm), 1.0, 0, dtype), perm=list(perm))
        ref = gt.prepare(g, g.ops[0])
        a = ot.make(ref, [None])
        if a is None:                                    # > 3 dimensions: reference kernel
            continue
        out.append((dtype == "uint8", a, x, gt.run(ref, x)))
    return out


def _cases():
    tables = [(s, c, _table(c, s)) for s in (False, True) for c in OFFSETS]
    rng = np.random.default_rng(13)
    return tables, transpose_cases(rng, "int8") + transpose_cases(rng, "uint8")


def test_pure_offset_tables_are_recognised():
    """The makers mark a table as an offset exactly when it is one: a uint8 image stored
    as int8 with the same scale (x - 128, whatever the zero point); not a rescaling or a
    shift that clamps."""
    for s_in, z_in, s_out, z_out, want in ((0.1, 0, 0.1, -128, 128), (0.1, 128, 0.1, 0, 128),
                                           (0.1, 128, 0.1, 3, -1), (0.1, 0, 0.2, -128, -1),
                                           (1.0, 0, 1.0, 0, -1)):
        g = one_op("quantize", [act("x", (1, 40), s_in, z_in, "uint8")],
                   act("y", (1, 40), s_out, z_out, "int8"))
        a = lower(g, kernels="opt").kernel_args["op0"]
        assert type(a).__name__ == "TableU8S8OptArgs" and a.offset == want, (z_in, z_out)
    assert byte_offset(_table(200, True), True) == 200
    assert byte_offset(_table(200, True), False) == 72          # entry j: input byte j ^ 128
    t = _table(5, False).copy()
    t[17] += 1
    assert byte_offset(t, False) == -1


@pytest.mark.cc
def test_offset_tables_and_block_transposes_on_the_host(tmp_path):
    tables, transposes = _cases()
    assert sum(a.n2 >= 4 and a.s2 % 4 == 0 for _, a, _, _ in transposes) >= 4
    src = tmp_path / "edges.c"
    src.write_text(program(tables, transposes))
    exe = tmp_path / "edges"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-g",
                    f"-I{op.RUNTIME}", *op.SAN, str(src), *map(str, SOURCES), "-o", str(exe)],
                   check=True, capture_output=True, text=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    assert f"cases {len(tables) + len(transposes)} bad 0" in r.stdout


@pytest.mark.qemu
def test_offset_tables_and_block_transposes_on_rv32(tmp_path):
    rv = _rv32_module()
    missing = rv.toolchain_missing()
    if missing:
        pytest.skip(f"{missing} not installed (make riscv-tools)")
    tables, transposes = _cases()
    code, out = rv.run_elf(rv.build_elf(program(tables, transposes), SOURCES, tmp_path),
                           timeout=600)
    assert code == 0 and f"cases {len(tables) + len(transposes)} bad 0" in out, out[-3000:]


def test_projects_compile_the_block_transpose_only_when_a_layer_can_take_it():
    """td_opt_config.h's TD_TR_PATHS: eegnet's [100][512] edge can take the register
    blocks, Deeploy's 5-channel NCHW -> NHWC edge (output rows of 5 bytes) cannot, so a
    project with only the latter leaves the block code out."""
    wide = ot.TransposeU8OptArgs(1, 512, 100, 0, 1, 512)
    narrow = ot.TransposeS8OptArgs(1, 256, 5, 0, 1, 256)
    assert "#define TD_TR_PATHS(X) X(1)" in opt_config_header([wide, narrow])
    assert "#define TD_TR_PATHS(X)\n" in opt_config_header([narrow])
