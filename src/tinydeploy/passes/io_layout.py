"""``--io-layout nhwc``: give 4-D graph inputs/outputs the NHWC layout the network runs in.

Frontends of NCHW formats (ONNX) keep the source layout at the graph edges and bridge to
the NHWC body with an edge ``transpose`` (or a byte-preserving ``reshape`` when C = 1 or
H = W = 1), possibly behind an elementwise ``quantize``/``dequantize``. This pass drops that
bridge: the edge tensors take the NHWC shape, so the caller passes NHWC data and no bytes
are permuted at run time.
"""

from __future__ import annotations

from dataclasses import replace

from tinydeploy.ir.graph import Graph, Op

ELEMENTWISE = ("quantize", "dequantize")
TO_NHWC, TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


def _is_bridge(g: Graph, op: Op, perm: tuple[int, ...]) -> bool:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if len(x.shape) != 4 or len(y.shape) != 4:
        return False
    if op.kind == "transpose":
        return tuple(op.attrs["perm"]) == perm
    # a bridging reshape changes the shape (unless every dim is 1); a same-shape reshape
    # (C == H == W) moves no axis and is no bridge
    return op.kind == "reshape" and tuple(x.shape) != tuple(y.shape) and \
        tuple(x.shape[i] for i in perm) == tuple(y.shape)


def _single_consumer(g: Graph, name: str) -> Op | None:
    cons = g.consumers(name)
    return cons[0] if len(cons) == 1 and name not in g.outputs else None


def io_layout_nhwc(g: Graph) -> Graph:
    tensors, ops = dict(g.tensors), list(g.ops)
    rename: dict[str, str] = {}
    drop: set[int] = set()

    def permute_shape(name: str, perm) -> None:
        t = tensors[name]
        tensors[name] = replace(t, shape=tuple(t.shape[i] for i in perm))

    for inp in g.inputs:                          # input -> [elementwise]* -> bridge
        chain, op = [inp], _single_consumer(g, inp)
        while op is not None and op.kind in ELEMENTWISE:
            chain.append(op.outputs[0])
            op = _single_consumer(g, op.outputs[0])
        if op is not None and _is_bridge(g, op, TO_NHWC):
            for n in chain:
                permute_shape(n, TO_NHWC)
            rename[op.outputs[0]] = chain[-1]
            drop.add(ops.index(op))
    copied = False
    for out in dict.fromkeys(g.outputs):          # bridge -> [elementwise]* -> output
        chain, op = [out], g.producer(out)
        while op is not None and op.kind in ELEMENTWISE and len(g.consumers(op.inputs[0])) == 1:
            chain.append(op.inputs[0])
            op = g.producer(op.inputs[0])
        # the bridge's output feeds only the chain (nothing when the bridge is the output)
        if op is not None and _is_bridge(g, op, TO_NCHW) and \
                len(g.consumers(op.outputs[0])) == (1 if len(chain) > 1 else 0):
            for n in chain:
                permute_shape(n, TO_NHWC)     # NCHW -> NHWC is the same permutation
            src = rename.get(op.inputs[0], op.inputs[0])
            if len(chain) == 1 and (src in g.inputs or src in g.outputs or
                                    src in rename.values() or g.outputs.count(out) > 1):
                # dropping it would make the output alias another edge: a plain copy
                ops[ops.index(op)] = op.with_(kind="reshape", attrs={})
                copied = True
                continue
            rename[chain[-1]] = op.inputs[0]
            drop.add(ops.index(op))
    if not drop and not copied:
        return g
    new_ops = []
    for i, op in enumerate(ops):
        if i in drop:
            continue
        new_ops.append(op.with_(inputs=tuple(rename.get(n, n) for n in op.inputs),
                                outputs=tuple(rename.get(n, n) for n in op.outputs)))
    for old in rename:                       # the bridged-over tensors are gone
        tensors.pop(old, None)
    out = Graph(g.name, tensors, new_ops, list(g.inputs),
                [rename.get(n, n) for n in g.outputs], g.source, dict(g.meta))
    out.meta["io_layout"] = "nhwc"
    out.validate()
    return out
