"""A small graph builder for the training step: new tensors and ops with unique names,
appended to a copy of a forward graph."""

from __future__ import annotations

import numpy as np

from tinydeploy.ir.graph import Graph, Op, Tensor
from tinydeploy.ir.ops import OPS


def unique(base: str, taken) -> str:
    """``base``, or ``base_1``, ``base_2``, ... : the first name not in ``taken``."""
    name, i = base, 1
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    return name


def padded(kind: str, ins) -> tuple[str, ...]:
    """``ins`` with "" for the optional inputs the kind lists after them (a kernel takes
    every input of its kind, NULL when absent: a matmul's bias)."""
    roles = OPS[kind].inputs
    missing = 0 if "*" in roles else max(0, len(roles) - len(ins))
    return tuple(ins) + ("",) * missing


class StepBuilder:
    def __init__(self, g: Graph):
        self.source = g
        self.tensors: dict[str, Tensor] = dict(g.tensors)
        self.ops: list[Op] = list(g.ops)
        self._op_names = {op.name for op in g.ops}

    def t(self, name: str) -> Tensor:
        return self.tensors[name]

    def tensor(self, base: str, shape, dtype: str = "float32") -> str:
        name = unique(base, self.tensors)
        self.tensors[name] = Tensor(name, tuple(int(d) for d in shape), dtype)
        return name

    def const(self, base: str, value, dtype: str = "float32") -> str:
        arr = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        name = unique(base, self.tensors)
        self.tensors[name] = Tensor(name, tuple(arr.shape), dtype, data=arr)
        return name

    def op(self, kind: str, name: str, ins, out: str, **attrs) -> str:
        """Append ``kind`` reading ``ins`` and writing the existing tensor ``out``."""
        nm = unique(name, self._op_names)
        self._op_names.add(nm)
        self.ops.append(Op(kind, nm, padded(kind, ins), (out,), dict(attrs)))
        return out

    def new(self, kind: str, name: str, ins, shape, **attrs) -> str:
        """Append ``kind`` writing a new float32 tensor of ``shape`` named like the op."""
        return self.op(kind, name, ins, self.tensor(name, shape), **attrs)

    def reshape(self, x: str, shape, name: str) -> str:
        shape = tuple(int(d) for d in shape)
        if self.t(x).shape == shape:
            return x
        return self.new("reshape", name, [x], shape)

    def graph(self, g: Graph, inputs, outputs, meta: dict) -> Graph:
        return Graph(g.name, dict(self.tensors), list(self.ops), list(inputs), list(outputs),
                     g.source, meta)
