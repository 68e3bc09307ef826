"""Run any IR graph as generated C on the host (the kernel runner of the tests)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tinydeploy.check import hostrun
from tinydeploy.codegen.project import write_project
from tinydeploy.compiler import lower
from tinydeploy.ir.graph import Graph


def run_c_graph(g: Graph, inputs: list[np.ndarray], sanitize: bool = True
                ) -> dict[str, np.ndarray]:
    """Generate, build (``-Werror``, optionally ASan/UBSan) and run ``g`` on one input set."""
    return run_c_graph_many(g, [inputs], sanitize)[0]


def run_c_graph_many(g: Graph, records: list[list[np.ndarray]], sanitize: bool = True,
                     kernels: str = "ref") -> list[dict[str, np.ndarray]]:
    """Like :func:`run_c_graph` for several input sets with a single build
    (``kernels="opt"``: the optimized kernel variants, built for the host)."""
    import json

    low = lower(g, kernels=kernels)
    with tempfile.TemporaryDirectory(prefix="td_test_") as tmp:
        proj = write_project(low, Path(tmp) / "proj", prefix="net")
        exe = hostrun.build(proj, sanitize=sanitize)
        manifest = json.loads((proj / "manifest.json").read_text())
        outs = hostrun.run(exe, manifest, records)
    return [dict(zip(low.graph.outputs, rec)) for rec in outs]
