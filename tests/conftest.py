"""Shared fixtures. Model tests skip only when ../shared/models is absent (CI always has it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MODELS_DIR = Path(os.environ.get("TINYDEPLOY_MODELS", REPO.parent / "shared" / "models"))
MLPERF_MODELS = ["kws_dscnn_int8", "vww_mobilenet_int8", "ic_resnet8_int8",
                 "ad_autoencoder_int8"]


def model_path(name: str) -> Path:
    """Path of a shared model; skips the test (saying why) when the folder is absent."""
    if not MODELS_DIR.is_dir():
        pytest.skip(f"shared models folder {MODELS_DIR} is absent")
    p = MODELS_DIR / name
    assert p.exists(), f"{p} missing although {MODELS_DIR} exists"
    return p


@pytest.fixture(params=MLPERF_MODELS)
def mlperf_model(request) -> Path:
    return model_path(request.param + ".tflite")
