"""Model importers: each turns one file format into an :class:`~tinydeploy.ir.Graph`."""

from __future__ import annotations

from pathlib import Path

from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph

FORMATS = {".tflite": "tflite", ".onnx": "onnx"}


def model_format(path: str | Path) -> str:
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise TinyDeployError(f"unknown model extension '{ext or '(none)'}' "
                              f"(expected one of {', '.join(FORMATS)})", file=str(path))
    return FORMATS[ext]


def load_model(path: str | Path) -> Graph:
    """Load a .tflite or .onnx file; raises TinyDeployError naming the file on bad input."""
    path = Path(path)
    fmt = model_format(path)
    if not path.is_file():
        raise TinyDeployError("no such file", file=str(path))
    try:
        if fmt == "tflite":
            from tinydeploy.frontend.tflite import load_tflite
            return load_tflite(path)
        from tinydeploy.frontend.onnx import load_onnx
        return load_onnx(path)
    except TinyDeployError as e:
        raise e.with_file(str(path))
