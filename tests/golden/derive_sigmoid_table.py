"""Derive TFLite Micro's int16 sigmoid table from its TANH kernel (test-only helper).

TFLite Micro's int16 LOGISTIC and TANH interpolate a 256-entry table of sigmoid values
in 0.16 fixed point (``sigmoid_table_uint16``); it is not a plain rounding of
``65536 / (1 + exp(-i / 24))`` (44 entries differ by one), so the golden keeps it as data
(:mod:`tinydeploy.quant.golden.int16.luts`). This module reads it back from the reference
interpreter, so a test can check the golden's copy entry by entry.

With input scale ``4/3 * 2**-13`` TANH rescales ``x`` to ``2x`` exactly (multiplier
16384, shift 13); for ``x = 128 k`` the interpolation position is table entry ``k`` with
fraction 0, where the output is ``table[k] - 32768``. The last entry only serves as the
upper end of the last interval; its difference to entry 254 follows from the outputs
inside that interval (fraction ``2 j / 256``: ``floor((2 j d + 128) / 256)``).
"""

from __future__ import annotations

import numpy as np

from tinydeploy.ir.graph import Graph, Op, QuantParams, Tensor

INPUT_SCALE = float(np.float32(4.0 / 3.0 * 2.0**-13))


def _tanh_model(n: int) -> bytes:
    from tests.tflite_writer import graph_to_tflite

    x = Tensor("x", (n,), "int16", QuantParams.make(INPUT_SCALE, 0))
    y = Tensor("y", (n,), "int16", QuantParams.make(2.0**-15, 0))
    g = Graph("tanh_probe", {"x": x, "y": y}, [Op("tanh", "tanh", ("x",), ("y",))], ["x"],
              ["y"])
    return graph_to_tflite(g)


def derive_sigmoid_table() -> np.ndarray:
    """The 256 uint16 entries, as TFLite Micro's TANH uses them."""
    from tests.tflite_writer import run_tflm

    x = np.arange(0, 32768, dtype=np.int64)
    out = run_tflm(_tanh_model(x.size), [x.astype(np.int16)])[0].astype(np.int64)
    table = np.zeros(256, dtype=np.int64)
    table[:255] = out[128 * np.arange(255)] + 32768
    j = np.arange(1, 128)
    inside = out[128 * 254 + j] - (table[254] - 32768)
    fits = [d for d in range(0, 64) if np.array_equal((2 * j * d + 128) // 256, inside)]
    assert len(fits) == 1, fits
    table[255] = table[254] + fits[0]
    return table.astype(np.uint16)


if __name__ == "__main__":
    print(", ".join(str(v) for v in derive_sigmoid_table()))
