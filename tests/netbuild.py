"""A small builder of multi-op IR graphs for whole-model tests: ops chained by name,
written to .tflite with :mod:`tests.tflite_writer`, compiled and validated against
TFLite Micro (:func:`compile_and_validate`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import tinydeploy
from tests.graphs import act, const
from tests.tflite_writer import graph_to_tflite
from tinydeploy.ir.graph import Graph, Op, Tensor


class Net:
    """Tensors and ops in execution order; ``x = net.op(kind, [ins], out_tensor, **attrs)``
    returns the output tensor's name for the next op."""

    def __init__(self, name: str, seed: int = 0):
        self.name, self.rng = name, np.random.default_rng(seed)
        self.tensors: dict[str, Tensor] = {}
        self.ops: list[Op] = []
        self.inputs: list[str] = []

    def input(self, name: str, shape, scale: float = 0.0, zp: int = 0,
              dtype: str = "int8") -> str:
        self.inputs.append(self.add(act(name, shape, scale, zp, dtype)))
        return name

    def add(self, t: Tensor) -> str:
        assert t.name not in self.tensors, t.name
        self.tensors[t.name] = t
        return t.name

    def t(self, name: str) -> Tensor:
        return self.tensors[name]

    def const(self, name: str, data, **q) -> str:
        return self.add(const(name, data, **q))

    def op(self, kind: str, inputs: list[str | None], out: Tensor, **attrs) -> str:
        self.add(out)
        self.ops.append(Op(kind, f"{len(self.ops)}_{kind}", tuple(n or "" for n in inputs),
                           (out.name,), attrs))
        return out.name

    def graph(self, outputs: list[str]) -> Graph:
        return Graph(self.name, dict(self.tensors), list(self.ops), list(self.inputs),
                     list(outputs))


def kernels(proj) -> set[str]:
    """The C functions a compiled project calls."""
    return {a.C_FUNC for a in proj.lowered.args.values() if a is not None}


def compile_and_validate(g: Graph, tmp: Path, n: int = 6, kernels: str = "ref"):
    """Write ``g`` as .tflite, compile it with tinydeploy and validate the C (ASan/UBSan
    build) against TFLite Micro and the golden; returns (project, validation)."""
    model = tmp / f"{g.name}.tflite"
    model.write_bytes(graph_to_tflite(g))
    proj = tinydeploy.compile(model, tmp / g.name, kernels=kernels)
    return proj, proj.validate(n=n, sanitize=True)
