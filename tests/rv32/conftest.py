"""QEMU rv32imc tests: skipped, saying why, only when the RISC-V toolchain/QEMU is absent
(`make test` installs it through `make riscv-tools`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import model_path
from tinydeploy.compiler import compile_model
from tinydeploy.check.rv32.qemu import missing_tools

_MISSING = missing_tools()
REASON = ("RISC-V toolchain/QEMU absent (" + ", ".join(w for w, _ in _MISSING)
          + "): run 'make riscv-tools'") if _MISSING else ""
needs_qemu = pytest.mark.skipif(bool(_MISSING), reason=REASON)


def compile_rv32(name: str, out: Path) -> tuple[Path, dict]:
    """Compile a shared MLPerf Tiny model with --board qemu-rv32; (project, manifest)."""
    proj = out / name
    compile_model(model_path(name + ".tflite"), proj, board="qemu-rv32")
    return proj, json.loads((proj / "manifest.json").read_text())
