"""Rows of the TFLite op table (:data:`tinydeploy.frontend.tflite_ops.OPS`) for recurrent
layers: UNIDIRECTIONAL_SEQUENCE_LSTM as TFLite Micro runs it (the standard LSTM: no
peephole, projection or layer norm; tanh cell gate; int8 and 16x8, and float32 in the
float loader: TFLite Micro's float LSTM) and SVDF, int8 loader only.

Their state is held in TFLite *variable* tensors (LSTM: the hidden and cell state, inputs
18 and 19; SVDF: input 4): they become the IR op's further outputs, which the graph holds
across calls (``graph.meta["state"]``, set by the int8 loader for every such op and by
the float loader for the LSTM).
"""

from __future__ import annotations

import tflite

from tinydeploy.frontend.tflite_ops import BOTH, INT8, OPS, OpConverter, OpSpec

_ABSENT = {9: "peephole", 10: "peephole", 11: "peephole", 16: "projection",
           17: "projection", 20: "layer norm", 21: "layer norm", 22: "layer norm",
           23: "layer norm"}


def _lstm(c: OpConverter, spec: OpSpec) -> None:
    o = c.options(spec.options)
    if o.AsymmetricQuantizeInputs():
        c.fail("UNIDIRECTIONAL_SEQUENCE_LSTM with asymmetric input quantization (hybrid)")
    if o.DiagonalRecurrentTensors():
        c.fail("UNIDIRECTIONAL_SEQUENCE_LSTM with diagonal recurrent weights")
    if o.FusedActivationFunction() != tflite.ActivationFunctionType.TANH:
        c.fail(f"UNIDIRECTIONAL_SEQUENCE_LSTM cell activation {o.FusedActivationFunction()} "
               "(TFLite Micro's LSTM takes TANH)")
    for n, what in _ABSENT.items():
        if c.ins[n] >= 0:
            c.fail(f"UNIDIRECTIONAL_SEQUENCE_LSTM with {what} (input {n}): TFLite Micro's "
                   "LSTM is the standard one")
    weights = [c.weights(n).name for n in range(1, 9)]
    biases = [c.bias(n) for n in range(12, 16)]
    if not all(biases):
        c.fail("UNIDIRECTIONAL_SEQUENCE_LSTM without a gate bias", unsupported=False)
    h, cs = _state(c, 18, "hidden state"), _state(c, 19, "cell state")
    c.require_rank(c.t(c.input(0)), (3,), "input")
    c.add(spec.kind, (c.input(0), *weights, *biases), outputs=(c.output(), h, cs),
          time_major=bool(o.TimeMajor()), cell_act="tanh", cell_clip=float(o.CellClip()))


def _state(c: OpConverter, n: int, what: str) -> str:
    """IR name of the variable tensor at input ``n`` (the op's state)."""
    if n >= len(c.ins) or c.ins[n] < 0 or not c.model.tensors[c.ins[n]].variable:
        c.fail(f"the {what} (input {n}) must be a variable tensor", unsupported=False)
    if c.ins[n] in c.model.inputs or c.ins[n] in c.model.outputs:
        c.fail(f"the {what} (input {n}) is a graph input or output")
    c.variables_ok = True
    try:
        return c.input(n)
    finally:
        c.variables_ok = False


def _svdf(c: OpConverter, spec: OpSpec) -> None:
    """SVDF: input, feature weights, time weights, bias, the state (a variable)."""
    o = c.options(spec.options)
    if o.AsymmetricQuantizeInputs():
        c.fail("SVDF with asymmetric input quantization (hybrid)")
    if len(c.ins) < 5 or c.ins[3] < 0:
        c.fail("SVDF without a bias (TFLite Micro's int8 SVDF needs one)")
    state = _state(c, 4, "state")
    c.add(spec.kind, (c.input(0), c.weights(1).name, c.t(c.input(2)).name, c.bias(3)),
          outputs=(c.output(), state), rank=int(o.Rank()))


ROWS: dict[str, OpSpec] = {
    "SVDF": OpSpec("svdf", _svdf, tflite.SVDFOptions, loaders=frozenset({INT8}),
                   n_inputs=(5, 5)),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": OpSpec("lstm", _lstm,
                                           tflite.UnidirectionalSequenceLSTMOptions,
                                           loaders=BOTH, n_inputs=(24, 24)),
}
OPS.update(ROWS)
