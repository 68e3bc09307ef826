"""Rules of the spectral signal kernels of TFLite Micro's audio front end:
``td_signal_rfft_s16`` / ``_s32`` (kissfft's fixed-point real FFT) and
``td_signal_filter_bank``
(``runtime/kernels/td_signal_*.h``; goldens ``quant/golden/signal_rfft.py``,
``signal_filter_bank.py``)."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.golden.signal_filter_bank import table_error
from tinydeploy.quant.preconditions import Operand, Spec, _Check, register

MAX_STAGES = 16                          # TD_RFFT_MAX_STAGES (the leaves' odometer)


def _rfft(bits: int):
    def rule(c: _Check) -> Spec:
        """td_signal_rfft_s16 / _s32: whole frames; kissfft's factor chain of fft_length /
        2 with radices 2..5; twiddle tables of the implied sizes, parts within
        +-SAMP_MAX."""
        return _rfft_rule(c, bits)
    return rule


def _rfft_rule(c: _Check, bits: int) -> Spec:
    a = c.a
    samp_max, dt, nb = (1 << (bits - 1)) - 1, f"int{bits}", bits // 8
    n = c.within("fft_length", 4, 65536, "an even FFT length the kernel indexes in int32")
    if n % 2:
        c.fail(f"fft_length = {n} is odd: kiss_fftr needs an even length")
    c.positive("n_frames")
    length = c.within("input_length", 1, n, "a frame fits the FFT (zero-padded)")
    n_in = c.product("input elements", a.n_frames, length)
    n_out = c.product("output elements", a.n_frames, n + 2)
    s = c.within("n_stages", 1, MAX_STAGES, "the kernel's digit counters")
    f = c.array("factors", 2 * s).astype(np.int64).reshape(s, 2)
    rest = n // 2
    for k, (p, m) in enumerate(f):
        if p not in (2, 3, 4, 5) or p * m != rest:
            c.fail(f"stage {k}: radix {p} x {m} != {rest} or a radix outside 2..5: not "
                   f"kissfft's factors of {n // 2}")
        rest = m
    if rest != 1:
        c.fail(f"the stages end at m = {rest}, not 1")
    for name, size in (("twiddles", n), ("super_twiddles", 2 * (n // 4))):
        t = c.array(name, size)
        if size and int(np.abs(t.astype(np.int64)).max()) > samp_max:
            c.fail(f"{name} has a part of magnitude {samp_max + 1}: kissfft's twiddles are "
                   f"within +-{samp_max} (the sums of two products would overflow)")
    return Spec([Operand("input", nb * n_in, (dt,))], Operand("output", nb * n_out, (dt,)))


def _filter_bank(c: _Check) -> Spec:
    """td_signal_filter_bank: every channel read lies within the input and the weight
    tables (checked on the constant tables when the code generator passes them)."""
    a = c.a
    c.positive("num_channels", "n_out", "n_input", "n_weights", "n_unweights")
    nc = int(a.num_channels)
    if int(a.n_out) > nc:
        c.fail(f"n_out = {int(a.n_out)} > num_channels = {nc}")
    for name in ("n_freq_starts", "n_weight_starts", "n_widths"):
        c.within(name, nc + 1, 2**31 - 1, "a channel table holds num_channels + 1 entries")
    tabs = [c.const(k) for k in range(1, 6)]
    if all(t is not None for t in tabs):
        why = table_error(nc, int(a.n_input), *(np.asarray(t).ravel() for t in tabs))
        if why:
            c.fail(f"{why}: the kernel would read out of bounds")
    i16 = ("int16",)
    return Spec([Operand("input", 4 * int(a.n_input), ("uint32",)),
                 Operand("weights", 2 * int(a.n_weights), i16),
                 Operand("unweights", 2 * int(a.n_unweights), i16),
                 Operand("channel_frequency_starts", 2 * int(a.n_freq_starts), i16),
                 Operand("channel_weight_starts", 2 * int(a.n_weight_starts), i16),
                 Operand("channel_widths", 2 * int(a.n_widths), i16)],
                Operand("output", 8 * int(a.n_out), ("uint64",)))


register("td_signal_rfft_s16", _rfft(16))
register("td_signal_rfft_s32", _rfft(32))
register("td_signal_filter_bank", _filter_bank)
