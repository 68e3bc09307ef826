"""A training step on the qemu-rv32 board: the IC model's ``--last 1`` step, driven by
tests/train/train_main.c (linked in place of the project's main.c by
``qemu.build(..., main=...)``), runs on QEMU rv32imafc and equals the same runner's steps
on the host (under ASan/UBSan): the same losses, the same parameters after
the steps and the same inference after them (within 1e-5 relative: picolibc's and glibc's
expf/logf differ by an ulp on some values)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import REPO, model_path
from tests.rv32.conftest import needs_qemu
from tests.train.steps import build_runner, run_steps
from tinydeploy.check.rv32 import qemu
from tinydeploy.compiler import compile_model
from tinydeploy.ir.training import training

pytestmark = [pytest.mark.qemu, pytest.mark.models, needs_qemu]
MAIN = REPO / "tests" / "train" / "train_main.c"
STEPS = 2


def test_last_layer_step_on_qemu_equals_the_host(tmp_path):
    out = tmp_path / "ic"
    low = compile_model(model_path("float/ic_resnet8_float.tflite"), out, name="net",
                        board="qemu-rv32", train={"last": 1, "lr": 0.05})
    g = low.graph
    main_c = (out / "main.c").read_bytes()
    elf = qemu.build(out, "prof", main=MAIN,
                     cflags=("-include net.h", "-DTD_P=net", "-DTD_PU=NET"))
    assert elf.name == "net_train_main_rv32_prof.elf"
    assert (out / "main.c").read_bytes() == main_c          # the project stays as generated
    rng = np.random.default_rng(5)
    xs = [rng.uniform(0, 1, g.t(g.inputs[0]).shape).astype(np.float32) for _ in range(STEPS)]
    labels = [np.array([k + 3], np.int64) for k in range(STEPS)]
    data = b"".join(x.tobytes() + lab.tobytes() for x, lab in zip(xs, labels))
    got, console = qemu.run_files(elf, {"in.bin": data},
                                  ["in.bin", "out.bin", str(STEPS), "1"], ["out.bin"],
                                  icount=True)
    counts = [int(w.split()[3]) for w in console.splitlines() if w.startswith("td-train step")]
    assert len(counts) == STEPS and min(counts) > 0
    assert any(w.startswith("td-train run ") for w in console.splitlines())
    losses, params, run_out = run_steps(build_runner(out, "net"), low, xs, labels)
    raw = got["out.bin"]
    np.testing.assert_allclose(np.frombuffer(raw[:4 * STEPS], np.float32), losses, rtol=1e-5)
    at = 4 * STEPS
    for p in training(g).params:
        t = g.t(p)
        v = np.frombuffer(raw[at:at + t.nbytes], np.float32).reshape(t.shape)
        at += t.nbytes
        assert not np.array_equal(v, t.data)                  # the step moved it
        np.testing.assert_allclose(v, params[p], rtol=1e-5, atol=1e-7, err_msg=p)
    np.testing.assert_allclose(np.frombuffer(raw[at:], np.float32), run_out, rtol=1e-5,
                               atol=1e-6)
