"""The lookup tables of TFLite's int16 softmax, logistic and tanh, and their lookups.

- :data:`SIGMOID_Q16`: sigmoid(i / 24) in 0.16 fixed point, i = 0..255, the table TFLite
  Micro's int16 LOGISTIC and TANH interpolate. It is not a plain rounding of the formula
  (44 entries differ by one), so it is data here, as TFLite Micro's TANH kernel shows it
  (``tests/golden/derive_sigmoid_table.py`` reads it back; a test compares).
- :func:`softmax_luts`: the two 513-entry tables of the int16 softmax, ``exp(x)`` on
  [-10, 0] and ``1 / (1 + x)`` on [0, 1], both built the way TFLite's ``LUTPopulate``
  builds them: in float32, 512 samples plus the end point, each sample corrected by half
  the interpolation error at the interval midpoint. ``exp`` is the correctly rounded
  float32 exponential (glibc's ``expf`` differs from it on one sample, which changes no
  table entry; a test checks).
- :func:`lut_lookup`: TFLite's ``LUTLookup``: the high 9 bits of an int16 pick an
  interval, the low 7 bits interpolate linearly (rounded).
"""

from __future__ import annotations

import functools
import math

import numpy as np

SIGMOID_Q16 = np.array([
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535
], dtype=np.uint16)

LUT_SIZE = 513
_F = np.float32


def _round(v) -> np.float32:
    """TfLiteRound on a float32 (std::round: half away from zero)."""
    v = _F(v)
    return _F(math.copysign(math.floor(abs(float(v)) + 0.5), float(v)))


def _expf(v) -> np.float32:
    return _F(math.exp(float(v)))


def _one_over_one_plus(v) -> np.float32:
    return _F(1) / (_F(1) + _F(v))


def populate(transform, input_scale, input_zp: int, output_scale, output_zp: int
             ) -> np.ndarray:
    """TFLite's ``LUTPopulateInt16<float>``: a 513-entry int16 table of ``transform``."""
    s_in, s_out = _F(input_scale), _F(output_scale)
    in_min, in_max = s_in * _F(-32768 - input_zp), s_in * _F(32767 - input_zp)
    out_min, out_max = s_out * _F(-32768 - output_zp), s_out * _F(32767 - output_zp)
    step = (in_max - in_min) / _F(512)
    half = step / _F(2)
    inv = _F(65536) / (out_max - out_min)
    lut = np.zeros(LUT_SIZE, dtype=np.int16)
    for i in range(512):
        val = transform(in_min + _F(i) * step)
        mid = transform(in_min + _F(i) * step + half)
        nxt = transform(in_min + _F(i + 1) * step)
        sample = _round(val * inv)
        interp = _round((nxt * inv + _round(val * inv)) / _F(2))
        err = interp - _round(mid * inv)
        bias = _round(err / _F(2))
        lut[i] = int(min(max(sample - bias, _F(-32768)), _F(32767)))
    lut[512] = int(min(max(_round(transform(in_max) * inv), _F(-32768)), _F(32767)))
    return lut


@functools.cache
def softmax_luts() -> tuple[np.ndarray, np.ndarray]:
    """(exp table, 1/(1+x) table) of TFLite's int16 softmax (fixed: scale independent)."""
    span = 65535                                       # int16 max - int16 min
    exp_lut = populate(_expf, _F(10.0) / _F(span), 32767, _F(2.0) / _F(span), 0)
    inv_lut = populate(_one_over_one_plus, _F(1.0) / _F(span), -32768, _F(2.0) / _F(span), 0)
    return exp_lut, inv_lut


def lut_lookup(value, lut: np.ndarray) -> np.ndarray:
    """TFLite's ``LUTLookup`` of int16 values (vectorized): base + rounded slope."""
    v = np.asarray(value, dtype=np.int64)
    index = 256 + (v >> 7)
    offset = v & 0x7F
    t = lut.astype(np.int64)
    base = t[index]
    slope = ((t[index + 1] - base + 2**15) % 2**16) - 2**15     # stored as int16_t
    return ((base + ((slope * offset + 64) >> 7) + 2**15) % 2**16 - 2**15).astype(np.int64)
