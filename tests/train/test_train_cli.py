"""`tinydeploy train` on the command line: a project with the training API, the report's
training memory, and bad requests refused with one line naming the file, exit 2, nothing
written."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.conftest import model_path
from tests.train.steps import compile_step, golden_step
from tinydeploy.cli import main
from tinydeploy.ir.training import training

IC = "float/ic_resnet8_float.tflite"


@pytest.mark.models
def test_train_writes_a_project_with_the_training_api(tmp_path, capsys):
    out = tmp_path / "ic"
    assert main(["train", str(model_path(IC)), "--last", "1", "--lr", "0.02", "-o",
                 str(out), "--name", "ic"]) == 0
    said = capsys.readouterr().out
    assert "2 tensors, 2,600 B in RAM" in said
    header = (out / "ic.h").read_text()
    for decl in ("int ic_train_step(const float *input, const int64_t *label);",
                 "float ic_loss(void);", "void *ic_trainable(int32_t i, int32_t *bytes);",
                 "#define IC_TRAINABLE_COUNT 2", "#define IC_TRAINABLE_BYTES 2600",
                 "int ic_run(const float *input, float *output);"):
        assert decl in header, decl
    man = json.loads((out / "manifest.json").read_text())
    assert man["options"]["train"]["last"] == 1 and man["options"]["train"]["lr"] == 0.02
    assert main(["report", str(out), "--json", "-"]) == 0
    rep = json.loads(capsys.readouterr().out)
    tr = rep["training"]
    # the classifier's input (64 floats, for dW) and the logits (10, for the loss)
    assert tr["trainable_bytes"] == 2600 and tr["kept_for_backward_bytes"] == (64 + 10) * 4
    assert tr["inference_layers"] == 16 and tr["training_layers"] > 0
    page = tmp_path / "r.html"
    assert main(["report", str(out), "--html", str(page)]) == 0
    html = page.read_text()
    assert "Training step" in html and "2: 2,600 B" in html


@pytest.mark.models
@pytest.mark.parametrize("args,why", [
    (["--last", "0"], "--last 0"),
    ([], "choose what to train"),
    (["--last", "11"], "the model has 10 layers with weights"),
    (["--trainable", "nope*"], "matches no layer"),
    (["--lora", "65"], "larger than layer"),
    (["--last", "1", "--lr", "nan"], "--lr nan"),
])
def test_bad_training_requests_are_one_line_exit_2_nothing_written(args, why, tmp_path,
                                                                   capsys):
    out = tmp_path / "o"
    assert main(["train", str(model_path(IC)), *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and why in err and "ic_resnet8_float.tflite" in err, err
    assert not out.exists()


@pytest.mark.models
def test_an_integer_model_is_refused(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["train", str(model_path("ic_resnet8_int8.tflite")), "--last", "1", "-o",
                 str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "training needs a float32 model" in err and "\n" not in err
    assert not out.exists()


def _float_mlp(path, middle: str):
    """x [1, 8] -> Gemm -> <middle> -> Gemm -> Softmax, float32."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.normal(0, 0.3, s).astype(np.float32), n)
             for n, s in (("w1", (8, 8)), ("b1", (8,)), ("w2", (4, 8)), ("b2", (4,)))]
    nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1", transB=1),
             helper.make_node(middle, ["h"], ["a"], name="act"),
             helper.make_node("Gemm", ["a", "w2", "b2"], ["z"], name="fc2", transB=1),
             helper.make_node("Softmax", ["z"], ["y"], name="sm", axis=-1)]
    g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1, 8])], [helper.make_tensor_value_info(
            "y", TensorProto.FLOAT, [1, 4])], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def test_an_op_without_a_gradient_rule_is_named_when_training_passes_it(tmp_path, capsys):
    model = _float_mlp(str(tmp_path / "m.onnx"), "Sigmoid")
    out = tmp_path / "o"
    assert main(["train", model, "--trainable", "fc1*", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "'act'" in err and "sigmoid" in err and "m.onnx" in err, err
    assert not out.exists()
    # the classifier alone trains: nothing has to pass the sigmoid
    assert main(["train", model, "--last", "1", "-o", str(out)]) == 0
    assert "2 tensors" in capsys.readouterr().out


def test_a_relu_mlp_from_onnx_trains_every_layer_with_exact_gradients(tmp_path, capsys):
    """ONNX Gemm (transB, bias) -> Relu -> Gemm -> Softmax, all four tensors trained: the
    golden gradients equal central differences of a float64 forward of the MLP."""
    model = _float_mlp(str(tmp_path / "m.onnx"), "Relu")
    assert main(["train", model, "--trainable", "*", "-o", str(tmp_path / "o")]) == 0
    assert "4 tensors, 432 B in RAM" in capsys.readouterr().out
    low = compile_step(model, tmp_path / "p", trainable=["*"])
    g = low.graph
    m = onnx.load(model)
    init = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in m.graph.initializer}
    step = training(g)
    by_data = {p: next(k for k, v in init.items() if v.shape == g.t(p).shape and
                       np.array_equal(v, g.t(p).data)) for p in step.params}
    x = np.random.default_rng(4).normal(0, 1, (1, 8)).astype(np.float32)
    lab = np.array([2], np.int64)

    def loss(p):
        h = np.maximum(x[0] @ p["w1"].T + p["b1"], 0)
        z = h @ p["w2"].T + p["b2"]
        return float(z.max() + np.log(np.exp(z - z.max()).sum()) - z[2])

    _, _, grads, _ = golden_step(g, x, lab)
    for p, name in by_data.items():
        flat = np.zeros(init[name].size)
        for i in range(flat.size):
            up = {k: v.copy() for k, v in init.items()}
            dn = {k: v.copy() for k, v in init.items()}
            up[name].reshape(-1)[i] += 1e-6
            dn[name].reshape(-1)[i] -= 1e-6
            flat[i] = (loss(up) - loss(dn)) / 2e-6
        np.testing.assert_allclose(grads[p].reshape(-1), flat, rtol=1e-4, atol=1e-6,
                                   err_msg=name)
