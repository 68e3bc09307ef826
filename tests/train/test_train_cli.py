"""`tinydeploy train` on the command line: a project with the training API, the report's
training memory, and bad requests refused with one line naming the file, exit 2, nothing
written."""

from __future__ import annotations

import json

import pytest

from tests.conftest import model_path
from tinydeploy.cli import main

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
