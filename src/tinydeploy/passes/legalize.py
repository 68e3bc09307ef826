"""Legalization: make the graph contain only what the kernels implement."""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph
from tinydeploy.quant.golden import golden

# ops that read int64 activations (the labels of a training graph's loss)
INT64_LABEL_KINDS = ("softmax_ce_grad", "ce_loss")
# unsigned 32/64-bit values: TFLM's signal ops (the audio front end) and CASTs to/from them
UNSIGNED_KINDS = ("cast",)


def check_supported(g: Graph) -> None:
    for op in g.ops:
        golden(op.kind, op.name)
        for n in (*op.inputs, *op.outputs):
            if n and g.t(n).dtype not in ("int8", "uint8", "int16", "int32", "float32",
                                          "int4", "uint4", "int2", "uint2") and not (
                    g.t(n).dtype == "int64" and (g.t(n).is_const      # 16x8 biases
                                                 or op.kind in INT64_LABEL_KINDS)) and not (
                    g.t(n).dtype in ("uint32", "uint64") and (
                        op.kind.startswith("signal_") or op.kind in UNSIGNED_KINDS)):
                raise UnsupportedError(f"{op.kind}: tensor '{n}' has unsupported dtype "
                                       f"{g.t(n).dtype}", node=op.name)


def _same_quant(a, b) -> bool:
    return (a is not None and b is not None and np.array_equal(a.scale, b.scale)
            and np.array_equal(a.zero_point, b.zero_point))


def drop_identity_requantize(g: Graph) -> Graph:
    """Remove int8->int8 quantize ops that change nothing (rename their consumers' input)."""
    rename: dict[str, str] = {}
    ops = []
    for op in g.ops:
        op = op.with_(inputs=tuple(rename.get(n, n) for n in op.inputs))
        x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
        if (op.kind == "quantize" and x.dtype == y.dtype and x.shape == y.shape
                and _same_quant(x.quant, y.quant)
                and op.attrs.get("act", "none") == "none" and op.outputs[0] not in g.outputs):
            rename[op.outputs[0]] = op.inputs[0]
            continue
        ops.append(op)
    if not rename:
        return g
    tensors = {n: t for n, t in g.tensors.items() if n not in rename}
    return type(g)(g.name, tensors, ops, list(g.inputs), list(g.outputs), g.source, dict(g.meta))
