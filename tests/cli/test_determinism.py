"""Same model + options -> byte-identical generated files."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import model_path
from tinydeploy.compiler import compile_model
from tinydeploy.demo import make_demo_model


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_compiling_twice_gives_identical_files(tmp_path):
    model = model_path("ic_resnet8_int8.tflite")
    compile_model(model, tmp_path / "a" / "ic")
    compile_model(model, tmp_path / "b" / "ic")
    a, b = _files(tmp_path / "a" / "ic"), _files(tmp_path / "b" / "ic")
    assert a.keys() == b.keys() and len(a) > 4
    assert [k for k in a if a[k] != b[k]] == []


def test_demo_model_generation_is_deterministic(tmp_path):
    make_demo_model(tmp_path / "a.onnx", seed=0)
    make_demo_model(tmp_path / "b.onnx", seed=0)
    make_demo_model(tmp_path / "c.onnx", seed=1)
    assert (tmp_path / "a.onnx").read_bytes() == (tmp_path / "b.onnx").read_bytes()
    assert (tmp_path / "a.onnx").read_bytes() != (tmp_path / "c.onnx").read_bytes()
