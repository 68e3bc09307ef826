"""Float heads of integer-deployable graphs, run in C as float32 kinds.

NEMO graphs end in float operators applied to the integer result (LogSoftmax, Sigmoid,
Gather + Unsqueeze): every tensor of such a graph holds its integers as they are (the
"integer image": scales are 1, :mod:`.build`), so the value a head reads is the integer
itself. The head starts from that integer tensor, dequantized with scale 1 and the IR's
zero point (``dequantize`` for 8-bit storage, ``cast`` for int16/int32, both exact below
2^24) into float32 in the ONNX layout; its nodes then go through the handlers of the
float32 ONNX importer (:mod:`tinydeploy.frontend.onnx_float_nodes`) plus Gather with
constant indices and Deeploy's Dequant, so the graph outputs are the head's outputs as float32. A head node
without a float32 kernel is refused naming the node (``--output-tensor`` cuts before it).
"""

from __future__ import annotations

import numpy as np
import onnx

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx_facts import attrs
from tinydeploy.frontend.onnx_float_build import FloatBuilder, FVal
from tinydeploy.frontend.onnx_float_nodes import HANDLERS as FLOAT_HANDLERS
from tinydeploy.frontend.onnx_reader import evaluate
from tinydeploy.frontend.pulp.build import Builder

EXACT = 2 ** 24          # integers of at most this magnitude are exact in float32


def gather(fb: FloatBuilder, node: onnx.NodeProto) -> None:
    """ONNX Gather with constant indices (negative ones counted from the end)."""
    src = fb.shape(node.input[0])
    fb.require(len(src) >= 1, "Gather of a scalar")
    idx = np.asarray(fb.const_of(node.input[1], "Gather indices"))
    fb.require(idx.dtype.kind in "iu" and idx.size > 0, "Gather indices must be a "
               "non-empty integer constant")
    axis = int(attrs(node).get("axis", 0))
    fb.require(-len(src) <= axis < len(src), f"Gather axis {axis} of a {len(src)}-D input")
    axis %= len(src)
    n = int(src[axis])
    flat = [int(i) for i in idx.reshape(-1)]
    fb.require(all(-n <= i < n for i in flat), f"Gather indices {flat[:8]} outside "
               f"[-{n}, {n})")
    shape = tuple(src[:axis]) + tuple(idx.shape) + tuple(src[axis + 1:])
    y = fb.tensor(node.output[0], shape or (1,))
    fb.op("gather", [fb.onnx_in(node.input[0])], [y], axis=axis,
          indices=tuple(i % n for i in flat))
    fb.set_onnx(node.output[0], y)


def dequant(fb: FloatBuilder, node: onnx.NodeProto) -> None:
    """Deeploy's Dequant (attributes scale, zero_point, bit_width, signed): its kernel's
    ``(float)(q - zero_point) * scale``, a float32 subtraction (left out for zero point 0)
    and multiplication."""
    a = attrs(node)
    fb.require("scale" in a and "zero_point" in a, "Dequant without scale/zero_point")
    scale, zp = np.float32(a["scale"]), np.float32(a["zero_point"])
    fb.require(bool(np.isfinite(scale) and np.isfinite(zp)), f"Dequant scale {scale} / "
               f"zero point {zp} not finite")
    x = fb.onnx_in(node.input[0])
    shape = fb.shape_of(x)
    if zp != 0:
        s = fb.tensor(f"{node.output[0]}_shifted", shape)
        fb.op("sub", [x, fb.const(f"{node.output[0]}_zero_point", zp)], [s],
              name=f"{node.output[0]}_shift")
        x = s
    y = fb.tensor(node.output[0], shape)
    fb.op("mul", [x, fb.const(f"{node.output[0]}_scale", scale)], [y])
    fb.set_onnx(node.output[0], y)


HANDLERS = {**FLOAT_HANDLERS, "Gather": gather, "Dequant": dequant}


def to_float(b: Builder, fb: FloatBuilder, name: str, ir: str, shape: tuple[int, ...]
             ) -> None:
    """The integer IR tensor ``ir`` (ONNX value ``name`` in the ONNX layout) as a float32
    value of the head: its integers, exactly."""
    t = b.t(ir)
    zp = t.quant.zp if t.quant is not None else 0
    f = fb.tensor(f"{name}_f32", t.shape)
    if t.dtype in ("int8", "uint8"):
        fb.op("dequantize", [ir], [f], name=f"{name}_to_f32")
    elif t.dtype in ("int16", "int32") and zp == 0:
        fb.op("cast", [ir], [f], name=f"{name}_to_f32")
    else:
        raise TinyDeployError(f"float head input '{name}' is {t.dtype} with zero point {zp} "
                              "(no exact conversion to float32)", file=b.path)
    if tuple(t.shape) != tuple(shape):
        r = fb.tensor(f"{name}_f32_onnx", shape)
        fb.op("reshape", [f], [r], name=f"{name}_f32_reshape")
        f = r
    fb.vals[name] = FVal(tuple(shape), onnx=f)


def float_builder(b: Builder, g: onnx.GraphProto) -> FloatBuilder:
    """A float32 builder adding to ``b``'s tensors and ops."""
    fb = FloatBuilder(b.path, b.opset)
    fb.tensors, fb.ops, fb.consts, fb.notes = b.tensors, b.ops, b.consts, b.notes
    fb.graph_nodes = list(g.node)
    return fb


def lower_head(fb: FloatBuilder, g: onnx.GraphProto, head: list[int]) -> None:
    """The head's nodes (indices into ``g.node``, in graph order) as float32 ops."""
    for k in head:
        node = g.node[k]
        if node.op_type == "Constant":
            continue
        fb.node = node
        ins = [i for i in node.input if i]
        if ins and all(i in fb.consts for i in ins) and node.domain in ("", "ai.onnx"):
            for name, v in zip(node.output, evaluate(node, fb.consts, fb.opset, fb.path)):
                fb.consts[name] = v
            continue
        handler = HANDLERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if handler is None:
            cut = next((i for i in ins if i not in fb.consts), node.input[0])
            raise fb.error(f"float head operator {node.op_type} has no float32 kernel "
                           f"(--output-tensor {cut} to cut before it)")
        try:
            handler(fb, node)
        except TinyDeployError:
            raise
        except (ValueError, TypeError, IndexError, KeyError, OverflowError) as e:
            raise fb.error(f"malformed {node.op_type} node ({type(e).__name__}: {e})",
                           TinyDeployError) from None
    fb.node = None


def head_output(b: Builder, fb: FloatBuilder, name: str, taken: list[str]) -> str:
    """The IR tensor of the head's graph output ``name`` (a copy when it is already an
    input or one of the outputs ``taken``)."""
    if name in fb.consts:
        raise TinyDeployError(f"output '{name}' is a constant (nothing computes it)",
                              file=b.path)
    src = fb.onnx_in(name)
    if src in b.inputs or src in taken:
        y = fb.tensor(f"{name}_out", fb.shape_of(src))
        fb.op("reshape", [src], [y], name=y)
        src = y
    return src


def summary(g: onnx.GraphProto, head: list[int]) -> str:
    kinds = sorted({g.node[k].op_type for k in head if g.node[k].op_type != "Constant"})
    return f"float head ({', '.join(kinds)}, {len(head)} nodes) runs in C as float32"
