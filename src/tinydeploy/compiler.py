"""The whole lowering, in order: load -> passes -> integer args -> memory plan -> C.

Output is written to a temporary directory next to the destination and renamed at the
end, so a failure never leaves a partial output behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tinydeploy.codegen import emit_project
from tinydeploy.codegen.boards import board_context, emit_board, get_board
from tinydeploy.codegen.cformat import c_ident
from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend import load_model
from tinydeploy.ir.graph import Graph
from tinydeploy.memory import MemoryPlan, plan_graph
from tinydeploy.passes import run_passes
from tinydeploy.quant.execute import prepare_all
from tinydeploy.targets import load_target


@dataclass
class Lowered:
    graph: Graph
    args: dict
    memory: MemoryPlan


KERNEL_SETS = ("ref", "opt")
DEFAULT_KERNELS = {"host": "ref", "qemu-rv32": "opt"}


def lower(g: Graph, sliding: bool = True, kernels: str = "ref") -> Lowered:
    """Passes, integer kernel arguments and the static memory plan of a loaded graph.

    ``sliding=False`` for tiled targets: tiles run out of order, so no op may overwrite
    its input while it reads it (only whole elementwise in-place remains). ``kernels`` is
    the kernel set the C code will use ("ref", or "opt": runtime/kernels/opt); it decides
    which ops may overwrite their input (memory/sliding.py)."""
    g = run_passes(g)                 # legalize: only ops and dtypes the kernels implement
    args = prepare_all(g)             # float scales -> multipliers/shifts, once, in Python
    memory = plan_graph(g, sliding=sliding, kernels=kernels)  # one arena, offsets per tensor
    g.meta["kernels"] = kernels
    return Lowered(g, args, memory)


def lower_file(model: str | Path, sliding: bool = True, kernels: str = "ref",
               **frontend_options) -> Lowered:
    return lower(load_model(model, **frontend_options), sliding, kernels)


def compile_model(model: str | Path, out_dir: str | Path, target: str = "host",
                  prefix: str | None = None, board: str = "host",
                  frontend_options: dict | None = None, kernels: str | None = None) -> Lowered:
    """Compile ``model`` into a standalone C project in ``out_dir`` (replaced if present).

    ``board`` adds what one machine needs beyond the portable C (``qemu-rv32``: the
    bare-metal rv32imc build and QEMU targets, see codegen/boards). ``target`` is a bundled
    target name or a target .toml file (targets/): flat targets (one memory level) run
    every layer in place; the others tile layers through L1 (codegen/tiled_plan.py).
    ``kernels``: "ref" (plain reference C) or "opt" (optimized variants where they exist,
    tuned for rv32imc); default by board: host ref, qemu-rv32 opt."""
    t0 = time.perf_counter()
    tgt = load_target(target)
    get_board(board)
    if not tgt.flat and board != "host":
        raise TinyDeployError(f"board '{board}' is not supported for the tiled target "
                              f"'{tgt.name}' (use --board host)", file=str(model))
    kernels = kernels or DEFAULT_KERNELS.get(board, "ref")
    if kernels not in KERNEL_SETS:
        raise TinyDeployError(f"unknown kernel set '{kernels}' (ref or opt)", file=str(model))
    opts = {k: v for k, v in (frontend_options or {}).items() if v}
    low = lower_file(model, sliding=tgt.flat, kernels=kernels, **opts)
    low.graph.meta["frontend_options"] = opts    # validate re-imports the model the same way
    plan = None
    if not tgt.flat:                  # levels, then CP-SAT tiling of every layer into L1
        from tinydeploy.codegen.tiled_plan import plan_tiled
        try:
            plan = plan_tiled(low.graph, tgt, low.memory)
        except TinyDeployError as e:
            raise e.with_file(str(model)) from None
    write_project(low, out_dir, tgt.name, prefix, model, board, tiled=plan)
    low.graph.meta["compile_seconds"] = time.perf_counter() - t0
    return low


def write_project(low: Lowered, out_dir: str | Path, target: str = "host",
                  prefix: str | None = None, model: str | Path | None = None,
                  board: str = "host", tiled=None) -> Path:
    """Emit the C project of a lowered graph atomically (temp dir + rename).

    ``tiled``: the :class:`~tinydeploy.codegen.tiled_plan.TiledPlan` of a tiled target."""
    prefix = c_ident(prefix or low.graph.name or "network", 32).lower()
    if prefix[0].isdigit():
        prefix = "net_" + prefix
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        ctx = board_context(board)
        proj = emit_project(low.graph, low.args, low.memory.offsets, low.memory.arena_bytes,
                            tmp, prefix, extra=ctx, hook=_tiled_hook(low, tiled))
        emit_board(board, tmp, {"p": proj, "graph_name": low.graph.name, **ctx})
        manifest = _manifest(model, target, prefix, low, proj)
        manifest["board"] = board
        manifest["kernels"] = low.graph.meta.get("kernels", "ref")
        if tiled is not None:
            manifest["tiled"] = tiled.to_dict()
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        os.chmod(tmp, 0o755)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _tiled_hook(low: Lowered, plan):
    if plan is None:
        return None
    from tinydeploy.codegen.tiled import copy_runtime, tiled_context

    def hook(proj, out_dir):
        copy_runtime(out_dir)
        return tiled_context(proj, low.graph, plan)

    return hook


def _manifest(model, target: str, prefix: str, low: Lowered, proj) -> dict:
    """What validate/report need to find their way back: no timestamps (determinism)."""
    g = low.graph

    def spec(n):
        t = g.t(n)
        return {"name": n, "shape": list(t.shape), "dtype": t.dtype,
                "offset": low.memory.offsets.get(n)}

    return {
        "tinydeploy_manifest": 1,
        "model": str(Path(model).resolve()) if model else None,
        "model_sha256": hashlib.sha256(Path(model).read_bytes()).hexdigest() if model else None,
        "target": target,
        "prefix": prefix,
        "arena_bytes": low.memory.arena_bytes,
        "lower_bound_bytes": low.memory.lower_bound,
        "weight_bytes": proj.weight_bytes,
        "inputs": [spec(n) for n in g.inputs],
        "outputs": [spec(n) for n in g.outputs],
        "layers": [{"index": i, "name": op.name, "kind": op.kind, **spec(op.outputs[0])}
                   for i, op in enumerate(g.ops)],
        **({"frontend_options": g.meta["frontend_options"]}
           if g.meta.get("frontend_options") else {}),
    }
