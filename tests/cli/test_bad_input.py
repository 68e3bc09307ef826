"""Bad input: one clear error line naming file, node and reason; exit 2; no output left."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.conftest import model_path
from tests.frontend import onnx_nets as nets
from tinydeploy.cli import main


def _compile_fails(model: Path, tmp_path: Path, capsys) -> str:
    """Compile ``model``, expect one clean error line; returns its reason: the line without
    the prefix and the model's path (which holds tmp_path, named after the test, so words
    in it must not satisfy a check of the reason)."""
    out = tmp_path / "out" / "net"
    rc = main(["compile", str(model), "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.startswith("tinydeploy: error: "), err
    assert len(err.splitlines()) == 1, err
    assert str(model) in err, f"message does not name the file: {err}"
    assert not out.exists(), "partial output left behind"
    leftovers = list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else []
    assert leftovers == [], f"temporary output left behind: {leftovers}"
    return err.removeprefix("tinydeploy: error: ").replace(str(model), "").strip(" :")


def _qdq_model(path: Path, op_type="Conv", dyn_h=False, zp_type=TensorProto.INT8,
               extra_attrs=None):
    """x(float) -> Q -> DQ -> <op> -> Q -> DQ -> y, a minimal QDQ graph."""
    h = "H" if dyn_h else 8
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, h, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, h, 8])
    zp_np = np.int16 if zp_type == TensorProto.INT16 else np.int8
    inits = [numpy_helper.from_array(np.array(0.05, np.float32), "s"),
             numpy_helper.from_array(np.array(0, zp_np), "z"),
             numpy_helper.from_array(np.ones((2, 2, 3, 3), np.int8), "w_q"),
             numpy_helper.from_array(np.full(2, 0.01, np.float32), "w_s"),
             numpy_helper.from_array(np.zeros(2, np.int8), "w_z")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"], name="q_in"),
             helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xf"], name="dq_in"),
             helper.make_node("DequantizeLinear", ["w_q", "w_s", "w_z"], ["wf"], name="dq_w",
                              axis=0)]
    if op_type == "Conv":
        nodes.append(helper.make_node("Conv", ["xf", "wf"], ["yf"], name="the_conv",
                                      pads=[1, 1, 1, 1]))
    else:
        nodes.append(helper.make_node(op_type, ["xf"], ["yf"], name="the_bad_node",
                                      **(extra_attrs or {})))
    nodes += [helper.make_node("QuantizeLinear", ["yf", "s", "z"], ["yq"], name="q_out"),
              helper.make_node("DequantizeLinear", ["yq", "s", "z"], ["y"], name="dq_out")]
    g = helper.make_graph(nodes, "bad", [x], [y], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    onnx.save(m, path)
    return path


def test_truncated_tflite_file(tmp_path, capsys):
    src = model_path("kws_dscnn_int8.tflite").read_bytes()
    bad = tmp_path / "model.tflite"
    bad.write_bytes(src[: len(src) // 3])
    reason = _compile_fails(bad, tmp_path, capsys)
    assert "truncated" in reason


def test_corrupt_onnx_file(tmp_path, capsys):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4000).astype(np.uint8).tobytes())
    reason = _compile_fails(bad, tmp_path, capsys)
    assert "ONNX" in reason and "corrupt" in reason


def test_unknown_extension(tmp_path, capsys):
    bad = tmp_path / "model.pb"
    bad.write_bytes(b"\x00" * 64)
    reason = _compile_fails(bad, tmp_path, capsys)
    assert "extension" in reason and "'.pb'" in reason


def test_unsupported_operator_of_a_float_model(tmp_path, capsys):
    # float models compile (issue 12); an operator without a float kernel is one line
    p = nets.float_net(tmp_path / "float.onnx")
    m = onnx.load(p)
    relu = next(n for n in m.graph.node if n.op_type == "Relu")
    relu.op_type, relu.name = "Hardmax", "the_float_node"
    onnx.save(m, p)
    reason = _compile_fails(p, tmp_path, capsys)
    assert "'the_float_node'" in reason and "Hardmax" in reason and "unsupported" in reason


def test_unsupported_op_is_named_with_its_node(tmp_path, capsys):
    bad = _qdq_model(tmp_path / "model.onnx", op_type="Hardmax")
    reason = _compile_fails(bad, tmp_path, capsys)
    assert "'the_bad_node'" in reason and "Hardmax" in reason and "unsupported" in reason


def test_dynamic_shape(tmp_path, capsys):
    bad = _qdq_model(tmp_path / "model.onnx", dyn_h=True)
    reason = _compile_fails(bad, tmp_path, capsys)
    assert "'x'" in reason and ("dynamic" in reason.lower() or "unknown" in reason.lower())


def test_unsupported_dtype(tmp_path, capsys):
    bad = _qdq_model(tmp_path / "model.onnx", zp_type=TensorProto.INT16)
    reason = _compile_fails(bad, tmp_path, capsys)
    assert "int16" in reason


def test_missing_file(tmp_path, capsys):
    reason = _compile_fails(tmp_path / "model.tflite", tmp_path, capsys)
    assert "no such file" in reason


def test_validate_on_a_non_project_directory(tmp_path, capsys):
    rc = main(["validate", str(tmp_path)])
    assert rc == 2
    assert "manifest.json" in capsys.readouterr().err


@pytest.mark.parametrize("cmd", ["compile", "validate", "report", "demo"])
def test_every_command_has_help(cmd, capsys):
    with pytest.raises(SystemExit) as e:
        main([cmd, "--help"])
    assert e.value.code == 0
    assert "usage: tinydeploy " + cmd in capsys.readouterr().out


def test_a_name_with_control_characters_stays_one_line():
    """Names come from model files and can hold any character (fuzz case 57:1305: an ONNX
    input named '98\\n\\x0299'): the message escapes them; tool output (a compiler's) is the
    only part allowed on further lines."""
    from tinydeploy.errors import TinyDeployError, UnsupportedError
    e = UnsupportedError("input '98\n\x0299' is not computed", file="m.onnx", node="a\rb")
    assert str(e) == "m.onnx: node 'a\\rb': input '98\\n\\x0299' is not computed"
    t = TinyDeployError("C build failed:", file="p", detail="x.c:1: error\nx.c:2: note")
    assert str(t).splitlines() == ["p: C build failed:", "x.c:1: error", "x.c:2: note"]
