"""Model importers: each turns one file format into an :class:`~tinydeploy.ir.Graph`."""

from __future__ import annotations

from pathlib import Path

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx import load_onnx
from tinydeploy.frontend.pulp import detect_file, load_pulp, wants_integer_file
from tinydeploy.frontend.tflite import load_tflite
from tinydeploy.ir.graph import Graph
from tinydeploy.passes.io_layout import io_layout_nhwc

FORMATS = {".tflite": "tflite", ".onnx": "onnx"}


def model_format(path: str | Path) -> str:
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise TinyDeployError(f"unknown model extension '{ext or '(none)'}' "
                              f"(expected one of {', '.join(FORMATS)})", file=str(path))
    return FORMATS[ext]


def load_model(path: str | Path, io_layout: str = "source", **options) -> Graph:
    """Load a .tflite or .onnx file; raises TinyDeployError naming the file on bad input.

    An .onnx file that is a NEMO/QuantLab/Deeploy integer-deployable graph goes to
    :mod:`tinydeploy.frontend.pulp`; ``options`` (``input_type``, ``outputs``) apply to
    those graphs only. ``io_layout="nhwc"`` gives 4-D inputs/outputs the NHWC layout
    instead of the source's (see :mod:`tinydeploy.passes.io_layout`).
    """
    if io_layout not in ("source", "nhwc"):
        raise TinyDeployError(f"unknown io layout '{io_layout}' (source or nhwc)",
                              file=str(path))
    g = _load(Path(path), options)
    if io_layout == "nhwc":
        g = io_layout_nhwc(g)
    return g


def _load(path: Path, options: dict) -> Graph:
    fmt = model_format(path)
    if not path.is_file():
        raise TinyDeployError("no such file", file=str(path))
    options = {k: v for k, v in options.items() if v}
    try:
        if fmt == "onnx":
            if detect_file(path) or wants_integer_file(path, options.get("input_type")):
                return load_pulp(path, **options)
        if options:
            raise TinyDeployError(f"{', '.join(sorted(options))} apply to NEMO/QuantLab/"
                                  "Deeploy integer-deployable ONNX graphs only")
        if fmt == "tflite":
            return load_tflite(path)
        return load_onnx(path)
    except TinyDeployError as e:
        raise e.with_file(str(path))
