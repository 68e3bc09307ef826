"""Exact instruction counts per layer on QEMU rv32imc, and the multi-hart check.

Counting: the project's ``<prefix>_rv32_prof.elf`` (``-DTD_PROFILE``) reads ``minstret``
in the hooks around every layer and around the whole run function (``rv32/td_board.h``)
and prints the sums at exit (``rv32/td_prof.c``). It runs under ``-icount shift=0``, where
QEMU's minstret is the exact count of retired instructions (without -icount it returns
host ticks). A layer's count covers everything between its two hooks: argument set-up,
the kernel call and the kernel. The cost of the measurement itself (an empty hook pair,
``probe``) is reported and subtracted. Counts are deterministic: the same binary and
inputs give the same numbers on every run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinydeploy.check.inputs import random_inputs
from tinydeploy.check.rv32 import qemu
from tinydeploy.check.rv32.harts import hart_counts, modeled_speedup
from tinydeploy.codegen.boards.rv32imc import HARTS
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.ops import macs
from tinydeploy.project import as_project


def _category(g, op) -> str:
    """conv / pointwise / depthwise / fc / other: the kernel families of the benchmarks."""
    if op.kind == "conv2d":
        w = g.t(op.inputs[1])
        return "pointwise" if tuple(w.shape[1:3]) == (1, 1) else "conv"
    return {"depthwise_conv2d": "depthwise", "fully_connected": "fc"}.get(op.kind, "other")


def _parse(console: str, n_layers: int) -> dict:
    vals: dict = {"layer": {}}
    for line in console.splitlines():
        w = line.split()
        if len(w) >= 3 and w[0] == "td-prof":
            if w[1] == "layer" and len(w) == 4:
                vals["layer"][int(w[2])] = int(w[3])
            else:
                vals[w[1]] = int(w[2])
    if not vals.get("runs") or len(vals["layer"]) != n_layers or "run" not in vals:
        raise TinyDeployError("no instruction counts in the QEMU output:",
                              detail=console[-2000:])
    return vals


def profile(project: str | Path, n: int = 1, seed: int = 0, records=None,
            progress=None, timeout: float | None = None) -> dict:
    """Instructions per layer (mean per inference over the records), MACs, totals.

    Returns ``{"model", "runs", "probe", "layers": [...], "totals": {...}}``; each layer is
    ``{"index", "name", "kind", "category", "macs", "instructions",
    "instructions_per_mac"}`` (``instructions_per_mac`` None for layers without MACs).
    """
    proj = as_project(project)
    manifest = qemu.check_board(proj.path, proj.manifest)
    qemu.require_tools()
    g = proj.lowered.graph
    if records is None:
        records = random_inputs(g, n, seed)
    elf = qemu.build(proj.path, "prof")
    _, console = qemu.run_raw(elf, manifest, records, icount=True, progress=progress,
                              timeout=timeout)
    v = _parse(console, len(g.ops))
    runs, probe = v["runs"], v["probe"]
    layers = []
    for i, op in enumerate(g.ops):
        count = max(0, round(v["layer"][i] / runs) - probe)
        m = macs(g, op)
        layers.append({"index": i, "name": op.name, "kind": op.kind,
                       "category": _category(g, op), "macs": m, "instructions": count,
                       "instructions_per_mac": count / m if m else None})
    total_macs = sum(r["macs"] for r in layers)
    layer_sum = sum(r["instructions"] for r in layers)
    run_total = round(v["run"] / runs)
    out = {"model": manifest["model_name"], "runs": runs, "probe": probe, "layers": layers,
           "totals": {"macs": total_macs, "layer_instructions": layer_sum,
                      "run_instructions": run_total,
                      "instructions_per_mac": run_total / total_macs if total_macs else None,
                      "by_category": _by_category(layers)}}
    if int(proj.options.harts) > 1:      # the parallel build too: instructions per hart
        _add_harts(out, proj, records[:1], timeout)
    return out


def _add_harts(out: dict, proj, records, timeout) -> None:
    """Per layer: every hart's instructions in the parallel build (measured, exact), the
    measured speedup (single-hart count / busiest hart's) and the split's modeled one."""

    hc = hart_counts(proj, records, timeout)
    c_args = proj.lowered.c_args
    for r, per in zip(out["layers"], hc["layers"]):
        busiest = max(per) if per else 0
        r["hart_instructions"] = per
        r["speedup_measured"] = r["instructions"] / busiest if busiest else None
        r["speedup_modeled"] = modeled_speedup(c_args.get(r["name"]), hc["harts"])
    by: dict = {}
    for r in out["layers"]:
        c = by.setdefault(r["category"], {"single": 0, "busiest": 0})
        c["single"] += r["instructions"]
        c["busiest"] += max(r["hart_instructions"] or [0])
    out["totals"]["harts"] = hc["harts"]
    out["totals"]["speedup_by_category"] = {
        k: (c["single"] / c["busiest"] if c["busiest"] else None) for k, c in by.items()}


def _by_category(layers: list[dict]) -> dict:
    out: dict = {}
    for r in layers:
        c = out.setdefault(r["category"], {"layers": 0, "macs": 0, "instructions": 0})
        c["layers"] += 1
        c["macs"] += r["macs"]
        c["instructions"] += r["instructions"]
    for c in out.values():
        c["instructions_per_mac"] = c["instructions"] / c["macs"] if c["macs"] else None
    return out


def count_instructions(project_dir: str | Path, n: int = 1, seed: int = 0) -> list[dict]:
    """Per-layer instruction counts of a ``--board qemu-rv32`` project (see :func:`profile`)."""
    return profile(project_dir, n=n, seed=seed)["layers"]


def smp_check(project: str | Path, records=None, harts: int = HARTS,
              timeout: float | None = None) -> dict:
    """Run the multi-hart build on ``-smp harts``: harts start and park, fork/barrier test,
    every layer's output checksummed in slices by all harts. Returns the check's numbers
    and the network's outputs (to compare with the host run)."""
    proj = as_project(project)
    manifest = qemu.check_board(proj.path, proj.manifest)
    if records is None:
        records = [[np.zeros(s["shape"], dtype=s["dtype"]) for s in manifest["inputs"]]]
    elf = qemu.build(proj.path, "smp")
    outs, console = qemu.run_raw(elf, manifest, records, harts=harts, timeout=timeout)
    line = next((x for x in console.splitlines() if x.startswith("td-smp ")), None)
    if line is None:
        raise TinyDeployError("no td-smp report in the QEMU output:", detail=console[-2000:])
    w = line.replace(",", "").split()
    res = {"harts": int(w[2]), "of": int(w[4]), "barrier_rounds": int(w[7]),
           "layers_checked": int(w[10]), "errors": int(w[12]), "outputs": outs}
    return res
