"""Graph passes, run in order by :func:`run_passes`. Each returns a new Graph."""

from __future__ import annotations

from tinydeploy.ir.graph import Graph
from tinydeploy.passes.fuse_requant import fuse_requant
from tinydeploy.passes.legalize import check_supported, drop_identity_requantize


def run_passes(g: Graph) -> Graph:
    # int8->int8 quantize ops with identical params are no-ops some converters leave behind.
    g = drop_identity_requantize(g)
    # Fail early, naming the node, if an op has no integer implementation.
    check_supported(g)
    # accumulator -> requant pairs (PULP dialects) as one op: no 4-byte int32 activations.
    g = fuse_requant(g)
    g.validate()
    return g
