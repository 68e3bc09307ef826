"""The C of a training step (:mod:`tinydeploy.ir.training`): ``<prefix>_train_step``,
``<prefix>_trainable``, ``<prefix>_loss`` and the header's declarations. A hook of
:func:`~.emit.emit_project`.

The trainable parameters are mutable arrays (RAM, ``.data``) initialised with the model's
values; each update writes the new value over its parameter (the emitter points the
update's output at the array), so the next step and ``<prefix>_run`` use it. The layers
are split in two static functions: ``td_forward`` (the inference: every layer of a graph
compiled as it is) and ``td_backward`` (loss, gradients, updates).
"""

from __future__ import annotations

from tinydeploy.codegen.cformat import c_comment
from tinydeploy.codegen.cproject import CIo, Project
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.training import training


def train_context(proj: Project, low) -> dict:
    g, offsets, p = low.graph, low.memory.offsets, proj.prefix
    step = training(g)
    src = g.source or None
    if proj.parallel:
        raise TinyDeployError("a training step runs on one core (no --harts, no team "
                              "kernels)", file=src)
    order = {name: i for i, name in enumerate(step.params)}
    proj.trainable.sort(key=lambda c: order[c.tensor])
    P = p.upper()
    step_ins = list(proj.inputs)
    if step.labels is not None:
        t = g.t(step.labels)
        if t.dtype != "int64":
            raise TinyDeployError(f"labels '{step.labels}' must be int64", file=src)
        step_ins.append(CIo("label", "int64_t", t.size, t.nbytes, offsets[step.labels],
                            t.shape, step.labels))
    loss = None
    if step.loss is not None:
        lt = g.t(step.loss)
        if lt.dtype != "float32" or lt.size != 1 or step.loss not in offsets:
            raise TinyDeployError(f"the loss '{step.loss}' must be one float32 in the arena",
                                  file=src)
        loss = offsets[step.loss]
    n_params = len(proj.trainable)
    nbytes = sum(c.nbytes for c in proj.trainable)
    sig = ", ".join(f"const {io.ctype} *{io.name}" for io in step_ins)
    lines = [
        f"/* A training step: {n_params} trainable parameter tensors, {P}_TRAINABLE_BYTES "
        "bytes, live in RAM",
        " * (initialised with the model's values); every other weight stays const (flash).",
        f" * {p}_train_step(...) runs one step on one sample and its label: forward, loss,",
        " * gradients, and the optimizer's update of each parameter in place; returns 0.",
        f" * {p}_run(...) then infers with the updated parameters. {p}_trainable(i, &bytes)",
        " * gives parameter i's array (e.g. to save the trained values or restore them). */",
        f"#define {P}_TRAINABLE_COUNT {n_params}",
        f"#define {P}_TRAINABLE_BYTES {nbytes}",
    ]
    for i, c in enumerate(proj.trainable):
        lines.append(f"/* trainable {i}: '{c_comment(c.tensor)}' {c.ctype}, {c.nbytes} "
                     "bytes */")
    lines += ["", f"int {p}_train_step({sig});",
              f"void *{p}_trainable(int32_t i, int32_t *bytes);"]
    if loss is not None:
        lines.append(f"/* the mean loss of the last {p}_train_step() (before its update) */")
        lines.append(f"float {p}_loss(void);")
    copies = [f"    memcpy(td_arena + {io.offset}, {io.name}, {io.nbytes});" for io in step_ins]
    api = ["", f"int {p}_train_step({sig})", "{", "    TD_RUN_BEGIN();", *copies,
           "    td_forward();"]
    if step.start < len(g.ops):
        api.append("    td_backward();")
    if loss is not None:
        api.append(f"    memcpy(&td_loss, td_arena + {loss}, sizeof td_loss);")
    api += ["    TD_RUN_END();", "    return 0;", "}", "",
            f"void *{p}_trainable(int32_t i, int32_t *bytes)", "{", "    switch (i) {"]
    for i, c in enumerate(proj.trainable):
        api.append(f"    case {i}: if (bytes) *bytes = {c.nbytes}; return {c.array};")
    api += ["    default: if (bytes) *bytes = 0; return NULL;", "    }", "}"]
    if loss is not None:
        api += ["", f"float {p}_loss(void)", "{", "    return td_loss;", "}"]
    state = ["/* ---- training step ---- */"]
    if loss is not None:
        state.append("static float td_loss;   /* the last step's loss */")
    return {"train": {"forward": proj.layers[:step.start],
                      "backward": proj.layers[step.start:],
                      "state": "\n".join(state), "header": "\n".join(lines),
                      "api": "\n".join(api)}}
