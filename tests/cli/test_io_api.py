"""Generated API: --io-layout nhwc, and the struct form for several inputs/outputs."""

from __future__ import annotations

import subprocess

import numpy as np

from tests.frontend.onnx_nets import qop_net
from tinydeploy.cli import main
from tinydeploy.compiler import compile_model
from tinydeploy.frontend import load_model
from tinydeploy.quant.execute import run_graph
from tinydeploy.check.validate import validate


def test_io_layout_nhwc_drops_the_edge_transposes_and_stays_exact(tmp_path):
    model = qop_net(tmp_path / "qop.onnx")
    src, nhwc = load_model(model), load_model(model, io_layout="nhwc")
    n, c, h, w = src.t(src.inputs[0]).shape
    assert c > 1 and h > 1, "the test needs a real NCHW -> NHWC transpose"
    assert nhwc.t(nhwc.inputs[0]).shape == (n, h, w, c)
    assert sum(op.kind == "transpose" for op in nhwc.ops) < \
        sum(op.kind == "transpose" for op in src.ops)
    x = np.random.default_rng(0).integers(0, 256, (n, c, h, w)).astype(np.uint8)
    want = run_graph(src, [x])
    got = run_graph(nhwc, [x.transpose(0, 2, 3, 1)])
    for a, b in zip(src.outputs, nhwc.outputs):
        w4 = want[a].transpose(0, 2, 3, 1) if want[a].ndim == 4 else want[a]
        assert np.array_equal(got[b], w4)
    compile_model(model, tmp_path / "out", io_layout="nhwc")
    v = validate(tmp_path / "out", n=4)
    assert v.ok and v.c_vs_golden_exact, v.messages


def test_several_outputs_get_a_struct_api(tmp_path):
    model = qop_net(tmp_path / "qop.onnx")       # one uint8 input, two uint8 outputs
    out = tmp_path / "net"
    assert main(["compile", str(model), "-o", str(out), "--name", "net"]) == 0
    h = (out / "net.h").read_text()
    assert "struct net_inputs {" in h and "struct net_outputs {" in h
    assert "int net_run_io(const struct net_inputs *in, const struct net_outputs *out);" in h
    (tmp_path / "app.c").write_text(
        '#include "net.h"\n'
        "int main(void) {\n"
        "    static uint8_t x[NET_INPUT0_SIZE], y0[NET_OUTPUT0_SIZE], y1[NET_OUTPUT1_SIZE];\n"
        "    struct net_inputs in = { x };\n"
        "    struct net_outputs out = { y0, y1 };\n"
        "    return net_run_io(&in, &out);\n}\n")
    assert subprocess.run(["make", "-s", "-C", str(out), "lib"]).returncode == 0
    res = subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{out}",
                          str(tmp_path / "app.c"), str(out / "libnet.a"), "-lm", "-o",
                          str(tmp_path / "app")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert subprocess.run([str(tmp_path / "app")]).returncode == 0
