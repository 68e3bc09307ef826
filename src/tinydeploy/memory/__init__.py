"""Static activation memory: one arena, every activation at a fixed byte offset.

:mod:`lifetimes` turns a scheduled graph into buffers; :mod:`planner` places buffers
without knowing about graphs (greedy, with a local search); where that ends above the
lower bound :mod:`exact` asks CP-SAT for a lower peak; :mod:`outspace` lends the caller's
output buffers to layers that run before the output is written. :func:`plan_graph` joins
them for codegen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tinydeploy.errors import UnsupportedError, naming
from tinydeploy.ir.graph import MAX_TENSOR_BYTES, Graph
from tinydeploy.ir.training import training
from tinydeploy.memory.exact import improve
from tinydeploy.memory.lifetimes import (SCRATCH, KernelMemory, buffers_for_graph,
                                         edge_storages, live_bytes)
from tinydeploy.memory.outspace import borrow
from tinydeploy.memory.planner import (Buffer, Plan, check_plan, lower_bound, plan_greedy,
                                       plan_naive)

__all__ = ["MemoryPlan", "plan_graph", "Buffer", "Plan", "plan_greedy", "plan_naive",
           "lower_bound", "buffers_for_graph", "KernelMemory", "edge_storages"]


@dataclass(frozen=True)
class MemoryPlan:
    """Where each activation tensor lives in the arena (byte offsets, from its start).

    ``offsets`` has every non-constant tensor, reshape views included (a view has its
    storage's offset; ``aliases`` says which tensor owns the storage). ``lower_bound`` and
    ``naive_bytes`` put ``arena_bytes`` in context; ``live_bytes[i]`` is the arena in use
    during op ``i`` (for memory-over-time plots). The arena must be aligned to
    ``max(b.align for b in buffers)`` by whoever allocates it.
    """

    offsets: dict[str, int]
    arena_bytes: int
    lower_bound: int
    naive_bytes: int
    aliases: dict[str, str]
    live_bytes: tuple[int, ...]
    buffers: tuple[Buffer, ...]
    whole_tensor_bound: int = 0
    scratch: dict[str, tuple[int, int]] = field(default_factory=dict)  # op -> (offset, bytes)
    # tensors kept in the caller's buffers (graph inputs/outputs and their views) -> the
    # graph input/output whose buffer holds them; they have no offset
    external: dict[str, str] = field(default_factory=dict)
    # a training step's new parameter values (and their views) -> the trainable parameter
    # whose RAM array they are written over (ir/training.py); they have no offset
    trained: dict[str, str] = field(default_factory=dict)
    # tensors that live in a graph output's caller buffer before the network writes that
    # output (memory/outspace.py) -> (graph output, byte offset in its buffer)
    in_outputs: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def ratio_to_lower_bound(self) -> float:
        return self.arena_bytes / self.lower_bound if self.lower_bound else 1.0


def plan_graph(g: Graph, align: int = 4, sliding: bool = True,
               kernels: str = "ref",
               layers: dict[str, KernelMemory] | None = None,
               edges: bool = False) -> MemoryPlan:
    """Plan ``g``'s activations in its op order with :func:`plan_greedy`.

    ``sliding`` lets convolutions/pools overwrite their dying input row by row (see
    :mod:`tinydeploy.memory.sliding`); turn it off for tiled or multicore execution.
    ``kernels`` ("ref" or "opt") is the kernel set the code will run, which decides the
    kinds that may slide. ``whole_tensor_bound`` is the lower bound without any in-place
    sharing. ``layers``: what each op's kernel declared (:class:`KernelMemory`: scratch,
    and an optimized kernel's write order); ``scratch`` gives each layer's scratch block.
    ``edges``: graph inputs and outputs stay in the caller's buffers (no copy into or out
    of the arena, :func:`edge_storages`); ``external`` lists them. A training step's
    new parameter values are not planned either: ``trained`` maps them to the parameter
    whose array they overwrite (:mod:`tinydeploy.ir.training`).
    """
    ext = edge_storages(g) if edges else {}
    step = training(g)
    new_values = step.new_values if step is not None else {}
    with naming(g.source or None):
        buffers, aliases = buffers_for_graph(g, align, sliding, kernels, layers,
                                             set(ext) | set(new_values))
    plan = _plan(buffers)
    buffers, plan, borrowed = borrow(g, buffers, plan, ext, _plan, _dtypes(aliases, g))
    check_plan(buffers, plan)      # cheap; a broken plan would corrupt data silently
    if plan.peak > MAX_TENSOR_BYTES:   # the C code sizes and indexes it with int32_t
        raise UnsupportedError(f"the activations need an arena of {plan.peak:,} bytes, "
                               f"more than {MAX_TENSOR_BYTES:,}", file=g.source or None)
    offsets = {n: plan.offsets[s] for n, s in aliases.items() if s in plan.offsets}
    in_outputs = {n: borrowed[s] for n, s in aliases.items() if s in borrowed}
    return MemoryPlan(offsets=offsets, arena_bytes=plan.peak,
                      lower_bound=lower_bound(buffers),
                      naive_bytes=plan_naive(buffers).peak, aliases=aliases,
                      live_bytes=live_bytes(buffers, plan.offsets, len(g.ops)),
                      buffers=tuple(buffers),
                      whole_tensor_bound=lower_bound(
                          [Buffer(b.name, b.size, b.first, b.last, b.align) for b in buffers]),
                      scratch={b.name[len(SCRATCH):]: (plan.offsets[b.name], b.size)
                               for b in buffers if b.name.startswith(SCRATCH)},
                      external=_external_tensors(g, ext), in_outputs=in_outputs,
                      trained=_external_tensors(g, new_values))


def _dtypes(aliases: dict[str, str], g: Graph) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for n, s in aliases.items():
        out.setdefault(s, set()).add(g.t(n).dtype)
    return out


def _plan(buffers: list[Buffer]) -> Plan:
    return improve(buffers, plan_greedy(buffers))     # CP-SAT where greedy misses the bound


def _external_tensors(g: Graph, ext: dict[str, str]) -> dict[str, str]:
    """Every tensor whose storage is external -> the graph input/output holding it."""
    if not ext:
        return {}
    gb = buffers_for_graph(g)                 # the storage of every tensor (aliases)
    return {n: ext[r] for n, r in gb.aliases.items() if r in ext}
