"""Float32 networks on the qemu-rv32 board: built for the F extension (rv32imafc/ilp32f)
and run on a QEMU CPU with F; the outputs equal the host build's and Deeploy's
outputs.npz; no soft-float routine is linked. Integer networks stay rv32imc."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

import tinydeploy
from tests.conftest import model_path
from tests.frontend import onnx_nets as nets
from tests.pulp.test_deeploy_float import assert_close, record
from tests.rv32.conftest import compile_rv32, needs_qemu
from tinydeploy.check import hostrun, rv32
from tinydeploy.check.rv32 import qemu
from tinydeploy.codegen.boards.rv32imc import ARCH, ARCH_F, CPU, CPU_F

pytestmark = [pytest.mark.qemu, needs_qemu]
SOFT_FLOAT = ("__addsf3", "__subsf3", "__mulsf3", "__divsf3", "__floatsisf", "__fixsfsi",
              "__ltsf2", "__gesf2")


def _symbols(elf) -> set[str]:
    out = subprocess.run([qemu.GCC.replace("gcc", "nm"), str(elf)], capture_output=True,
                         text=True, check=True).stdout
    return {w.split()[-1] for w in out.splitlines() if w.strip()}


def _rv32_mk(project) -> str:
    return (project / "rv32" / "rv32.mk").read_text()


def _float_build(proj):
    """The board's build of a float network: F flags in rv32.mk, a hard-float ELF with no
    soft-float routine in it."""
    mk = _rv32_mk(proj.path)
    assert f"RV_ARCH    ?= {ARCH_F}" in mk and CPU_F in mk
    elf = rv32.build(proj.path)
    assert qemu.float_abi(elf) == "single"
    assert not _symbols(elf) & set(SOFT_FLOAT)
    return elf


@pytest.mark.cc
def test_float_network_runs_with_f_and_equals_the_host_run(tmp_path):
    """conv, depthwise, relu, add, pools, matmul, softmax: the same bits as the host build
    (-std=c99: no FMA contraction; expf may differ by an ulp between the two libms)."""
    proj = tinydeploy.compile(nets.float_net(tmp_path / "f.onnx"), tmp_path / "out",
                              board="qemu-rv32")
    man = proj.manifest
    elf = _float_build(proj)
    rng = np.random.default_rng(1)
    recs = [[rng.uniform(-1, 1, s["shape"]).astype(np.float32) for s in man["inputs"]]
            for _ in range(3)]
    sim = rv32.run(elf, man, recs)
    host = hostrun.run(hostrun.build(proj.path), man, recs)
    for a, b in zip(sim, host, strict=True):
        np.testing.assert_allclose(a[0], b[0], rtol=2e-7, atol=1e-9)
    # the soft-float build of the same project (what the F extension replaces): same
    # outputs within libm ulps, on a CPU without F, with libgcc's routines linked
    soft = rv32.build(proj.path, arch=ARCH)
    assert qemu.float_abi(soft) == "soft" and {"__addsf3", "__mulsf3"} <= _symbols(soft)
    assert CPU in qemu.qemu_command(soft, [])
    for a, b in zip(rv32.run(soft, man, recs), sim, strict=True):
        np.testing.assert_allclose(a[0], b[0], rtol=2e-7, atol=1e-9)


@pytest.mark.models
def test_float_cct_on_qemu_matches_outputs_npz(tmp_path):
    """Deeploy's float CCT (the network of make bench's float comparison) on rv32imafc."""
    folder = model_path("deeploy/Models_CCT_FP32_CCT_1_16_16_8")
    proj = tinydeploy.compile(folder / "network.onnx", tmp_path / "out", board="qemu-rv32")
    man = proj.manifest
    assert_close(rv32.run(_float_build(proj), man, [record(folder, man)])[0], folder)


@pytest.mark.models
@pytest.mark.parametrize("name", ["Kernels_FP32_Conv_Regular_2D_Bias",
                                  "Kernels_FP32_LayerNorm", "Kernels_FP32_Softmax_Regular"])
def test_deeploy_float_kernel_on_qemu_matches_outputs_npz_and_host(name, tmp_path):
    """Within Deeploy's tolerance of outputs.npz; the host's bits unless libm is called
    (sqrtf is correctly rounded on both; expf is not)."""
    folder = model_path(f"deeploy/{name}")
    proj = tinydeploy.compile(folder / "network.onnx", tmp_path / "out", board="qemu-rv32")
    man = proj.manifest
    rec = [record(folder, man)]
    sim = rv32.run(_float_build(proj), man, rec)[0]
    assert_close(sim, folder)
    host = hostrun.run(hostrun.build(proj.path), man, rec)[0]
    for a, b in zip(sim, host, strict=True):
        if "Softmax" in name:
            np.testing.assert_allclose(a, b, rtol=2e-7, atol=1e-9)
        else:
            assert a.tobytes() == b.tobytes()


@pytest.mark.models
def test_integer_network_keeps_rv32imc(tmp_path):
    proj, _ = compile_rv32("ad_autoencoder_int8", tmp_path)
    mk = _rv32_mk(proj)
    assert f"RV_ARCH    ?= {ARCH}" in mk and CPU in mk and "rv32imafc" not in mk
    elf = rv32.build(proj)
    assert qemu.float_abi(elf) == "soft"
    assert CPU in qemu.qemu_command(elf, [])


@pytest.mark.cc
def test_secondary_harts_have_the_fpu_on(tmp_path):
    """td_start.S turns the FPU on (mstatus.FS) on the harts that skip crt0: a float
    operation on every secondary hart of the -smp build (patched into the generated
    td_cluster.c) must not trap; without that, only hart 0 starts."""
    proj = tinydeploy.compile(nets.float_net(tmp_path / "f.onnx"), tmp_path / "out",
                              board="qemu-rv32")
    src = proj.path / "rv32" / "td_cluster.c"
    text = src.read_text()
    start = "    alive[hart] = 1;\n"
    assert text.count(start) == 1
    src.write_text(text.replace(start, "    { volatile float f = 1.5f + (float)hart; "
                                       "f = f * f; alive[hart] = f > 0.0f; }\n"))
    rec = [[np.full(s["shape"], 0.25, np.float32) for s in proj.manifest["inputs"]]]
    res = rv32.smp_check(proj.path, records=rec, timeout=120)
    assert (res["harts"], res["of"], res["errors"]) == (8, 8, 0)
    assert res["layers_checked"] == len(proj.manifest["layers"])
    host = hostrun.run(hostrun.build(proj.path), proj.manifest, rec)
    np.testing.assert_allclose(res["outputs"][0][0], host[0][0], rtol=2e-7, atol=1e-9)
