"""Float .onnx -> float graph (see :mod:`tinydeploy.quantize.float_ops`).

The file is read and its shapes made static by the int8 ONNX frontend's reader (a
symbolic batch dimension becomes 1). Graph inputs and outputs keep their ONNX (NCHW)
shapes; inside, 4-D tensors live in NHWC where an op needs it, with ``transpose`` ops
(or ``reshape`` when no byte moves) in between, as the int8 frontend does. BatchNorm and
standalone activations stay separate ops (the quantizer folds/fuses them).

Supported: Conv (group 1 or depthwise), Gemm, MatMul (+ Add of a constant bias),
BatchNormalization, Relu, Clip (0..6, -1..1, 0..inf), Add, Mul, AveragePool, MaxPool,
GlobalAveragePool, ReduceMean, Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Pad (zero),
Concat, Softmax, Sigmoid, Tanh, Identity, Dropout; nodes whose inputs are all constants
are evaluated once. Anything else is an error naming the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend.onnx import _read, _static_shapes
from tinydeploy.frontend.onnx_build import NCHW_TO_NHWC, NHWC_TO_NCHW, node_label, same_bytes
from tinydeploy.ir.graph import Graph, Op, Tensor


@dataclass(frozen=True)
class FValue:
    """An ONNX float tensor as an IR tensor; ``nhwc``: the IR one is its NHWC transpose."""

    ir: str
    nhwc: bool = False


class FloatBuilder:
    """State of one float ONNX import (values, constants, layout transposes)."""

    def __init__(self, path: str, opset: int):
        self.path, self.opset = path, opset
        self.tensors: dict[str, Tensor] = {}
        self.ops: list[Op] = []
        self.vals: dict[str, FValue] = {}
        self.consts: dict[str, np.ndarray] = {}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        self.skip: set[int] = set()          # id() of nodes merged into another
        self.node: onnx.NodeProto | None = None
        self._layout: dict[tuple[str, tuple], str] = {}

    def error(self, reason: str) -> UnsupportedError:
        n = self.node
        return UnsupportedError(reason, file=self.path, node=node_label(n) if n else None,
                                op=n.op_type if n else None)

    def unique(self, base: str) -> str:
        name, i = base, 1
        while name in self.tensors:
            name, i = f"{base}_{i}", i + 1
        return name

    def act(self, base: str, shape) -> str:
        name = self.unique(base)
        self.tensors[name] = Tensor(name, tuple(int(d) for d in shape), "float32")
        return name

    def const(self, base: str, data: np.ndarray) -> str:
        name = self.unique(base)
        data = np.ascontiguousarray(data, dtype=np.float32)
        self.tensors[name] = Tensor(name, data.shape, "float32", None, data)
        return name

    def add_op(self, kind: str, ins, outs, name: str | None = None, **attrs) -> None:
        base = name or (node_label(self.node) if self.node is not None else outs[0])
        names = {op.name for op in self.ops}
        name, i = base, 1
        while name in names:
            name, i = f"{base}_{i}", i + 1
        self.ops.append(Op(kind, name, tuple(ins), tuple(outs), attrs))

    def shape(self, v: FValue) -> tuple[int, ...]:
        """The ONNX shape of ``v``."""
        s = self.tensors[v.ir].shape
        return tuple(s[p] for p in NHWC_TO_NCHW) if v.nhwc else s

    def val(self, name: str) -> FValue:
        if name in self.vals:
            return self.vals[name]
        if name in self.consts:
            raise self.error(f"input '{name}' is a constant where an activation is expected")
        raise self.error(f"input '{name}' is not computed by a supported node")

    def const_of(self, name: str | None, what: str) -> np.ndarray:
        if not name or name not in self.consts:
            raise self.error(f"{what} '{name}' must be a constant")
        return self.consts[name]

    def as_nhwc(self, v: FValue) -> str:
        if v.nhwc:
            return v.ir
        if len(self.tensors[v.ir].shape) != 4:
            raise self.error(f"expected a 4-D NCHW tensor, got {list(self.shape(v))}")
        return self.permute(v.ir, NCHW_TO_NHWC)

    def as_onnx(self, v: FValue) -> str:
        return self.permute(v.ir, NHWC_TO_NCHW) if v.nhwc else v.ir

    def permute(self, ir: str, perm: tuple[int, ...], out_name: str | None = None) -> str:
        key = (ir, tuple(perm))
        if key in self._layout:
            return self._layout[key]
        t = self.tensors[ir]
        suffix = {NCHW_TO_NHWC: "nhwc", NHWC_TO_NCHW: "nchw"}.get(tuple(perm), "t")
        out = self.act(out_name or f"{ir}_{suffix}",
                       [t.shape[p] for p in perm])
        if same_bytes(t.shape, perm):
            self.add_op("reshape", [ir], [out], name=out)
        else:
            self.add_op("transpose", [ir], [out], name=out, perm=tuple(perm))
        self._layout[key] = out
        return out


def load_float_onnx(path: str | Path) -> Graph:
    """Import a float ONNX model; raises TinyDeployError naming file, node and reason."""
    from tinydeploy.quantize.float_onnx_ops import HANDLERS, fold

    path = str(path)
    model = _static_shapes(_read(path), path, [])
    g = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
    b = FloatBuilder(path, opset)
    for init in g.initializer:
        b.consts[init.name] = numpy_helper.to_array(init)
    for node in g.node:
        for i in node.input:
            b.consumers.setdefault(i, []).append(node)
    inputs = _add_inputs(b, g)
    for node in g.node:
        b.node = node
        if id(node) in b.skip:
            continue
        ins = [i for i in node.input if i]
        if node.op_type == "Constant" or (ins and all(i in b.consts for i in ins)):
            fold(b, node)
        elif node.domain not in ("", "ai.onnx") or node.op_type not in HANDLERS:
            raise b.error(f"unsupported operator {node.op_type} (the quantizer handles "
                          f"{', '.join(sorted(HANDLERS))})")
        else:
            HANDLERS[node.op_type](b, node)
    b.node = None
    outputs = [_add_output(b, o.name) for o in g.output]
    fg = Graph(g.name or Path(path).stem, b.tensors, b.ops, inputs, outputs, source=path,
               meta={"format": "onnx", "float": True})
    fg.validate()
    return fg


def _add_inputs(b: FloatBuilder, g: onnx.GraphProto) -> list[str]:
    names = []
    for inp in g.input:
        if inp.name in b.consts:
            continue
        tt = inp.type.tensor_type
        if tt.elem_type != onnx.TensorProto.FLOAT:
            raise TinyDeployError(f"input '{inp.name}' is "
                                  f"{onnx.TensorProto.DataType.Name(tt.elem_type).lower()}: "
                                  "the quantizer takes float32 models", file=b.path)
        shape = [int(d.dim_value) for d in tt.shape.dim]
        b.tensors[inp.name] = Tensor(inp.name, tuple(shape), "float32")
        b.vals[inp.name] = FValue(inp.name)
        names.append(inp.name)
    return names


def _add_output(b: FloatBuilder, name: str) -> str:
    if name not in b.vals:
        raise TinyDeployError(f"graph output '{name}' is a constant or not computed",
                              file=b.path)
    v = b.vals[name]
    ir = b.as_onnx(v)
    if ir != name:
        if name in b.tensors:
            raise TinyDeployError(f"graph output name '{name}' is taken", file=b.path)
        t = b.tensors.pop(ir)
        b.tensors[name] = Tensor(name, t.shape, t.dtype)
        b.ops = [o.with_(outputs=tuple(name if n == ir else n for n in o.outputs),
                         inputs=tuple(name if n == ir else n for n in o.inputs)) for o in b.ops]
    return name
