"""Every network in ../shared/models/pulp: compiled for the host, its C (per-layer dump
build) matches every golden layer bit for bit; where onnxruntime can run the file, the C
outputs and every intermediate layer match it on 10 seeded random inputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import model_path
from tests.pulp.ortcheck import compare_layers
from tinydeploy.compiler import compile_model
from tinydeploy.check.inputs import random_inputs
from tinydeploy.check.validate import validate, validate_golden

pytestmark = [pytest.mark.models, pytest.mark.cc]

# (file stem, dialect, compile options). Deeploy infers its input type from the test data;
# these three tests feed 0..255 images.
NETWORKS = [
    ("nemo_dscnn", "nemo", {}),
    ("nemo_rescon1", "nemo", {}),
    ("nemo_eegnet_1xw", "nemo", {}),
    ("nemo_penguinet32", "nemo", {}),
    ("ql_dvs_cnn9", "quantlab", {}),
    ("deeploy_minimobilenet", "deeploy", {"input_type": "uint8"}),
    ("deeploy_cnn_linear2", "deeploy", {"input_type": "uint8"}),
    ("deeploy_conv2d_rq", "deeploy", {}),
    ("deeploy_dwconv2d_rq", "deeploy", {"input_type": "uint8"}),
]
ORT_RUNNABLE = [n for n in NETWORKS if n[1] != "deeploy"]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """Compile each network once per test session (lazily)."""
    cache: dict[str, tuple[Path, object]] = {}

    def get(stem: str, opts: dict):
        if stem not in cache:
            out = tmp_path_factory.mktemp("pulp") / stem
            low = compile_model(model_path(f"pulp/{stem}.onnx"), out, **opts)
            cache[stem] = (out, low)
        return cache[stem]
    return get


@pytest.mark.parametrize("stem,dialect,opts", NETWORKS, ids=[n[0] for n in NETWORKS])
def test_pulp_network_matches_every_golden_layer(compiled, stem, dialect, opts):
    out, low = compiled(stem, opts)
    assert low.graph.meta["dialect"] == dialect
    check = validate_golden(out, model_path(f"pulp/{stem}.golden"))
    assert check.matches, "no golden layer read"
    bad = [m for m in check.matches if not m.ok]
    assert not bad, "\n".join(f"{m.golden}: {m.detail}" for m in bad)


@pytest.mark.parametrize("stem,dialect,opts", ORT_RUNNABLE, ids=[n[0] for n in ORT_RUNNABLE])
def test_pulp_network_matches_onnxruntime_on_random_inputs(compiled, stem, dialect, opts):
    out, low = compiled(stem, opts)
    v = validate(out, n=10, seed=3)
    assert v.reference.startswith("onnxruntime")
    assert v.c_vs_golden_exact, v.messages
    assert v.c_vs_reference_max_lsb == 0, v.messages
    layers = compare_layers(str(model_path(f"pulp/{stem}.onnx")), low,
                            random_inputs(low.graph, 10, seed=4))
    assert len(layers) >= 4


def test_nemo_input_is_uint8_and_float_head_runs_in_c_with_a_note(compiled):
    """The LogSoftmax head is compiled (float32 output; cutting it: --output-tensor,
    test_float_head.py)."""
    _, low = compiled("nemo_dscnn", {})
    g = low.graph
    assert [g.t(n).dtype for n in g.inputs] == ["uint8"]
    assert [g.t(n).dtype for n in g.outputs] == ["float32"]
    assert [op.kind for op in g.ops[-2:]] == ["cast", "log_softmax"]
    assert any("LogSoftmax" in n and "runs in C" in n for n in g.meta["notes"])


def test_output_tensor_option_selects_an_intermediate_tensor(tmp_path):
    low = compile_model(model_path("pulp/nemo_penguinet32.onnx"), tmp_path / "p",
                        output_tensors=["75"])
    g = low.graph
    assert len(g.outputs) == 1 and g.t(g.outputs[0]).shape == (1, 32, 12, 20)
    assert g.t(g.outputs[0]).dtype == "uint8"
    v = validate(tmp_path / "p", n=3)
    assert v.ok and v.reference.startswith("onnxruntime"), v.messages


def test_quantlab_annotations_are_dropped_with_a_note(compiled):
    _, low = compiled("ql_dvs_cnn9", {})
    assert any("weight_bits" in n for n in low.graph.meta["notes"])
    assert np.iinfo(low.graph.t(low.graph.inputs[0]).dtype).min == -128


@pytest.fixture(scope="module")
def compiled_opt(tmp_path_factory):
    """Each network compiled once with the optimized kernels (lazily)."""
    cache: dict[str, tuple[Path, object]] = {}

    def get(stem: str, opts: dict):
        if stem not in cache:
            out = tmp_path_factory.mktemp("pulp_opt") / stem
            cache[stem] = (out, compile_model(model_path(f"pulp/{stem}.onnx"), out,
                                              kernels="opt", **opts))
        return cache[stem]
    return get


@pytest.mark.parametrize("stem,dialect,opts", NETWORKS, ids=[n[0] for n in NETWORKS])
def test_pulp_network_with_the_optimized_kernels_is_exact(compiled_opt, stem, dialect, opts):
    """``--kernels opt``: every golden layer, and C == golden (and == onnxruntime where it
    runs the file) on seeded random inputs under ASan/UBSan; the convolutions and
    depthwise convolutions of int8 inputs, and the ungrouped convolutions of int16 inputs,
    really run their optimized kernels."""
    out, low = compiled_opt(stem, opts)
    g = low.graph
    convs = [op.name for op in g.ops if op.kind in ("conv2d", "depthwise_conv2d")
             and (g.t(op.inputs[0]).itemsize == 1
                  or op.kind == "conv2d" and op.attrs.get("groups", 1) == 1)]
    kinds = {type(low.kernel_args[n]).__name__ for n in convs}
    assert convs and all(k.endswith("OptArgs") for k in kinds), kinds
    check = validate_golden(out, model_path(f"pulp/{stem}.golden"))
    assert check.matches, "no golden layer read"
    bad = [m for m in check.matches if not m.ok]
    assert not bad, "\n".join(f"{m.golden}: {m.detail}" for m in bad)
    v = validate(out, n=4, seed=5, sanitize=True)
    assert v.c_vs_golden_exact, v.messages
    if dialect != "deeploy":
        assert v.reference.startswith("onnxruntime")
        assert v.c_vs_reference_max_lsb == 0, v.messages
