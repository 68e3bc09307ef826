"""Generated C as an embedded engineer integrates it: several projects in one firmware,
every .c of a folder compiled together, the arena in a chosen section, readable names,
only the files the network uses, and a manifest that survives moving the folders."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import tinydeploy
from tinydeploy.check.hostrun import SANITIZE
from tinydeploy.check.inputs import random_inputs
from tinydeploy.check.reference import run_reference
from tinydeploy.codegen.runtime_files import include_closure
from tests.conftest import model_path

CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O1"]

# (folder, model, compile options): two kernel sets and one tiled target in one program
NETWORKS = [("kws", "kws_dscnn_int8.tflite", {"kernels": "opt"}),
            ("vww", "vww_mobilenet_int8.tflite", {"kernels": "ref"}),
            ("ic", "ic_resnet8_int8.tflite", {"target": "gap8"})]

USER_MAIN = """#include <stdio.h>
#include <stdlib.h>
{includes}

static unsigned char *read_all(const char *path, size_t n)
{{
    unsigned char *buf = malloc(n);
    FILE *f = fopen(path, "rb");
    if (!buf || !f || fread(buf, 1, n, f) != n) exit(2);
    fclose(f);
    return buf;
}}

static void write_all(const char *path, const void *buf, size_t n)
{{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, n, f) != n) exit(2);
    fclose(f);
}}

int main(void)
{{
{body}
    return 0;
}}
"""

RUN_ONE = """    {{
        unsigned char *in = read_all("{name}.in", {records} * (size_t){P}_INPUT0_BYTES);
        unsigned char *out = malloc({records} * (size_t){P}_OUTPUT0_BYTES);
        for (int r = 0; r < {records}; ++r)
            if ({p}_run((const void *)(in + r * {P}_INPUT0_BYTES),
                        (void *)(out + r * {P}_OUTPUT0_BYTES)) != 0) return 3;
        write_all("{name}.out", out, {records} * (size_t){P}_OUTPUT0_BYTES);
        free(in);
        free(out);
    }}
"""


def c_sources(folder: Path) -> list[str]:
    """Every .c of a project folder but the runner: what an IDE would compile."""
    return sorted(str(f) for f in folder.rglob("*.c") if f.name != "main.c")


def cc(args: list[str], cwd: Path) -> None:
    res = subprocess.run(["cc", *args], cwd=cwd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]


def defined_globals(obj_files: list[Path]) -> list[str]:
    out = subprocess.run(["nm", "-g", "--defined-only", *map(str, obj_files)],
                         capture_output=True, text=True, check=True).stdout
    return [ln.split()[-1] for ln in out.splitlines() if len(ln.split()) == 3]


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    root = tmp_path_factory.mktemp("firmware")
    out = {}
    for name, model, opts in NETWORKS:
        proj = tinydeploy.compile(model_path(model), root / name, **opts)
        out[name] = proj
    return root, out


def test_three_projects_link_into_one_program_and_all_are_bit_exact(projects):
    """KWS (optimized kernels), VWW (reference kernels) and IC tiled for gap8 (host HAL),
    all sources of the three folders and a user main in one ASan/UBSan program."""
    root, projs = projects
    records = 3
    includes, body, expected = [], [], {}
    for name, proj in projs.items():
        p = proj.prefix
        includes.append(f'#include "{name}/{p}.h"')
        body.append(RUN_ONE.format(name=name, p=p, P=p.upper(), records=records))
        recs = random_inputs(proj.lowered.graph, records, seed=5)
        (root / f"{name}.in").write_bytes(b"".join(r[0].tobytes() for r in recs))
        expected[name] = run_reference(proj.model, recs)
    (root / "user_main.c").write_text(USER_MAIN.format(includes="\n".join(includes),
                                                      body="".join(body)))
    srcs = [s for proj in projs.values() for s in c_sources(proj.path)]
    cc([*CFLAGS, *SANITIZE.split(), "-o", "firmware", "user_main.c", *srcs, "-lm"], root)
    res = subprocess.run(["./firmware"], cwd=root, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    for name, proj in projs.items():
        spec = proj.manifest["outputs"][0]
        got = np.frombuffer((root / f"{name}.out").read_bytes(), spec["dtype"])
        want = np.concatenate([r[0].ravel() for r in expected[name]])
        assert np.array_equal(got, want), f"{name}: differs from TFLite Micro"


@pytest.mark.parametrize("kernels", ["ref", "opt"])
def test_every_c_file_of_a_folder_compiles_and_links_with_a_user_main(tmp_path, kernels):
    proj = tinydeploy.compile(model_path("kws_dscnn_int8.tflite"), tmp_path / "kws",
                              kernels=kernels)
    objs = []
    for i, src in enumerate(c_sources(proj.path)):
        cc([*CFLAGS, "-c", src, "-o", str(tmp_path / f"o{i}.o")], tmp_path)
        objs.append(tmp_path / f"o{i}.o")
    (tmp_path / "m.c").write_text(f'#include "kws/{proj.prefix}.h"\n'
                                  f"int main(void) {{ static int8_t x[{proj.prefix.upper()}"
                                  f"_INPUT0_SIZE], y[{proj.prefix.upper()}_OUTPUT0_SIZE]; "
                                  f"return {proj.prefix}_run(x, y); }}\n")
    cc([*CFLAGS, "-o", "m", "m.c", *map(str, objs), "-lm"], tmp_path)
    assert subprocess.run([str(tmp_path / "m")]).returncode == 0
    names = defined_globals(objs)
    assert names and all(n.startswith(proj.prefix + "_") for n in names), \
        [n for n in names if not n.startswith(proj.prefix + "_")]


def test_tiled_and_board_projects_define_only_prefixed_symbols(tmp_path):
    for opts in ({"target": "gap8"}, {"board": "qemu-rv32"}):
        proj = tinydeploy.compile(model_path("ad_autoencoder_int8.tflite"),
                                  tmp_path / "ad", name="ad", **opts)
        objs = []
        for i, src in enumerate(c_sources(proj.path)):
            cc([*CFLAGS, "-c", src, "-o", str(tmp_path / f"o{i}.o")], tmp_path)
            objs.append(tmp_path / f"o{i}.o")
        names = defined_globals(objs)
        assert all(n.startswith("ad_") for n in names), names


def test_the_folder_holds_only_the_files_the_network_uses(tmp_path):
    for kernels in ("ref", "opt"):
        proj = tinydeploy.compile(model_path("kws_dscnn_int8.tflite"), tmp_path / kernels,
                                  kernels=kernels)
        root = proj.path
        srcs = [str(f.relative_to(root)) for f in root.rglob("*.c")
                if f.parent != root]
        stems = sorted(Path(s).stem for s in srcs)
        assert len(stems) == len(set(stems)), f"two sources of one kernel: {srcs}"
        headers = [str(Path(s).with_suffix(".h")) for s in srcs]   # each beside its .c
        used = {f for f in include_closure(srcs + headers, root)
                if f.endswith(".h")}
        shipped = {str(f.relative_to(root)) for f in root.rglob("*.h")
                   if f.parent != root}
        assert shipped == used, f"unused headers shipped: {sorted(shipped - used)}"
        if kernels == "opt":
            assert any(s.startswith("kernels/opt/") for s in srcs)


def test_arrays_are_named_after_their_layer_and_role(tmp_path):
    proj = tinydeploy.compile(model_path("kws_dscnn_int8.tflite"), tmp_path / "kws",
                              name="kws")
    c = (proj.path / "kws.c").read_text()
    g = proj.lowered.graph
    for i, op in enumerate(g.ops):
        if op.kind in ("conv2d", "depthwise_conv2d", "fully_connected"):
            assert f"kws_l{i}_weights[" in c and f"kws_l{i}_bias[" in c, op.name
            assert f"'{op.name}'" in c                   # the layer's own name, in a comment
    assert "c0_" not in c


def test_the_arena_goes_where_arena_attr_says(tmp_path):
    proj = tinydeploy.compile(model_path("ad_autoencoder_int8.tflite"), tmp_path / "ad",
                              name="ad")
    attr = '-DAD_ARENA_ATTR=__attribute__((section(".sram2")))'
    cc([*CFLAGS, attr, "-c", "ad.c", "-o", "ad.o"], proj.path)
    heads = subprocess.run(["objdump", "-h", "ad.o"], cwd=proj.path, capture_output=True,
                           text=True, check=True).stdout
    row = next(ln.split() for ln in heads.splitlines() if ".sram2" in ln.split())
    assert int(row[2], 16) >= proj.manifest["arena_bytes"]
    cc([*CFLAGS, "-c", "ad.c", "-o", "ad_default.o"], proj.path)    # empty by default
    assert ".sram2" not in subprocess.run(["objdump", "-h", "ad_default.o"], cwd=proj.path,
                                          capture_output=True, text=True).stdout


def test_manifest_names_the_model_relative_and_survives_a_move(tmp_path):
    model = tmp_path / "models" / "ad.tflite"
    model.parent.mkdir()
    shutil.copyfile(model_path("ad_autoencoder_int8.tflite"), model)
    tinydeploy.compile(model, tmp_path / "work" / "out" / "ad")
    m = json.loads((tmp_path / "work" / "out" / "ad" / "manifest.json").read_text())
    assert m["model"] == "../../../models/ad.tflite"
    assert str(tmp_path) not in json.dumps(m)
    shutil.move(str(tmp_path / "work"), str(tmp_path / "elsewhere"))
    shutil.move(str(tmp_path / "models"), str(tmp_path / "elsewhere" / "models"))
    with pytest.raises(tinydeploy.TinyDeployError, match="not found"):
        tinydeploy.load_project(tmp_path / "elsewhere" / "out" / "ad")
    proj = tinydeploy.load_project(tmp_path / "elsewhere" / "out" / "ad",
                                   model=tmp_path / "elsewhere" / "models" / "ad.tflite")
    assert proj.validate(n=2).ok
