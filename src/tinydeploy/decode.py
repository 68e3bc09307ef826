"""Language models as a decode loop: a one-step graph (the KV cache as inputs, returned
extended by the step's rows) compiled into ``<name>_reset()`` and ``<name>_step(...)``
with the caches in static memory the network owns (:mod:`tinydeploy.passes.kv_cache`).

One C program serves every context length up to ``max_context``: the graph is imported
and lowered at three cache lengths (N-3, N-2, N-1 for N = max_context); every kernel
argument must be the same at the three or change by the same amount per token (sizes of
the attention rows, the cache row a step writes) - an affine function of the length,
which the step function sets before it runs the layers (:class:`Patch`). The graph at
N-1 gives the kernels, the buffers (planned for the longest context) and the strides the
caches are read with (their capacity layout: the same at every length). Inputs whose size
follows the context (an attention mask of length+1) are copied at their current size.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend import load_model
from tinydeploy.ir.graph import Graph
from tinydeploy.passes.kv_cache import Cache, find_caches, to_state
from tinydeploy.quant import preconditions

MIN_CONTEXT = 4


@dataclass(frozen=True)
class Patch:
    """Field ``member`` of op ``op``'s args (``index`` into an array member, or None) is
    ``base + slope * length`` where length = the tokens already cached. ``index`` -1: an
    array read in its first ``base + slope * length`` entries (per-column requant
    parameters of a row that grows): emitted at its longest, never patched."""
    op: str
    member: str
    index: int | None
    base: int
    slope: int


@dataclass
class DecodePlan:
    max_context: int
    caches: list[dict]                       # graph.meta["kv_caches"]
    patches: list[Patch] = field(default_factory=list)
    input_bytes: dict[str, tuple[int, int]] = field(default_factory=dict)  # (base, slope)

    @property
    def kv_bytes(self) -> int:
        return int(sum(c["bytes"] for c in self.caches))


def _shapes(base: Graph, caches: list[Cache], length: int) -> dict[str, tuple[int, ...]]:
    """Input shapes of the one-step graph at cache ``length``: the caches along their time
    axis, and every other input dim equal to the file's length + 1 (an attention mask over
    the cached tokens and the new one)."""
    l0 = caches[0].length
    out = {}
    cache_inputs = {c.input: c for c in caches}
    for n, shape in base.meta.get("input_shapes", {}).items():
        if n in cache_inputs:
            c = cache_inputs[n]
            s = list(shape)
            s[c.axis] = length
            out[n] = tuple(s)
        else:
            out[n] = tuple(length + 1 if d == l0 + 1 else d for d in shape)
    return out


def _load(model, frontend: dict, shapes: dict) -> Graph:
    return load_model(model, **{**frontend, "input_shapes": shapes})


def one_step_graph(model, frontend: dict, length: int, caches=None) -> Graph:
    """The one-step graph imported at cache ``length`` (the spec of that step)."""
    base = load_model(model, **frontend)
    caches = caches or find_caches(base)
    return _load(model, frontend, _shapes(base, caches, length))


def stateful_graphs(model, frontend: dict, max_context: int) -> tuple[list[Graph], list[int]]:
    """The decode graph (caches as state, capacity ``max_context``) at the three lengths
    the patches are derived from, longest last."""
    if max_context < MIN_CONTEXT:
        raise TinyDeployError(f"--max-context {max_context}: at least {MIN_CONTEXT} tokens",
                              file=str(model))
    base = load_model(model, **frontend)
    caches = find_caches(base)
    if not caches:
        raise TinyDeployError("--max-context needs a one-step graph whose KV cache comes in "
                              "as an input and goes out concatenated with the step's rows; "
                              "no such input found", file=str(model))
    lengths = [max_context - 3, max_context - 2, max_context - 1]
    graphs = []
    for n in lengths:
        g = _load(model, frontend, _shapes(base, caches, n))
        found = find_caches(g)
        if [c.input for c in found] != [c.input for c in caches]:
            raise TinyDeployError(f"the KV caches change with the context length ({n})",
                                  file=str(model))
        graphs.append(to_state(g, found, max_context))
    return graphs, lengths


def _members(args, prefix: str = "") -> dict[str, object]:
    """Every field of an args struct by its C member name (a fused kernel's requant fields
    with the ``rq_`` prefix; ``rq_size`` is checked, not emitted)."""
    out: dict[str, object] = {}
    if args is None:
        return out
    for f in dataclasses.fields(args):
        v = getattr(args, f.name)
        if dataclasses.is_dataclass(v):
            out.update(_members(v, "rq_" if f.name == "rq" else prefix))
        else:
            out[prefix + f.name] = v
    return out


def derive_patches(lowered: list, lengths: list[int]) -> list[Patch]:
    """Patches from the args at three lengths (an error naming the op where an argument
    is not affine in the length, or the ops differ)."""
    names = [[op.name for op in low.graph.ops] for low in lowered]
    if names[0] != names[1] or names[1] != names[2]:
        raise TinyDeployError("the layers differ between context lengths: the graph is not "
                              "one step of a decode loop")
    out = []
    (l0, l1, l2) = lengths
    for op in lowered[2].graph.ops:
        m0, m1, m2 = (_members(low.c_args[op.name]) for low in lowered)
        for k, v2 in m2.items():
            a0, a1, a2 = (np.atleast_1d(np.asarray(m[k], dtype=object)).ravel()
                          for m in (m0, m1, m2))
            if a0.size != a2.size or a1.size != a2.size:
                out.append(_trim(op.name, k, (a0, a1, a2), lengths))
                continue
            for j, (x0, x1, x2) in enumerate(zip(a0, a1, a2)):
                if x0 == x1 == x2:
                    continue
                slope = (int(x2) - int(x1)) // (l2 - l1)
                if int(x1) - int(x0) != slope * (l1 - l0) or \
                        int(x2) - int(x1) != slope * (l2 - l1):
                    raise TinyDeployError(f"layer '{op.name}': argument {k} = {x0}, {x1}, "
                                          f"{x2} at {lengths} tokens is not affine in the "
                                          "context length", node=op.name)
                index = j if np.ndim(v2) else None
                out.append(Patch(op.name, k, index, int(x2) - slope * l2, slope))
    return out


def _trim(op: str, member: str, arrays, lengths) -> Patch:
    """An array whose length follows the context: each shorter one a prefix of the
    longest, the length affine."""
    n = [a.size for a in arrays]
    slope = (n[2] - n[1]) // (lengths[2] - lengths[1])
    if n[1] - n[0] != slope * (lengths[1] - lengths[0]) or any(
            list(a) != list(arrays[2][:a.size]) for a in arrays[:2]):
        raise TinyDeployError(f"layer '{op}': argument {member} changes with the context "
                              "other than by its length", node=op)
    return Patch(op, member, -1, n[2] - slope * lengths[2], slope)


def input_sizes(graphs: list[Graph], lengths: list[int]) -> dict[str, tuple[int, int]]:
    """(base, slope) bytes of every input whose size follows the context."""
    out = {}
    for n in graphs[2].inputs:
        b = [g.t(n).nbytes for g in graphs]
        if b[0] == b[1] == b[2]:
            continue
        slope = (b[2] - b[1]) // (lengths[2] - lengths[1])
        if b[1] - b[0] != slope * (lengths[1] - lengths[0]):
            raise TinyDeployError(f"input '{n}' size {b} is not affine in the context")
        out[n] = (b[2] - slope * lengths[2], slope)
    return out


def check_shortest(low, patches: list[Patch]) -> None:
    """The args the patches give at an empty cache satisfy every kernel's preconditions."""
    by_op: dict[str, list[Patch]] = {}
    for p in patches:
        by_op.setdefault(p.op, []).append(p)
    for op in low.graph.ops:
        if op.name not in by_op:
            continue
        args = patched_args(low.c_args[op.name], by_op[op.name], 0)
        preconditions.check_args(args, op.name, op.kind,
                                 x_range=preconditions.requant_x_range(op))


def patched_args(args, patches: list[Patch], length: int):
    """``args`` with the patches applied at ``length`` (fused args: rq_ members)."""
    def apply(obj, prefix: str):
        changes = {}
        for f in dataclasses.fields(obj):
            v = getattr(obj, f.name)
            if dataclasses.is_dataclass(v):
                changes[f.name] = apply(v, "rq_" if f.name == "rq" else "")
                continue
            for p in patches:
                if p.member != prefix + f.name:
                    continue
                val = p.base + p.slope * length
                if p.index is None:
                    v = val
                elif p.index < 0:
                    v = np.asarray(v)[:val]
                else:
                    v = np.array(v, copy=True)
                    v[p.index] = val
            changes[f.name] = v
        return dataclasses.replace(obj, **changes)
    return apply(args, "")


def plan(graphs: list[Graph], lowered: list, lengths: list[int], max_context: int
         ) -> DecodePlan:
    g = lowered[2].graph
    patches = derive_patches(lowered, lengths)
    check_shortest(lowered[2], patches)
    caches = [dict(c, bytes=g.t(c["state"]).nbytes) for c in g.meta["kv_caches"]]
    return DecodePlan(max_context, caches, patches, input_sizes(graphs, lengths))


def describe(dp: DecodePlan) -> str:
    return (f"decode loop: {len(dp.caches)} KV caches of {dp.max_context} tokens, "
            f"{dp.kv_bytes} bytes; {len(dp.patches)} arguments follow the context")
