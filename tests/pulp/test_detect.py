"""The dialect is recognised from what the nodes compute; other ONNX files are left to the
standard importer; `tinydeploy report` names the dialect and the lowering notes."""

from __future__ import annotations

import onnx
import pytest

from tests.conftest import model_path
from tests.pulp import nets
from tinydeploy.cli import main
from tinydeploy.frontend.pulp import detect, detect_file

EXPECTED = {"nemo_dscnn": "nemo", "nemo_rescon1": "nemo", "nemo_eegnet_1xw": "nemo",
            "nemo_penguinet32": "nemo", "ql_dvs_cnn9": "quantlab",
            "deeploy_minimobilenet": "deeploy", "deeploy_cnn_linear2": "deeploy",
            "deeploy_conv2d_rq": "deeploy", "deeploy_dwconv2d_rq": "deeploy"}


@pytest.mark.models
@pytest.mark.parametrize("stem", list(EXPECTED))
def test_shared_pulp_file_dialect_is_detected(stem):
    assert detect_file(model_path(f"pulp/{stem}.onnx")) == EXPECTED[stem]


def test_synthetic_dialects_are_detected_by_what_they_compute():
    assert detect(nets.nemo_net()) == "nemo"
    assert detect(nets.quantlab_net()) == "quantlab"
    assert detect(nets.deeploy_net()) == "deeploy"
    plain = nets.quantlab_net()
    for n in plain.graph.node:                 # without annotations: float Div + Floor
        keep = [a for a in n.attribute if not a.name.endswith("_bits")]
        del n.attribute[:]
        n.attribute.extend(keep)
    assert detect(plain) == "quantlab"


def test_qdq_and_float_models_are_not_pulp(tmp_path):
    from tinydeploy.demo import make_demo_model

    p = tmp_path / "demo.onnx"
    make_demo_model(p, seed=0)
    assert detect_file(p) is None
    m = nets.nemo_net()
    for init in m.graph.initializer:             # non-integer weights: a float model
        if len(init.dims) == 4:
            a = onnx.numpy_helper.to_array(init) + 0.5
            init.CopyFrom(onnx.numpy_helper.from_array(a, init.name))
    assert detect(m) is None


def test_pulp_options_on_a_standard_model_are_an_error(tmp_path, capsys):
    from tinydeploy.demo import make_demo_model

    p = tmp_path / "demo.onnx"
    make_demo_model(p, seed=0)
    rc = main(["compile", str(p), "-o", str(tmp_path / "o"), "--input-type", "uint8"])
    assert rc == 2 and "NEMO/QuantLab/Deeploy" in capsys.readouterr().err


@pytest.mark.models
def test_report_names_dialect_and_notes(capsys):
    assert main(["report", str(model_path("pulp/nemo_rescon1.onnx"))]) == 0
    out = capsys.readouterr().out
    assert "dialect: nemo" in out and "Sigmoid" in out and "requant" in out
