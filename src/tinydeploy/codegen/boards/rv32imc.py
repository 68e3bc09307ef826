"""The ``qemu-rv32`` board's machine: bare-metal rv32imc + picolibc on QEMU ``virt``.

These numbers are written into the generated ``rv32/rv32.mk`` and used by the runner
(:mod:`tinydeploy.check.rv32.qemu`), so the two can never disagree.

A network with float32 tensors is built for the F extension instead (single-precision
FPU: ``-march=rv32imafc -mabi=ilp32f``, picolibc's ``rv32imafc/ilp32f`` multilib) and
runs on a QEMU CPU with A and F on (D stays off: double arithmetic would trap, not pass).
On rv32imc the float32 kernels would spend most of their instructions in libgcc's
soft-float routines (``__addsf3``, ``__mulsf3``). Integer networks keep rv32imc.
"""

from __future__ import annotations

ARCH = "-march=rv32imc -mabi=ilp32"
ARCH_F = "-march=rv32imafc -mabi=ilp32f"
CFLAGS = "-O3 -std=c99 -Wall -Wextra -Werror"
LIBC = "--specs=picolibc.specs --oslib=semihost"
# QEMU virt jumps to DRAM (0x80000000): code and constants there, RAM 16 MiB above.
FLASH, FLASH_SIZE, RAM, RAM_SIZE, STACK = 0x80000000, 0x1000000, 0x81000000, 0x1000000, 0x10000
# a=off,f=off,d=off: anything outside rv32imc traps instead of passing
CPU, CPU_F = "rv32,a=off,f=off,d=off", "rv32,a=on,f=on,d=off"
QEMU_FLAGS = ["-machine", "virt", "-cpu", CPU, "-bios", "none",
              "-display", "none", "-serial", "none", "-monitor", "none"]
QEMU_FLAGS_F = [CPU_F if f == CPU else f for f in QEMU_FLAGS]
SEMIHOST = "enable=on,target=native,chardev=c0"
HARTS = 8


def uses_float(graph) -> bool:
    """Whether a graph has float32 tensors (then it is built for the F extension)."""
    return graph is not None and any(t.dtype == "float32" for t in graph.tensors.values())


def template_values(float32: bool = False) -> dict:
    """What ``boards/qemu_rv32/*.j2`` need: the same constants the runner uses."""
    mem = " \\\n              ".join(f"-Wl,--defsym={k}=0x{v:x}" for k, v in (
        ("__flash", FLASH), ("__flash_size", FLASH_SIZE), ("__ram", RAM),
        ("__ram_size", RAM_SIZE), ("__stack_size", STACK)))
    return {"arch": ARCH_F if float32 else ARCH, "cflags": CFLAGS, "libc": LIBC, "mem": mem,
            "ram": RAM, "qemu_flags": " ".join(QEMU_FLAGS_F if float32 else QEMU_FLAGS),
            "semihost": SEMIHOST, "harts": HARTS, "float32": float32}
