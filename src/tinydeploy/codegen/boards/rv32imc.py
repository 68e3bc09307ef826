"""The ``qemu-rv32`` board's machine: bare-metal rv32imc + picolibc on QEMU ``virt``.

These numbers are written into the generated ``rv32/rv32.mk`` and used by the runner
(:mod:`tinydeploy.check.rv32.qemu`), so the two can never disagree.
"""

from __future__ import annotations

ARCH = "-march=rv32imc -mabi=ilp32"
CFLAGS = "-O3 -std=c99 -Wall -Wextra -Werror"
LIBC = "--specs=picolibc.specs --oslib=semihost"
# QEMU virt jumps to DRAM (0x80000000): code and constants there, RAM 16 MiB above.
FLASH, FLASH_SIZE, RAM, RAM_SIZE, STACK = 0x80000000, 0x1000000, 0x81000000, 0x1000000, 0x10000
# a=off,f=off,d=off: anything outside rv32imc traps instead of passing
QEMU_FLAGS = ["-machine", "virt", "-cpu", "rv32,a=off,f=off,d=off", "-bios", "none",
              "-display", "none", "-serial", "none", "-monitor", "none"]
SEMIHOST = "enable=on,target=native,chardev=c0"
HARTS = 8


def template_values() -> dict:
    """What ``boards/qemu_rv32/*.j2`` need: the same constants the runner uses."""
    mem = " \\\n              ".join(f"-Wl,--defsym={k}=0x{v:x}" for k, v in (
        ("__flash", FLASH), ("__flash_size", FLASH_SIZE), ("__ram", RAM),
        ("__ram_size", RAM_SIZE), ("__stack_size", STACK)))
    return {"arch": ARCH, "cflags": CFLAGS, "libc": LIBC, "mem": mem, "ram": RAM,
            "qemu_flags": " ".join(QEMU_FLAGS), "semihost": SEMIHOST, "harts": HARTS}
