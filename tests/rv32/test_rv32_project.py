"""The generated project's rv32 part: Makefile targets without Python, layer dumps on
QEMU, `tinydeploy validate --on qemu` and `tinydeploy profile` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import model_path
from tests.rv32.conftest import compile_rv32, needs_qemu
from tinydeploy.check import hostrun, rv32
from tinydeploy.project import read_project
from tinydeploy.check.inputs import random_inputs
from tinydeploy.check.validate import validate

pytestmark = [pytest.mark.qemu, pytest.mark.models, needs_qemu]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinydeploy.cli", *args],
                          capture_output=True, text=True)


def test_make_rv32_run_matches_the_host_runner(tmp_path):
    proj, m = compile_rv32("ad_autoencoder_int8", tmp_path)
    x = np.random.default_rng(3).integers(-128, 128, size=(3, *m["inputs"][0]["shape"]))
    (proj / "in.bin").write_bytes(x.astype(np.int8).tobytes())
    subprocess.run(["make", "-s", "-C", str(proj)], check=True, capture_output=True)
    subprocess.run([str(proj / f"{m['prefix']}_run"), "in.bin", "out_host.bin"], cwd=proj,
                   check=True, capture_output=True)
    res = subprocess.run(["make", "-s", "-C", str(proj), "rv32-run"], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "3 records" in res.stdout
    host = (proj / "out_host.bin").read_bytes()
    assert len(host) == 3 * int(np.prod(m["outputs"][0]["shape"]))
    assert (proj / "out_rv32.bin").read_bytes() == host


def test_layer_dumps_on_qemu_equal_the_host_dumps(tmp_path):
    proj, m = compile_rv32("ic_resnet8_int8", tmp_path)
    rec = random_inputs(read_project(proj).lowered.graph, 1, seed=4)
    (tmp_path / "h").mkdir()
    (tmp_path / "q").mkdir()
    hostrun.run(hostrun.build(proj, debug=True), m, rec, dump_dir=tmp_path / "h")
    rv32.run(rv32.build(proj, "debug"), m, rec, dump_dir=tmp_path / "q")
    for layer in m["layers"]:
        f = f"layer_{layer['index']}.bin"
        assert (tmp_path / "q" / f).read_bytes() == (tmp_path / "h" / f).read_bytes(), f


def test_validate_on_qemu_passes_and_reports_the_comparison(tmp_path):
    proj, _ = compile_rv32("kws_dscnn_int8", tmp_path)
    v = validate(proj, n=2, seed=9, on="qemu")
    assert v.on == "qemu"
    assert v.sim_vs_host_exact is True
    assert v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages
    assert v.ok


def test_validate_on_qemu_flags_a_simulator_that_differs_from_the_host(tmp_path,
                                                                       monkeypatch):
    proj, _ = compile_rv32("ad_autoencoder_int8", tmp_path)
    real_run = rv32.run

    def off_by_one(*a, **k):          # flips one bit of input 1's output
        out = real_run(*a, **k)
        if len(out) == 2:
            out[1][0] = out[1][0].copy()
            out[1][0].flat[0] ^= 1
        return out

    monkeypatch.setattr(rv32, "run", off_by_one)
    v = validate(proj, n=2, seed=9, on="qemu")
    assert v.sim_vs_host_exact is False
    assert not v.ok
    assert any("differs from the host build on input 1" in msg for msg in v.messages)
    # the layer dumps (debug build on QEMU) all match the golden: only the copy-out differs
    assert v.first_bad_layer.startswith("none"), v.first_bad_layer


def test_cli_validate_on_qemu_and_profile_json(tmp_path):
    proj = tmp_path / "ad"
    res = _cli("compile", str(model_path("ad_autoencoder_int8.tflite")), "-o", str(proj),
               "--board", "qemu-rv32")
    assert res.returncode == 0, res.stderr
    assert json.loads((proj / "manifest.json").read_text())["board"] == "qemu-rv32"
    res = _cli("validate", str(proj), "--on", "qemu", "-n", "2")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "QEMU rv32imc vs host build: byte-identical" in res.stdout
    assert res.stdout.strip().endswith("PASS")
    res = _cli("profile", str(proj), "--json", "-")
    assert res.returncode == 0, res.stderr
    prof = json.loads(res.stdout)
    assert len(prof["layers"]) == len(json.loads((proj / "manifest.json").read_text())
                                      ["layers"])
    fc = [r for r in prof["layers"] if r["kind"] == "fully_connected"]
    assert fc and all(r["instructions_per_mac"] >= 1.0 for r in fc)
