"""The layout contract of graph outputs, checked strictly.

A 4-D output comes out of the C API in the layout the header declares: the source's
(NCHW for ONNX), or NHWC under ``io_layout="nhwc"``; it is decided by the value's rank,
never by comparing shapes (an NCHW shape with C == H == W equals its NHWC one). Golden
network outputs (Deeploy ``outputs.npz``, DORY ``output_<i>.txt`` / last ``out_layer``)
are compared with the graph outputs in that layout only; matching by content in HWC or
CHW order is for inner layers and never passes an output.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

import tinydeploy
from tests.conftest import model_path
from tests.pulp import nets
from tests.pulp.deeploy_data import integer_family
from tests.pulp.test_deeploy_float import ACCEPTED as FLOAT_ACCEPTED
from tests.pulp.test_deeploy_float import MIXED as FLOAT_MIXED
from tests.pulp.test_deeploy_train import TRAIN
from tinydeploy.check.hostrun import build, run
from tinydeploy.check.pulp_reference import _deeploy_runner
from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.pulp import detect_file

pytestmark = [pytest.mark.cc]

STRIDED = "deeploy/Kernels_Integer_Conv_StriddedPadded_2D_RQ"
# Accepted today (a refusal of one of these fails; more accepted networks are welcome).
KNOWN_ACCEPTED = {
    "Kernels_Integer_Add_Regular_RQ", "Kernels_Integer_Conv_DW_2D_RQ",
    "Kernels_Integer_Conv_DW_3x3_RQ", "Kernels_Integer_Conv_PW_2D_RQ_Regular_RQ",
    "Kernels_Integer_Conv_PW_2D_RQ_Unsigned_RQ", "Kernels_Integer_Conv_Regular_2D_RQ",
    "Kernels_Integer_Conv_Regular_3x3_RQ", "Kernels_Integer_Conv_StriddedPadded_2D_RQ",
    "Kernels_Integer_GEMM_Regular_RQPerColumn", "Models_CNN_Linear2"}


# -- helpers -------------------------------------------------------------------------------
def _input_type(arrays: list[np.ndarray]) -> str | None:
    """Deeploy's choice from the data: non-negative test inputs beyond 127 are uint8."""
    if all(a.min() >= 0 for a in arrays) and any(a.max() > 127 for a in arrays):
        return "uint8"
    return None


def _deeploy_record(manifest: dict, folder: Path, nhwc: bool) -> list[np.ndarray]:
    """inputs.npz as one C record: by input name, else the next array of the input's size
    (some files also hold the weights), in the declared layout and C type."""
    z = np.load(folder / "inputs.npz")
    left = list(z.files)
    rec = []
    for spec in manifest["inputs"]:
        size = int(np.prod(spec["shape"]))
        key = spec["name"] if spec["name"] in left else \
            next(k for k in left if z[k].size == size)
        left.remove(key)
        x = np.asarray(z[key])
        if nhwc and x.ndim == 4:
            x = x.transpose(0, 2, 3, 1)
        rec.append(x.astype(spec["dtype"]).reshape(spec["shape"]))
    return rec


def _assert_exact_in_declared_layout(proj, folder: Path, nhwc: bool = False) -> None:
    """The C API's outputs on inputs.npz equal outputs.npz: same shape as the header
    declares, same values in that order."""
    man = proj.manifest
    outs = run(build(proj.path), man, [_deeploy_record(man, folder, nhwc)])[0]
    z = np.load(folder / "outputs.npz")
    gold = [np.asarray(z[k]) for k in z.files]
    assert len(gold) == len(outs)
    for y, want, spec in zip(outs, gold, man["outputs"]):
        if nhwc and want.ndim == 4:
            want = want.transpose(0, 2, 3, 1)
        assert list(spec["shape"]) == list(want.shape), (spec, want.shape)
        assert y.shape == want.shape
        bad = np.flatnonzero(y.astype(np.int64).ravel() != want.astype(np.int64).ravel())
        assert bad.size == 0, (f"output '{spec['name']}' {spec['shape']}: {bad.size} values "
                               f"differ, first at {bad[0]}")


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    for f in dst.iterdir():
        f.chmod(0o644)
    return dst


def _permuted_outputs(folder: Path, dst: Path) -> Path:
    """A copy of a Deeploy golden folder whose 4-D outputs hold the same values in NHWC
    order (under the same NCHW shape)."""
    _copy(folder, dst)
    z = np.load(folder / "outputs.npz")
    arrays = {k: z[k] for k in z.files}
    perm = {k: a.transpose(0, 2, 3, 1).reshape(a.shape) if a.ndim == 4 else a
            for k, a in arrays.items()}
    assert any(not np.array_equal(perm[k], arrays[k]) for k in arrays), "nothing permuted"
    np.savez(dst / "outputs.npz", **perm)
    return dst


@pytest.fixture(scope="module")
def strided(tmp_path_factory):
    folder = model_path(STRIDED)
    out = tmp_path_factory.mktemp("strided")
    return folder, {lay: tinydeploy.compile(folder / "network.onnx", out / lay, io_layout=lay)
                    for lay in ("source", "nhwc")}


# -- the Deeploy strided-padded conv (C == H == W == 2) --------------------------------------
@pytest.mark.models
def test_strided_padded_conv_output_is_exact_in_the_declared_nchw_layout(strided):
    folder, projs = strided
    proj = projs["source"]
    g = proj.lowered.graph
    assert g.t(g.outputs[0]).shape == (1, 2, 2, 2)
    assert g.producer(g.outputs[0]).kind == "transpose"     # the IR runs NHWC
    _assert_exact_in_declared_layout(proj, folder)
    check = proj.validate_golden(folder)
    assert check.ok and [m.output for m in check.matches] == [True]
    assert check.matches[0].layout == "NCHW"


@pytest.mark.models
def test_strided_padded_conv_under_io_layout_nhwc_is_exact_in_nhwc(strided):
    folder, projs = strided
    proj = projs["nhwc"]
    g = proj.lowered.graph
    assert not any(op.kind == "transpose" for op in g.ops)  # both edge transposes dropped
    _assert_exact_in_declared_layout(proj, folder, nhwc=True)
    check = proj.validate_golden(folder)
    assert check.ok and check.matches[0].layout == "NHWC"


@pytest.mark.models
@pytest.mark.parametrize("layout", ["source", "nhwc"])
def test_permuted_deeploy_output_fails_golden_validation(strided, tmp_path, layout):
    folder, projs = strided
    bad = _permuted_outputs(folder, tmp_path / "perm")
    check = projs[layout].validate_golden(bad)
    assert not check.ok
    (m,) = check.matches
    assert m.output and not m.ok
    assert f"graph output '{projs[layout].lowered.graph.outputs[0]}'" in m.detail
    assert "differs first at index" in m.detail


@pytest.mark.models
def test_cli_names_the_output_and_first_index_of_a_permuted_output(strided, tmp_path,
                                                                    capsys):
    from tinydeploy.cli import main

    folder, projs = strided
    bad = _permuted_outputs(folder, tmp_path / "perm")
    rc = main(["validate", str(projs["source"].path), "--golden", str(bad)])
    out = capsys.readouterr().out
    assert rc == 1 and out.strip().endswith("FAIL"), out
    line = next(ln for ln in out.splitlines() if ln.startswith("[0] outputs.npz"))
    assert "graph output 'conv2d_src', declared NCHW [1, 2, 2, 2]" in line
    assert "differs first at index 3 [0, 0, 1, 1]" in line, line


@pytest.mark.models
def test_golden_output_of_the_wrong_size_exits_2(strided, tmp_path):
    folder, projs = strided
    d = _copy(folder, tmp_path / "g")
    np.savez(d / "outputs.npz", conv2d=np.zeros((1, 2, 3, 3), np.float32))
    with pytest.raises(TinyDeployError, match="golden output outputs.npz:conv2d has 18 "
                       "values, network output 'conv2d_src' \\[1, 2, 2, 2\\] has 8"):
        projs["source"].validate_golden(d)


@pytest.mark.models
def test_golden_output_with_another_shape_of_the_same_size_fails(strided, tmp_path):
    folder, projs = strided
    d = _copy(folder, tmp_path / "g")
    z = np.load(folder / "outputs.npz")
    np.savez(d / "outputs.npz", conv2d=z["conv2d"].reshape(1, 8))
    check = projs["source"].validate_golden(d)
    assert not check.ok and "golden array has shape [1, 8]" in check.matches[0].detail


# -- a symmetric output without the shared models ------------------------------------------
def _cube_net() -> onnx.ModelProto:
    """Deeploy-style conv 3 -> 4 channels on 4x4 (pad 1): output [1, 4, 4, 4]."""
    rng = np.random.default_rng(7)
    g = nets.G(13)
    y = nets.requant_shift(g, nets.conv(g, "x", rng, 3, 4), rng, 4)
    return g.model((1, 3, 4, 4), [y])


@pytest.mark.parametrize("layout", ["source", "nhwc"])
def test_cube_shaped_output_matches_the_independent_reference(tmp_path, layout):
    path = tmp_path / "cube.onnx"
    onnx.save(_cube_net(), path)
    proj = tinydeploy.compile(path, tmp_path / "out", io_layout=layout)
    g = proj.lowered.graph
    assert g.t(g.outputs[0]).shape == (1, 4, 4, 4)
    v = proj.validate(n=5)
    assert v.reference.startswith("onnx reference evaluator")
    assert v.ok and v.c_vs_reference_max_lsb == 0, v.messages


# -- DORY-style goldens ----------------------------------------------------------------------
def _write_txt(path: Path, values: np.ndarray, label: str) -> None:
    v = np.asarray(values).astype(np.int64).ravel()
    path.write_text(f"# {label} (shape [{v.size}]),\n" + "".join(f"{x},\n" for x in v))


def _dory_golden(tmp_path: Path, layout: str, permute_output: bool = False,
                 records: int = 0) -> tuple[Path, Path]:
    """(model, golden folder): the residual Deeploy net, DORY text files in ``layout``
    (CHW or HWC) computed by the independent reference; ``permute_output``: the network
    output in the other order. ``records`` > 0: the per-record form with output_<i>.txt."""
    model = nets.deeploy_net(seed=5, residual=True)
    path = tmp_path / "res.onnx"
    onnx.save(model, path)
    rs = [n.output[0] for n in model.graph.node if n.op_type == "RequantShift"]
    run = _deeploy_runner(onnx.load(path), rs, str(path))
    rng = np.random.default_rng(11)
    d = tmp_path / f"golden_{layout}"
    d.mkdir()

    def order(a: np.ndarray, lay: str) -> np.ndarray:
        return a.transpose(0, 2, 3, 1) if lay == "HWC" else a

    other = "CHW" if layout == "HWC" else "HWC"
    for r in range(max(records, 1)):
        x = rng.integers(-128, 128, size=(1, 3, 6, 6)).astype(np.float32)
        vals = run({"x": x})
        pre = "" if not records else f"{r}_"
        _write_txt(d / (f"input_{r}.txt" if records else "input.txt"), order(x, layout), "x")
        for k, v in enumerate(vals):
            lay = other if permute_output and k == len(vals) - 1 and not records else layout
            _write_txt(d / f"out_{pre}layer{k}.txt", order(v, lay), rs[k])
        if records:
            lay = other if permute_output else layout
            _write_txt(d / f"output_{r}.txt", order(vals[-1], lay), "output")
    return path, d


@pytest.fixture(scope="module")
def dory_project(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dory")
    path, _ = _dory_golden(tmp, "CHW")
    return tmp, tinydeploy.compile(path, tmp / "out")


@pytest.mark.parametrize("layout", ["CHW", "HWC"])
def test_dory_golden_in_either_layout_passes_with_the_output_checked(dory_project,
                                                                     tmp_path, layout):
    _, proj = dory_project
    _, d = _dory_golden(tmp_path, layout)
    check = proj.validate_golden(d)
    assert check.ok, [m.detail for m in check.matches]
    assert check.input_layout == layout and check.output_layout == layout
    assert [m.output for m in check.matches] == [False, False, True]
    assert check.matches[-1].layout == "NCHW"


@pytest.mark.parametrize("layout", ["CHW", "HWC"])
def test_dory_golden_with_a_permuted_last_layer_fails(dory_project, tmp_path, layout):
    _, proj = dory_project
    _, d = _dory_golden(tmp_path, layout, permute_output=True)
    check = proj.validate_golden(d)
    assert not check.ok
    assert [m.ok for m in check.matches] == [True, True, False]
    last = check.matches[-1]
    assert last.output and "differs first at index" in last.detail
    assert f"graph output '{proj.lowered.graph.outputs[0]}'" in last.detail


def test_dory_permuted_output_file_fails_in_the_per_record_form(dory_project, tmp_path):
    _, proj = dory_project
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    _, good = _dory_golden(tmp_path / "good", "HWC", records=2)
    assert proj.validate_golden(good).ok
    _, bad = _dory_golden(tmp_path / "bad", "HWC", permute_output=True, records=2)
    check = proj.validate_golden(bad)
    outs = [m for m in check.matches if m.golden.startswith("output_")]
    assert len(outs) == 2 and not any(m.ok for m in outs)
    assert all(m.ok for m in check.matches if m.golden.startswith("out_"))


# -- every accepted Deeploy network ----------------------------------------------------------
@pytest.mark.models
@pytest.mark.parametrize("name", sorted(KNOWN_ACCEPTED))
def test_every_accepted_deeploy_network_is_exact_in_the_declared_layout(name, tmp_path):
    folder = model_path(f"deeploy/{name}")
    proj = tinydeploy.compile(folder / "network.onnx", tmp_path / "out",
                              input_type=_folder_input_type(folder))
    _assert_exact_in_declared_layout(proj, folder)
    check = proj.validate_golden(folder)
    assert check.ok, [m.detail for m in check.matches if not m.ok]
    assert sum(m.output for m in check.matches) == len(proj.manifest["outputs"])


@pytest.mark.models
def test_the_other_deeploy_networks_are_refused_cleanly(tmp_path):
    """Every folder outside KNOWN_ACCEPTED, the integer families (exact in
    test_deeploy_transformers.py), the accepted float graphs (test_deeploy_float.py) and
    the training graphs (test_deeploy_train.py) is refused with the project's own error (no other
    exception); one that compiles belongs in KNOWN_ACCEPTED (and its exactness test) -
    this keeps the list honest as support grows."""
    root = model_path("deeploy")
    newly = []
    for folder in sorted(p for p in root.iterdir() if (p / "network.onnx").exists()):
        if folder.name in KNOWN_ACCEPTED or integer_family(folder.name) or \
                folder.name in FLOAT_ACCEPTED or folder.name in FLOAT_MIXED or \
                folder.name in TRAIN:
            continue
        try:
            tinydeploy.compile(folder / "network.onnx", tmp_path / folder.name,
                               input_type=_folder_input_type(folder))
        except TinyDeployError:
            continue
        newly.append(folder.name)
    assert not newly, f"now accepted, add to KNOWN_ACCEPTED: {newly}"


def _folder_input_type(folder: Path) -> str | None:
    z = np.load(folder / "inputs.npz")
    return _input_type([z[k] for k in z.files]) if detect_file(folder / "network.onnx") \
        else None


# -- validate with several inputs ------------------------------------------------------------
@pytest.mark.models
@pytest.mark.parametrize("layout", ["source", "nhwc"])
def test_validate_runs_seeded_inputs_on_a_two_input_network(tmp_path, layout):
    folder = model_path("deeploy/Kernels_Integer_Add_Regular_RQ")
    proj = tinydeploy.compile(folder / "network.onnx", tmp_path / "out", io_layout=layout)
    assert len(proj.manifest["inputs"]) == 2
    v = proj.validate(n=5)
    assert v.inputs == 5 and v.reference.startswith("onnx reference evaluator")
    assert v.ok and v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages
