"""Whole MLPerf Tiny models: compile, build with -Werror, run, bit-exact vs TFLite Micro."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import model_path
from tinydeploy.compiler import compile_model
from tinydeploy.check.validate import validate

MODELS = ["kws_dscnn_int8", "vww_mobilenet_int8", "ic_resnet8_int8", "ad_autoencoder_int8"]


@pytest.mark.parametrize("name", MODELS)
def test_model_bit_exact_with_tflm_on_20_inputs(name, tmp_path):
    model = model_path(name + ".tflite")
    compile_model(model, tmp_path / name)
    v = validate(tmp_path / name, n=20, seed=1)
    print(f"{name}: {v.inputs} inputs, C vs {v.reference} max |diff| "
          f"{v.c_vs_reference_max_lsb} LSB, messages={v.messages}")
    assert v.inputs == 20
    assert v.c_vs_golden_exact, v.messages
    assert v.c_vs_reference_max_lsb == 0, v.messages
    assert v.c_vs_reference_exact_fraction == 1.0


@pytest.mark.parametrize("name", MODELS)
def test_model_clean_under_asan_ubsan(name, tmp_path):
    model = model_path(name + ".tflite")
    compile_model(model, tmp_path / name)
    v = validate(tmp_path / name, n=2, seed=2, sanitize=True)
    assert v.ok, v.messages


def test_streaming_wakeword_extra_model_bit_exact(tmp_path):
    model = model_path("extra/sww_streaming_wakeword_int8.tflite")
    compile_model(model, tmp_path / "sww")
    v = validate(tmp_path / "sww", n=5, seed=3)
    assert v.ok, v.messages


def test_user_npy_inputs_are_validated_too(tmp_path):
    model = model_path("kws_dscnn_int8.tflite")
    compile_model(model, tmp_path / "kws")
    x = np.random.default_rng(7).integers(-128, 128, size=(3, 1, 49, 10, 1)).astype(np.int8)
    np.save(tmp_path / "x.npy", x)
    v = validate(tmp_path / "kws", n=0, npy=[str(tmp_path / "x.npy")])
    assert v.inputs == 3
    assert v.ok, v.messages
