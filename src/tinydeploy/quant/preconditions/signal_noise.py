"""Rules of the noise kernels of TFLite Micro's signal library (the micro_speech front end):
``td_signal_spectral_subtraction`` (noise estimate and subtraction) and ``td_signal_pcan``
(per-channel gain control by a LUT indexed by the noise estimate)."""

from __future__ import annotations

from tinydeploy.quant.preconditions import Operand, Spec, _Check, register

PCAN_LUT_MIN = 4 * 32 - 3         # a uint32 noise estimate indexes the LUT up to 124


def _spectral_subtraction(c: _Check) -> Spec:
    """td_signal_spectral_subtraction: per channel, uint32 shifts by smoothing_bits and
    uint64 products shifted by spectral_subtraction_bits (both below 32 bits)."""
    c.positive("num_channels")
    n = c.product("channel bytes", c.a.num_channels, 4) // 4
    c.within("smoothing_bits", 0, 31, "a shift of a uint32 value")
    c.within("spectral_subtraction_bits", 0, 31, "a right shift (TFLM's options allow 0..31)")
    c.within("clamping", 0, 1, "a 0/1 flag")
    # the noise estimate (the second output, the state) is one more num_channels buffer:
    # the code generator passes it as the op's state tensor of that size (prepare checks)
    return Spec([Operand("input", 4 * n, ("uint32",))], Operand("output", 4 * n, ("uint32",)))


def _pcan(c: _Check) -> Spec:
    """td_signal_pcan: a LUT read at indices up to 4 * msb(noise) - 4 <= 124, a uint64
    product shifted right by snr_shift."""
    c.positive("num_channels")
    n = c.product("channel bytes", c.a.num_channels, 4) // 4
    lut = c.within("lut_size", PCAN_LUT_MIN, 2**30, f"the gain LUT must hold the "
                   f"{PCAN_LUT_MIN} entries a uint32 noise estimate can index")
    c.within("snr_shift", 0, 31, "a right shift (TFLM's options allow 0..31)")
    ins = [Operand("input", 4 * n, ("uint32",)), Operand("input", 4 * n, ("uint32",)),
           Operand("weights", 2 * lut, ("int16",))]
    return Spec(ins, Operand("output", 4 * n, ("uint32",)))


register("td_signal_spectral_subtraction", _spectral_subtraction)
register("td_signal_pcan", _pcan)
