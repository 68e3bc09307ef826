"""Numpy golden of every op: integer-only, bit-exact with TFLite's int8 kernels.

One module per op kind (``conv2d.py``, ``add.py``, ...). Each module registers itself
with :func:`register`, giving

- ``prepare(g, op) -> KernelArgs``: everything derived from float scales, computed once
  (multipliers, shifts, offsets, clamp bounds). This is the only float math.
- ``run(args, *inputs) -> np.ndarray``: integer-only evaluation of the op on numpy
  arrays in IR layout, using only ``args`` (the same struct the C kernel receives).

Modules in this package are imported automatically; there is no list to keep in sync.

A *variant* (:func:`register_variant`) serves some instances of a kind with its own
prepare/run, chosen per op by a predicate (e.g. packed sub-byte tensors, ``subbyte/``);
``run`` goes to the variant whose Args type it gets. The op's own module stays untouched.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs


@dataclass(frozen=True)
class Golden:
    kind: str
    prepare: Callable[[Graph, Op], KernelArgs | None]
    run: Callable[..., np.ndarray]
    args_type: type | None = None   # the KernelArgs subclass (None: no C kernel, e.g. reshape)


@dataclass(frozen=True)
class Variant:
    applies: Callable[[Graph, Op], bool]
    golden: Golden


GOLDENS: dict[str, Golden] = {}
VARIANTS: dict[str, list[Variant]] = {}
_composed: dict[str, tuple[Golden, Golden]] = {}    # kind -> (base, composed)


def register(kind: str, prepare, run, args_type=None) -> None:
    assert kind not in GOLDENS, f"golden for {kind} registered twice"
    GOLDENS[kind] = Golden(kind, prepare, run, args_type)


def register_variant(kind: str, applies, prepare, run, args_type: type,
                     first: bool = False) -> None:
    """Ops of ``kind`` for which ``applies(g, op)`` use this prepare/run instead (asked
    in the order of registration; ``first``: before the variants registered so far)."""
    v = Variant(applies, Golden(kind, prepare, run, args_type))
    variants = VARIANTS.setdefault(kind, [])
    variants.insert(0, v) if first else variants.append(v)
    _composed.pop(kind, None)


def _compose(base: Golden, variants: list[Variant]) -> Golden:
    def prepare(g: Graph, op: Op):
        for v in variants:
            if v.applies(g, op):
                return v.golden.prepare(g, op)
        return base.prepare(g, op)

    def run(args, *inputs):
        for v in variants:
            if isinstance(args, v.golden.args_type):
                return v.golden.run(args, *inputs)
        return base.run(args, *inputs)

    return Golden(base.kind, prepare, run, base.args_type)


def require_same_size(g: Graph, op: Op) -> None:
    """Elementwise ops (one input, one output) write as many elements as they read."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.size != y.size:
        raise UnsupportedError(f"{op.kind}: output '{y.name}' of shape {list(y.shape)} does "
                               f"not have the {x.size} elements of input '{x.name}' "
                               f"{list(x.shape)}", node=op.name)


def golden(kind: str, node: str = "") -> Golden:
    _load_all()
    if kind not in GOLDENS:
        raise UnsupportedError(f"no integer implementation of op '{kind}'", node=node or None)
    if kind not in VARIANTS:
        return GOLDENS[kind]
    base = GOLDENS[kind]
    if kind not in _composed or _composed[kind][0] is not base:   # (base replaced: rebuild)
        _composed[kind] = (base, _compose(base, VARIANTS[kind]))
    return _composed[kind][1]


_loaded = False


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for m in pkgutil.iter_modules(__path__):
        if not m.name.startswith("_"):
            importlib.import_module(f"{__name__}.{m.name}")
    _loaded = True
