"""Run a whole IR graph with the numpy goldens (the reference the C code must match)."""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import TinyDeployError, naming
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.ir.training import inference_ops, steps_in_place, training, with_values
from tinydeploy.ir.ops import OPS
from tinydeploy.quant.golden import golden
from tinydeploy.quant.golden.float32._common import is_f32
from tinydeploy.quant.golden.float32.lstm import reset_values as lstm_f32_reset
from tinydeploy.quant.golden.lstm import reset_values as lstm_reset
from tinydeploy.quant.golden.signal_filter_bank_spectral_subtraction import \
    reset_values as spectral_subtraction_reset
from tinydeploy.quant.golden.stream_window import reset_values as stream_window_reset
from tinydeploy.quant.golden.svdf import reset_values as svdf_reset


def _lstm_reset(g: Graph, op: Op) -> tuple[np.ndarray, np.ndarray]:
    """An integer LSTM's or a float32 one's (golden/float32/lstm.py: both 0)."""
    return (lstm_f32_reset if is_f32(g, op) else lstm_reset)(g, op)


# the stateful op kinds: (graph, op) -> the reset values of its state outputs (1, 2, ..)
RESETS = {"lstm": _lstm_reset, "svdf": svdf_reset,
          "signal_filter_bank_spectral_subtraction": spectral_subtraction_reset,
          "stream_window": stream_window_reset}      # a causal conv's history (--stream)


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


def initial_state(g: Graph) -> dict[str, np.ndarray]:
    """The values the state tensors (``graph.meta["state"]``: an LSTM's hidden and cell
    state, an SVDF's memory, a spectral subtraction's noise estimate) start from, and
    return to on reset, by name: the stateful op's golden says."""
    out: dict[str, np.ndarray] = {}
    for op in g.ops:
        if op.kind in RESETS:
            out.update(zip(op.outputs[1:], RESETS[op.kind](g, op)))
    return out


def run_stream(g: Graph, records: list, args: dict[str, object] | None = None
               ) -> list[dict[str, np.ndarray]]:
    """:func:`run_graph` of every record in order, as one program runs them: a graph with
    recurrent state carries it from one record to the next, and an ONNX Runtime training
    graph its parameters (each call is a step that updates them in place)."""
    args = args if args is not None else prepare_all(g)
    out, state = [], None
    carry = steps_in_place(g)
    for rec in records:
        env = run_graph(g, rec, args, state=state)
        state = {n: env[n] for n in initial_state(g)}
        out.append(env)
        if carry:
            g = with_values(g, {p: env[u] for p, u in training(g).updates})
    return out


def run_graph(g: Graph, inputs: dict[str, np.ndarray] | list[np.ndarray],
              args: dict[str, object] | None = None,
              state: dict[str, np.ndarray] | None = None,
              labels: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Evaluate ``g``; returns every tensor's value by name (activations and outputs).

    ``inputs`` are arrays in the graph inputs' dtype and shape (a list in graph-input order
    or a dict by name). A graph with state (``graph.meta["state"]``) starts from ``state``
    (default :func:`initial_state`): a stateful op's golden gets the current value of its
    state outputs after its inputs and returns all its outputs; the returned values hold
    the new state (pass them as ``state`` to the next call to stream).

    A training graph whose training part reads labels that are not a graph input
    (:mod:`tinydeploy.ir.training`) runs its inference ops only, unless ``labels`` are
    given: then the whole step (loss, gradients, the parameters' new values).
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
    if any(op.kind in RESETS for op in g.ops):
        env.update({**initial_state(g), **(state or {})})
    ops = list(g.ops)
    step = training(g)
    if step is not None and step.labels is not None:
        if labels is None:
            ops = inference_ops(g)
        else:
            t = g.t(step.labels)
            env[step.labels] = np.asarray(labels, dtype=t.np_dtype).reshape(t.shape)
    for op in ops:
        ins = [None if not n else env[n] if n in env else g.t(n).data for n in op.inputs]
        if op.kind in RESETS:             # its state outputs' current values
            ins += [env[n] for n in op.outputs[1:]]
        ys = golden(op.kind, op.name).run(args[op.name], *ins)
        for n, y in zip(op.outputs, ys if isinstance(ys, tuple) else (ys,)):
            out = g.t(n)
            y = np.asarray(y)
            assert y.dtype == out.np_dtype, f"{op.name}: golden gave {y.dtype}, IR says " \
                                            f"{out.dtype}"
            env[n] = y.reshape(out.shape)
    return env
