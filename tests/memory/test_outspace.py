"""The caller's output buffer as working memory before the network writes it
(memory/outspace.py).

- the tail rule of a dequantize over its own input, checked by running the kernel's loop
  (read element i, write element i, increasing i) in one byte array at the offset the
  planner chooses, for every element count and input width: the result equals the
  out-of-place one;
- AD quantized by ``tinydeploy quantize`` (float input and output): the arena falls to the
  official int8 file's or below, the generated C addresses the lent tensors inside
  ``output`` and says so in the header, and the outputs equal the golden in the normal
  build, under ASan/UBSan, in the bounds build (every arena buffer its own heap block)
  and on QEMU rv32.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import model_path
from tinydeploy import api
from tinydeploy.check import hostrun
from tinydeploy.check.inputs import random_inputs
from tinydeploy.check.validate import validate
from tinydeploy.memory.outspace import Region, _tail_offset
from tinydeploy.memory.planner import Buffer
from tinydeploy.quant.execute import run_graph
from tinydeploy.quantize.driver import quantize_file


@pytest.mark.parametrize("in_item,out_item", [(1, 4), (2, 4), (1, 2)])
def test_dequantize_at_the_tail_never_overwrites_an_unread_element(in_item, out_item):
    rng = np.random.default_rng(in_item * 10 + out_item)
    for n in range(1, 70):
        r = Region("y", n * out_item, out_item, 5, "x", n, out_item - in_item)
        for align in (1, 2, 4):
            b = Buffer("x", n * in_item, 0, 5, align)
            at = _tail_offset(r, b)
            if at is None:
                assert (out_item - in_item) * n // align * align < (out_item - in_item) * (n - 1)
                continue
            assert at % align == 0 and at + b.size <= r.size
            x = rng.integers(0, 256, n * in_item, dtype=np.uint8)
            want = np.concatenate([np.pad(x[i * in_item:(i + 1) * in_item],
                                          (0, out_item - in_item)) for i in range(n)])
            mem = np.zeros(r.size, np.uint8)
            mem[at:at + b.size] = x
            for i in range(n):                      # the kernel's order: read i, write i
                v = mem[at + i * in_item: at + (i + 1) * in_item].copy()
                mem[i * out_item:(i + 1) * out_item] = np.pad(v, (0, out_item - in_item))
            assert np.array_equal(mem, want), (n, align, at)


def test_a_mid_buffer_dequantize_input_is_refused():
    r = Region("y", 40, 4, 5, "x", 10, 3)
    assert _tail_offset(r, Buffer("x", 12, 0, 5)) is None       # not the dequantize's size


@pytest.fixture(scope="module")
def ad_quantized(tmp_path_factory):
    official = model_path("ad_autoencoder_int8.tflite")
    tmp = tmp_path_factory.mktemp("ad_q")
    rng = np.random.default_rng(0)
    np.save(tmp / "calib.npy", rng.uniform(-60, 10, (20, 640)).astype(np.float32))
    q = tmp / "ad_q.onnx"
    quantize_file(model_path("float/ad_autoencoder_float.tflite"), q,
                  calib=[str(tmp / "calib.npy")])
    return official, q, tmp


def test_quantized_ad_borrows_its_output_buffer_and_stays_exact(ad_quantized):
    official, q, tmp = ad_quantized
    ref = api.compile(official, tmp / "official", board="qemu-rv32")
    proj = api.compile(q, tmp / "ours", board="qemu-rv32")
    mem = proj.lowered.memory
    assert mem.arena_bytes <= ref.lowered.memory.arena_bytes
    assert mem.in_outputs and all(o == proj.lowered.graph.outputs[0]
                                  for o, _ in mem.in_outputs.values())
    src = (proj.path / f"{proj.prefix}.c").read_text()
    assert "(uint8_t *)output + " in src
    assert "must not overlap an input" in (proj.path / f"{proj.prefix}.h").read_text()
    for on, sanitize in (("host", True), ("qemu", False)):
        v = validate(proj.path, n=3, seed=5, on=on, sanitize=sanitize)
        assert v.ok, (on, v.messages)
    low = proj.lowered
    manifest = json.loads((proj.path / "manifest.json").read_text())
    records = random_inputs(low.graph, 3, seed=11)
    bounded = hostrun.run(hostrun.build(proj.path, bounds=True), manifest, records)
    for rec, got in zip(records, bounded):
        gold = run_graph(low.graph, rec, low.args)
        want = gold[low.graph.outputs[0]]
        assert np.array_equal(np.asarray(got[0]).ravel().view(np.uint32),
                               np.asarray(want, np.float32).ravel().view(np.uint32))


def test_without_a_float_output_nothing_is_borrowed(ad_quantized):
    official, _, tmp = ad_quantized
    low = api.compile(official, tmp / "official2", board="qemu-rv32").lowered
    assert low.memory.in_outputs == {}     # an int8 output: no room for 4-aligned buffers
