"""QuantLab integer-deployable ONNX: the dialect-specific part.

QuantLab annotates standard operators with attributes ONNX does not define
(``weight_bits``, ``out_bits``, ``mult_bits``, ...); they describe bit widths and do not
change what the node computes, so they are dropped before import. An Add carrying
``in1_mul``/``in1_shift``/``in2_*``/``out_*`` would mean a requantizing add whose
arithmetic is not in the graph: refused, naming the node, rather than guessed.
The input type defaults to int8 (QuantLab inputs are signed unless exported otherwise).
"""

from __future__ import annotations

import onnx
from onnx import defs

from tinydeploy.errors import UnsupportedError

INPUT_TYPE = "int8"
REQUANT_ADD_ATTRS = {"in1_mul", "in1_shift", "in1_add", "in2_mul", "in2_shift", "in2_add",
                     "out_mul", "out_shift", "out_add"}


def _schema_attrs(node: onnx.NodeProto, opset: int) -> set[str] | None:
    try:
        return set(defs.get_schema(node.op_type, opset, node.domain or "").attributes)
    except Exception:  # noqa: BLE001 - unknown op: leave it to the importer's message
        return None


def strip_annotations(model: onnx.ModelProto, opset: int) -> list[str]:
    """Remove attributes the op's ONNX schema does not define; returns a note per kind."""
    dropped: dict[str, int] = {}
    for node in model.graph.node:
        known = _schema_attrs(node, opset)
        if known is None:
            continue
        extra = [a for a in node.attribute if a.name not in known]
        if not extra:
            continue
        names = {a.name for a in extra}
        if node.op_type == "Add" and names & REQUANT_ADD_ATTRS:
            raise UnsupportedError(
                f"QuantLab requantizing Add (attributes {', '.join(sorted(names))}): its "
                "arithmetic is not spelled out as ONNX nodes, so it cannot be reproduced "
                "exactly", node=node.name or node.output[0], op="Add")
        keep = [a for a in node.attribute if a.name in known]
        del node.attribute[:]
        node.attribute.extend(keep)
        for n in names:
            dropped[n] = dropped.get(n, 0) + 1
    return ["QuantLab annotations dropped (bit widths, not arithmetic): "
            + ", ".join(f"{k} x{v}" for k, v in sorted(dropped.items()))] if dropped else []
