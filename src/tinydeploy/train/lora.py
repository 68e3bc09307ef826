"""LoRA adapters on fully-connected layers: y = act(x W^T + b + alpha/r * (x A^T) B^T).

The forward graph is rewritten in place of each selected layer: the base product without
its activation (``fully_connected``, W and b stay frozen constants in flash), then
t = x A^T (``matmul``, A [r, C_in]) and y = act(alpha/r * t B^T + base) (``matmul`` with
the base as its bias input, B [C_out, r]). A starts normal with std 1/sqrt(C_in) (seeded),
B at zero, so the adapted model starts equal to the model (up to float rounding of the
added zero). Only A and B train.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph, Op, Tensor
from tinydeploy.train.builder import padded, unique
from tinydeploy.train.select import selected_layers
from tinydeploy.train.spec import TrainSpec


def apply_lora(g: Graph, spec: TrainSpec, ops: list[Op]) -> tuple[Graph, list[str]]:
    """``g`` with adapters on the fully-connected layers among ``ops`` that ``spec``
    selects; returns the new graph and its trainable tensors (A, B of each, in order)."""
    layers = [op for op in selected_layers(g, ops, spec) if op.kind == "fully_connected"]
    if not layers:
        raise TinyDeployError("train: --lora needs a fully-connected layer among the "
                              "selected layers", file=g.source or None)
    r = int(spec.lora)
    scale = float(np.float32((spec.lora_alpha if spec.lora_alpha is not None else r) / r))
    rng = np.random.default_rng(spec.seed)
    tensors = dict(g.tensors)
    names = {op.name for op in g.ops}
    new_ops: list[Op] = []
    params: list[str] = []
    chosen = {op.name for op in layers}

    def tensor(base, shape, data=None) -> str:
        n = unique(base, tensors)
        tensors[n] = Tensor(n, tuple(int(d) for d in shape), "float32", data=data)
        return n

    def op(kind, base, ins, out, **attrs):
        n = unique(base, names)
        names.add(n)
        new_ops.append(Op(kind, n, padded(kind, ins), (out,), attrs))

    for o in g.ops:
        if o.name not in chosen:
            new_ops.append(o)
            continue
        x, w, y = o.inputs[0], o.inputs[1], o.outputs[0]
        n_out, k = tensors[w].shape
        rows = tensors[x].size // k
        if r > min(n_out, k):
            raise TinyDeployError(f"train: --lora {r} is larger than layer '{o.name}' "
                                  f"({n_out} x {k})", file=g.source or None)
        a = tensor(f"{o.name}_lora_A", (r, k), (rng.standard_normal((r, k))
                                                / np.sqrt(k)).astype(np.float32))
        bmat = tensor(f"{o.name}_lora_B", (n_out, r), np.zeros((n_out, r), np.float32))
        params += [a, bmat]
        x2 = x
        if tensors[x].shape != (rows, k):
            x2 = tensor(f"{o.name}_lora_x", (rows, k))
            op("reshape", f"{o.name}_lora_x", [x], x2)
        base = tensor(f"{o.name}_base", (rows, n_out))
        op("fully_connected", f"{o.name}_base", [x2, *o.inputs[1:]], base, act="none")
        t = tensor(f"{o.name}_lora_t", (rows, r))
        op("matmul", f"{o.name}_lora_down", [x2, a], t, k=k, trans_b=1)
        y2 = y if tensors[y].shape == (rows, n_out) else tensor(f"{o.name}_lora_y",
                                                                (rows, n_out))
        op("matmul", f"{o.name}_lora_up", [t, bmat, base], y2, k=r, trans_b=1,
           alpha=scale, act=o.attrs.get("act", "none"))
        if y2 != y:
            op("reshape", f"{o.name}_lora_out", [y2], y)
    return (Graph(g.name, tensors, new_ops, list(g.inputs), list(g.outputs), g.source,
                  dict(g.meta)), params)
