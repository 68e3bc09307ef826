"""Every runtime source, compiled on its own with the td_names.h a project would get,
defines only prefixed global symbols: the link-name scan (codegen/runtime_files.py) must
see every definition, including functions whose name comes from a macro or a driver
header (a missed one links two projects to one function: the bug of issue 10)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tinydeploy.codegen.runtime_files import RUNTIME, names_header

pytestmark = pytest.mark.cc

PREFIX = "zz_net"


def test_every_runtime_source_defines_only_prefixed_names(tmp_path):
    root = tmp_path / "runtime"
    shutil.copytree(RUNTIME, root)
    sources = sorted(root.rglob("*.c"))
    (root / "td_names.h").write_text(
        names_header(PREFIX, {str(p): p.read_text() for p in sources}))
    objs = []
    for i, src in enumerate(sources):
        obj = tmp_path / f"o{i}.o"
        res = subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-c",
                              str(src), "-o", str(obj)], capture_output=True, text=True)
        assert res.returncode == 0, f"{src.relative_to(root)}:\n{res.stderr[-2000:]}"
        objs.append(obj)
    out = subprocess.run(["nm", "-g", "--defined-only", *map(str, objs)],
                         capture_output=True, text=True, check=True).stdout
    names = [ln.split()[-1] for ln in out.splitlines() if len(ln.split()) == 3]
    assert len(names) > 100
    assert [n for n in names if not n.startswith(PREFIX + "_")] == []
