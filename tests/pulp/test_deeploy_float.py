"""Deeploy's float32 networks (``Kernels_FP32_*`` kernel tests, the float CCT and
microLlama) compiled to C and run under ASan/UBSan against Deeploy's outputs.npz, within
1e-4 absolute + 1e-3 relative (the float kernels sum in their own order; what they reach
is printed by ``-s``). Every Kernels_FP32_* folder is either accepted (listed in
:data:`ACCEPTED`: must match) or refused with a one-line error naming the node (the
none today); a folder in neither list fails, so a regression or a
new folder shows."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

import tinydeploy
from tests.conftest import MODELS_DIR, model_path
from tinydeploy.check.hostrun import build, run
from tinydeploy.errors import TinyDeployError

pytestmark = [pytest.mark.cc, pytest.mark.models]

ROOT = MODELS_DIR / "deeploy"
# folders refused, each with (part of) its one-line reason
REFUSED: dict[str, str] = {"Kernels_BF16_Add_Regular": "input 'input_0' is BFLOAT16"}
ACCEPTED = """Add_Large Add_Regular Add_Scalar AveragePool_Regular_1D AveragePool_Regular_2D
Ceil Clip Conv_DW_2D_Bias Conv_DW_2D_NoBias Conv_DW_2D_ZeroValuedBias Conv_Regular_2D_Bias
Conv_Regular_2D_NoBias Conv_Regular_2D_ZeroValuedBias Div_Regular Div_Scalar Exp Floor GELU
GEMM_NoBias GEMM_Regular GEMM_TransB GlobalAveragePool GlobalMaxPool GroupNorm HardSigmoid
HardSwish Hardswish InstanceNorm LayerNorm MatMul MaxPool_Regular_1D MaxPool_Regular_2D
Mul_Regular Mul_Scalar Pad Pow_Scalar Pow_Vector RMSNorm_separate_ops RMSNorm_single_fused_op
ReLU ReduceMean_KeepDims_Add_ReduceMean ReduceMean_KeepDims_Add_ReduceMean_Add
ReduceMean_KeepDims_AllAxes ReduceMean_KeepDims_Axes1_2_3 ReduceMean_KeepDims_Axes1_3
ReduceMean_KeepDims_Axes2_1 ReduceMean_KeepDims_Axis0 ReduceMean_KeepDims_Axis2
ReduceMean_KeepDims_ReduceMean_Add ReduceMean_NoKeepDims_Add_ReduceMean
ReduceMean_NoKeepDims_Add_ReduceMean_Add ReduceMean_NoKeepDims_AllAxes
ReduceMean_NoKeepDims_Axes1_2_3 ReduceMean_NoKeepDims_Axes1_3 ReduceMean_NoKeepDims_Axes2_1
ReduceMean_NoKeepDims_Axis0 ReduceMean_NoKeepDims_Axis2 ReduceMean_NoKeepDims_ReduceMean_Add
ReduceSum Reshape_Regular Reshape_SkipConnection Sigmoid Softmax_CrossEntropy
Softmax_CrossEntropyGrad Softmax_Grad Softmax_Regular Sqrt
Squeeze Sub Swish Transpose""".split()
ACCEPTED = [f"Kernels_FP32_{n}" for n in ACCEPTED] + [
    "Models_CCT_FP32_CCT_1_16_16_8", "Models_CCT_FP32_CCT_1_32_32_8",
    "Models_microLlama_FP32_microLlama1"]
# float graphs with integer edges or integer-valued float arithmetic (Quant/Dequant as
# float nodes, a fake-quantized transformer layer, type-inference corner cases)
MIXED = ["Kernels_Mixed_Dequant", "Kernels_Mixed_Quant", "Models_Transformer_DeepQuant",
         "Others_Backtracking", "Others_TypeInference"]
RTOL, ATOL = 1e-3, 1e-4


def folders() -> list[str]:
    if not ROOT.is_dir():
        return []
    return sorted(p.name for p in ROOT.iterdir() if p.name.startswith("Kernels_FP32_"))


def record(folder, manifest: dict) -> list[np.ndarray]:
    """inputs.npz in the C API's input order: its first arrays are the graph inputs in
    graph order (some files list the initializers after them)."""
    m = onnx.load(folder / "network.onnx", load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    order = [i.name for i in m.graph.input if i.name not in inits]
    z = np.load(folder / "inputs.npz")
    return [np.asarray(z[z.files[order.index(s["name"])]]).astype(s["dtype"])
            .reshape(s["shape"]) for s in manifest["inputs"]]


def assert_close(got: list[np.ndarray], folder) -> tuple[float, float]:
    o = np.load(folder / "outputs.npz")
    assert len(got) == len(o.files)
    worst_abs = worst_rel = 0.0
    for y, k in zip(got, o.files):
        w = np.asarray(o[k]).astype(np.float32).ravel()
        y = y.astype(np.float32).ravel()
        assert y.size == w.size, k
        same = (y == w) | (np.isnan(y) & np.isnan(w))
        with np.errstate(invalid="ignore"):
            d = np.where(same, 0.0, np.abs(y.astype(np.float64) - w))
        bad = np.flatnonzero(d > ATOL + RTOL * np.abs(w))
        assert bad.size == 0, (f"output {k}: {bad.size} of {y.size} values off, first at "
                               f"{bad[0]}: {y[bad[0]]} vs {w[bad[0]]}")
        worst_abs = max(worst_abs, float(d.max(initial=0.0)))
        big = np.abs(w) > 1e-3
        if big.any():
            worst_rel = max(worst_rel, float((d[big] / np.abs(w[big])).max()))
    return worst_abs, worst_rel


def test_every_float_kernel_folder_is_listed():
    names = folders()
    if not names:
        pytest.skip("no shared Deeploy models")
    assert not set(names) - set(ACCEPTED) - set(REFUSED), "a new Kernels_FP32_ folder"


@pytest.mark.parametrize("name", ACCEPTED + MIXED)
def test_accepted_float_network_matches_deeploy_under_sanitizers(name, tmp_path):
    folder = model_path(f"deeploy/{name}")
    proj = tinydeploy.compile(folder / "network.onnx", tmp_path / "out")
    man = proj.manifest
    assert name in MIXED or all(s["dtype"] == "float32" or (s["dtype"] == "int64" and
                                                         s["name"] == "labels")
                                for s in man["inputs"] + man["outputs"])
    outs = run(build(proj.path, sanitize=True), man, [record(folder, man)])[0]
    worst = assert_close(outs, folder)
    print(f"{name}: max abs {worst[0]:.2e}, max rel {worst[1]:.2e}")


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unsupported_float_network_is_refused_with_one_line(name, tmp_path):
    folder = model_path(f"deeploy/{name}")
    with pytest.raises(TinyDeployError) as e:
        tinydeploy.compile(folder / "network.onnx", tmp_path / "out")
    msg = str(e.value)
    assert "\n" not in msg and REFUSED[name] in msg and str(folder) in msg


@pytest.mark.parametrize("options", [{"target": "siracusa"}, {"kernels": "opt"}],
                         ids=["tiled-siracusa", "kernels-opt"])
def test_float_cct_on_a_tiled_target_and_with_the_optimized_kernel_set(options, tmp_path):
    """The memory planner and the tiled runtime take float32 tensors like any other; the
    optimized kernel set falls back to the reference float kernels."""
    folder = model_path("deeploy/Models_CCT_FP32_CCT_1_16_16_8")
    proj = tinydeploy.compile(folder / "network.onnx", tmp_path / "out", **options)
    man = proj.manifest
    outs = run(build(proj.path, sanitize=True), man, [record(folder, man)])[0]
    assert_close(outs, folder)
