"""Importer of integer-deployable ONNX graphs from the PULP tool flow (NEMO, QuantLab,
Deeploy): every requantization is spelled out as nodes, evaluated symbolically
(:mod:`.chains`, :mod:`.reduce`) and lowered to the same IR as int8 TFLite/ONNX models.

Package map: :mod:`.detect` (which dialect, by what the nodes compute), :mod:`.lower`
(the walk), :mod:`.layers` and :mod:`.elementwise` (node handlers), :mod:`.build` (IR
construction), :mod:`.nemo`, :mod:`.quantlab`, :mod:`.deeploy` (what is dialect-specific),
(onnxruntime as the independent reference lives in :mod:`tinydeploy.check.pulp_reference`).
"""

from __future__ import annotations

from pathlib import Path

import onnx

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.pulp import deeploy, nemo, quantlab
from tinydeploy.frontend.pulp.detect import detect, detect_file
from tinydeploy.frontend.pulp.lower import lower
from tinydeploy.ir.graph import Graph

DIALECTS = {"nemo": nemo, "quantlab": quantlab, "deeploy": deeploy}
INPUT_TYPES = ("uint8", "int8")

__all__ = ["detect", "detect_file", "load_pulp", "DIALECTS", "INPUT_TYPES"]


def load_pulp(path: str | Path, input_type: str | None = None,
              outputs: list[str] | None = None) -> Graph:
    """Import a NEMO/QuantLab/Deeploy .onnx file; raises TinyDeployError on bad input.

    ``input_type``: C type of the network input (default: the dialect's convention).
    ``outputs``: ONNX tensor names to produce instead of the graph outputs (whose float
    heads are otherwise cut).
    """
    path = str(path)
    try:
        model = onnx.load(path)
    except Exception as e:  # noqa: BLE001 - protobuf raises several types on bad bytes
        raise TinyDeployError(f"not a valid ONNX file: {type(e).__name__}: {e}",
                              file=path) from None
    dialect = detect(model)
    if dialect is None:
        raise TinyDeployError("not a NEMO/QuantLab/Deeploy integer-deployable graph",
                              file=path)
    if input_type is not None and input_type not in INPUT_TYPES:
        raise TinyDeployError(f"--input-type must be one of {', '.join(INPUT_TYPES)}, got "
                              f"'{input_type}'", file=path)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
    notes = quantlab.strip_annotations(model, opset)
    mod = DIALECTS[dialect]
    try:
        return lower(model, path, dialect, input_type or mod.INPUT_TYPE, outputs, notes)
    except TinyDeployError as e:
        raise e.with_file(path)
