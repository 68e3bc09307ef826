"""The float32 ONNX importer (frontend/onnx_float*.py): layouts, notes, and hostile files
(seeded mutations of float seeds compile or fail with one clean line, never exit 3)."""

from __future__ import annotations

import contextlib
import io
import random

import onnx
import pytest
from onnx import TensorProto, helper

from tests.conftest import MODELS_DIR
from tests.frontend import onnx_nets as nets
from tests.fuzz.onnx_quick import mutate
from tinydeploy.cli import main
from tinydeploy.frontend.onnx import load_onnx


def test_conv_relu_pool_stay_in_nhwc(tmp_path):
    """Transposes only at the edges of the NHWC run (conv -> relu -> conv -> relu -> add
    -> maxpool), not between its layers."""
    g = load_onnx(nets.float_net(tmp_path / "f.onnx"))
    kinds = [op.kind for op in g.ops]
    first, pool = kinds.index("conv2d"), kinds.index("max_pool2d")
    assert "transpose" not in kinds[first:pool], kinds
    assert kinds[:first] == ["transpose"]


def test_softmax_without_axis_before_opset_13_is_noted(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 3, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 3, 4])
    m = helper.make_model(helper.make_graph([helper.make_node("Softmax", ["x"], ["y"])],
                                            "s", [x], [y]),
                          opset_imports=[helper.make_opsetid("", 11)])
    m.ir_version = 7
    onnx.save(m, tmp_path / "s.onnx")
    g = load_onnx(tmp_path / "s.onnx")
    assert [op.kind for op in g.ops] == ["softmax"] and g.t(g.ops[0].inputs[0]).shape[-1] == 4
    assert any("last axis" in n for n in g.meta["notes"])


SEEDS = ["Kernels_FP32_Conv_DW_2D_Bias", "Kernels_FP32_GEMM_TransB", "Kernels_FP32_GroupNorm",
         "Kernels_FP32_Pad", "Kernels_FP32_MaxPool_Regular_1D", "Kernels_FP32_Clip",
         "Models_CCT_FP32_CCT_1_16_16_8"]


def test_mutated_float_models_fail_cleanly(tmp_path):
    seeds = [nets.float_net(tmp_path / "f1.onnx"), nets.float_net_more_ops(tmp_path / "f2.onnx")]
    seeds += [MODELS_DIR / "deeploy" / n / "network.onnx" for n in SEEDS
              if (MODELS_DIR / "deeploy" / n).is_dir()]
    models = [onnx.load(s) for s in seeds]
    r = random.Random(12)
    outcomes = {}
    for i in range(40):
        m, what = mutate(models[r.randrange(len(models))], r)
        f = tmp_path / f"case{i}.onnx"
        onnx.save(m, f)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = main(["compile", str(f), "-o", str(tmp_path / f"out{i}")])
        msg = err.getvalue().strip()
        assert rc in (0, 2), (what, msg)
        if rc == 2:
            assert len(msg.splitlines()) == 1 and str(f) in msg, (what, msg)
        outcomes[rc] = outcomes.get(rc, 0) + 1
    assert outcomes.get(2, 0) > 0


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_non_finite_float_weights_are_refused(tmp_path, value):
    p = nets.float_net(tmp_path / "f.onnx")
    m = onnx.load(p)
    w = next(t for t in m.graph.initializer if t.name == "w1")
    arr = onnx.numpy_helper.to_array(w).copy()
    arr.reshape(-1)[3] = float(value)
    w.CopyFrom(onnx.numpy_helper.from_array(arr, "w1"))
    onnx.save(m, p)
    with pytest.raises(Exception) as e:
        load_onnx(p)
    assert "must be finite" in str(e.value) and "node 'conv1' (Conv)" in str(e.value)
