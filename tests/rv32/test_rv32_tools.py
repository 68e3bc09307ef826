"""Without the RISC-V toolchain or QEMU: one clear line naming the Debian package, exit 2
(these tests need no toolchain: they hide it); host-board projects stay as they were."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import model_path
from tinydeploy.compiler import compile_model


def _bin_dir(tmp: Path, tools: dict[str, str | None]) -> str:
    """A PATH directory with only ``tools`` (name -> real path, or a shell script text)."""
    d = tmp / "bin"
    d.mkdir()
    for name, what in tools.items():
        if what and what.startswith("#!"):
            (d / name).write_text(what)
            (d / name).chmod(0o755)
        elif what:
            (d / name).symlink_to(what)
    return str(d)


def _validate_on_qemu(tmp_path: Path, path: str) -> subprocess.CompletedProcess:
    proj = tmp_path / "ad"
    compile_model(model_path("ad_autoencoder_int8.tflite"), proj, board="qemu-rv32")
    env = {**os.environ, "PATH": path}
    return subprocess.run([sys.executable, "-m", "tinydeploy.cli", "validate", str(proj),
                           "--on", "qemu", "-n", "1"], capture_output=True, text=True, env=env)


def _one_clear_line(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("tinydeploy: error: ")
    return lines[0]


def test_no_toolchain_and_no_qemu_names_both_packages(tmp_path):
    path = _bin_dir(tmp_path, {"make": shutil.which("make"), "cc": shutil.which("cc")})
    line = _one_clear_line(_validate_on_qemu(tmp_path, path))
    assert "gcc-riscv64-unknown-elf" in line and "qemu-system-misc" in line
    assert "make riscv-tools" in line


def test_gcc_without_picolibc_names_the_picolibc_package(tmp_path):
    fake_gcc = "#!/bin/sh\n# a riscv gcc that knows no picolibc\necho \"$1\" | sed 's/.*=//'\n"
    path = _bin_dir(tmp_path, {"make": shutil.which("make"), "cc": shutil.which("cc"),
                               "riscv64-unknown-elf-gcc": fake_gcc,
                               "qemu-system-riscv32": "#!/bin/sh\nexit 0\n"})
    line = _one_clear_line(_validate_on_qemu(tmp_path, path))
    assert "picolibc-riscv64-unknown-elf" in line
    assert "qemu-system-misc" not in line


@pytest.mark.skipif(shutil.which("riscv64-unknown-elf-gcc") is None,
                    reason="needs the real riscv64-unknown-elf-gcc to hide only QEMU")
def test_only_qemu_missing_names_qemu_system_misc(tmp_path):
    path = _bin_dir(tmp_path, {"make": shutil.which("make"), "cc": shutil.which("cc"),
                               "riscv64-unknown-elf-gcc": shutil.which("riscv64-unknown-elf-gcc")})
    line = _one_clear_line(_validate_on_qemu(tmp_path, path))
    assert "qemu-system-misc" in line and "gcc-riscv64" not in line


def test_qemu_on_a_host_board_project_says_to_recompile(tmp_path):
    proj = tmp_path / "ad"
    compile_model(model_path("ad_autoencoder_int8.tflite"), proj)
    res = subprocess.run([sys.executable, "-m", "tinydeploy.cli", "profile", str(proj)],
                         capture_output=True, text=True)
    line = _one_clear_line(res)
    assert "--board qemu-rv32" in line


def test_host_board_projects_have_no_rv32_part(tmp_path):
    compile_model(model_path("ad_autoencoder_int8.tflite"), tmp_path / "ad")
    assert not (tmp_path / "ad" / "rv32").exists()
    assert "include" not in (tmp_path / "ad" / "Makefile").read_text()
    assert json.loads((tmp_path / "ad" / "manifest.json").read_text())["board"] == "host"
