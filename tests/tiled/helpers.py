"""Run graphs on tiled targets as generated C: one build for many layers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from tinydeploy.check import hostrun
from tinydeploy.tiling.plan import TiledPlan, plan_tiled
from tinydeploy.check.dma import compare, run_measuring
from tinydeploy.compiler import Lowered, lower, write_project
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.execute import run_graph
from tinydeploy.targets import Target
from tinydeploy.tiling import geometry, min_footprint
from tinydeploy.tiling.problem import full_tiling
from tinydeploy.tiling.schedule import l1_buffers, l1_bytes


def merge(graphs: list[Graph], name: str = "batch") -> Graph:
    """Independent one-op graphs side by side in one graph (tensors and ops renamed L<i>_)."""
    tensors, ops, ins, outs = {}, [], [], []
    for i, g in enumerate(graphs):
        ren = {n: f"L{i}_{n}" for n in g.tensors}
        for n, t in g.tensors.items():
            tensors[ren[n]] = replace(t, name=ren[n])
        for op in g.ops:
            ops.append(Op(op.kind, f"L{i}_{op.name}", tuple(ren[n] if n else "" for n in
                                                            op.inputs),
                          tuple(ren[n] for n in op.outputs), dict(op.attrs)))
        ins += [ren[n] for n in g.inputs]
        outs += [ren[n] for n in g.outputs]
    return Graph(name, tensors, ops, ins, outs)


def l1_range(geom, target: Target) -> tuple[int, int]:
    """(smallest L1 any tiling fits, L1 the untiled layer needs) on ``target``."""
    need, _ = min_footprint(geom, target)
    whole = l1_bytes(l1_buffers(geom, full_tiling(geom), target.cores, target.kernels.im2col))
    return need, whole


def build_tiled(low: Lowered, plan: TiledPlan, out_dir: Path, sanitize: bool = True
                ) -> tuple[Path, dict]:
    """Write the tiled C of ``low`` with ``plan`` (C prefix ``net``) and build it with the
    host HAL; (executable, manifest)."""
    low.tiled, low.target = plan, plan.target
    low.options = replace(low.options, name="net", target=plan.target.name)
    proj = write_project(low, out_dir)
    manifest = json.loads((proj / "manifest.json").read_text())
    return hostrun.build(proj, sanitize=sanitize), manifest


def run_tiled_measured(low: Lowered, plan: TiledPlan, records, out_dir: Path,
                       sanitize: bool = True):
    """Build and run the tiled C of ``low``: (outputs per record, measured DMA counters
    per layer index of one inference, manifest)."""
    exe, manifest = build_tiled(low, plan, out_dir, sanitize)
    outs, dma = run_measuring(exe, manifest, records)
    return [dict(zip(low.graph.outputs, rec)) for rec in outs], dma, manifest


def run_tiled(low: Lowered, plan: TiledPlan, records, out_dir: Path, sanitize: bool = True):
    """Build and run the tiled C of ``low``; (outputs per record, DMA mismatch messages)."""
    outs, dma, manifest = run_tiled_measured(low, plan, records, out_dir, sanitize)
    return outs, compare(manifest, dma)


def golden(low: Lowered, records) -> list[dict[str, np.ndarray]]:
    return [run_graph(low.graph, rec, low.args) for rec in records]


def lowered(g: Graph) -> Lowered:
    return lower(g, sliding=False)


def plan_for(low: Lowered, target: Target, layer_targets=None) -> TiledPlan:
    return plan_tiled(low.graph, target, low.memory, layer_targets)


def geometry_of(g: Graph, op_name: str):
    return geometry(g, next(op for op in g.ops if op.name == op_name))
