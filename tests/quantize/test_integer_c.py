"""Integer-deployable numpy == generated C, bit for bit (ASan/UBSan), on small nets and on
one MLPerf Tiny model end to end through the CLI (quantize -> compile -> C)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import model_path
from tests.harness import run_c_graph_many
from tests.quantize.nets import onnx_bn_net, tflite_cnn, tflite_more_ops, write
from tinydeploy.check import hostrun
from tinydeploy.cli import main
from tinydeploy.compiler import compile_model
from tinydeploy.quant.execute import run_graph
from tinydeploy.quantize.calibrate import CalibrationData
from tinydeploy.quantize.driver import quantize_graph
from tinydeploy.quantize.float_graph import load_float_model
from tinydeploy.quantize.plan import make_plan
from tinydeploy.quantize.stages import IntegerStage

NETS = {"tflite_cnn": lambda p: write(p / "n.tflite", tflite_cnn()),
        "tflite_more_ops": lambda p: write(p / "n.tflite", tflite_more_ops()),
        "onnx_bn_net": lambda p: onnx_bn_net(p / "n.onnx")}


@pytest.mark.parametrize("net", list(NETS))
def test_integer_graph_numpy_equals_generated_c(tmp_path, net):
    g = load_float_model(NETS[net](tmp_path))
    rng = np.random.default_rng(0)
    shape = g.t(g.inputs[0]).shape
    calib = rng.normal(0, 1, (32, *shape[1:])).astype(np.float32)
    ig = IntegerStage(make_plan(g, CalibrationData([calib], "test"))).graph
    records = [[rng.normal(0, 1.5, shape).astype(np.float32)] for _ in range(6)]
    outs = run_c_graph_many(ig, records, sanitize=True)
    for rec, c in zip(records, outs):
        want = run_graph(ig, rec)
        for name in ig.outputs:
            assert c[name].tobytes() == want[name].tobytes(), name


def test_mlperf_kws_quantized_by_cli_compiles_to_c_equal_to_the_integer_stage(tmp_path, capsys):
    """End to end on the dynamic-range KWS file: ``tinydeploy quantize`` -> ``compile`` ->
    host C on inputs it was not calibrated on; the bytes equal the integer-deployable
    stage computed in numpy from the same float model and data."""
    src = model_path("float/kws_dscnn_float.tflite")
    rng = np.random.default_rng(0)
    calib = rng.uniform(-120, 25, (48, 49, 10, 1)).astype(np.float32)
    np.save(tmp_path / "calib.npy", calib)
    out = tmp_path / "kws.onnx"
    assert main(["quantize", str(src), "--calib", str(tmp_path / "calib.npy"),
                 "-o", str(out)]) == 0
    assert "re-imports bit-exact" in capsys.readouterr().out
    proj = tmp_path / "kws_c"
    compile_model(out, proj)
    manifest = json.loads((proj / "manifest.json").read_text())
    test = rng.uniform(-120, 25, (4, 1, 49, 10, 1)).astype(np.float32)
    c = hostrun.run(hostrun.build(proj), manifest, [[x] for x in test])
    stage = quantize_graph(load_float_model(src), CalibrationData([calib], "calib.npy")).integer
    want = stage.run([test.reshape(4, 49, 10, 1)])["Identity"].astype(np.float32)
    got = np.stack([rec[0][0] for rec in c])
    assert got.tobytes() == want.tobytes()
