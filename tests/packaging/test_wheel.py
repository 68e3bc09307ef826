"""The wheel people install: built from this tree, installed into a fresh venv, it compiles
and builds projects for the host, a tiled target (gap8) and the qemu-rv32 board.

The fresh venv gets tinydeploy only from the wheel (asserted: the package imports from
the new venv's site-packages, and the source tree is not on its path); its third-party
dependencies come from the test venv through a ``.pth`` line, so the test needs no
network and no second copy of numpy/onnx/ortools.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

import tinydeploy
from tests.conftest import REPO, model_path
from tinydeploy.check.rv32.qemu import missing_tools

PACKAGE = Path(tinydeploy.__file__).parent
DATA_SUFFIXES = (".c", ".h", ".j2", ".toml", ".S", ".mk")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    src = out / "src_copy"            # build from a copy: no build/ or egg-info in the tree
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "out", "build", "*.egg-info", "__pycache__", ".pytest_cache",
        ".hypothesis"))
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                          "--no-build-isolation", "-w", str(out), str(src)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    (whl,) = out.glob("tinydeploy-*.whl")
    return whl


def test_the_wheel_holds_every_runtime_template_board_and_target_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    want = {f"tinydeploy/{f.relative_to(PACKAGE).as_posix()}" for f in PACKAGE.rglob("*")
            if f.is_file() and f.suffix in DATA_SUFFIXES}
    assert want, "no data files found in the source package"
    missing = sorted(want - names)
    assert not missing, f"files missing from the wheel: {missing}"


@pytest.fixture(scope="module")
def fresh_venv(wheel, tmp_path_factory) -> Path:
    env = tmp_path_factory.mktemp("venv") / "v"
    venv.create(env, with_pip=False)
    py = env / "bin" / "python"
    purelib = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig."
                                   "get_paths()['purelib'])"], capture_output=True,
                                  text=True, check=True).stdout.strip())
    with zipfile.ZipFile(wheel) as z:       # what 'pip install --no-deps' does for a wheel
        z.extractall(purelib)
    deps = [p for p in site.getsitepackages() + [sysconfig.get_paths()["purelib"]]
            if Path(p).is_dir()]
    (purelib / "zz_test_deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")
    return env


def run_cli(env: Path, *args, cwd: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    return subprocess.run([str(env / "bin" / "python"), "-m", "tinydeploy.cli", *args],
                          cwd=cwd, capture_output=True, text=True, env=clean)


def test_installed_package_comes_from_the_wheel(fresh_venv, tmp_path):
    py = fresh_venv / "bin" / "python"
    res = subprocess.run([str(py), "-c", "import tinydeploy, sys; print(tinydeploy.__file__);"
                          "print(tinydeploy.__version__)"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    where, version = res.stdout.split()
    assert Path(where).is_relative_to(fresh_venv), where
    assert version == tinydeploy.__version__


@pytest.mark.parametrize("args", [["--target", "host"], ["--target", "gap8"],
                                  ["--board", "qemu-rv32"]],
                         ids=["host", "gap8", "qemu-rv32"])
def test_installed_wheel_compiles_and_builds(fresh_venv, tmp_path, args):
    res = run_cli(fresh_venv, "compile", str(model_path("ad_autoencoder_int8.tflite")),
                  "-o", "out", "--name", "ad", *args, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    build = subprocess.run(["make", "-s", "-C", str(out)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    if "qemu-rv32" in args:
        if missing_tools(build=True, run=False):
            pytest.skip("RISC-V toolchain missing (make riscv-tools)")
        rv = subprocess.run(["make", "-s", "-C", str(out), "rv32"], capture_output=True,
                            text=True)
        assert rv.returncode == 0, rv.stderr[-2000:]
        assert (out / "ad_rv32.elf").is_file()
    val = run_cli(fresh_venv, "validate", "out", "-n", "2", cwd=tmp_path)
    assert val.returncode == 0, val.stdout + val.stderr
