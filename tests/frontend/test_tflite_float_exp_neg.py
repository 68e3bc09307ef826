"""TFLite Micro's EXP and NEG, which it runs in float32 only: a float model with both
compiles (float ``unary`` kernels) and its C (ASan/UBSan) equals TFLite Micro bit for bit;
an int8 EXP/NEG is refused naming the node, as TFLM refuses it."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tinydeploy
from tests.tflite_writer import TFLiteBuilder, run_tflm
from tinydeploy.check import hostrun
from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import QuantParams

pytestmark = pytest.mark.cc


def test_float_exp_and_neg_equal_tflm_bit_for_bit(tmp_path):
    w = TFLiteBuilder()
    x = w.tensor("x", (2, 24), "float32")
    e, n, ne = (w.tensor(k, (2, 24), "float32") for k in ("e", "n", "ne"))
    w.op("EXP", [x], [e])
    w.op("NEG", [x], [n])
    w.op("EXP", [n], [ne])
    model = w.finish([x], [e, n, ne])
    path = tmp_path / "exp_neg.tflite"
    path.write_bytes(model)
    rng = np.random.default_rng(0)
    xs = [rng.normal(0, 4, (2, 24)).astype(np.float32),
          np.array([[0.0, -0.0, 1e-30, -1e-30, 88.7, -88.7, 89.0, -104.0, 1.0, -1.0, 0.5,
                     3.0] * 2] * 2, np.float32)]
    tinydeploy.compile(path, tmp_path / "p")
    exe = hostrun.build(tmp_path / "p", sanitize=True)
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    got = hostrun.run(exe, manifest, [[v] for v in xs])
    for v, c in zip(xs, got):
        want = run_tflm(model, [v])
        for k, (a, b) in enumerate(zip(want, c)):
            assert np.array_equal(a.view(np.uint32), b.reshape(a.shape).view(np.uint32)), \
                f"output {k}: C != TFLM"


@pytest.mark.parametrize("opname", ["EXP", "NEG"])
def test_int8_exp_and_neg_are_refused_as_tflm_does(tmp_path, opname):
    w = TFLiteBuilder()
    q = QuantParams.make(0.05, 0)
    x, y = w.tensor("x", (1, 4), "int8", q), w.tensor("y", (1, 4), "int8", q)
    w.op(opname, [x], [y])
    path = tmp_path / "m.tflite"
    path.write_bytes(w.finish([x], [y]))
    with pytest.raises(UnsupportedError, match=f"0_{opname}.*TFLite Micro's {opname} is "
                                               "float32 only"):
        tinydeploy.compile(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()
