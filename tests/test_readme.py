"""The README's Python example runs as written (models path and working folder aside)."""

from __future__ import annotations

import re

from tests.conftest import MODELS_DIR, REPO, model_path


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_python_api_example_runs(tmp_path, monkeypatch):
    model_path("kws_dscnn_int8.tflite")            # skips, saying so, without the models
    blocks = python_blocks((REPO / "README.md").read_text())
    assert blocks, "the README has no Python example"
    monkeypatch.chdir(tmp_path)
    for code in blocks:
        code = code.replace("../shared/models/", f"{MODELS_DIR}/")
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    assert (tmp_path / "out" / "kws.html").is_file()
    assert (tmp_path / "out" / "kws" / "manifest.json").is_file()
