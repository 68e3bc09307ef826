"""benchmarks/tflm_reference.py reproduces the TFLM minimal arenas stated in the models README."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import REPO, model_path

_spec = importlib.util.spec_from_file_location("tflm_reference",
                                               REPO / "benchmarks" / "tflm_reference.py")
tflm_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tflm_reference)

# ../shared/models/README.md, "TensorFlow Lite Micro minimal arena" column.
README_ARENAS = {"ad_autoencoder_int8": 4_632, "kws_dscnn_int8": 24_272}


@pytest.mark.parametrize("name", sorted(README_ARENAS))
def test_tflm_min_arena_matches_models_readme_and_one_byte_less_fails(name):
    data = model_path(name + ".tflite").read_bytes()
    arena = tflm_reference.tflm_min_arena(data)
    assert arena == README_ARENAS[name]
    assert tflm_reference._runs_in_child(data, arena, 1)
    assert not tflm_reference._runs_in_child(data, arena - 1, 1)


def test_tflm_inference_time_is_a_positive_median():
    data = model_path("ad_autoencoder_int8.tflite").read_bytes()
    t = tflm_reference.tflm_inference_time(data, n=5)
    assert t > 0
