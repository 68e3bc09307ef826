"""A training step from a plain float32 model, built on the IR by reverse mode.

The forward graph stays as it is (its ops are the inference, ``<name>_run``); after it
come the loss, the backward ops and the updates (``<name>_train_step``):

1. the logits are the input of a final softmax (or the graph output itself), as
   [rows, C]; ``log_softmax``, the loss (``ce_loss``: mean cross-entropy over the rows,
   int64 labels [rows]) and its gradient (``softmax_ce_grad``, times 1/rows);
2. a reverse sweep over the forward ops that lie between a trainable parameter and the
   logits: each op's rule (:mod:`.grads`) turns its output's gradient into its inputs'
   gradients, only for inputs a trainable parameter reaches; gradients of a tensor read
   by several ops are summed (``add``) in reverse op order;
3. SGD: ``p - lr * grad`` (``mul`` then ``sub``, the order ONNX Runtime's SGD and
   Deeploy compute) for every trainable parameter, written over it in C
   (:mod:`tinydeploy.ir.training`);
4. with ``spec.recompute``: forward activations recomputed in the backward pass instead
   of kept, where that lowers the planned arena (:mod:`.recompute`).
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.ir.graph import Graph
from tinydeploy.train.builder import StepBuilder
from tinydeploy.train.grads import backward_rule
from tinydeploy.train.lora import apply_lora
from tinydeploy.train.recompute import choose
from tinydeploy.train.select import trainable_params
from tinydeploy.train.spec import TrainSpec


def _logits(g: Graph) -> tuple[str, int]:
    """The logits tensor and the number of forward ops the backward sweep covers."""
    src = g.source or None
    if len(g.outputs) != 1:
        raise TinyDeployError(f"train: the model has {len(g.outputs)} outputs (one, the "
                              "class scores, is needed for the loss)", file=src)
    out = g.outputs[0]
    idx = next(i for i, op in enumerate(g.ops) if out in op.outputs)
    op = g.ops[idx]
    if op.kind == "softmax":
        if float(op.attrs.get("beta", 1.0)) != 1.0:
            raise UnsupportedError(f"train: the final softmax '{op.name}' has beta "
                                   f"{op.attrs.get('beta')} (1 only)", file=src)
        return op.inputs[0], idx
    return out, idx + 1


def training_step(g: Graph, spec: TrainSpec, kernels: str = "ref") -> Graph:
    """The training step of the float32 forward graph ``g`` (see the module doc);
    ``kernels``: the kernel set it is planned for (``recompute`` measures with it)."""
    src = g.source or None
    bad = sorted({g.t(n).dtype for n in g.activations()} - {"float32"})
    if bad:
        raise UnsupportedError(f"train: the model has {bad[0]} activations (training needs "
                               "a float32 model)", file=src)
    logits, n_fwd = _logits(g)
    forward = list(g.ops[:n_fwd])
    if spec.lora is not None:
        g, params = apply_lora(g, spec, forward)
        logits, n_fwd = _logits(g)
        forward = list(g.ops[:n_fwd])
    else:
        params = trainable_params(g, forward, spec)
    b = StepBuilder(g)
    first = len(b.ops)
    c = g.t(logits).shape[-1]
    rows = g.t(logits).size // c
    lg = b.reshape(logits, (rows, c), "loss_logits")
    labels = b.tensor("labels", (rows,), "int64")
    lp = b.new("log_softmax", "loss_log_softmax", [lg], (rows, c))
    loss = b.new("ce_loss", "loss", [lp, labels], (1,))
    d = b.new("softmax_ce_grad", "loss_grad", [lp, labels], (rows, c), batch=1)
    if rows > 1:
        inv = b.const("loss_grad_mean", np.float32(1.0) / np.float32(rows))
        d = b.new("mul", "loss_grad_mean", [inv, d], (rows, c))
    grads: dict[str, str] = {logits: b.reshape(d, g.t(logits).shape, "loss_grad_logits")}
    need = set(params)                   # tensors a trainable parameter reaches
    for op in forward:
        if any(n in need for n in op.inputs):
            need.update(op.outputs)
    for op in reversed(forward):
        dy = grads.get(op.outputs[0])
        wants = [bool(n) and n in need for n in op.inputs]
        if dy is None or not any(wants):
            continue
        for i, gi in backward_rule(b, op)(b, op, dy, wants).items():
            n = op.inputs[i]
            if n in grads:
                gi = b.new("add", f"{n}_grad_sum", [grads[n], gi], b.t(gi).shape)
            grads[n] = gi
    updates = []
    lr = b.const("sgd_lr", np.float32(spec.lr))
    for p in params:
        if p not in grads:
            raise TinyDeployError(f"train: no gradient reaches '{p}' from the loss",
                                  file=src)
        step = b.new("mul", f"{p}_sgd_step", [lr, grads[p]], b.t(p).shape)
        u = b.new("sub", f"{p}_sgd", [p, step], b.t(p).shape)
        updates.append([p, u])
    meta = dict(g.meta)
    meta["train"] = {"updates": updates, "start": b.ops[first].name, "labels": labels,
                     "loss": loss, "spec": spec.to_dict()}
    step = b.graph(g, g.inputs, g.outputs, meta)
    return choose(step, kernels) if spec.recompute else step
