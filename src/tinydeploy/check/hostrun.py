"""Build a generated C project with the host compiler and run it on input records."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.quant.packing import from_storage, storage_nbytes, to_storage

SANITIZE = "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"


def build(project: Path, debug: bool = False, sanitize: bool = False,
          bounds: bool = False) -> Path:
    """Run the project's Makefile; returns the executable. Raises on compiler errors.

    ``bounds``: the bounds-checking build (``make bounds``: ``-DTD_BOUNDS_CHECK`` under
    ASan/UBSan, every kernel call on exact-size copies of its planned buffers)."""
    project = Path(project)
    prefix = json.loads((project / "manifest.json").read_text())["prefix"]
    target = f"{prefix}_debug" if debug else f"{prefix}_run"
    if bounds:
        target, sanitize = f"{prefix}_bounds", False      # (sanitized by BOUNDSFLAGS)
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise TinyDeployError("no host C compiler (cc) found on PATH")
    exe_name = target + ("_asan" if sanitize else "")
    cmd = ["make", "-s", "-B", "-C", str(project), target, f"CC={cc}"]
    if sanitize:
        cmd.append(f"SANFLAGS={SANITIZE}")
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise TinyDeployError("C build failed:", file=str(project),
                              detail=f"{res.stdout}{res.stderr}")
    exe = project / target
    if exe_name != target:
        exe = exe.rename(project / exe_name)
    return exe


def run(exe: Path, manifest: dict, records: list[list[np.ndarray]],
        dump_dir: Path | None = None, env: dict | None = None) -> list[list[np.ndarray]]:
    """Run ``exe`` on input records (one array per graph input); returns output records.

    ``env``: extra environment variables (tiled projects: TD_DMA_STATS, see main.c)."""
    with tempfile.TemporaryDirectory(prefix="td_run_") as tmp:
        fin, fout = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        write_records(fin, manifest, records)
        cmd = [str(exe), str(fin), str(fout)] + ([str(dump_dir)] if dump_dir else [])
        res = subprocess.run(cmd, capture_output=True, text=True,
                             env={**os.environ, **env} if env else None)
        if res.returncode != 0:
            raise TinyDeployError(f"generated program failed (exit {res.returncode}):",
                                  file=str(exe), detail=res.stderr[-4000:])
        raw = fout.read_bytes()
    return split_records(raw, manifest["outputs"], len(records))


def write_records(path: Path, manifest: dict, records: list[list[np.ndarray]]) -> None:
    """The runner's IN.bin: each record is the raw bytes of every input, in order
    (sub-byte dtypes packed, see quant/packing.py)."""
    with open(path, "wb") as f:
        for rec in records:
            for spec, x in zip(manifest["inputs"], rec):
                f.write(to_storage(x, spec["dtype"]))


def split_records(raw: bytes, specs: list[dict], count: int) -> list[list[np.ndarray]]:
    sizes = [storage_nbytes(s["shape"], s["dtype"]) for s in specs]
    rec = sum(sizes)
    assert len(raw) == rec * count, f"expected {rec * count} output bytes, got {len(raw)}"
    out, pos = [], 0
    for _ in range(count):
        row = []
        for s, n in zip(specs, sizes):
            row.append(from_storage(raw[pos:pos + n], s["dtype"], s["shape"]))
            pos += n
        out.append(row)
    return out
