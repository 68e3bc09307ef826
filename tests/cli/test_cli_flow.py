"""The user's path through the CLI: compile -> validate -> report, and the generated API."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import model_path
from tinydeploy.cli import main


def test_compile_validate_report_on_kws(tmp_path, capsys):
    model = model_path("kws_dscnn_int8.tflite")
    out = tmp_path / "kws"
    assert main(["compile", str(model), "--target", "host", "-o", str(out)]) == 0
    header = (out / "kws_dscnn_int8.h").read_text()
    assert "int kws_dscnn_int8_run(const int8_t *input, int8_t *output);" in header
    assert "#define KWS_DSCNN_INT8_INPUT0_BYTES 490" in header
    assert "malloc" not in (out / "kws_dscnn_int8.c").read_text()
    assert main(["validate", str(out), "-n", "3"]) == 0
    text = capsys.readouterr().out
    assert "bit-exact" in text and "PASS" in text
    assert main(["report", str(model), "--json", str(tmp_path / "r.json")]) == 0
    rep = json.loads((tmp_path / "r.json").read_text())
    conv_dw_fc = [r for r in rep["layers"]
                  if r["kind"] in ("conv2d", "depthwise_conv2d", "fully_connected")]
    # MLPerf Tiny README: KWS has 2,656,768 MACs in conv/depthwise/fc layers
    assert sum(r["macs"] for r in conv_dw_fc) == 2_656_768
    assert rep["totals"]["arena_bytes"] <= rep["totals"]["arena_whole_tensor_lower_bound_bytes"]


def test_generated_project_builds_standalone_with_its_makefile(tmp_path):
    model = model_path("ad_autoencoder_int8.tflite")
    out = tmp_path / "ad"
    assert main(["compile", str(model), "-o", str(out)]) == 0
    res = subprocess.run(["make", "-s", "-C", str(out), "lib"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert (out / "libad_autoencoder_int8.a").stat().st_size > 0
    # a user's own main against the public header and the library
    (tmp_path / "app.c").write_text(
        '#include "ad_autoencoder_int8.h"\n#include <stdio.h>\n'
        "int main(void) {\n"
        "    static int8_t in[AD_AUTOENCODER_INT8_INPUT0_SIZE];\n"
        "    static int8_t out[AD_AUTOENCODER_INT8_OUTPUT0_SIZE];\n"
        "    int rc = ad_autoencoder_int8_run(in, out);\n"
        '    printf("%d %d\\n", rc, (int)sizeof out);\n    return rc;\n}\n')
    exe = tmp_path / "app"
    res = subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{out}",
                          str(tmp_path / "app.c"), str(out / "libad_autoencoder_int8.a"),
                          "-lm", "-o", str(exe)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.split() == ["0", "640"]
