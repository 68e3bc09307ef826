"""The whole lowering, in order: load -> passes -> integer args -> memory plan -> tiles -> C.

Output is written to a temporary directory next to the destination and renamed at the
end, so a failure never leaves a partial output behind.
"""

from __future__ import annotations

import time
from pathlib import Path

from tinydeploy.codegen.project import write_project
from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend import load_model
from tinydeploy.ir.graph import Graph
from tinydeploy.lowered import Lowered
from tinydeploy.memory import plan_graph
from tinydeploy.options import CompileOptions
from tinydeploy.passes import run_passes
from tinydeploy.quant.execute import prepare_all
from tinydeploy.targets import load_target
from tinydeploy.tiling.plan import plan_tiled


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
    return Lowered(g, args, memory, CompileOptions(kernels=kernels))


def lower_file(model: str | Path, sliding: bool = True, kernels: str = "ref",
               **frontend_options) -> Lowered:
    """Load and lower one model file (no tiling, nothing written): for tests and tools."""
    return lower(load_model(model, **frontend_options), sliding, kernels)


def build(model: str | Path, options: CompileOptions | None = None) -> Lowered:
    """Everything :func:`compile_model` decides, without writing a file."""
    t0 = time.perf_counter()
    opts = (options or CompileOptions()).resolved(str(model))
    target = load_target(opts.target)
    if not target.flat and opts.board != "host":
        raise TinyDeployError(f"board '{opts.board}' is not supported for the tiled target "
                              f"'{target.name}' (use --board host)", file=str(model))
    g = load_model(model, **opts.frontend())
    low = lower(g, sliding=target.flat, kernels=opts.kernels)
    low.options, low.target = opts, target
    if not target.flat:               # levels, then CP-SAT tiling of every layer into L1
        try:
            low.tiled = plan_tiled(low.graph, target, low.memory)
        except TinyDeployError as e:
            raise e.with_file(str(model)) from None
    low.seconds = time.perf_counter() - t0
    return low


def compile_model(model: str | Path, out_dir: str | Path,
                  options: CompileOptions | None = None, **option_values) -> Lowered:
    """Compile ``model`` into a standalone C project in ``out_dir`` (replaced if present).

    Options are a :class:`CompileOptions` or its fields as keywords (``target``, ``board``,
    ``kernels``, ``name``, ``io_layout``, ``input_type``, ``output_tensors``)."""
    t0 = time.perf_counter()
    if option_values:
        options = CompileOptions.make(options, **option_values)
    low = build(model, options)
    write_project(low, out_dir, model)
    low.seconds = time.perf_counter() - t0
    return low
