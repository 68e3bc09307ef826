"""Generated projects on a RISC-V core: bare-metal rv32imc under QEMU (board qemu-rv32).

- :mod:`.qemu`: toolchain check, build (the project's ``rv32/rv32.mk``), runs on
  ``qemu-system-riscv32 -machine virt`` with semihosted file I/O.
- :mod:`.profile`: exact instruction counts per layer (``-icount shift=0`` + minstret),
  and the multi-hart (``-smp 8``) check.
"""

from tinydeploy.check.rv32.profile import count_instructions, profile, smp_check
from tinydeploy.check.rv32.qemu import BOARD, build, check_board, require_tools, run

__all__ = ["BOARD", "build", "check_board", "count_instructions", "profile",
           "require_tools", "run", "smp_check"]
