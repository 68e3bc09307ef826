"""The whole lowering, in order: load -> passes -> integer args -> memory plan -> tiles -> C.

Output is written to a temporary directory next to the destination and renamed at the
end, so a failure never leaves a partial output behind.
"""

from __future__ import annotations

import time
from pathlib import Path

from tinydeploy.codegen.project import write_project
from tinydeploy.decode import plan as decode_plan
from tinydeploy.decode import stateful_graphs
from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend import load_model
from tinydeploy.ir.graph import Graph
from tinydeploy.ir.training import training
from tinydeploy.lowered import Lowered
from tinydeploy.memory import KernelMemory, plan_graph
from tinydeploy.options import CompileOptions
from tinydeploy.passes import depth_first, run_passes
from tinydeploy.passes.nchw_edges import nchw_edges
from tinydeploy.passes.streaming import stream_graph
from tinydeploy.passes.train_updates import schedule_updates
from tinydeploy.quant.execute import prepare_all
from tinydeploy.quant.golden.conv_nchw import ConvNchwArgs
from tinydeploy.quant.golden.depthwise_nchw import DepthwiseNchwArgs
from tinydeploy.quant.opt import OptArgs, opt_args
from tinydeploy.targets import load_target
from tinydeploy.tiling.plan import plan_tiled
from tinydeploy.train import TrainSpec, training_step


def lower(g: Graph, sliding: bool = True, kernels: str = "ref", cores: int = 1) -> Lowered:
    """Passes, integer kernel arguments and the static memory plan of a loaded graph.

    ``sliding=False`` for tiled targets: tiles run out of order, so no op may overwrite
    its input while it reads it (only whole elementwise in-place remains). ``kernels`` is
    the kernel set the C code will use ("ref", or "opt": runtime/kernels/opt); it decides
    which ops may overwrite their input (memory/sliding.py). ``cores``: the cores that
    run each layer together (the optimized kernels' split and per-core scratch)."""
    g = run_passes(g)                 # legalize: only ops and dtypes the kernels implement
    g = schedule_updates(g)           # a training step's in-place updates after their readers
    # attention head by head where that shrinks the arena (passes/depth_first.py)
    g = depth_first.choose(g, lambda h: plan_graph(h, sliding=sliding, kernels=kernels,
                                                   edges=sliding).arena_bytes)
    ref = g                           # (what the reference kernels run)
    if kernels == "opt" and sliding and training(g) is None:
        g = nchw_edges(g)             # layers at NCHW edges read them: no transposes
    args = prepare_all(g)             # float scales -> multipliers/shifts, once, in Python
    # optimized kernels: weights packed, constants folded, paths chosen, in Python
    # (a training step's kernels read its parameters from their RAM arrays: reference set)
    c_args = opt_args(g, args, cores) if kernels == "opt" and sliding and \
        training(g) is None else args
    for name, a in c_args.items():    # (only the optimized kernel computes these)
        if isinstance(a, (DepthwiseNchwArgs, ConvNchwArgs)):
            raise TinyDeployError(f"layer {name}: the NCHW kernel refused it")
    memory = plan_graph(g, sliding=sliding, kernels=kernels,     # one arena: tensors and
                        layers=kernel_memory(c_args, cores),     # the kernels' scratch;
                        edges=sliding)        # graph inputs/outputs in the caller's buffers
    if c_args is not args:            # layers at the peak: their least-scratch variant
        c_args, memory = _lean_at_peak(g, args, c_args, memory, sliding, kernels, cores, ref)
    g.meta["kernels"] = kernels
    return Lowered(g, args, memory, CompileOptions(kernels=kernels), kernel_args=c_args)


def _lean_at_peak(g: Graph, args: dict, c_args: dict, memory, sliding: bool, kernels: str,
                  cores: int, ref: Graph, rounds: int = 4):
    """While the arena is larger than the reference kernels' (``target``), give the layers
    live at its peak the variant of their kernel with the least scratch (e.g. im2col
    instead of a row ring, one output row per visit), as long as that lowers the arena:
    the optimized kernels' plan is at or below the reference plan where it can be, and
    keeps their faster variants where memory allows (``ref``: the graph the reference
    kernels run, before passes only the optimized kernels take)."""
    target = plan_graph(ref, sliding=sliding, kernels="ref", edges=sliding).arena_bytes
    lean: set[str] = set()
    for _ in range(rounds):
        if memory.arena_bytes <= target:
            break
        top = max(memory.live_bytes, default=0)
        peak_ops = {g.ops[i].name for i, v in enumerate(memory.live_bytes) if v == top}
        new = {n for n in peak_ops if n in memory.scratch} - lean
        if not new:
            break
        trial = opt_args(g, args, cores, frozenset(lean | new))
        if all(trial[n].scratch_size() >= c_args[n].scratch_size() for n in new):
            break
        mem = plan_graph(g, sliding=sliding, kernels=kernels,
                         layers=kernel_memory(trial, cores), edges=sliding)
        if mem.arena_bytes >= memory.arena_bytes:
            break
        lean |= new
        c_args, memory = trial, mem
    return c_args, memory


def kernel_memory(c_args: dict, cores: int = 1) -> dict[str, KernelMemory]:
    """What each layer's kernel needs from the memory planner (scratch for all cores, and
    the write order of an optimized kernel)."""
    out = {}
    for name, a in c_args.items():
        if a is None:
            continue
        explicit = isinstance(a, OptArgs)
        if explicit or a.scratch_size():
            out[name] = KernelMemory(a.scratch_size() * cores, a.inplace_margin(), explicit)
    return out


def lower_decode(model: str | Path, opts: CompileOptions, sliding: bool = True) -> Lowered:
    """A decode loop (tinydeploy.decode): the one-step graph lowered at three context
    lengths with its KV caches as state; the longest gives the code, the three the
    arguments that follow the length."""
    graphs, lengths = stateful_graphs(model, opts.frontend(), opts.max_context)
    lowered = [lower(g, sliding=sliding, kernels=opts.kernels) for g in graphs]
    low = lowered[-1]
    low.decode = decode_plan(graphs, lowered, lengths, opts.max_context)
    return low


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
    if opts.max_context:              # a one-step graph run as a decode loop
        low = lower_decode(model, opts, target.flat)
    else:
        g = load_model(model, **opts.frontend())
        if opts.stream:               # one time step per call (passes/streaming.py)
            g = stream_graph(g)
        if opts.train is not None:    # the training step of the model (tinydeploy train)
            if not target.flat:
                raise TinyDeployError(f"a training step compiles for flat targets only "
                                      f"(not the tiled '{target.name}')", file=str(model))
            g = training_step(g, TrainSpec.make(str(model), **opts.train), opts.kernels)
        low = lower(g, sliding=target.flat, kernels=opts.kernels, cores=opts.harts)
    low.options, low.target = opts, target
    if not target.flat:               # levels, then CP-SAT tiling of every layer into L1
        try:
            fixed = frozenset(p.op for p in low.decode.patches) if low.decode else frozenset()
            low.tiled = plan_tiled(low.graph, target, low.memory, untiled=fixed)
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
