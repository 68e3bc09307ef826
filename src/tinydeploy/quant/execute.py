"""Run a whole IR graph with the numpy goldens (the reference the C code must match)."""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import TinyDeployError, naming
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.ir.ops import OPS
from tinydeploy.quant.golden import golden


def prepare_all(g: Graph) -> dict[str, object]:
    """Kernel args of every op, by op name (None for ops without a kernel, e.g. reshape).

    An op the kernels cannot compute (its prepare refuses it) is an error naming the
    graph's source file and the op."""
    args = {}
    for op in g.ops:
        with naming(g.source or None, op.name, op.kind):
            check_inputs(op)
            args[op.name] = golden(op.kind, op.name).prepare(g, op)
    return args


def check_inputs(op: Op) -> None:
    """The op has the inputs its kind's OpDef lists, so its golden can index them: every
    role but a trailing bias present and named (variadic ops: at least one)."""
    d = OPS.get(op.kind)
    if d is None:
        return                   # golden() names the unknown kind
    ins = list(op.inputs)
    if d.inputs == ("*",):
        ok = bool(ins) and all(ins)
        need = "at least one input"
    else:
        required = [r for r in d.inputs if r != "bias"]
        ok = len(required) <= len(ins) and all(ins[:len(required)])
        need = f"inputs ({', '.join(d.inputs)})"
    if not ok:
        raise TinyDeployError(f"{op.kind} needs {need}, got {ins}")


def run_graph(g: Graph, inputs: dict[str, np.ndarray] | list[np.ndarray],
              args: dict[str, object] | None = None) -> dict[str, np.ndarray]:
    """Evaluate ``g``; returns every tensor's value by name (activations and outputs).

    ``inputs`` are arrays in the graph inputs' dtype and shape (a list in graph-input order
    or a dict by name).
    """
    if not isinstance(inputs, dict):
        inputs = dict(zip(g.inputs, inputs))
    args = args if args is not None else prepare_all(g)
    env: dict[str, np.ndarray] = {}
    for name in g.inputs:
        t = g.t(name)
        x = np.asarray(inputs[name])
        assert x.dtype == t.np_dtype, f"input {name}: {x.dtype} != {t.dtype}"
        env[name] = x.reshape(t.shape)
    for op in g.ops:
        ins = [None if not n else env[n] if n in env else g.t(n).data for n in op.inputs]
        y = golden(op.kind, op.name).run(args[op.name], *ins)
        out = g.t(op.outputs[0])
        y = np.asarray(y)
        assert y.dtype == out.np_dtype, f"{op.name}: golden gave {y.dtype}, IR says {out.dtype}"
        env[op.outputs[0]] = y.reshape(out.shape)
    return env
