"""`tinydeploy report PROJECT` reports what was compiled (the kernel set's memory plan,
target, options), restored by load_project; `report MODEL` compiles in memory."""

from __future__ import annotations

import json

from tests.conftest import model_path
from tinydeploy.cli import main


def _report_json(capsys, *args) -> dict:
    assert main(["report", *args, "--json", "-"]) == 0
    return json.loads(capsys.readouterr().out)


def test_report_of_a_project_shows_its_kernel_set_and_arena(tmp_path, capsys):
    model = str(model_path("kws_dscnn_int8.tflite"))
    arenas = {}
    for kernels in ("ref", "opt"):
        out = tmp_path / kernels
        assert main(["compile", model, "-o", str(out), "--kernels", kernels]) == 0
        capsys.readouterr()
        manifest = json.loads((out / "manifest.json").read_text())
        d = _report_json(capsys, str(out))
        assert d["compiled"]["kernels"] == kernels
        assert d["totals"]["arena_bytes"] == manifest["arena_bytes"]
        arenas[kernels] = manifest["arena_bytes"]
        assert d == _report_json(capsys, model, "--kernels", kernels)   # same as compiling
    # one memory plan per kernel set: the optimized kernels keep the in-place windows and
    # their scratch is planned, so their arena is at most the reference one
    assert arenas["opt"] <= arenas["ref"]


def test_report_of_a_tiled_project_has_its_tiles(tmp_path, capsys):
    out = tmp_path / "ad"
    assert main(["compile", str(model_path("ad_autoencoder_int8.tflite")), "-o", str(out),
                 "--target", "gap8"]) == 0
    capsys.readouterr()
    d = _report_json(capsys, str(out))
    assert d["compiled"]["target"] == "gap8" and d["tiled"]["modeled"]
    html = tmp_path / "ad.html"
    assert main(["report", str(out), "--html", str(html)]) == 0
    assert "MODELED" in html.read_text()


def test_report_of_a_project_refuses_compile_options(tmp_path, capsys):
    out = tmp_path / "ad"
    assert main(["compile", str(model_path("ad_autoencoder_int8.tflite")), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["report", str(out), "--kernels", "opt"]) == 2
    assert "options it was compiled with" in capsys.readouterr().err
