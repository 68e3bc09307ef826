"""Temporal convolutional networks as NEMO exports them (tests/pulp/tcn_nets.py): causal
dilated 1-D convolutions (left Pad + Conv) and residual adds whose unclipped sums are
int16 in the IR, flowing into the next block's padding and residual add. Compiled, they
match onnxruntime layer by layer and the C (ASan/UBSan) matches golden and onnxruntime;
the activations stay 1-D ([N, 1, L, C], the padding folded into the convolutions): the
arena of a dilated conv1d chain equals the 1-D lower bound computed here from the ONNX
shapes alone."""

from __future__ import annotations

import onnx
import pytest

from tests.pulp.ortcheck import compare_layers
from tests.pulp.tcn_nets import dilated_chain_net, nemo_tcn_net, residual_into_net
from tinydeploy.check.inputs import random_inputs
from tinydeploy.check.validate import validate
from tinydeploy.compiler import compile_model

pytestmark = pytest.mark.cc


def _save(tmp_path, model: onnx.ModelProto, name: str) -> str:
    p = tmp_path / f"{name}.onnx"
    onnx.save(model, p)
    return str(p)


@pytest.mark.parametrize("clip_residual", [False, True])
def test_nemo_tcn_with_int16_residuals_matches_onnxruntime(tmp_path, clip_residual):
    path = _save(tmp_path, nemo_tcn_net(seed=3, clip_residual=clip_residual), "tcn")
    low = compile_model(path, tmp_path / "out")
    g = low.graph
    wide = {n for op in g.ops for n in op.inputs
            if n and g.t(n).dtype == "int16" and not g.t(n).is_const}
    if clip_residual:
        assert not wide
    else:                    # the unclipped residual sums reach adds and convolutions
        readers = {op.kind for op in g.ops if set(op.inputs) & wide}
        assert {"add", "conv2d"} <= readers, readers
    assert all(len(g.t(n).shape) == 4 and g.t(n).shape[1] == 1
               for op in g.ops if op.kind == "conv2d" for n in op.outputs)
    assert len(compare_layers(path, low, random_inputs(g, 8, seed=4))) >= 10
    v = validate(tmp_path / "out", n=8, seed=5, sanitize=True)
    assert v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages


@pytest.mark.parametrize("tail", ["maxpool_conv", "maxpool", "pad_add", "avgpool",
                                  "gap_gemm"])
def test_int16_residual_into_pool_pad_and_outputs_matches_onnxruntime(tmp_path, tail):
    """The int16 sums also go through MaxPool (td_max_pool2d_s16), average pools
    (td_sum_pool2d_s16_s32, then the requantization), explicit Pads and adds, and leave the
    network as int16 in the source's NCL layout."""
    path = _save(tmp_path, residual_into_net(tail, seed=2), tail)
    low = compile_model(path, tmp_path / "out")
    g = low.graph
    kind = {"pad_add": "add", "avgpool": "sum_pool2d", "gap_gemm": "sum_pool2d"}.get(
        tail, "max_pool2d")
    assert any(g.t(op.inputs[0]).dtype == "int16" for op in g.ops if op.kind == kind)
    if tail in ("maxpool", "pad_add"):
        assert g.t(g.outputs[0]).dtype == "int16"
    v = validate(tmp_path / "out", n=8, seed=3, sanitize=True)
    assert v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages


def one_d_lower_bound(model: onnx.ModelProto) -> int:
    """max over the convolutions of (input bytes + output bytes), each activation an int8
    [L, C] tensor with the shapes ONNX shape inference gives: the least memory a
    layer-by-layer schedule of the 1-D network needs, without any padded copy (the sizes
    here are multiples of the arena's 4-byte alignment, so a plan can reach it)."""
    inf = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in (*inf.graph.value_info, *inf.graph.input, *inf.graph.output)}
    size = {n: s[1] * s[2] for n, s in shapes.items() if len(s) == 3}
    pads = {n.output[0]: n.input[0] for n in inf.graph.node if n.op_type == "Pad"}
    best = 0
    for n in inf.graph.node:
        if n.op_type == "Conv":
            src = pads.get(n.input[0], n.input[0])      # the unpadded activation
            best = max(best, size[src] + size[n.output[0]])
    return best


@pytest.mark.parametrize("length, channels, dilations",
                         [(64, 8, (1, 2, 4, 8)), (200, 16, (1, 3, 9)), (36, 5, (2, 2, 4, 16))])
def test_dilated_conv1d_arena_equals_the_1d_lower_bound(tmp_path, length, channels,
                                                        dilations):
    model = dilated_chain_net(seed=1, channels=channels, length=length, dilations=dilations)
    path = _save(tmp_path, model, "chain")
    low = compile_model(path, tmp_path / "out")
    bound = one_d_lower_bound(model)
    assert bound == 2 * length * channels
    assert low.memory.arena_bytes == bound, (low.memory.arena_bytes, bound)
    biggest = max(g.nbytes for g in low.graph.tensors.values() if not g.is_const)
    assert biggest == length * channels            # no padded or expanded copy
    v = validate(tmp_path / "out", n=4, seed=2, sanitize=True)
    assert v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages
