"""Op definitions: what each IR op kind takes and means.

Each :class:`OpDef` lists the positional inputs, the attributes with their meaning, and
how to count MACs. Definitions live in this package's modules, one per family of ops
(``cnn.py``: convolutions, pooling, elementwise, data movement, quantization), each
registering its kinds with :func:`register` where they are defined; the modules are
imported automatically (no list to keep in sync). Integer arithmetic lives in
:mod:`tinydeploy.quant.golden`, one file per kind; frontends only map their format's ops
onto these kinds.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

import numpy as np

from tinydeploy.ir.graph import Graph, Op

ACTIVATIONS = ("none", "relu", "relu6", "relu_n1_to_1")


@dataclass(frozen=True)
class OpDef:
    kind: str
    inputs: tuple[str, ...]          # positional input roles; "*" = variadic
    attrs: dict[str, str]            # attribute -> meaning
    macs: Callable[[Graph, Op], int] = lambda g, op: 0
    doc: str = ""


def out_tensor(g: Graph, op: Op):
    return g.t(op.outputs[0])


def conv_macs(g: Graph, op: Op) -> int:
    w = g.t(op.inputs[1])
    out = out_tensor(g, op)
    return out.size * int(np.prod(w.shape[1:]))


def dw_macs(g: Graph, op: Op) -> int:
    w = g.t(op.inputs[1])
    return out_tensor(g, op).size * w.shape[0] * w.shape[1]


def fc_macs(g: Graph, op: Op) -> int:
    return out_tensor(g, op).size * g.t(op.inputs[1]).shape[1]


def pool_macs(g: Graph, op: Op) -> int:
    kh, kw = op.attrs["kernel"]
    return out_tensor(g, op).size * kh * kw


def elementwise_macs(g: Graph, op: Op) -> int:
    return out_tensor(g, op).size


def reduce_macs(g: Graph, op: Op) -> int:
    return g.t(op.inputs[0]).size


OPS: dict[str, OpDef] = {}


def register(d: OpDef) -> None:
    """Define an op kind (once)."""
    assert d.kind not in OPS, f"op kind {d.kind} defined twice"
    OPS[d.kind] = d


def op_def(kind: str) -> OpDef:
    return OPS[kind]


def macs(g: Graph, op: Op) -> int:
    return OPS[op.kind].macs(g, op)


def _load_all() -> None:
    for m in pkgutil.iter_modules(__path__):
        if not m.name.startswith("_"):
            importlib.import_module(f"{__name__}.{m.name}")


_load_all()
