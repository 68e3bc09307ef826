"""Instructions per MAC of the reference and the optimized int8 kernels on RV32IMC (QEMU).

Builds one bare-metal program per layer (gcc -march=rv32imc -O3, picolibc semihosting),
runs it in qemu-system-riscv32 with ``-icount shift=0`` so that ``minstret`` counts
retired instructions exactly (recipe: /work/shared/riscv-qemu.md), and prints a table.
Each program runs the reference kernel (kernels/) and the optimized one (kernels/opt/)
on the same data and checks both outputs against the numpy golden's bytes, so a count is
only reported for a bit-exact kernel.

    .venv/bin/python benchmarks/rv32_kernels.py [--json out.json]

The program is tests/kernels/opt_program.py's (also built on the host by the tests);
``build_elf`` and ``run_elf`` are used by tests/kernels/test_opt_kernels.py for its QEMU
check.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RUNTIME = REPO / "src" / "tinydeploy" / "runtime"
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


# ---- build ------------------------------------------------------------------------
# (the program itself: tests/kernels/opt_program.py, shared with the host tests)

def build_elf(main_src: str, sources, work: Path, opt_level: str = "-O3") -> Path:
    """Compile the program with the reference and the optimized kernels it calls."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.c").write_text(main_src)
    common = [GCC, *ARCH, opt_level, "-std=c99", "-Wall", "-Wextra", f"-I{RUNTIME}"]
    elf = work / "prog.elf"
    subprocess.run([*common, *LINK, str(work / "main.c"), *map(str, sources), "-o", str(elf)],
                   check=True, capture_output=True, text=True)
    return elf


def run_elf(elf: Path, timeout: float = 600) -> tuple[int, str]:
    r = subprocess.run(["timeout", str(timeout), QEMU, *QEMU_ARGS, "-kernel", str(elf)],
                       capture_output=True, text=True)
    return r.returncode, r.stdout


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
    from tests.kernels import opt_program as op

    results = []
    for name, key, case in layers():
        c = oc.as_case(case)
        elf = build_elf(op.source([c]), op.sources([c]), work / re.sub(r"\W+", "_", name))
        code, out = run_elf(elf)
        rows = op.parse(out)
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
          "\nCounts are whole kernel calls (staging, requantization included; weights are packed at compile time).")


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
