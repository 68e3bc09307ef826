"""Importer of integer-deployable ONNX graphs from the PULP tool flow (NEMO, QuantLab,
Deeploy): every requantization is spelled out as nodes, evaluated symbolically
(:mod:`.chains`, :mod:`.reduce`) and lowered to the same IR as int8 TFLite/ONNX models.

Package map: :mod:`.detect` (which dialect, by what the nodes compute), :mod:`.lower`
(the walk), :mod:`.layers` and :mod:`.elementwise` (node handlers), :mod:`.build` (IR
construction), :mod:`.nemo`, :mod:`.quantlab`, :mod:`.deeploy` (what is dialect-specific),
:mod:`.float_head` (float heads after the integer result, as float32 ops),
:mod:`.integer` (the tensor-level importer of integer transformers, language models and
any integer graph beyond the CNN ops, in the ONNX layout); onnxruntime as the independent
reference lives in :mod:`tinydeploy.check.pulp_reference`.
"""

from __future__ import annotations

from pathlib import Path

import onnx

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend.onnx_facts import check_schemas
from tinydeploy.frontend.onnx_reader import read_onnx
from tinydeploy.frontend.pulp import deeploy, integer, nemo, quantlab
from tinydeploy.frontend.pulp.detect import detect, detect_file
from tinydeploy.frontend.pulp.lower import lower
from tinydeploy.ir.graph import Graph

DIALECTS = {"nemo": nemo, "quantlab": quantlab, "deeploy": deeploy}
INPUT_TYPES = ("uint8", "int8")
INTEGER_INPUT_TYPES = ("uint8", "int8", "int16", "int32")    # tensor-level graphs

__all__ = ["detect", "detect_file", "load_pulp", "DIALECTS", "INPUT_TYPES",
           "wants_integer_file"]


def wants_integer_file(path, input_type: str | None) -> bool:
    """An .onnx file the tensor-level importer takes (:func:`integer.wants`); False for
    unreadable files (the ONNX importer reports them)."""
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # noqa: BLE001 - unreadable files are reported by the ONNX importer
        return False
    return integer.wants(model, input_type)


def load_pulp(path: str | Path, input_type: str | None = None,
              outputs: list[str] | None = None,
              input_shapes: dict[str, tuple[int, ...]] | None = None) -> Graph:
    """Import a NEMO/QuantLab/Deeploy .onnx file; raises TinyDeployError on bad input.

    ``input_type``: C type of the network input (default: the dialect's convention).
    ``outputs``: ONNX tensor names to produce instead of the graph outputs (whose float
    heads otherwise run as float32 ops, :mod:`.float_head`). ``input_shapes``: dims of inputs with symbolic dims
    (tensor-level graphs, :mod:`.integer`).
    """
    path = str(path)
    model = read_onnx(path, checker=False, empty_inputs=True)   # RequantShift: not ONNX
    dialect = detect(model)
    if dialect in (None, "deeploy") and integer.wants(model, input_type) or \
            (dialect == "deeploy" and input_type in ("int16", "int32")):
        return _load_integer(model, path, input_type, outputs, input_shapes or {})
    if dialect is None:
        raise TinyDeployError("not a NEMO/QuantLab/Deeploy integer-deployable graph",
                              file=path)
    if input_type is not None and input_type not in INPUT_TYPES:
        raise TinyDeployError(f"--input-type must be one of {', '.join(INPUT_TYPES)}, got "
                              f"'{input_type}'", file=path)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
    try:
        notes = quantlab.strip_annotations(model, opset)
    except TinyDeployError as e:
        raise e.with_file(path)
    check_schemas(model, path, opset)               # the standard nodes, once annotations go
    mod = DIALECTS[dialect]
    try:
        return lower(model, path, dialect, input_type or mod.INPUT_TYPE, outputs, notes)
    except UnsupportedError as e:
        if dialect != "deeploy":
            raise e.with_file(path)
        try:                      # a CNN the NHWC importer refuses: tensor by tensor
            return _load_integer(read_onnx(path, checker=False, empty_inputs=True), path,
                                 input_type, outputs, input_shapes or {})
        except TinyDeployError:
            raise e.with_file(path) from None
    except TinyDeployError as e:
        raise e.with_file(path)


def _load_integer(model: onnx.ModelProto, path: str, input_type: str | None,
                  outputs: list[str] | None, input_shapes: dict) -> Graph:
    if input_type is not None and input_type not in INTEGER_INPUT_TYPES:
        raise TinyDeployError(f"--input-type must be one of {', '.join(INTEGER_INPUT_TYPES)}"
                              f", got '{input_type}'", file=path)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
    try:                    # attributes are read by name: nothing to strip
        check_schemas(integer.schema_view(model), path, opset)
        return integer.lower(model, path, input_type or deeploy.INPUT_TYPE, outputs,
                             input_shapes, [])
    except TinyDeployError as e:
        raise e.with_file(path)
