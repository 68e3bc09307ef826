"""The float front door: a float .tflite or .onnx file -> float graph.

A float graph is an IR :class:`~tinydeploy.ir.graph.Graph` with float32 tensors; its op
kinds and their float semantics are in :mod:`tinydeploy.quantize.float_ops` (the IR kinds
plus ``batch_norm`` and ``act``). Run it with :func:`float_ops.run_float`.
"""

from __future__ import annotations

from pathlib import Path

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend import model_format
from tinydeploy.ir.graph import Graph
from tinydeploy.quantize.float_onnx import load_float_onnx
from tinydeploy.quantize.float_ops import FLOAT_KERNELS
from tinydeploy.quantize.float_tflite import load_float_tflite


def load_float_model(path: str | Path) -> Graph:
    """Load a float model; errors name the file, the layer and the reason."""
    path = Path(path)
    fmt = model_format(path)
    if not path.is_file():
        raise TinyDeployError("no such file", file=str(path))
    try:
        g = load_float_tflite(path) if fmt == "tflite" else load_float_onnx(path)
    except TinyDeployError as e:
        raise e.with_file(str(path))
    for op in g.ops:
        if op.kind not in FLOAT_KERNELS:
            raise UnsupportedError(f"op kind '{op.kind}' has no float reference",
                                   file=str(path), node=op.name)
    if not g.inputs:
        raise TinyDeployError("the model has no (non-constant) inputs", file=str(path))
    return g
