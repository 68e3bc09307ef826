"""The tiled targets through the command line: errors, listing, determinism, report."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.conftest import model_path
from tinydeploy.cli import main
from tinydeploy.compiler import lower_file
from tinydeploy.targets import TARGET_DIR, list_targets, load_target
from tinydeploy.tiling import geometry, min_footprint


def _tiny_l1_target(tmp_path, size: int = 1024):
    text = (TARGET_DIR / "gap8.toml").read_text()
    new = re.sub(r"(?m)^size = 65536 .*$", f"size = {size}", text)
    assert new != text
    f = tmp_path / "tiny_l1.toml"
    f.write_text(new.replace('name = "gap8"', 'name = "gap8_tiny_l1"'))
    return f


def test_l1_too_small_names_the_layer_and_its_minimum_exits_2_leaves_nothing(tmp_path,
                                                                              capsys):
    model = model_path("kws_dscnn_int8.tflite")
    target = _tiny_l1_target(tmp_path)
    out = tmp_path / "out" / "kws"
    assert main(["compile", str(model), "--target", str(target), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    m = re.search(r"layer '([^']+)': no tiling fits L1 of 1024 bytes; the smallest tile "
                  r"needs (\d+) bytes", err)
    assert m, err
    low = lower_file(model, sliding=False)
    op = next(o for o in low.graph.ops if o.name == m.group(1))
    need, _ = min_footprint(geometry(low.graph, op), load_target(target))
    assert int(m.group(2)) == need > 1024
    assert not out.exists()
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_unknown_target_is_a_clear_error(tmp_path, capsys):
    model = model_path("kws_dscnn_int8.tflite")
    assert main(["compile", str(model), "--target", "gap99", "-o", str(tmp_path / "o")]) == 2
    assert "unknown target 'gap99'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_targets_command_lists_every_bundled_target(capsys):
    assert main(["targets"]) == 0
    out = capsys.readouterr().out
    for name in list_targets():
        assert re.search(rf"(?m)^{name}\s", out), name
    assert {"gap8", "gap9", "siracusa", "stm32", "host"} <= set(list_targets())


def test_tiled_compile_is_deterministic(tmp_path):
    model = model_path("ic_resnet8_int8.tflite")
    cmd = [sys.executable, "-m", "tinydeploy.cli", "compile", str(model), "--target", "gap9"]
    for d in ("a", "b"):
        subprocess.run(cmd + ["-o", str(tmp_path / d)], check=True, capture_output=True)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*")
                   if p.is_file())
    assert len(files) > 10 and (tmp_path / "a" / "tiled" / "td_tiled.c").exists()
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_host_target_has_no_tiled_runtime(tmp_path):
    model = model_path("kws_dscnn_int8.tflite")
    assert main(["compile", str(model), "--target", "host", "-o", str(tmp_path / "h")]) == 0
    manifest = json.loads((tmp_path / "h" / "manifest.json").read_text())
    assert "tiled" not in manifest and manifest["target"] == "host"
    assert not (tmp_path / "h" / "tiled").exists()
    assert "td_tiled" not in (tmp_path / "h" / "Makefile").read_text()


def test_report_with_target_gives_per_layer_tiling_json_and_plot(tmp_path, capsys):
    model = model_path("vww_mobilenet_int8.tflite")
    plot = tmp_path / "r.png"
    assert main(["report", str(model), "--target", "gap8", "--json", "-",
                 "--plot", str(plot)]) == 0
    text = capsys.readouterr().out
    full = json.loads(text[:text.rindex("}") + 1])
    assert full["compiled"]["target"] == "gap8"
    d = full["tiled"]
    assert d["modeled"] and d["plan"]["target"] == "gap8"
    tiled = [lay for lay in d["layers"] if lay.get("tiled") is not False]
    assert len(tiled) == 29 and d["totals"]["tiled_layers"] == 29
    for lay in tiled:
        assert {"tile", "n_tiles", "tiles", "l1_bytes", "dma", "cycles",
                "macs_per_cycle"} <= set(lay)
        assert lay["l1_bytes"] <= 65536
        assert lay["cycles"]["total"] >= max(lay["cycles"]["compute"], 0)
    t = d["totals"]
    assert t["cycles"] == sum(lay["cycles"]["total"] for lay in tiled)
    assert abs(t["macs_per_cycle"] - t["tiled_macs"] / t["cycles"]) < 1e-9
    assert plot.stat().st_size > 1000
