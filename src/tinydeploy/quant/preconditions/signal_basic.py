"""Rules of the element-wise signal kernels of TFLite Micro's audio front end:
``td_signal_window``, ``td_signal_fft_auto_scale``, ``td_signal_energy``,
``td_signal_filter_bank_square_root`` and ``td_signal_filter_bank_log``
(``runtime/kernels/td_signal_*.h``; goldens ``quant/golden/signal_*.py``)."""

from __future__ import annotations

from tinydeploy.quant.preconditions import Operand, Spec, _Check, register


def _window(c: _Check) -> Spec:
    """td_signal_window: whole windows over the flat input, an int32 product shifted."""
    a = c.a
    c.positive("size", "window")
    n, w = c.product("elements", a.size), int(a.window)
    if n % w:
        c.fail(f"size = {n} is not a multiple of window = {w}: the last window would "
               "run past the input")
    c.within("shift", 0, 31, "a right shift of an int32")
    return Spec([Operand("input", 2 * n, ("int16",)), Operand("weights", 2 * w, ("int16",))],
                Operand("output", 2 * n, ("int16",)))


def _fft_auto_scale(c: _Check) -> Spec:
    """td_signal_fft_auto_scale: int16 in and out of one size (plus the int32 scale)."""
    c.positive("size")
    n = c.product("elements", c.a.size)
    return Spec([Operand("input", 2 * n, ("int16",))], Operand("output", 2 * n, ("int16",)))


def _energy(c: _Check) -> Spec:
    """td_signal_energy: the bins written lie within the spectrum and the output."""
    a = c.a
    c.positive("in_size", "size")
    n_in, n = c.product("input elements", a.in_size), c.product("output elements", a.size)
    start = c.within("start_index", 0, 2**31 - 1, "a bin index")
    end = c.within("end_index", start, 2**31 - 1, "one past the last bin, >= start_index")
    if end > start and end > min(n, n_in // 2):
        c.fail(f"end_index = {end} past the {n_in // 2} bins of the input or the {n} "
               "elements of the output")
    return Spec([Operand("input", 2 * n_in, ("int16",))], Operand("output", 4 * n, ("uint32",)))


def _square_root(c: _Check) -> Spec:
    """td_signal_filter_bank_square_root: uint64 channels, an int32 shift, uint32 out."""
    c.positive("size")
    n = c.product("channels", c.a.size)
    return Spec([Operand("input", 8 * n, ("uint64",)), Operand("scale_bits", 4, ("int32",))],
                Operand("output", 4 * n, ("uint32",)))


def _log(c: _Check) -> Spec:
    """td_signal_filter_bank_log: a uint32 left shift, Log32 with its 129-entry table."""
    c.positive("size")
    n = c.product("channels", c.a.size)
    c.within("correction_bits", 0, 31, "a left shift of a uint32")
    c.within("output_scale", 0, 2**31 - 1, "TFLM's non-negative int scale")
    c.array("lut", 129)
    return Spec([Operand("input", 4 * n, ("uint32",))], Operand("output", 2 * n, ("int16",)))


register("td_signal_window", _window)
register("td_signal_fft_auto_scale", _fft_auto_scale)
register("td_signal_energy", _energy)
register("td_signal_filter_bank_square_root", _square_root)
register("td_signal_filter_bank_log", _log)
