"""A transformer encoder quantized by onnxruntime's quantize_static (QDQ: MatMul of
weights and of activations, Softmax, LayerNormalization, Erf or Gelu, Add, Div,
Transpose, Reshape) compiles and its C (under ASan/UBSan) matches onnxruntime within
2 LSB; the model is built in the test (tests/frontend/qdq_transformer.py)."""

from __future__ import annotations

import logging

import pytest

import tinydeploy
from tests.frontend.qdq_transformer import quantized_encoder

pytestmark = pytest.mark.cc
logging.getLogger().setLevel(logging.ERROR)        # quantize_static's pre-processing hints


@pytest.mark.parametrize("kw", [
    dict(seq=8, embed=16, heads=2, hidden=32, gelu="erf"),
    dict(seq=5, embed=24, heads=3, hidden=40, gelu="op", seed=3),
    dict(seq=12, embed=32, heads=4, hidden=64, gelu="erf", seed=7),
], ids=["s8_e16_h2_erf", "s5_e24_h3_gelu", "s12_e32_h4_erf"])
def test_qdq_encoder_matches_onnxruntime_within_2_lsb(kw, tmp_path):
    pytest.importorskip("onnxruntime")
    path = quantized_encoder(tmp_path, **kw)
    proj = tinydeploy.compile(path, tmp_path / "out")
    kinds = {op.kind for op in proj.lowered.graph.ops}
    assert {"layernorm", "matmul", "lut", "softmax_exp", "fully_connected"} <= kinds
    v = proj.validate(n=8, sanitize=True)
    assert v.reference.startswith("onnxruntime")
    assert v.c_vs_golden_exact, v.messages
    assert v.c_vs_reference_max_lsb <= 2, v.messages


def test_a_float_chain_with_two_quantized_inputs_is_refused_naming_the_node(tmp_path):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper

    from tinydeploy.errors import TinyDeployError
    pytest.importorskip("onnxruntime")
    path = quantized_encoder(tmp_path)
    m = onnx.load(path)
    erf = next(n for n in m.graph.node if n.op_type == "Erf")
    other = next(n.output[0] for n in m.graph.node if n.op_type == "DequantizeLinear"
                 and n.output[0].startswith("x"))
    div = next(n for n in m.graph.node if n.output[0] == erf.input[0])
    div.input[1] = other                          # Div(f, x): two quantized inputs
    onnx.save(m, tmp_path / "bad.onnx")
    with pytest.raises(TinyDeployError, match=r"node 'f_s'.*2 quantized inputs"):
        tinydeploy.compile(tmp_path / "bad.onnx", tmp_path / "o2")
    _ = (np, TensorProto, helper)
