"""The state of one float ONNX import: values by ONNX name (IR tensor, layout), constants,
and the IR ops and tensors made so far (used by :mod:`.float_onnx` and the handlers in
:mod:`.float_onnx_ops`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend.onnx_ops import NCHW_TO_NHWC, NHWC_TO_NCHW, same_bytes
from tinydeploy.frontend.onnx_facts import check_shape, node_error, node_label
from tinydeploy.ir.graph import Op, Tensor


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

    def error(self, reason: str, cls: type = UnsupportedError) -> UnsupportedError:
        return node_error(self.path, self.node, reason, cls)

    def unique(self, base: str) -> str:
        name, i = base, 1
        while name in self.tensors:
            name, i = f"{base}_{i}", i + 1
        return name

    def act(self, base: str, shape) -> str:
        name = self.unique(base)
        shape = check_shape(shape, self.path, self.node, f"tensor '{name}'")
        self.tensors[name] = Tensor(name, shape, "float32")
        return name

    def const(self, base: str, data: np.ndarray) -> str:
        name = self.unique(base)
        with np.errstate(over="ignore", invalid="ignore"):      # checked right below
            data = np.ascontiguousarray(data, dtype=np.float32)
        if not np.all(np.isfinite(data)):
            raise self.error(f"constant '{base}' holds values that are not finite float32 "
                             "numbers", TinyDeployError)
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
