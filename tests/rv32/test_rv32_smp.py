"""QEMU -smp 8 as an 8-core cluster: the harts start and park (td_start.S), the
fork/barrier runtime (td_cluster.c) works, and all harts see every layer's output of the
generated network; the network's result is unchanged."""

from __future__ import annotations

import pytest

from tests.conftest import model_path
from tests.rv32.conftest import compile_rv32, needs_qemu
from tinydeploy.compiler import compile_model
from tinydeploy.check import hostrun, rv32
from tinydeploy.project import read_project
from tinydeploy.errors import TinyDeployError
from tinydeploy.check.inputs import random_inputs

pytestmark = [pytest.mark.qemu, pytest.mark.models, needs_qemu]


def test_eight_harts_start_meet_at_barriers_and_check_every_layer(tmp_path):
    proj, m = compile_rv32("kws_dscnn_int8", tmp_path)
    rec = random_inputs(read_project(proj).lowered.graph, 1, seed=2)
    res = rv32.smp_check(proj, records=rec, timeout=120)
    assert (res["harts"], res["of"]) == (8, 8)
    assert res["barrier_rounds"] == 64
    assert res["layers_checked"] == len(m["layers"])
    assert res["errors"] == 0
    host = hostrun.run(hostrun.build(proj), m, rec)
    assert res["outputs"][0][0].tobytes() == host[0][0].tobytes()


def test_missing_harts_are_reported_not_waited_for(tmp_path):
    proj, _ = compile_rv32("ad_autoencoder_int8", tmp_path)
    with pytest.raises(TinyDeployError, match="exit 4.*\n.*td-smp harts 4 of 8"):
        rv32.smp_check(proj, harts=4, timeout=120)


def test_the_check_catches_a_broken_barrier(tmp_path):
    """Mutation: a barrier that returns at once must make the self-test fail."""
    proj, _ = compile_rv32("ad_autoencoder_int8", tmp_path)
    src = proj / "rv32" / "td_cluster.c"
    text = src.read_text()
    head = "void td_cluster_barrier(void)\n{\n"
    assert text.count(head) == 1
    src.write_text(text.replace(head, head + "    return;\n"))
    with pytest.raises(TinyDeployError, match=r"exit 3: check failed"):
        rv32.smp_check(proj, timeout=120)


def test_per_hart_profile_puts_each_layers_work_in_its_row(tmp_path):
    """`profile` of a --harts 8 project: every hart's count lands on the layer that did the
    work. KWS has a reshape that aliases its input (no C call, so no job and no mark)
    before its fully-connected layer; the counts after it must not slide one row up."""
    proj = tmp_path / "kws8"
    compile_model(model_path("kws_dscnn_int8.tflite"), proj, board="qemu-rv32", harts=8)
    prof = rv32.profile(proj, timeout=300)
    rows = {r["kind"]: r for r in prof["layers"]}
    reshape, fc, softmax = rows["reshape"], rows["fully_connected"], rows["softmax"]
    assert reshape["hart_instructions"] == [0] * 8 and reshape["speedup_measured"] is None
    # layers without a team run on hart 0; the others only fork and join (< 200 each)
    for r in (rows["avg_pool2d"], softmax):
        per = r["hart_instructions"]
        assert r["instructions"] <= per[0] <= r["instructions"] + 1500, (r["name"], per)
        assert max(per[1:]) < 200, (r["name"], per)
    # the FC's 12 outputs are two blocks of 8: harts 0 and 1 share the work
    per = fc["hart_instructions"]
    assert sum(per[:2]) >= fc["instructions"] and min(per[:2]) > fc["instructions"] // 3, per
    for r in prof["layers"]:
        if r["kind"] == "conv2d":          # split over all harts: each does a real share
            assert min(r["hart_instructions"]) > r["instructions"] // 16, r
