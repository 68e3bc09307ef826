"""What a compiled network occupies: ``size`` of its own objects (every ``.c`` of the
project except ``main.c``), compiled for the host or for rv32imc.

Static RAM is ``data + bss`` of those objects; with no kernel keeping memory of its own
(tests/kernels/test_no_static_buffers.py) it is exactly the arena the header declares.
Flash is ``text`` (code and const data: weights, packed constants, args structs).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tinydeploy.codegen.boards import rv32imc
from tinydeploy.errors import TinyDeployError

HOST = ("cc", "size", ["-O2", "-std=c99", "-fno-pic"])   # no .data.rel.ro
RV32 = ("riscv64-unknown-elf-gcc", "riscv64-unknown-elf-size",
        ["-O3", "-std=c99", *rv32imc.ARCH.split(), "--specs=picolibc.specs"])


@dataclass(frozen=True)
class Sizes:
    text: int
    data: int
    bss: int

    @property
    def ram(self) -> int:
        return self.data + self.bss


def network_sources(project: str | Path) -> list[str]:
    """The network's sources, as the project's Makefile lists them (NET_SRCS)."""
    mk = (Path(project) / "Makefile").read_text()
    m = re.search(r"^NET_SRCS = (.*)$", mk, re.M)
    hal = re.search(r"^HAL \?= (\S+)", mk, re.M)
    if m is None:
        raise TinyDeployError(f"{project}: no NET_SRCS in its Makefile")
    return [hal.group(1) if s == "$(HAL)" and hal else s for s in m.group(1).split()]


def network_sizes(project: str | Path, target: str = "host", arch: str | None = None) -> Sizes:
    """text/data/bss summed over the network's objects (``target``: host or rv32;
    ``arch``: other -march/-mabi flags for rv32, e.g. the F extension's)."""
    cc, size, flags = RV32 if target == "rv32" else HOST
    if arch and target == "rv32":
        flags = [f for f in flags if not f.startswith(("-march=", "-mabi="))] + arch.split()
    for tool in (cc, size):
        if shutil.which(tool) is None:
            raise TinyDeployError(f"{tool} not found (rv32: make riscv-tools)")
    project = Path(project)
    with tempfile.TemporaryDirectory(prefix="td_size_") as tmp:
        objs = []
        for k, src in enumerate(network_sources(project)):
            obj = Path(tmp) / f"{k}.o"
            r = subprocess.run([cc, *flags, "-c", str(project / src), "-o", str(obj)],
                               capture_output=True, text=True)
            if r.returncode:
                raise TinyDeployError(f"{src} does not compile:", detail=r.stderr[-2000:])
            objs.append(str(obj))
        out = subprocess.run([size, "-t", *objs], capture_output=True, text=True,
                             check=True).stdout
    text, data, bss = (int(v) for v in out.strip().splitlines()[-1].split()[:3])
    return Sizes(text, data, bss)
