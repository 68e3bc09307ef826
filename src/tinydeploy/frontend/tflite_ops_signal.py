"""Rows of the TFLite op table (:data:`tinydeploy.frontend.tflite_ops.OPS`) for TFLite
Micro's signal library: the custom operators (``CUSTOM(Signal...)``) of the micro_speech
audio front end, int8 loader only. Their options are flexbuffer maps (TFLM reads the
values in key order); each becomes the IR ``signal_*`` kind of the same name
(:mod:`tinydeploy.ir.ops.signal`). The spectral subtraction's noise estimate (its second
output) is TFLM's persistent state: the graph holds it across calls
(``graph.meta["state"]``, set by the int8 loader).
"""

from __future__ import annotations

from tinydeploy.frontend.tflite_ops import INT8, OPS, OpConverter, OpSpec

_I16 = (-2**15, 2**15 - 1)
_BITS = (0, 31)
_POS = (1, 2**31 - 1)

# custom op -> (IR kind, inputs (min, max), outputs, {option: (IR attr, (lo, hi))})
_SIGNAL = {
    "SignalWindow": ("signal_window", (2, 2), 1, {"shift": ("shift", _BITS)}),
    "SignalFftAutoScale": ("signal_fft_auto_scale", (1, 1), 2, {}),
    "SignalRfft": ("signal_rfft", (1, 1), 1, {"fft_length": ("fft_length", (2, 2**16))}),
    "SignalEnergy": ("signal_energy", (1, 1), 1,
                     {"start_index": ("start_index", (0, 2**16)),
                      "end_index": ("end_index", (0, 2**16))}),
    "SignalFilterBank": ("signal_filter_bank", (6, 6), 1,
                         {"num_channels": ("num_channels", _POS)}),
    "SignalFilterBankSquareRoot": ("signal_filter_bank_square_root", (2, 2), 1, {}),
    "SignalFilterBankSpectralSubtraction": (
        "signal_filter_bank_spectral_subtraction", (1, 1), 2,
        {"num_channels": ("num_channels", _POS),
         "smoothing": ("smoothing", _I16),
         "one_minus_smoothing": ("one_minus_smoothing", _I16),
         "alternate_smoothing": ("alternate_smoothing", _I16),
         "alternate_one_minus_smoothing": ("alternate_one_minus_smoothing", _I16),
         "smoothing_bits": ("smoothing_bits", _BITS),
         "min_signal_remaining": ("min_signal_remaining", _I16),
         "clamping": ("clamping", (0, 1)),
         "spectral_subtraction_bits": ("spectral_subtraction_bits", _BITS)}),
    "SignalPCAN": ("signal_pcan", (3, 3), 1, {"snr_shift": ("snr_shift", _BITS)}),
    "SignalFilterBankLog": ("signal_filter_bank_log", (1, 1), 1,
                            {"output_scale": ("output_scale", (0, 2**31 - 1)),
                             "input_correction_bits": ("input_correction_bits", _BITS)}),
}


def _signal(c: OpConverter, spec: OpSpec) -> None:
    kind, _, n_out, options = _SIGNAL[c.opname[len("CUSTOM("):-1]]
    if len(c.outs) != n_out:
        c.fail(f"{c.opname} has {n_out} output(s), got {len(c.outs)}", unsupported=False)
    opts = c.custom_options()
    attrs = {}
    for key, (attr, (lo, hi)) in options.items():
        v = opts.get(key)
        if key == "clamping" and isinstance(v, bool):
            v = int(v)
        if v is None:
            c.fail(f"custom option '{key}' missing", unsupported=False)
        attrs[attr] = c.custom_int({key: v}, key, lo, hi)
    ins = [c.input(i) for i in range(len(c.ins))]
    outs = [c.output(i) for i in range(n_out)]
    c.add(kind, ins, outputs=outs, **attrs)


ROWS: dict[str, OpSpec] = {
    f"CUSTOM({name})": OpSpec(kind, _signal, loaders=frozenset({INT8}), n_inputs=n_in,
                              many_outputs=n_out > 1)
    for name, (kind, n_in, n_out, _) in _SIGNAL.items()
}
OPS.update(ROWS)
