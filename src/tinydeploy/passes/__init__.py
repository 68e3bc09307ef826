"""Graph passes, run in order by :func:`run_passes`. Each returns a new Graph."""

from __future__ import annotations

from tinydeploy.errors import naming
from tinydeploy.ir.graph import Graph
from tinydeploy.passes.fuse_requant import fuse_requant
from tinydeploy.passes.legalize import check_supported, drop_identity_requantize


def run_passes(g: Graph) -> Graph:
    """The passes, on a graph whose IR invariants hold (checked first: the passes and
    everything after them rely on them). Errors name the graph's source file."""
    with naming(g.source or None):
        g.validate()
        # int8->int8 quantize ops with identical params are no-ops some converters leave.
        g = drop_identity_requantize(g)
        # Fail early, naming the node, if an op has no integer implementation.
        check_supported(g)
        # accumulator -> requant pairs (PULP dialects) as one op: no int32 activations.
        g = fuse_requant(g)
        g.validate()
    return g
