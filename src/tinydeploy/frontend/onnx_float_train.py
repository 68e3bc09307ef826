"""Handlers of the float32 ONNX importer for ONNX Runtime training graphs: the loss
(SoftmaxCrossEntropyLoss), the backward operators (com.microsoft
SoftmaxCrossEntropyLossGrad, GeluGrad, LayerNormalizationGrad; SoftmaxGrad is in
:mod:`.onnx_float_nodes`) and the optimizer step (SGD), in the forms Deeploy's training
graphs carry them (the graphs' own order is not topological: :mod:`.onnx_float` sorts).

SoftmaxCrossEntropyLoss with one output gives the log-probabilities (Deeploy's form: its
output is log_prob [N, C], not ONNX's scalar loss): the log_softmax of the logits.
An SGD of an initializer is a training step's in-place update (:mod:`tinydeploy.ir.
training`): in C the parameter lives in RAM and each step writes its new value over it.
SoftmaxCrossEntropyLossGrad with two inputs (log_prob, labels; no dY) is
``softmax_ce_grad``. SGD (weight, gradient; attribute lr) is weight - lr * gradient,
``mul`` then ``sub`` (the order Deeploy's kernel computes). Labels are int64 graph
inputs (or int64 constants).
"""

from __future__ import annotations

import numpy as np

from tinydeploy.frontend.onnx_float_build import FloatBuilder
from tinydeploy.frontend.onnx_facts import attrs
from tinydeploy.ir.graph import Tensor


def _reduction(b: FloatBuilder, node) -> None:
    a = attrs(node)
    red = a.get("reduction", b"mean")
    red = red.decode() if isinstance(red, bytes) else str(red)
    b.require(red == "mean", f"reduction '{red}' (only 'mean' is supported)")
    b.require("ignore_index" not in a, "ignore_index is not supported")


def _labels(b: FloatBuilder, name: str, rows: int, make: bool = True) -> str | None:
    """The IR tensor of int64 labels [rows] (``make=False``: only check them)."""
    if b.is_const(name):
        arr = np.asarray(b.consts[name])
        b.require(arr.dtype.kind in "iu", f"labels '{name}' of dtype {arr.dtype}")
        b.require(arr.size == rows, f"{arr.size} labels for {rows} rows")
        if not make:
            return None
        t = b.unique(name)
        b.tensors[t] = Tensor(t, (int(arr.size),), "int64",
                              data=np.ascontiguousarray(arr.astype(np.int64).reshape(-1)))
        ir = t
    else:
        ir = b.val(name).onnx
    b.require(ir is not None and b.tensors[ir].dtype == "int64",
              f"labels '{name}' must be an int64 tensor")
    b.require(b.tensors[ir].size == rows, f"{b.tensors[ir].size} labels for {rows} rows")
    return ir


def softmax_ce_loss(b: FloatBuilder, node) -> None:
    _reduction(b, node)
    outs = [o for o in node.output]
    b.require(len([i for i in node.input if i]) == 2, "class weights are not supported")
    b.require(len(outs) == 1, "the loss output (ONNX's first output) is not computed: "
              "only the one-output form giving log_prob [N, C] is supported")
    shape = b.shape(node.input[0])
    b.require(len(shape) == 2, f"logits {list(shape)} (only [N, C])")
    _labels(b, node.input[1], shape[0], make=False)    # (log_prob does not read them)
    x = b.onnx_in(node.input[0])
    y = b.tensor(outs[0], shape)
    b.op("log_softmax", [x], [y], beta=1.0)
    b.set_onnx(outs[0], y)


def softmax_ce_loss_grad(b: FloatBuilder, node) -> None:
    _reduction(b, node)
    ins = [i for i in node.input if i]
    b.require(len(ins) == 2, f"{len(ins)} inputs (only the two-input form: log_prob, "
              "labels, without dY)")
    shape = b.shape(ins[0])
    b.require(len(shape) == 2, f"log_prob {list(shape)} (only [N, C])")
    lab = _labels(b, ins[1], shape[0])
    y = b.tensor(node.output[0], shape)
    b.op("softmax_ce_grad", [b.onnx_in(ins[0]), lab], [y], batch=int(shape[0]))
    b.set_onnx(node.output[0], y)


def sgd(b: FloatBuilder, node) -> None:
    a = attrs(node)
    b.require(len([i for i in node.input if i]) == 2 and len(node.output) == 1,
              "SGD takes (weight, gradient) and gives the updated weight")
    b.require("lr" in a, "SGD without an lr attribute")
    lr = float(np.float32(a["lr"]))
    w, g = node.input
    shape = b.shape(w)
    b.require(tuple(b.shape(g)) == tuple(shape), f"gradient {list(b.shape(g))} and weight "
              f"{list(shape)} differ in shape")
    step = b.tensor(f"{node.output[0]}_step", shape)
    b.op("mul", [b.const(f"{node.output[0]}_lr", np.float32(lr)), b.onnx_in(g)], [step],
         name=f"{node.output[0]}_lr_mul")
    y = b.tensor(node.output[0], shape)
    b.op("sub", [b.onnx_in(w), step], [y])
    b.set_onnx(node.output[0], y)
    if b.is_const(w):
        b.train_updates.append([b.onnx_in(w), y])


def in_place_updates(b: FloatBuilder) -> list[list[str]]:
    """The SGD updates a C step may write over their parameters: all of them, unless some
    op reads a parameter through a transformed copy (then none, with a note: the step
    still gives the new values as its outputs, the parameters stay constants)."""
    ir_to_onnx = {ir: name for name, ir in b.const_names.items()}
    copied = sorted(ir_to_onnx[p] for p, _ in b.train_updates if ir_to_onnx[p] in b.derived)
    if copied:
        b.notes.append(f"parameter '{copied[0]}' is read through a transformed copy: the "
                       "parameters stay constants (the step gives their new values)")
        return []
    return b.train_updates


def _bias_gelu_input(b: FloatBuilder, x: str) -> str:
    """The Gelu's input when ``x`` only reaches a Gelu through a constant bias Add: ONNX
    Runtime's BiasGeluGrad_dX(dY, X, B) split into a GeluGrad that kept X without B
    (Deeploy's CCT training graph; its outputs.npz is the derivative at X + B)."""
    users = [n for n in b.graph_nodes if x in n.input and n.op_type != "GeluGrad"]
    if len(users) != 1 or users[0].op_type != "Add" or len(users[0].input) != 2:
        return x
    add = users[0]
    other = add.input[1] if add.input[0] == x else add.input[0]
    gelus = [n for n in b.graph_nodes if add.output[0] in n.input]
    if not b.is_const(other) or not gelus or any(n.op_type != "Gelu" for n in gelus):
        return x
    b.notes.append(f"GeluGrad of '{x}': taken at the Gelu's input '{add.output[0]}' "
                   "(X plus its bias, as ONNX Runtime's BiasGeluGrad), not at X")
    return add.output[0]


def gelu_grad(b: FloatBuilder, node) -> None:
    """com.microsoft GeluGrad (dY, X) -> dX (the erf-form Gelu)."""
    dy, x = node.input[0], node.input[1]
    x = _bias_gelu_input(b, x)
    shape = b.shape(x)
    b.require(tuple(b.shape(dy)) == tuple(shape), "dY and X of different shapes")
    y = b.tensor(node.output[0], shape)
    b.op("gelu_grad", [b.onnx_in(dy), b.onnx_in(x)], [y])
    b.set_onnx(node.output[0], y)


def layer_norm_grad(b: FloatBuilder, node) -> None:
    """com.microsoft LayerNormalizationGrad in Deeploy's form (dY, X, scale[, bias]) ->
    dX, the statistics recomputed from X (ONNX Runtime's form takes the saved mean and
    inverse deviation and gives dScale and dBias too: refused)."""
    a = attrs(node)
    outs = [o for o in node.output if o]
    b.require(len(outs) == 1, "only dX is computed (not dScale/dBias)")
    ins = list(node.input)
    b.require(len(ins) in (3, 4), f"{len(ins)} inputs (Deeploy's form: dY, X, scale, bias)")
    b.require(ins[2] in b.consts or len(b.shape(ins[2])) == 1,
              "scale must be 1-D")
    shape = tuple(b.shape(ins[1]))
    axis = int(a.get("axis", -1)) % len(shape)
    b.require(axis == len(shape) - 1, f"axis {axis} (the last axis only)")
    b.require(tuple(b.shape(ins[0])) == shape, "dY and X of different shapes")
    inner = int(shape[-1])
    b.require(int(np.prod(b.shape(ins[2]))) == inner, f"scale of {b.shape(ins[2])} for "
              f"rows of {inner}")
    y = b.tensor(node.output[0], shape)
    b.op("norm_grad", [b.onnx_in(ins[0]), b.onnx_in(ins[1]), b.onnx_in(ins[2])], [y],
         inner=inner, epsilon=float(np.float32(a.get("epsilon", 1e-5))))
    b.set_onnx(node.output[0], y)


HANDLERS = {"GeluGrad": gelu_grad, "LayerNormalizationGrad": layer_norm_grad,
            "SoftmaxCrossEntropyLoss": softmax_ce_loss,
            "SoftmaxCrossEntropyLossGrad": softmax_ce_loss_grad, "SGD": sgd}
