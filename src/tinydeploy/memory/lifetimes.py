"""Graph -> planner buffers: which activation bytes live from which op to which op.

The op list order is the schedule. Op ``i`` reads its inputs and writes its outputs during
step ``i``, so a tensor is live from its producer's index (graph inputs: 0) to its last
consumer's index (graph outputs: the last op), inclusive; an op's inputs and outputs
are therefore live together and never share bytes unless an in-place hint allows it.

Constants (weights, biases) are not planned: they live in read-only memory. State tensors
(``graph.meta["state"]``: a decode loop's KV caches) live over the whole schedule and are
never overwritten in place, so their bytes stay from one call to the next.

``reshape`` never copies: its output is a view of its input's storage. Every chain of
reshapes becomes one buffer named after its root tensor, live over the union of the
members' lifetimes; :attr:`GraphBuffers.aliases` maps each view to that storage name.
A reshape of a constant gets a buffer of its own (codegen copies the constant there).

Elementwise ops whose output has the same byte size as their first input - ``add``,
``mul``, int->int ``quantize``, ``logistic``, ``tanh`` - may write over that input when it
dies at the op: the output buffer gets ``inplace_of`` = the input's storage. Element
``i`` of the output depends only on element ``i`` of each input, so overwriting in index
order is safe (kernels must not declare these pointers ``restrict``). For ``add`` and
``mul`` the second input is tried when the first does not qualify (float32 ops: see
:data:`FLOAT_INPLACE_KINDS`). ``dequantize`` grows
the bytes (int8 -> float32) and is never in place. The integer-graph kinds of
:data:`ROW_INPLACE_KINDS` qualify too: elementwise ones (``requant``, ``igelu``,
``ihardswish``, ``inonorm``, ``lut``) as above, and row ops (softmaxes, norms) whose
kernels read a whole row for its statistics before the pass that reads element ``i``
and then writes it (kernels/td_isoftmax_s8.c, td_ilayernorm_s8.c, ...).
"""

from __future__ import annotations

from typing import NamedTuple

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.memory.planner import Buffer
from tinydeploy.memory.sliding import sliding_margin

INPLACE_KINDS = ("add", "mul", "quantize", "logistic", "tanh")
ROW_INPLACE_KINDS = ("requant", "igelu", "ihardswish", "inonorm", "lut", "isoftmax", "itamax",
                     "itapartialmax", "ilayernorm", "irmsnorm", "layernorm", "softmax_exp",
                     "insert")
# float32 kernels that may write over a dying input of the output's size (td_*_f32.h):
# elementwise ones read element i of each input before writing element i (any input of
# the output's size, a binary op's second too), row ones read the row before writing it
FLOAT_INPLACE_KINDS = ("unary", "add", "sub", "mul", "div", "pow", "maximum", "minimum",
                       "softmax", "norm", "log_softmax", "softmax_grad", "act_grad")
SCRATCH = "\0scratch:"       # buffer name prefix of a layer's scratch (no tensor name)


class KernelMemory(NamedTuple):
    """What a layer's kernel needs from the planner beyond its tensors: ``scratch`` bytes
    during the call (all cores), and - ``explicit`` (an optimized kernel) - the bytes its
    output must start below its dying input to share it (None: never over its input)."""

    scratch: int = 0
    margin: int | None = None
    explicit: bool = False
_COMMUTATIVE = ("add", "mul")


class GraphBuffers(NamedTuple):
    buffers: list[Buffer]
    aliases: dict[str, str]      # every planned tensor (and reshape view) -> storage name


def storage_map(g: Graph) -> dict[str, str]:
    """Tensor -> the tensor whose bytes it occupies (itself unless a reshape view)."""
    root = {n: n for n in g.activations()}
    for op in g.ops:
        if op.kind == "reshape" and op.inputs[0] in root:
            root[op.outputs[0]] = root[op.inputs[0]]
    return root


def _spans(g: Graph, root: dict[str, str]) -> dict[str, list[int]]:
    """Storage name -> [first op, last op] over all its views."""
    end = max(len(g.ops) - 1, 0)
    spans: dict[str, list[int]] = {}

    def touch(name: str, i: int) -> None:
        if name not in root:          # a constant or an absent input ("")
            return
        span = spans.setdefault(root[name], [i, i])
        span[0], span[1] = min(span[0], i), max(span[1], i)

    for n in g.inputs:
        touch(n, 0)
    for i, op in enumerate(g.ops):
        for n in (*op.inputs, *op.outputs):
            touch(n, i)
    for n in g.outputs:
        touch(n, end)
    for n in g.meta.get("state", ()):     # held across calls (a KV cache): the whole run
        touch(n, 0)
        touch(n, end)
    labels = g.meta.get("train", {}).get("labels")
    if labels:                            # copied in before the step's first op
        touch(labels, 0)
    loss = g.meta.get("train", {}).get("loss")
    if loss:                              # read after the step's last op
        touch(loss, end)
    return spans


def _sliding_source(g: Graph, op: Op, i: int, root: dict[str, str],
                    spans: dict[str, list[int]], pinned: set[str],
                    kernels: str, layer: "KernelMemory | None" = None
                    ) -> tuple[str, int] | None:
    """(storage, margin) when a windowed op may write over its dying input, else None."""
    n = op.inputs[0]
    if layer is not None and layer.explicit:     # an optimized kernel's own exact margin
        margin = layer.margin
    else:
        margin = sliding_margin(g, op, kernels)
    if margin is None or g.t(n).is_const:
        return None
    s = root[n]
    if s in pinned or spans[s][1] != i or g.t(s).nbytes != g.t(n).nbytes:
        return None
    return s, margin


def _inplace_source(g: Graph, op: Op, i: int, root: dict[str, str],
                    spans: dict[str, list[int]], pinned: set[str]) -> str | None:
    """Storage the op's output may overwrite, or None."""
    f32 = op.kind in FLOAT_INPLACE_KINDS and len(op.outputs) == 1 and all(
        g.t(n).dtype == "float32" for n in (*op.inputs, *op.outputs) if n)
    if (op.kind not in INPLACE_KINDS + ROW_INPLACE_KINDS and not f32) or \
            len(op.outputs) != 1:
        return None
    out = g.t(op.outputs[0])
    if op.kind == "quantize" and "float" in g.t(op.inputs[0]).dtype:
        return None
    candidates = op.inputs[:2] if op.kind in _COMMUTATIVE or f32 else op.inputs[:1]
    for n in candidates:
        if not n or g.t(n).is_const:
            continue
        s = root[n]
        if (s not in pinned and spans[s][1] == i and g.t(n).nbytes == out.nbytes
                and g.t(s).nbytes == out.nbytes and (f32 or "float" not in g.t(n).dtype)):
            return s
    return None


def buffers_for_graph(g: Graph, align: int = 4, sliding: bool = False,
                      kernels: str = "ref",
                      layers: "dict[str, KernelMemory] | None" = None,
                      external: "set[str] | None" = None) -> GraphBuffers:
    """One :class:`Buffer` per activation storage, in first-use order, plus the alias map.

    Sizes are in bytes; op indices refer to ``g.ops``. Storage holding a graph output is
    never overwritten in place (the caller reads it after the last op). With ``sliding``,
    convolutions and pools may also write over their dying input at a margin
    (:mod:`tinydeploy.memory.sliding`; only for sequential, untiled kernels; which kinds
    depends on the ``kernels`` set, "ref" or "opt"). ``layers`` gives, per op name, what
    its kernel declared (:class:`KernelMemory`): its scratch, one buffer of
    :data:`SCRATCH` + op name live during that op only, and (optimized kernels) its
    own write-ahead in place of the kind's default.
    ``external``: storages that live in the caller's buffers (graph inputs and outputs
    read and written where the caller keeps them, :func:`edge_storages`): no buffer, and
    nothing is computed in place over them.
    """
    layers = layers or {}
    external = external or set()
    root = storage_map(g)
    spans = _spans(g, root)
    pinned = {root[n] for n in (*g.outputs, *g.meta.get("state", ())) if n in root}
    pinned |= external
    hints: dict[str, tuple[str, int]] = {}
    for i, op in enumerate(g.ops):
        src = _inplace_source(g, op, i, root, spans, pinned)
        if src is not None:
            hints[root[op.outputs[0]]] = (src, 0)
        elif sliding and (hit := _sliding_source(g, op, i, root, spans, pinned, kernels,
                                                 layers.get(op.name))):
            hints[root[op.outputs[0]]] = (hit[0], -(-hit[1] // align) * align)
    buffers = []
    for s, (first, last) in spans.items():
        if s in external:
            continue
        size = max(g.t(n).nbytes for n, r in root.items() if r == s)
        partner, margin = hints.get(s, (None, 0))
        # int64 (a training step's labels) and uint64 (the signal ops' filter bank sums) at
        # 8 bytes: C reads them as int64_t / uint64_t (whichever tensor shares the buffer)
        wide = any(g.t(n).dtype in ("int64", "uint64") for n, r in root.items() if r == s)
        al = max(align, 8) if wide else align
        buffers.append(Buffer(s, size, first, last, al, partner, margin))
    for i, op in enumerate(g.ops):
        km = layers.get(op.name)
        if km is not None and km.scratch > 0:
            buffers.append(Buffer(SCRATCH + op.name, km.scratch, i, i, max(align, 8)))
    aliases = {n: r for n, r in root.items() if r in spans and r not in external}
    return GraphBuffers(buffers, aliases)


def edge_storages(g: Graph) -> dict[str, str]:
    """Storages that can live in the caller's buffers instead of the arena: that of each
    graph input and each graph output, unless it holds more than one of them (an output
    that is a view of an input, two outputs on one storage) or the graph keeps state
    between calls or is a training step. Returns storage -> the graph input/output tensor
    it is."""
    if g.meta.get("state") or g.meta.get("train"):
        return {}
    root = storage_map(g)
    holders: dict[str, list[str]] = {}
    for n in (*g.inputs, *g.outputs):
        if n in root:
            holders.setdefault(root[n], []).append(n)
    return {s: names[0] for s, names in holders.items() if len(names) == 1}


def live_bytes(buffers: list[Buffer], offsets: dict[str, int], n_ops: int) -> tuple[int, ...]:
    """Bytes of the arena in use at each op: the union of the live buffers' byte ranges.

    In-place pairs count once where they overlap, alignment padding not at all.
    """
    out = []
    for t in range(n_ops):
        spans = sorted((offsets[b.name], offsets[b.name] + b.size)
                       for b in buffers if b.first <= t <= b.last and b.size)
        total, reach = 0, 0
        for start, end in spans:
            total += max(0, end - max(start, reach))
            reach = max(reach, end)
        out.append(total)
    return tuple(out)
