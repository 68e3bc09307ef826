"""Instructions per MAC of the reference and the optimized int8 kernels on RV32IMC (QEMU).

Builds one bare-metal program per layer (gcc -march=rv32imc -O3, picolibc semihosting),
runs it in qemu-system-riscv32 with ``-icount shift=0`` so that ``minstret`` counts
retired instructions exactly (recipe: /work/shared/riscv-qemu.md), and prints a table.
Each program runs the reference kernel (kernels/) and the optimized one (kernels/opt/)
on the same data and checks both outputs against the numpy golden's bytes, so a count is
only reported for a bit-exact kernel.

    .venv/bin/python benchmarks/rv32_kernels.py [--json out.json]

The helpers (``program_source``, ``build_elf``, ``run_elf``) are also used by
tests/kernels/test_opt_kernels.py for its QEMU check.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
KERNELS = REPO / "src" / "tinydeploy" / "runtime" / "kernels"
FUNCS = ("td_conv2d_s8", "td_depthwise_conv2d_s8", "td_fully_connected_s8")
GCC = "riscv64-unknown-elf-gcc"
QEMU = "qemu-system-riscv32"
ARCH = ["-march=rv32imc", "-mabi=ilp32"]
LINK = ["--specs=picolibc.specs", "--oslib=semihost", "--crt0=semihost",
        "-Wl,--defsym=__flash=0x80000000", "-Wl,--defsym=__flash_size=0x400000",
        "-Wl,--defsym=__ram=0x80400000", "-Wl,--defsym=__ram_size=0x1000000"]
QEMU_ARGS = ["-machine", "virt", "-cpu", "rv32,a=off,f=off,d=off", "-bios", "none",
             "-display", "none", "-serial", "none", "-monitor", "none",
             "-chardev", "stdio,id=c0", "-semihosting-config",
             "enable=on,target=native,chardev=c0", "-icount", "shift=0"]


def toolchain_missing() -> str | None:
    """The missing tool's name (install with `make riscv-tools`), or None."""
    for tool in (GCC, QEMU):
        if shutil.which(tool) is None:
            return tool
    return None


# ---- C source of a program --------------------------------------------------------

def _c_array(name: str, ctype: str, values, const: bool = True) -> str:
    vals = np.asarray(values).ravel().astype(np.int64)
    body = ",".join(str(int(v)) for v in vals) if vals.size else "0"
    return f"static {'const ' if const else ''}{ctype} {name}[{max(vals.size, 1)}] = {{{body}}};\n"


def _func(args) -> str:
    return type(args).C_FUNC


def _case_source(i: int, case, expect: np.ndarray) -> str:
    """Data and a runner for case i: run(opt) -> instret, output in y<i>."""
    args, x, w, b = case
    fn = _func(args)
    src = [_c_array(f"x{i}", "int8_t", x, const=False), _c_array(f"w{i}", "int8_t", w),
           _c_array(f"m{i}", "int32_t", args.out_mult),
           _c_array(f"s{i}", "int32_t", args.out_shift), _c_array(f"e{i}", "int8_t", expect)]
    if b is not None:
        src.append(_c_array(f"b{i}", "int32_t", b))
    members = []
    for f in dataclasses.fields(args):
        if "array" in f.metadata:
            members.append(f".{f.name} = {'m' if f.name == 'out_mult' else 's'}{i}")
        else:
            members.append(f".{f.name} = {int(getattr(args, f.name))}")
    src.append(f"static const {fn}_args_t a{i} = {{{', '.join(members)}}};\n")
    src.append(f"static int8_t y{i}[{expect.size}];\n")
    bias = f"b{i}" if b is not None else "NULL"
    src.append(
        f"static uint32_t run{i}(int opt)\n{{\n    uint32_t t0, t1;\n"
        f"    t0 = rd_instret();\n"
        f"    if (opt) {fn}_opt(&a{i}, x{i}, w{i}, {bias}, y{i});\n"
        f"    else {fn}(&a{i}, x{i}, w{i}, {bias}, y{i});\n"
        f"    t1 = rd_instret();\n    return t1 - t0;\n}}\n")
    return "".join(src)


_PRELUDE = """\
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "td_conv2d_s8.h"
#include "td_depthwise_conv2d_s8.h"
#include "td_fully_connected_s8.h"
void td_conv2d_s8_opt(const td_conv2d_s8_args_t *, const int8_t *, const int8_t *,
                      const int32_t *, int8_t *);
void td_depthwise_conv2d_s8_opt(const td_depthwise_conv2d_s8_args_t *, const int8_t *,
                                const int8_t *, const int32_t *, int8_t *);
void td_fully_connected_s8_opt(const td_fully_connected_s8_args_t *, const int8_t *,
                               const int8_t *, const int32_t *, int8_t *);
/* minstret: retired instructions under qemu -icount (Zicsr enabled for this asm only) */
static inline uint32_t rd_instret(void)
{
    uint32_t v;
    __asm__ volatile(".option push\\n.option arch, +zicsr\\ncsrr %0, minstret\\n.option pop"
                     : "=r"(v) :: "memory");
    return v;
}
"""


def program_source(cases, expects, dump: bool = False) -> str:
    """A program running every case with the reference and the optimized kernel; prints
    ``case <i> ref <instret> <ok> opt <instret> <ok>`` (ok: output == golden bytes), and
    with ``dump`` both outputs in hex. Exit status: number of mismatching outputs."""
    parts = [_PRELUDE]
    for i, (case, exp) in enumerate(zip(cases, expects)):
        parts.append(_case_source(i, case, exp))
    body = ["int main(void)\n{\n    int bad = 0;\n    uint32_t n;\n    int ok;\n"]
    for i, exp in enumerate(expects):
        body.append(f'    printf("case {i}");\n')
        for opt, tag in ((0, "ref"), (1, "opt")):
            body.append(f"    memset(y{i}, 0x55, sizeof y{i});\n    n = run{i}({opt});\n"
                        f"    ok = memcmp(y{i}, e{i}, sizeof y{i}) == 0;\n    bad += !ok;\n"
                        f'    printf(" {tag} %lu %d", (unsigned long)n, ok);\n')
            if dump:
                body.append(f'    printf(" {tag}hex ");\n'
                            f"    for (unsigned j = 0; j < sizeof y{i}; ++j) "
                            f'printf("%02x", (unsigned)(uint8_t)y{i}[j]);\n')
        body.append('    printf("\\n");\n')
    body.append("    return bad;\n}\n")
    return "".join(parts + body)


# ---- build and run ----------------------------------------------------------------

def build_elf(main_src: str, work: Path, opt_level: str = "-O3") -> Path:
    """Compile the program with the reference kernels and the renamed optimized ones."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.c").write_text(main_src)
    common = [GCC, *ARCH, opt_level, "-std=c99", "-Wall", "-Wextra", f"-I{KERNELS}"]
    objs = []
    for f in FUNCS:
        for tag, src, extra in (("ref", KERNELS / f"{f}.c", []),
                                ("opt", KERNELS / "opt" / f"{f}.c", [f"-D{f}={f}_opt"])):
            obj = work / f"{f}_{tag}.o"
            subprocess.run([*common, *extra, "--specs=picolibc.specs", "-c", str(src), "-o",
                            str(obj)], check=True, capture_output=True, text=True)
            objs.append(str(obj))
    elf = work / "prog.elf"
    subprocess.run([*common, *LINK, str(work / "main.c"), *objs, "-o", str(elf)], check=True,
                   capture_output=True, text=True)
    return elf


def run_elf(elf: Path, timeout: float = 600) -> tuple[int, str]:
    r = subprocess.run(["timeout", str(timeout), QEMU, *QEMU_ARGS, "-kernel", str(elf)],
                       capture_output=True, text=True)
    return r.returncode, r.stdout


_LINE = re.compile(r"case (\d+) ref (\d+) (\d) (?:refhex (\S*) )?"
                   r"opt (\d+) (\d)(?: opthex (\S*))?")


def parse(stdout: str) -> list[dict]:
    """The program's per-case lines as dicts (instret counts, golden match, hex dumps)."""
    rows = []
    for line in stdout.splitlines():
        m = _LINE.match(line.strip())
        if m:
            rows.append(dict(ref=int(m[2]), ref_ok=m[3] == "1", ref_hex=m[4],
                             opt=int(m[5]), opt_ok=m[6] == "1", opt_hex=m[7]))
    return rows


# ---- benchmark layers ---------------------------------------------------------------

def macs(args) -> int:
    if hasattr(args, "in_features"):
        return args.batches * args.in_features * args.out_features
    if hasattr(args, "groups"):
        return (args.batches * args.out_h * args.out_w * args.out_c * args.k_h * args.k_w
                * (args.in_c // args.groups))
    return args.batches * args.out_h * args.out_w * args.out_c * args.k_h * args.k_w


# Issue #7: targets (instructions per MAC) and the best existing library on the same setup
# (muRISCV-NN scalar path, gcc 12 -O3, QEMU): conv/pointwise <= 2.5, depthwise <= 6.
TARGETS = {"conv": (2.5, "5.03"), "pointwise": (2.5, "4.81"), "conv3": (2.5, "4.38"),
           "fc": (None, "4.27"), "depthwise": (6.0, "11.8")}


def layers():
    """(name, target key, case) of the benchmark layers (MLPerf Tiny shapes)."""
    sys.path.insert(0, str(REPO))
    from tests.kernels import opt_cases as oc

    rng = np.random.default_rng(2024)
    kw = dict(bias="small", small_w=True)
    return [
        ("conv 10x4 s2, 1->64 (KWS first, 49x10)", "conv",
         oc.conv_case(rng, h=49, w=10, cin=1, cout=64, k=(10, 4), stride=(2, 2),
                      pads=(4, 1, 5, 1), **kw)),
        ("pointwise 64->64 (25x5)", "pointwise",
         oc.conv_case(rng, h=25, w=5, cin=64, cout=64, k=(1, 1), pads=(0, 0, 0, 0), **kw)),
        ("conv 3x3 16->16 (32x32)", "conv3",
         oc.conv_case(rng, h=32, w=32, cin=16, cout=16, k=(3, 3), pads=(1, 1, 1, 1), **kw)),
        ("fc 640->128", "fc", oc.fc_case(rng, cin=640, cout=128, **kw)),
        ("depthwise 3x3 64ch (25x5)", "depthwise",
         oc.dw_case(rng, h=25, w=5, cin=64, k=(3, 3), pads=(1, 1, 1, 1), **kw)),
    ]


def bench(work: Path) -> list[dict]:
    sys.path.insert(0, str(REPO))
    from tests.kernels import opt_cases as oc

    results = []
    for name, key, case in layers():
        exp = oc.golden(case)
        elf = build_elf(program_source([case], [exp]), work / re.sub(r"\W+", "_", name))
        code, out = run_elf(elf)
        rows = parse(out)
        if code != 0 or len(rows) != 1:
            raise RuntimeError(f"{name}: program failed (exit {code}):\n{out}")
        r = rows[0]
        n = macs(case[0])
        target, library = TARGETS[key]
        results.append(dict(layer=name, macs=n, ref=r["ref"], opt=r["opt"],
                            ref_per_mac=r["ref"] / n, opt_per_mac=r["opt"] / n,
                            speedup=r["ref"] / r["opt"], exact=r["ref_ok"] and r["opt_ok"],
                            target=target, best_library=library))
    return results


def print_table(results: list[dict]) -> None:
    head = (f"{'layer':40s} {'MACs':>8s} {'ref instr':>10s} {'ref/MAC':>7s} "
            f"{'opt instr':>10s} {'opt/MAC':>7s} {'ref/opt':>7s} {'target':>6s} "
            f"{'lib':>5s} exact")
    print("int8 kernels on RV32IMC: instructions per MAC (gcc 12 -O3, qemu -icount, minstret)")
    print(head)
    print("-" * len(head))
    for r in results:
        target = f"{r['target']:.1f}" if r["target"] else "-"
        print(f"{r['layer']:40s} {r['macs']:8d} {r['ref']:10d} {r['ref_per_mac']:7.2f} "
              f"{r['opt']:10d} {r['opt_per_mac']:7.3f} {r['speedup']:7.2f} {target:>6s} "
              f"{r['best_library']:>5s} {'yes' if r['exact'] else 'NO'}")
    print("target: issue #7; lib: best existing library (muRISCV-NN scalar) on the same setup."
          "\nCounts are whole kernel calls (packing, staging, requantization included).")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="also write the results as JSON")
    ap.add_argument("--keep", type=Path, help="build directory to keep (default: temporary)")
    ns = ap.parse_args()
    missing = toolchain_missing()
    if missing:
        print(f"error: {missing} not found; install the RISC-V tools with `make riscv-tools` "
              "(Debian packages gcc-riscv64-unknown-elf, picolibc-riscv64-unknown-elf, "
              "qemu-system-misc)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        results = bench(ns.keep or Path(tmp))
    print_table(results)
    if ns.json:
        ns.json.write_text(json.dumps(results, indent=2))
    return 0 if all(r["exact"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
