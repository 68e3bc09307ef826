"""`tinydeploy validate OUT --golden DIR`: reading DORY/Deeploy golden folders, matching
layers by content, exit codes (0 all bit-exact, 1 a layer differs, 2 unusable folder)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.conftest import model_path
from tinydeploy.cli import main
from tinydeploy.errors import TinyDeployError
from tinydeploy.check.golden_files import read_golden

pytestmark = [pytest.mark.models, pytest.mark.cc]


@pytest.fixture(scope="module")
def eegnet(tmp_path_factory):
    out = tmp_path_factory.mktemp("eeg") / "eegnet"
    assert main(["compile", str(model_path("pulp/nemo_eegnet_1xw.onnx")), "-o", str(out)]) == 0
    return out


def _copy_golden(tmp_path, stem: str):
    dst = tmp_path / "golden"
    shutil.copytree(model_path(f"pulp/{stem}.golden"), dst)
    for f in dst.iterdir():
        f.chmod(0o644)
    return dst


def _validate(out, golden, capsys) -> tuple[int, str, str]:
    rc = main(["validate", str(out), "--golden", str(golden)])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_dory_text_headers_continuations_and_records_are_read():
    recs = read_golden(model_path("pulp/ql_dvs_cnn9.golden"))
    assert len(recs) == 9 and all(len(r.layers) == 11 for r in recs)
    assert recs[3].inputs[0].label == "input_3.txt" and recs[3].inputs[0].values.size == 65536
    assert recs[0].layers[-1].label == "output_0.txt"
    one = read_golden(model_path("pulp/nemo_eegnet_1xw.golden"))
    assert [g.values.size for g in one[0].layers] == [2048, 2048, 512, 512, 64, 32, 1]
    assert one[0].layers[-1].values.tolist() == [20221]


def test_deeploy_npz_folder_is_read_in_file_order():
    rec = read_golden(model_path("pulp/deeploy_minimobilenet.golden"))[0]
    assert [g.label for g in rec.inputs] == ["inputs.npz:input"]
    assert rec.layers[0].label.startswith("activations.npz:") and \
        rec.layers[-1].label == "outputs.npz:output"


def test_golden_match_reports_every_layer_and_passes(eegnet, capsys):
    rc, out, _ = _validate(eegnet, model_path("pulp/nemo_eegnet_1xw.golden"), capsys)
    assert rc == 0, out
    assert "inputs read as HWC" in out and "7/7 golden layers bit-exact" in out
    assert out.count("matched '") == 7 and out.strip().endswith("PASS")


def test_a_differing_golden_value_names_layer_and_first_index(eegnet, tmp_path, capsys):
    g = _copy_golden(tmp_path, "nemo_eegnet_1xw")
    f = g / "out_layer3.txt"
    lines = f.read_text().splitlines()
    lines[1 + 100] = "999,\\"                   # element 100 of layer 3
    f.write_text("\n".join(lines) + "\n")
    rc, out, _ = _validate(eegnet, g, capsys)
    assert rc == 1 and out.strip().endswith("FAIL")
    bad = [ln for ln in out.splitlines() if ln.startswith("[0] out_layer3.txt")]
    assert bad and "first at index 100: golden 999" in bad[0], out
    assert "6/7 golden layers bit-exact" in out


def test_golden_layers_that_match_no_tensor_exit_2(eegnet, tmp_path, capsys):
    g = _copy_golden(tmp_path, "nemo_eegnet_1xw")
    (g / "out_layer7.txt").write_text("# extra (shape [3]),\n" + "1,\n2,\n3,\n")
    rc, out, err = _validate(eegnet, g, capsys)
    assert rc == 2 and "cannot be matched" in err and "out_layer7.txt has 3 values" in err
    assert len(err.strip().splitlines()) == 1


def test_golden_of_another_network_exits_2(eegnet, capsys):
    rc, _, err = _validate(eegnet, model_path("pulp/nemo_dscnn.golden"), capsys)
    assert rc == 2 and "no input of 51200 values" in err


def test_empty_golden_folder_exits_2(eegnet, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    rc, _, err = _validate(eegnet, tmp_path / "empty", capsys)
    assert rc == 2 and "no golden files" in err


def test_golden_input_outside_compiled_input_type_suggests_the_option(tmp_path, capsys):
    out = tmp_path / "cnn"
    assert main(["compile", str(model_path("pulp/deeploy_minimobilenet.onnx")), "-o",
                 str(out)]) == 0
    rc, _, err = _validate(out, model_path("pulp/deeploy_minimobilenet.golden"), capsys)
    assert rc == 2 and "--input-type uint8" in err


def test_non_integer_golden_value_is_an_error(tmp_path):
    d = tmp_path / "g"
    d.mkdir()
    (d / "input.txt").write_text("# input (shape [2]),\n1.5,\n2,\n")
    with pytest.raises(TinyDeployError, match="non-integer"):
        read_golden(d)


def test_golden_values_parse_as_integers():
    rec = read_golden(model_path("pulp/nemo_dscnn.golden"))[0]
    assert rec.inputs[0].values.dtype == np.int64 and set(rec.inputs[0].values) == {255}
