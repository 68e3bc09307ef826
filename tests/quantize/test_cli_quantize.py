"""``tinydeploy quantize`` on the command line: output, report, warnings, and bad input
(one error line naming the layer/field, exit 2, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.quantize.nets import onnx_bn_net, onnx_with_op, tflite_cnn, tflite_with_op, write
from tinydeploy.cli import main


@pytest.fixture
def cnn(tmp_path) -> Path:
    return write(tmp_path / "cnn.tflite", tflite_cnn())


@pytest.fixture
def calib(tmp_path) -> Path:
    p = tmp_path / "calib.npy"
    np.save(p, np.random.default_rng(0).normal(0, 1, (16, 8, 8, 3)).astype(np.float32))
    return p


def _fails(argv: list[str], out: Path, capsys) -> str:
    """Run, expect exit 2 with one error line and no output file (nor temporary)."""
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    lines = [ln for ln in err.splitlines() if not ln.startswith("tinydeploy: warning:")]
    assert len(lines) == 1 and lines[0].startswith("tinydeploy: error: "), err
    assert not out.exists()
    assert not [p for p in out.parent.glob(f".{out.name}*")], "temporary file left behind"
    return lines[0]


def test_quantize_writes_the_model_and_says_so(tmp_path, cnn, calib, capsys):
    out = tmp_path / "q" / "cnn_int8.onnx"
    assert main(["quantize", str(cnn), "--calib", str(calib), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert out.is_file() and captured.err == ""
    assert f"wrote {out}" in captured.out and "calibration calib.npy (16 samples)" in captured.out


def test_report_prints_per_layer_sqnr_and_the_final_error(tmp_path, cnn, calib, capsys):
    out = tmp_path / "q.onnx"
    assert main(["quantize", str(cnn), "--calib", str(calib), "--report", "--observer",
                 "percentile", "--bias-correction", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    for col in ("float>fq", "fq>qd", "qd>int", "float>int", "0_CONV_2D", "7_SOFTMAX"):
        assert col in text
    assert "output 'y': final SQNR vs float" in text


def test_no_calibration_data_warns_and_names_the_fallback(tmp_path, cnn, capsys):
    out = tmp_path / "q.onnx"
    assert main(["quantize", str(cnn), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: no calibration data" in err and "synthetic-normal" in err
    assert out.is_file()


def test_unsupported_tflite_op_names_the_layer(tmp_path, calib, capsys):
    src = write(tmp_path / "odd.tflite", tflite_with_op("SQUARED_DIFFERENCE"))
    err = _fails(["quantize", str(src), "--calib", str(calib), "-o",
                  str(tmp_path / "q.onnx")], tmp_path / "q.onnx", capsys)
    assert "node '1_SQUARED_DIFFERENCE'" in err and "unsupported operator" in err
    assert str(src) in err


def test_unsupported_onnx_op_names_the_node(tmp_path, capsys):
    src = onnx_with_op(tmp_path / "odd.onnx", "LeakyRelu")
    err = _fails(["quantize", str(src), "-o", str(tmp_path / "q.onnx")], tmp_path / "q.onnx",
                 capsys)
    assert "node 'odd' (LeakyRelu)" in err and "unsupported operator LeakyRelu" in err


@pytest.mark.parametrize("array,field", [
    (np.zeros((4, 8, 8), np.float32), "shape [4, 8, 8]"),
    (np.zeros((4, 8, 8, 3), np.int8), "dtype int8"),
])
def test_bad_calibration_data_names_the_input(tmp_path, cnn, capsys, array, field):
    np.save(tmp_path / "bad.npy", array)
    out = tmp_path / "q.onnx"
    err = _fails(["quantize", str(cnn), "--calib", str(tmp_path / "bad.npy"), "-o", str(out)],
                 out, capsys)
    assert field in err and "input 'x'" in err and "bad.npy" in err


@pytest.mark.parametrize("config,field", [
    ({"layers": {"*CONV*": {"weights": 3}}}, "'layers.*CONV*.weights' = 3"),
    ({"default": {"activation": 8}}, "'default.activation'"),
    ({"layers": {"no_such_layer": {"weights": 4}}}, "'no_such_layer' matches no layer"),
])
def test_invalid_bits_config_names_the_field(tmp_path, cnn, calib, capsys, config, field):
    (tmp_path / "bits.json").write_text(json.dumps(config))
    out = tmp_path / "q.onnx"
    err = _fails(["quantize", str(cnn), "--calib", str(calib), "--bits",
                  str(tmp_path / "bits.json"), "-o", str(out)], out, capsys)
    assert field in err


def test_failure_leaves_an_existing_output_untouched(tmp_path, cnn, capsys):
    out = tmp_path / "q.onnx"
    out.write_bytes(b"previous")
    np.save(tmp_path / "bad.npy", np.zeros((2, 3), np.float32))
    assert main(["quantize", str(cnn), "--calib", str(tmp_path / "bad.npy"), "-o",
                 str(out)]) == 2
    assert out.read_bytes() == b"previous"
    assert "shape [2, 3]" in capsys.readouterr().err


@pytest.mark.parametrize("argv_tail,msg", [
    (["-o", "q.txt"], "must be an .onnx file"),
    (["--bits", "bits.yaml", "-o", "q.onnx"], ".json or .toml"),
])
def test_bad_arguments_are_one_line_errors(tmp_path, cnn, capsys, argv_tail, msg):
    argv_tail = [str(tmp_path / a) if a.endswith((".txt", ".yaml", ".onnx")) else a
                 for a in argv_tail]
    rc = main(["quantize", str(cnn), *argv_tail])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and msg in err and len(err.splitlines()) == 1


def test_onnx_float_model_quantizes_and_compiles(tmp_path, capsys):
    src = onnx_bn_net(tmp_path / "bn.onnx")
    np.save(tmp_path / "c.npy", np.random.default_rng(0).normal(0, 1, (8, 3, 8, 8))
            .astype(np.float32))
    out = tmp_path / "bn_int8.onnx"
    assert main(["quantize", str(src), "--calib", str(tmp_path / "c.npy"), "-o",
                 str(out)]) == 0
    assert main(["compile", str(out), "-o", str(tmp_path / "proj")]) == 0
    assert (tmp_path / "proj" / "manifest.json").is_file()
