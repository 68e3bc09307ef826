"""Numpy golden of every op: integer-only, bit-exact with TFLite's int8 kernels.

One module per op kind (``conv2d.py``, ``add.py``, ...). Each module registers itself
with :func:`register`, giving

- ``prepare(g, op) -> KernelArgs``: everything derived from float scales, computed once
  (multipliers, shifts, offsets, clamp bounds). This is the only float math.
- ``run(args, *inputs) -> np.ndarray``: integer-only evaluation of the op on numpy
  arrays in IR layout, using only ``args`` (the same struct the C kernel receives).

Modules in this package are imported automatically; there is no list to keep in sync.
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


GOLDENS: dict[str, Golden] = {}


def register(kind: str, prepare, run, args_type=None) -> None:
    assert kind not in GOLDENS, f"golden for {kind} registered twice"
    GOLDENS[kind] = Golden(kind, prepare, run, args_type)


def golden(kind: str, node: str = "") -> Golden:
    _load_all()
    if kind not in GOLDENS:
        raise UnsupportedError(f"no integer implementation of op '{kind}'", node=node or None)
    return GOLDENS[kind]


_loaded = False


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for m in pkgutil.iter_modules(__path__):
        if not m.name.startswith("_"):
            importlib.import_module(f"{__name__}.{m.name}")
    _loaded = True
