"""Run any IR graph as generated C on the host (the kernel runner of the tests)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from tinydeploy.check import hostrun
from tinydeploy.codegen.project import write_project
from tinydeploy.compiler import lower
from tinydeploy.ir.graph import Graph


def run_c_graph(g: Graph, inputs: list[np.ndarray], sanitize: bool = True
                ) -> dict[str, np.ndarray]:
    """Generate, build (``-Werror``, optionally ASan/UBSan) and run ``g`` on one input set."""
    return run_c_graph_many(g, [inputs], sanitize)[0]


def run_c_graph_many(g: Graph, records: list[list[np.ndarray]], sanitize: bool = True,
                     kernels: str = "ref") -> list[dict[str, np.ndarray]]:
    """Like :func:`run_c_graph` for several input sets with a single build
    (``kernels="opt"``: the optimized kernel variants, built for the host)."""
    low = lower(g, kernels=kernels)
    with tempfile.TemporaryDirectory(prefix="td_test_") as tmp:
        proj = write_project(low, Path(tmp) / "proj", prefix="net")
        exe = hostrun.build(proj, sanitize=sanitize)
        manifest = json.loads((proj / "manifest.json").read_text())
        outs = hostrun.run(exe, manifest, records)
    return [dict(zip(low.graph.outputs, rec)) for rec in outs]


def run_user_main(folder: Path, main_source: str, stdin: bytes = b"",
                  name: str = "user_main") -> bytes:
    """Build every .c of the generated project ``folder`` but its runner with a user
    ``main_source`` (C99, -Werror, ASan/UBSan), run it with ``stdin``; returns its stdout
    (asserts a zero exit)."""
    (folder / f"{name}.c").write_text(main_source)
    srcs = [str(f) for f in folder.rglob("*.c") if f.name != "main.c"]
    exe = folder / name
    cc = shutil.which("cc") or shutil.which("gcc")
    res = subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror",
                          *hostrun.SANITIZE.split(), "-o", str(exe), *srcs, "-lm"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    run = subprocess.run([str(exe)], input=stdin, capture_output=True)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    return run.stdout
