"""Build a generated project for bare-metal rv32imc (rv32imafc for float32 networks) and
run it on QEMU.

The project must be compiled with ``--board qemu-rv32``: that adds ``rv32/`` (a Makefile
fragment, a board header, the profile and multi-hart files). The ELF is built by
``make <prefix>_rv32.elf`` with Debian's ``riscv64-unknown-elf-gcc`` and picolibc, and
runs the project's ordinary ``main.c`` test runner: picolibc's semihosting crt0 passes
QEMU's ``-semihosting-config ...,arg=`` values as argv and maps fopen/fread/fwrite onto
host files, so records go through ``in.bin``/``out.bin`` exactly as on the host. The
runner's exit status becomes QEMU's.

Paths reach the guest through QEMU's option syntax (a comma or a space would split them),
so QEMU runs in a private temporary directory and gets relative names only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from tinydeploy.check import hostrun
from tinydeploy.codegen.boards.rv32imc import (ARCH, CFLAGS, LIBC, QEMU_FLAGS, QEMU_FLAGS_F,
                                              SEMIHOST)
from tinydeploy.errors import TinyDeployError

BOARD = "qemu-rv32"
GCC = "riscv64-unknown-elf-gcc"
QEMU = "qemu-system-riscv32"
PKG_GCC, PKG_LIBC, PKG_QEMU = ("gcc-riscv64-unknown-elf", "picolibc-riscv64-unknown-elf",
                               "qemu-system-misc")
TIMEOUT = 600.0
ELF_SUFFIX = {"run": "_rv32.elf", "debug": "_rv32_debug.elf", "prof": "_rv32_prof.elf",
              "smp": "_rv32_smp.elf", "par": "_rv32_par.elf"}
EXIT_MEANING = {1: "trap (illegal instruction or bad memory access)", 2: "runner error",
                3: "check failed", 4: "not all harts started", 134: "abort/assert"}


def missing_tools(build: bool = True, run: bool = True) -> list[tuple[str, str]]:
    """(what, Debian package) for each missing tool."""
    miss = []
    if build:
        gcc = shutil.which(GCC)
        if gcc is None:
            miss.append((GCC, PKG_GCC))
        elif not _has_picolibc(gcc):
            miss.append(("picolibc for riscv64-unknown-elf", PKG_LIBC))
        if shutil.which("make") is None:
            miss.append(("make", "make"))
    if run and shutil.which(QEMU) is None:
        miss.append((QEMU, PKG_QEMU))
    return miss


def _has_picolibc(gcc: str) -> bool:
    spec = subprocess.run([gcc, "-print-file-name=picolibc.specs"], capture_output=True,
                          text=True).stdout.strip()
    if not os.path.isabs(spec):
        return False
    res = subprocess.run([gcc, *ARCH.split(), *LIBC.split(), "--crt0=semihost", "-###",
                          "-o", "x.elf", "x.o"], capture_output=True, text=True)
    crt0 = [w.strip("\"'") for w in res.stderr.split() if w.strip("\"'").endswith(
        "/crt0-semihost.o")]
    return bool(crt0) and os.path.isfile(crt0[0])


def require_tools(build: bool = True, run: bool = True) -> None:
    """Raise a one-line error naming the Debian package(s) when a tool is missing."""
    miss = missing_tools(build, run)
    if miss:
        what = ", ".join(w for w, _ in miss)
        pkgs = " ".join(dict.fromkeys(p for _, p in miss))
        raise TinyDeployError(f"RISC-V toolchain/simulator missing ({what}): install the "
                              f"Debian package(s) {pkgs} (or run 'make riscv-tools')")


def _manifest(project: Path) -> dict:
    f = Path(project) / "manifest.json"
    if not f.is_file():
        raise TinyDeployError("not a tinydeploy output directory (no manifest.json)",
                              file=str(project))
    return json.loads(f.read_text())


def check_board(project: Path, manifest: dict | None = None) -> dict:
    """The project's manifest, if it was compiled for the QEMU board (else a clear error)."""
    m = manifest or _manifest(project)
    board = m.get("board", "host")
    if board != BOARD:
        raise TinyDeployError(f"compiled for board '{board}', not '{BOARD}': recompile with "
                              f"'tinydeploy compile ... --board {BOARD}'", file=str(project))
    return m


def build(project: str | Path, flavor: str = "run", arch: str | None = None,
          main: str | Path | None = None, cflags: tuple[str, ...] = ()) -> Path:
    """``make`` one of the project's rv32 ELFs (run, debug, prof, smp); returns its path.
    ``arch`` overrides the board's ``-march/-mabi`` (e.g. a float network on soft-float
    rv32imc, to measure what the F extension saves). ``main`` links another runner in
    place of the project's ``main.c`` (e.g. a benchmark's driver of the training step),
    with the board's flags plus ``cflags`` (make variables on the command line: the
    project's files stay as generated); the ELF is then ``<prefix>_<main stem>_...elf``."""
    project = Path(project)
    m = check_board(project)
    require_tools(build=True, run=False)
    target = m["prefix"] + ELF_SUFFIX[flavor]
    over = [f"RV_ARCH={arch}"] if arch else []
    if main is not None:
        over += [f"RV_SRCS={Path(main).resolve()} $(NET_SRCS)",
                 "RV_CFLAGS=" + " ".join((CFLAGS, *cflags))]
    res = subprocess.run(["make", "-s", "-B", "-C", str(project), *over, target],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise TinyDeployError("rv32 build failed:", file=str(project),
                              detail=f"{res.stdout}{res.stderr}")
    if main is None:
        return project / target
    elf = project / f"{m['prefix']}_{Path(main).stem}{ELF_SUFFIX[flavor]}"
    (project / target).replace(elf)
    return elf


def float_abi(elf: str | Path) -> str:
    """The ELF's float ABI from its header flags (EF_RISCV_FLOAT_ABI): soft, single or
    double. A float32 network's board build is ``single`` (rv32imafc/ilp32f)."""
    head = Path(elf).read_bytes()[:52]
    if len(head) < 40 or head[:4] != b"\x7fELF" or head[4] != 1:
        raise TinyDeployError("not a 32-bit ELF", file=str(elf))
    return {0: "soft", 2: "single", 4: "double", 6: "quad"}[
        int.from_bytes(head[36:40], "little") & 0x6]


def qemu_command(elf: Path, args: list[str], icount: bool = False, harts: int = 1,
                 console: str = "console.txt") -> list[str]:
    """The QEMU command line: guest console into ``console``, ``args`` as the guest argv.
    The CPU follows the ELF: rv32imc, or with A and F for a hard-float (ilp32f) build."""
    sh = SEMIHOST + "".join(f",arg={a}" for a in args)
    flags = QEMU_FLAGS_F if float_abi(elf) == "single" else QEMU_FLAGS
    cmd = [QEMU, *flags, "-chardev", f"file,id=c0,path={console}",
           "-semihosting-config", sh]
    if icount:
        cmd += ["-icount", "shift=0"]
    if harts > 1:
        cmd += ["-smp", str(harts)]
    return cmd + ["-kernel", str(Path(elf).resolve())]


def run(elf: str | Path, manifest: dict, records: list[list[np.ndarray]],
        dump_dir: Path | None = None, icount: bool = False, harts: int = 1,
        progress=None, timeout: float | None = None) -> list[list[np.ndarray]]:
    """Run the rv32 runner on QEMU over input records; returns the output records."""
    return run_raw(elf, manifest, records, dump_dir, icount, harts, progress, timeout)[0]


def run_raw(elf, manifest: dict, records, dump_dir: Path | None = None, icount: bool = False,
            harts: int = 1, progress=None, timeout: float | None = None
            ) -> tuple[list[list[np.ndarray]], str]:
    """Like :func:`run`, also returning the guest's console text (printf output)."""
    require_tools(build=False, run=True)
    with tempfile.TemporaryDirectory(prefix="td_qemu_") as tmp:
        tmp = Path(tmp)
        hostrun.write_records(tmp / "in.bin", manifest, records)
        args = ["in.bin", "out.bin"]
        if dump_dir is not None:
            (tmp / "dump").mkdir()
            args.append("dump")
        cmd = qemu_command(Path(elf), args, icount, harts)
        rec_bytes = sum(int(np.prod(s["shape"])) * np.dtype(s["dtype"]).itemsize
                        for s in manifest["outputs"])
        rc = _wait(cmd, tmp, len(records), rec_bytes, progress, timeout or TIMEOUT)
        console = (tmp / "console.txt").read_text(errors="replace") \
            if (tmp / "console.txt").exists() else ""
        if rc != 0:
            err = (tmp / "qemu.err").read_text(errors="replace")
            why = EXIT_MEANING.get(rc, "")
            raise TinyDeployError(f"program failed on QEMU (exit {rc}{': ' + why if why else ''})"
                                  ":", file=str(elf), detail=(console + err)[-4000:])
        if dump_dir is not None:
            for f in (tmp / "dump").iterdir():
                shutil.copyfile(f, Path(dump_dir) / f.name)
        raw = (tmp / "out.bin").read_bytes()
    return hostrun.split_records(raw, manifest["outputs"], len(records)), console


def run_files(elf: str | Path, files: dict[str, bytes], args: list[str],
              outputs: list[str], icount: bool = False, timeout: float | None = None
              ) -> tuple[dict[str, bytes], str]:
    """Run an ELF whose runner has its own file protocol (e.g. one built with
    ``build(..., main=...)``): ``files`` are written into QEMU's directory, ``args`` are
    the guest argv (relative names), the ``outputs`` files are read back. Returns
    (their bytes, the guest's console text); a non-zero exit is an error."""
    require_tools(build=False, run=True)
    with tempfile.TemporaryDirectory(prefix="td_qemu_") as tmp:
        tmp = Path(tmp)
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        cmd = qemu_command(Path(elf), args, icount)
        rc = _wait(cmd, tmp, 1, 1, None, timeout or TIMEOUT)
        console = (tmp / "console.txt").read_text(errors="replace") \
            if (tmp / "console.txt").exists() else ""
        if rc != 0:
            err = (tmp / "qemu.err").read_text(errors="replace")
            why = EXIT_MEANING.get(rc, "")
            raise TinyDeployError(f"program failed on QEMU (exit {rc}{': ' + why if why else ''})"
                                  ":", file=str(elf), detail=(console + err)[-4000:])
        got = {n: (tmp / n).read_bytes() for n in outputs if (tmp / n).is_file()}
    missing = [n for n in outputs if n not in got]
    if missing:
        raise TinyDeployError(f"the QEMU run wrote no {', '.join(missing)}", file=str(elf))
    return got, console


def _wait(cmd: list[str], cwd: Path, total: int, rec_bytes: int, progress,
          timeout: float) -> int:
    """Run QEMU; report progress (records written) on runs longer than a second."""
    t0 = time.monotonic()
    out = cwd / "out.bin"
    last = -1
    with open(cwd / "qemu.err", "w") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=err, stderr=subprocess.STDOUT)
        while True:
            try:
                rc = proc.wait(timeout=0.25)
                break
            except subprocess.TimeoutExpired:
                pass
            elapsed = time.monotonic() - t0
            if elapsed > timeout:
                proc.kill()
                proc.wait()
                raise TinyDeployError(f"QEMU run timed out after {timeout:g} s "
                                      f"({_done(out, rec_bytes)} of {total} records done)",
                                      file=cmd[-1])
            done = _done(out, rec_bytes)
            if progress and elapsed > 1.0 and done != last:
                progress(done, total)
                last = done
    if progress and last >= 0:
        progress(total if rc == 0 else _done(out, rec_bytes), total)
    return rc


def _done(out: Path, rec_bytes: int) -> int:
    return out.stat().st_size // max(rec_bytes, 1) if out.exists() else 0
