"""Which constants of a forward graph train: the layers ``--trainable`` / ``--last``
select, each with its weights and biases."""

from __future__ import annotations

from fnmatch import fnmatchcase

from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.train.spec import TrainSpec

WEIGHTED = ("conv2d", "depthwise_conv2d", "fully_connected", "matmul")


def params_of(g: Graph, op: Op) -> list[str]:
    """The float32 constants an op with weights reads (weights, bias)."""
    return [n for n in op.inputs[1:] if n and g.t(n).is_const and g.t(n).dtype == "float32"]


def weighted_layers(g: Graph, ops: list[Op]) -> list[Op]:
    return [op for op in ops if op.kind in WEIGHTED and len(op.inputs) > 1
            and op.inputs[1] and g.t(op.inputs[1]).is_const]


def selected_layers(g: Graph, ops: list[Op], spec: TrainSpec) -> list[Op]:
    """The weighted layers ``spec`` selects (all of them when it names none)."""
    layers = weighted_layers(g, ops)
    if spec.last is not None:
        if spec.last > len(layers):
            raise TinyDeployError(f"train: --last {spec.last}, but the model has "
                                  f"{len(layers)} layers with weights", file=g.source or None)
        return layers[len(layers) - spec.last:]
    if spec.trainable:
        hit = [op for op in layers if any(fnmatchcase(op.name, p) or any(
            fnmatchcase(n, p) for n in params_of(g, op)) for p in spec.trainable)]
        if not hit:
            names = ", ".join(op.name for op in layers[:8])
            raise TinyDeployError(f"train: --trainable {' '.join(spec.trainable)} matches no "
                                  f"layer with weights (they are: {names}"
                                  f"{', ...' if len(layers) > 8 else ''})",
                                  file=g.source or None)
        return hit
    return layers


def trainable_params(g: Graph, ops: list[Op], spec: TrainSpec) -> list[str]:
    out: list[str] = []
    for op in selected_layers(g, ops, spec):
        for n in params_of(g, op):
            if n not in out:
                out.append(n)
    return out
