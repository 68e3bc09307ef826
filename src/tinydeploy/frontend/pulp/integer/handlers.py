"""ONNX op type -> handler of the tensor-level importer (each module registers its own)."""

from __future__ import annotations

from tinydeploy.frontend.pulp.integer import arith, custom, linear, movement

HANDLERS = {**linear.HANDLERS, **arith.HANDLERS, **custom.HANDLERS, **movement.HANDLERS}
