"""The bounds-checking build (``make bounds``: ``-DTD_BOUNDS_CHECK`` under ASan/UBSan).

Every kernel call of the generated run function then reads and writes heap blocks of
exactly the planned size of each of its arena buffers (codegen/templates/network.c.j2),
so AddressSanitizer reports any access outside the planned buffers. Checked here:

- the four MLPerf Tiny models (reference kernels; KWS also with the optimized kernels and
  tiled for GAP8, where the tiled runtime's DMA reads and writes the L2 buffers) build and
  run clean in the bounds build, bit-exact with the normal build and the golden (also
  with weights streamed from L3 through the L2 staging buffer);
- without the flag, nothing of it reaches the compiled code;
- it works: a planned buffer one byte short, or args patched so that a kernel writes past
  its output, make ASan fire in the bounds build, while the normal build (overflowing
  inside the arena) does not notice.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import MLPERF_MODELS, model_path
from tinydeploy.check import hostrun
from tinydeploy.check.inputs import random_inputs
from tinydeploy.check.validate import validate
from tinydeploy.compiler import compile_model, lower_file
from tinydeploy.errors import TinyDeployError
from tinydeploy.quant.execute import run_graph
from tinydeploy.targets import TARGET_DIR


def _compile(tmp_path: Path, name: str, **options):
    out = tmp_path / name
    low = compile_model(model_path(name + ".tflite"), out, **options)
    return low, out, json.loads((out / "manifest.json").read_text())


def _run(exe: Path, manifest: dict, records) -> list[bytes]:
    return [b"".join(y.tobytes() for y in rec) for rec in hostrun.run(exe, manifest, records)]


CASES = [(m, {}) for m in MLPERF_MODELS] + [
    ("kws_dscnn_int8", {"kernels": "opt"}),
    ("kws_dscnn_int8", {"target": "gap8"}),
    ("kws_dscnn_int8", {"target": "small_l2"})]   # weights streamed L3 -> L2 in chunks


def _small_l2_target(tmp_path: Path) -> str:
    """gap8 with an L2 so small that KWS streams its weights from L3 in channel chunks
    (the L2 staging buffer: tests/tiled/test_l3.py)."""
    arena = lower_file(model_path("kws_dscnn_int8.tflite"), sliding=False).memory.arena_bytes
    text = (TARGET_DIR / "gap8.toml").read_text()
    new = text.replace("size = 524288 ", f"size = {arena + 1000} ")
    assert new != text
    f = tmp_path / "gap8_small_l2.toml"
    f.write_text(new.replace('name = "gap8"', 'name = "gap8_small_l2"'))
    return str(f)


@pytest.mark.parametrize("name,options", CASES,
                         ids=[f"{m}-{'-'.join(o.values()) or 'ref'}" for m, o in CASES])
def test_bounds_build_is_clean_and_bit_exact_with_the_normal_build(tmp_path, name, options):
    if options.get("target") == "small_l2":
        options = {"target": _small_l2_target(tmp_path)}
    low, out, manifest = _compile(tmp_path, name, **options)
    if "small_l2" in options.get("target", ""):
        assert manifest["tiled"]["chunked"] and manifest["tiled"]["streamed_bytes"] > 0
    records = random_inputs(low.graph, 3, seed=11)
    normal = _run(hostrun.build(out), manifest, records)
    bounded_exe = hostrun.build(out, bounds=True)
    assert bounded_exe.name.endswith("_bounds")
    assert _run(bounded_exe, manifest, records) == normal
    for rec, got in zip(records, normal):
        gold = run_graph(low.graph, rec, low.args)
        assert got == b"".join(gold[n].tobytes() for n in low.graph.outputs)
    if "target" in options:       # tiled: the DMA still moves exactly the planned bytes
        v = validate(out, n=2, seed=3, bounds=True)
        assert v.ok and v.dma_exact, v.messages


def test_without_the_flag_the_run_function_checks_nothing(tmp_path):
    _, out, manifest = _compile(tmp_path, "kws_dscnn_int8")
    cc = shutil.which("cc") or shutil.which("gcc")
    src = out / (manifest["prefix"] + ".c")
    plain = subprocess.run([cc, "-E", "-P", str(src)], capture_output=True, text=True,
                           check=True).stdout
    assert "td_bounds_block" not in plain and not re.search(r"\bmalloc\b", plain)
    bounded = subprocess.run([cc, "-E", "-P", "-DTD_BOUNDS_CHECK", str(src)],
                             capture_output=True, text=True, check=True).stdout
    assert bounded.count("td_bounds_block(") > len(manifest["layers"])


def _layer_block(text: str, index: int) -> tuple[int, int]:
    """Span of layer ``index``'s call in the bounds-checking run function."""
    start = text.index("#else /* TD_BOUNDS_CHECK */")
    a = text.index(f"TD_LAYER_BEGIN({index});", start)
    return a, text.index(f"TD_LAYER_DONE({index},", a)


def test_a_planned_buffer_one_byte_short_is_reported(tmp_path):
    """Shrink one layer's output block by a byte (as if the planner had planned one byte
    too few): the kernel's last write lands outside it and ASan reports it."""
    _, out, manifest = _compile(tmp_path, "kws_dscnn_int8")
    layer = next(lay for lay in manifest["layers"] if lay["kind"] == "depthwise_conv2d")
    i, nbytes = layer["index"], int(np.prod(layer["shape"]))
    src = out / (manifest["prefix"] + ".c")
    text = src.read_text()
    a, b = _layer_block(text, i)
    call = text[a:b]
    shrunk = re.sub(rf"td_bounds_block\(NULL, {nbytes}\)", f"td_bounds_block(NULL, "
                    f"{nbytes - 1})", call)
    shrunk = re.sub(rf"(td_bounds_release\(td_arena \+ \d+, l{i}_b\d+, ){nbytes}\)",
                    rf"\g<1>{nbytes - 1})", shrunk)
    assert shrunk.count(str(nbytes - 1)) == 2, call
    src.write_text(text[:a] + shrunk + text[b:])
    records = random_inputs(_lowered_graph(out), 1, seed=0)
    _run(hostrun.build(out, sanitize=True), manifest, records)     # unchanged: clean
    with pytest.raises(TinyDeployError) as e:
        _run(hostrun.build(out, bounds=True), manifest, records)
    assert "heap-buffer-overflow" in str(e.value) and "WRITE of size 1" in str(e.value)
    assert "td_depthwise_conv2d_s8" in str(e.value)


def test_a_kernel_writing_past_its_output_is_reported(tmp_path):
    """Patch one depthwise layer's args (out_h + 1) in the generated C, as if the compile
    time checks had let wrong sizes through: the kernel writes one row past its output.
    The normal build does not notice (the row lands inside the arena, even under ASan);
    the bounds build does."""
    _, out, manifest = _compile(tmp_path, "kws_dscnn_int8")
    arena = manifest["arena_bytes"]
    layer = next(lay for lay in manifest["layers"] if lay["kind"] == "depthwise_conv2d"
                 and lay["offset"] + int(np.prod(lay["shape"]))
                 + int(np.prod(lay["shape"][2:])) <= arena)
    struct = f"{manifest['prefix']}_l{layer['index']}_args = {{"
    src = out / (manifest["prefix"] + ".c")
    text = src.read_text()
    a = text.index(struct)
    b = text.index("};", a)
    out_h = layer["shape"][1]
    patched = text[a:b].replace(f".out_h = {out_h},", f".out_h = {out_h + 1},")
    assert patched != text[a:b]
    src.write_text(text[:a] + patched + text[b:])
    records = random_inputs(_lowered_graph(out), 1, seed=0)
    _run(hostrun.build(out, sanitize=True), manifest, records)     # silently wrong
    with pytest.raises(TinyDeployError) as e:
        _run(hostrun.build(out, bounds=True), manifest, records)
    assert "heap-buffer-overflow" in str(e.value) and "WRITE of size 1" in str(e.value)
    assert "td_depthwise_conv2d_s8" in str(e.value)


def _lowered_graph(project: Path):
    from tinydeploy import load_project
    return load_project(project).lowered.graph
