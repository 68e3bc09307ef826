"""`tinydeploy profile` restores every compile option of the project it profiles
(load_project), so projects compiled with --io-layout nhwc or --input-type uint8 profile
like any other, from the CLI and from Python."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import tinydeploy
from tests.conftest import model_path
from tests.rv32.conftest import needs_qemu
from tinydeploy.demo import make_demo_model

pytestmark = [pytest.mark.qemu, pytest.mark.models, needs_qemu]


def _profile_cli(project) -> dict:
    res = subprocess.run([sys.executable, "-m", "tinydeploy.cli", "profile", str(project),
                          "--json", "-"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout)


def test_profile_of_an_nhwc_io_layout_project(tmp_path):
    model = tmp_path / "demo.onnx"
    make_demo_model(model, seed=0)
    proj = tinydeploy.compile(model, tmp_path / "p", board="qemu-rv32", io_layout="nhwc")
    assert tinydeploy.load_project(proj.path).options.io_layout == "nhwc"
    prof = _profile_cli(proj.path)
    assert len(prof["layers"]) == len(proj.lowered.graph.ops)
    assert prof["totals"]["run_instructions"] > 0


def test_profile_of_a_uint8_input_project(tmp_path):
    proj = tinydeploy.compile(model_path("pulp/deeploy_cnn_linear2.onnx"), tmp_path / "p",
                              board="qemu-rv32", input_type="uint8")
    loaded = tinydeploy.load_project(proj.path)
    assert loaded.options.input_type == "uint8"
    assert loaded.lowered.graph.t(loaded.lowered.graph.inputs[0]).dtype == "uint8"
    prof = loaded.profile()
    assert prof["totals"]["macs"] > 0 and prof["totals"]["run_instructions"] > 0
    assert _profile_cli(proj.path)["totals"] == prof["totals"]     # deterministic counts
