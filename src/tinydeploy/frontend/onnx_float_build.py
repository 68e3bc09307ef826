"""Values and IR construction of the float32 ONNX importer (:mod:`.onnx_float`).

The graph keeps its ONNX layout: every value is the ONNX tensor, row-major, except that
a convolution or pool works on NHWC (the IR's layout of those kinds): its input is
transposed to NHWC and its output kept in NHWC until a node needs the ONNX layout
(elementwise functions apply to either layout; two convolutions in a row need no
transpose between them). 1-D convolutions and pools are 2-D ones of height 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend.onnx_facts import node_label
from tinydeploy.ir.graph import Op, Tensor

NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)


@dataclass
class FVal:
    """An ONNX value: its shape, and the IR tensor holding it in ONNX layout and/or in
    NHWC (4-D: [N, H, W, C] of an NCHW value; 3-D: [N, 1, W, C] of an NCW value)."""

    shape: tuple[int, ...]
    onnx: str | None = None
    nhwc: str | None = None


class FloatBuilder:
    def __init__(self, path: str, opset: int):
        self.path, self.opset = path, opset
        self.consts: dict[str, np.ndarray] = {}
        self.vals: dict[str, FVal] = {}
        self.tensors: dict[str, Tensor] = {}
        self.ops: list[Op] = []
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self.node: onnx.NodeProto | None = None
        self.const_names: dict[str, str] = {}
        self.notes: list[str] = []
        self.graph_nodes: list[onnx.NodeProto] = []    # the whole graph (pattern reads)
        # ONNX constants some op reads through a transformed copy (a conv's OHWI weights,
        # a folded node): updating them in place would not reach that op
        self.derived: set[str] = set()
        self.train_updates: list[list[str]] = []       # [IR parameter, IR new value]

    # ---- errors and names -------------------------------------------------------------
    def error(self, reason: str, cls=UnsupportedError) -> TinyDeployError:
        n = self.node
        return cls(reason, file=self.path, node=node_label(n) if n else None,
                   op=n.op_type if n else None)

    def require(self, ok: bool, reason: str) -> None:
        if not ok:
            raise self.error(reason)

    def unique(self, base: str) -> str:
        name, i = base, 1
        while name in self.tensors:
            name, i = f"{base}_{i}", i + 1
        return name

    # ---- IR construction ----------------------------------------------------------------
    def tensor(self, base: str, shape) -> str:
        name = self.unique(base)
        self.tensors[name] = Tensor(name, tuple(int(d) for d in shape), "float32")
        return name

    def const(self, base: str, value) -> str:
        arr = np.ascontiguousarray(np.asarray(value, dtype=np.float32))
        if not np.all(np.isfinite(arr)):
            bad = arr[~np.isfinite(arr)].ravel()[0]
            raise self.error(f"constant '{base}' holds {bad} (float32 constants must be "
                             "finite)")
        name = self.unique(base)
        self.tensors[name] = Tensor(name, tuple(arr.shape), "float32", data=arr)
        return name

    def op(self, kind: str, ins, outs, name: str | None = None, **attrs) -> str:
        base = name or (node_label(self.node) if self.node is not None else outs[0])
        taken = {o.name for o in self.ops}
        nm, i = base, 1
        while nm in taken:
            nm, i = f"{base}_{i}", i + 1
        self.ops.append(Op(kind, nm, tuple(ins), tuple(outs), dict(attrs)))
        return outs[0]

    def shape_of(self, ir: str) -> tuple[int, ...]:
        return self.tensors[ir].shape

    # ---- values ------------------------------------------------------------------------------
    def is_const(self, name: str) -> bool:
        return name in self.consts

    def const_of(self, name: str, what: str) -> np.ndarray:
        if name not in self.consts:
            raise self.error(f"{what} '{name}' must be a constant")
        return self.consts[name]

    def shape(self, name: str) -> tuple[int, ...]:
        if name in self.consts:
            return tuple(np.shape(self.consts[name]))
        return self.val(name).shape

    def val(self, name: str) -> FVal:
        v = self.vals.get(name)
        if v is None:
            raise self.error(f"input '{name}' is not a value the importer knows")
        return v

    def onnx_in(self, name: str) -> str:
        """The IR tensor of ``name`` in ONNX layout (constants become const tensors)."""
        if name in self.consts:
            key = name
            if key not in self.const_names:
                arr = self.consts[name]
                if arr.dtype.kind not in "fiub":
                    raise self.error(f"constant '{name}' of dtype {arr.dtype}")
                self.const_names[key] = self.const(name, arr)
            return self.const_names[key]
        v = self.val(name)
        if v.onnx is None:
            x = v.nhwc
            t = self.tensor(f"{name}_nchw", _nchw_shape(self.shape_of(x)))
            self.op("transpose", [x], [t], name=f"{name}_to_nchw", perm=NHWC_TO_NCHW)
            if len(v.shape) == 3:
                r = self.tensor(name, v.shape)
                self.op("reshape", [t], [r], name=f"{name}_to_ncw")
                t = r
            v.onnx = t
        return v.onnx

    def nhwc_in(self, name: str) -> str:
        """The IR tensor of a 3-D (NCW) or 4-D (NCHW) activation in NHWC."""
        v = self.val(name)
        if v.nhwc is None:
            self.require(len(v.shape) in (3, 4), f"'{name}' {list(v.shape)} is not NCW/NCHW")
            x = self.onnx_in(name)
            if len(v.shape) == 3:
                n, c, w = v.shape
                r = self.tensor(f"{name}_nc1w", (n, c, 1, w))
                self.op("reshape", [x], [r], name=f"{name}_to_nc1w")
                x = r
            n, c, h, w = self.shape_of(x)
            t = self.tensor(f"{name}_nhwc", (n, h, w, c))
            self.op("transpose", [x], [t], name=f"{name}_to_nhwc", perm=NCHW_TO_NHWC)
            v.nhwc = t
        return v.nhwc

    def set_onnx(self, name: str, ir: str) -> None:
        self.vals[name] = FVal(self.shape_of(ir), onnx=ir)

    def set_nhwc(self, name: str, ir: str, onnx_shape) -> None:
        self.vals[name] = FVal(tuple(int(d) for d in onnx_shape), nhwc=ir)



def _nchw_shape(s):
    return (s[0], s[3], s[1], s[2])
