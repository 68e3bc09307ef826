"""PyTorch users (issue 14, point 7): what ``torch.onnx.export`` and Brevitas write deploys.

Optional: needs the ``torch`` extra (``pip install tinydeploy[torch]``: torch, brevitas,
onnxscript, onnxoptimizer); the module skips with that message when torch is absent.

1. A float CNN (conv / batch norm / relu / max pool / linear, seeded weights), exported by
   both of torch's exporters (TorchScript, ``dynamo=False``; torch.export, the default
   since torch 2.9, needs onnxscript): ``tinydeploy.compile`` as a float32 network, the
   C under ASan/UBSan equals torch's own output within float rounding; the same file
   through ``tinydeploy quantize`` compiles, and the int8 C is within 1 LSB of
   onnxruntime on that QDQ file (the interop tests' bound).
2. A quantized model from torch: eager-mode post-training quantization (fuse, prepare,
   calibrate, convert; qnnpack) exported by the TorchScript exporter as QDQ (QuantizeLinear
   -> Cast -> DequantizeLinear, int32 biases through ConstantOfShape zero points). torch
   2.13 has no PT2E in torch.ao (moved to torchao), and its dynamo exporter cannot export
   the eager quantized modules (``TorchExportError``: ``Conv2dPackedParamsBase`` does not
   have a field with name ``__obj_flatten__``).
3. Brevitas QAT (QuantIdentity / QuantConv2d / QuantReLU / QuantLinear) exported with
   ``export_onnx_qcdq``: 8-bit (TorchScript, int32 bias) within 1 LSB of onnxruntime;
   4-bit weights and activations (TorchScript with int32 bias; dynamo, whose QCDQ export
   refuses quantized biases, with float ones): weights packed int4, the first ReLU's
   output uint4, the second int8 clamped to [0, 15] (a flatten follows); the sub-byte
   layers requantize with TFLite's two roundings (onnxruntime: one, in float), so vs
   onnxruntime it is an SQNR bound as in tests/quantize/test_mixed.py.
Everything compiled is also checked bit for bit against the golden of the imported graph.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

torch = pytest.importorskip(       # ImportError too: a torch that fails to load skips
    "torch", reason="PyTorch is not installed (optional extra: pip install tinydeploy[torch])",
    exc_type=ImportError)
nn = torch.nn

import tinydeploy  # noqa: E402
from tinydeploy.check import hostrun  # noqa: E402
from tinydeploy.frontend.onnx import load_onnx  # noqa: E402
from tinydeploy.quant.execute import run_graph  # noqa: E402
from tinydeploy.quantize.driver import quantize_file  # noqa: E402
from tinydeploy.quantize.report import sqnr_db  # noqa: E402

try:                                    # the Brevitas tests skip without it
    import brevitas.nn as qnn
    from brevitas.export import export_onnx_qcdq
    from brevitas.quant import Int8ActPerTensorFloat, Int32Bias
except ImportError:
    qnn = None

pytestmark = pytest.mark.cc
N = 8
SHAPE = (1, 3, 16, 16)
MAX_LSB = 1
HAS_ONNXSCRIPT = importlib.util.find_spec("onnxscript") is not None
EXPORTERS = [pytest.param(False, id="torchscript"),
             pytest.param(True, id="dynamo", marks=pytest.mark.skipif(
                 not HAS_ONNXSCRIPT, reason="torch's dynamo exporter needs onnxscript"))]


class FloatCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.c2, self.b2 = nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16)
        self.pool, self.fc = nn.MaxPool2d(2), nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = torch.relu(self.b1(self.c1(x)))
        x = self.pool(torch.relu(self.b2(self.c2(x))))
        return self.fc(torch.flatten(x, 1))


def _float_cnn() -> nn.Module:
    torch.manual_seed(0)
    m = FloatCNN()
    with torch.no_grad():
        for bn in (m.b1, m.b2):         # non-trivial statistics: batch norm folds for real
            bn.running_mean.normal_(0, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.normal_(0, 0.2)
    return m.eval()


def _inputs(seed: int, n: int = N) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 1, SHAPE).astype(np.float32) for _ in range(n)]


def _export(m: nn.Module, path, dynamo: bool):
    x = torch.from_numpy(_inputs(99, 1)[0])
    # TorchScript: opset 17; dynamo: its own opset (18; asking for less converts down)
    kw = {} if dynamo else {"opset_version": 17}
    torch.onnx.export(m, (x,), str(path), dynamo=dynamo, **kw)
    return path


def _c(path, out_dir, xs) -> list[np.ndarray]:
    """``tinydeploy.compile``, build with ASan/UBSan, run: the first output per input."""
    proj = tinydeploy.compile(path, out_dir)
    manifest = json.loads((proj.path / "manifest.json").read_text())
    exe = hostrun.build(proj.path, sanitize=True)
    return [r[0] for r in hostrun.run(exe, manifest, [[x] for x in xs])]


def _ort(path, xs) -> list[np.ndarray]:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return [sess.run(None, {name: x})[0] for x in xs]


def _golden_equal(path, xs, got) -> None:
    """The C is the numpy golden of the imported graph, bit for bit."""
    g = load_onnx(path)
    for x, c in zip(xs, got):
        np.testing.assert_array_equal(c, run_graph(g, [x])[g.outputs[0]].reshape(c.shape))


def _out_scale(path) -> float:
    """Scale of the DequantizeLinear computing the graph output."""
    m = onnx.load(str(path))
    consts = {t.name: onnx.numpy_helper.to_array(t) for t in m.graph.initializer}
    consts.update({n.output[0]: onnx.numpy_helper.to_array(n.attribute[0].t)
                   for n in m.graph.node if n.op_type == "Constant"})
    dq = {n.output[0]: n for n in m.graph.node if n.op_type == "DequantizeLinear"}
    return float(consts[dq[m.graph.output[0].name].input[1]])


def _lsb(path, got, want) -> tuple[int, float]:
    """(max |C - onnxruntime| in output LSBs, fraction identical)."""
    d = np.concatenate([np.rint(np.abs(c.astype(np.float64).ravel() -
                                       w.astype(np.float64).ravel()) / _out_scale(path))
                        for c, w in zip(got, want)])
    return int(d.max()), float(np.mean(d == 0))


# -- 1. float CNN ----------------------------------------------------------------------------
@pytest.mark.parametrize("dynamo", EXPORTERS)
def test_float_cnn_c_equals_torch(tmp_path, dynamo):
    m = _float_cnn()
    path = _export(m, tmp_path / "float.onnx", dynamo)
    xs = _inputs(0)
    got = _c(path, tmp_path / "c", xs)
    with torch.no_grad():
        want = [m(torch.from_numpy(x)).numpy() for x in xs]
    err = max(float(np.abs(c.reshape(w.shape) - w).max()) for c, w in zip(got, want))
    print(f"float CNN ({'dynamo' if dynamo else 'TorchScript'} export): C vs torch max abs "
          f"{err:.2e} (outputs up to {max(float(np.abs(w).max()) for w in want):.2f})")
    for c, w in zip(got, want):
        np.testing.assert_allclose(c.reshape(w.shape), w, rtol=1e-5, atol=1e-6)


def test_float_cnn_through_tinydeploy_quantize(tmp_path):
    path = _export(_float_cnn(), tmp_path / "float.onnx", False)
    calib = tmp_path / "calib.npy"
    np.save(calib, np.concatenate(_inputs(1, 64)))
    qdq = tmp_path / "q.onnx"
    quantize_file(path, qdq, calib=[str(calib)])
    xs = _inputs(2)
    got = _c(qdq, tmp_path / "c", xs)
    _golden_equal(qdq, xs, got)
    worst, same = _lsb(qdq, got, _ort(qdq, xs))
    print(f"float CNN -> tinydeploy quantize: C vs onnxruntime max {worst} LSB, "
          f"{100 * same:.1f}% identical")
    assert worst <= MAX_LSB


# -- 2. a quantized model from torch ---------------------------------------------------------
class EagerQuantCNN(nn.Module):
    def __init__(self):
        super().__init__()
        aq = torch.ao.quantization
        self.q, self.dq = aq.QuantStub(), aq.DeQuantStub()
        self.c1, self.r1 = nn.Conv2d(3, 8, 3, padding=1), nn.ReLU()
        self.c2, self.r2 = nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU()
        self.pool, self.fc = nn.MaxPool2d(2), nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = self.r1(self.c1(self.q(x)))
        x = self.pool(self.r2(self.c2(x)))
        return self.dq(self.fc(torch.flatten(x, 1)))


def test_eager_quantized_torch_model_deploys(tmp_path):
    aq = torch.ao.quantization
    torch.manual_seed(0)
    torch.backends.quantized.engine = "qnnpack"
    m = EagerQuantCNN().eval()
    m.qconfig = aq.get_default_qconfig("qnnpack")
    aq.fuse_modules(m, [["c1", "r1"], ["c2", "r2"]], inplace=True)
    aq.prepare(m, inplace=True)
    with torch.no_grad():
        for x in _inputs(1, 32):
            m(torch.from_numpy(x))
    aq.convert(m, inplace=True)
    path = _export(m, tmp_path / "q.onnx", False)
    assert {"QuantizeLinear", "DequantizeLinear", "Conv", "Gemm"} <= \
        {n.op_type for n in onnx.load(str(path)).graph.node}
    xs = _inputs(2)
    got = _c(path, tmp_path / "c", xs)
    _golden_equal(path, xs, got)
    worst, same = _lsb(path, got, _ort(path, xs))
    with torch.no_grad():
        tq = [m(torch.from_numpy(x)).numpy() for x in xs]
    t_worst, _ = _lsb(path, got, tq)
    print(f"torch eager-quantized CNN: C vs onnxruntime max {worst} LSB ({100 * same:.1f}% "
          f"identical); vs torch's quantized CPU kernels max {t_worst} LSB")
    assert worst <= MAX_LSB


# -- 3. Brevitas QAT, QCDQ export ------------------------------------------------------------
def _brevitas_cnn(bits: int, int32_bias: bool, act_bits: int | None = None) -> nn.Module:
    if qnn is None:
        pytest.skip("Brevitas is not installed (optional extra: pip install "
                    "tinydeploy[torch])")
    bias = {"bias_quant": Int32Bias} if int32_bias else {}

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = qnn.QuantIdentity(act_quant=Int8ActPerTensorFloat,
                                         return_quant_tensor=True)
            self.c1 = qnn.QuantConv2d(3, 8, 3, padding=1, weight_bit_width=bits,
                                      return_quant_tensor=True, **bias)
            self.r1 = qnn.QuantReLU(bit_width=act_bits or bits, return_quant_tensor=True)
            self.c2 = qnn.QuantConv2d(8, 16, 3, stride=2, padding=1, weight_bit_width=bits,
                                      return_quant_tensor=True, **bias)
            self.r2 = qnn.QuantReLU(bit_width=act_bits or bits, return_quant_tensor=True)
            self.pool = nn.MaxPool2d(2)
            self.fc = qnn.QuantLinear(16 * 4 * 4, 10, weight_bit_width=bits,
                                      output_quant=Int8ActPerTensorFloat, **bias)

        def forward(self, x):
            x = self.r1(self.c1(self.inp(x)))
            x = self.pool(self.r2(self.c2(x)))
            return self.fc(torch.flatten(x, 1))

    torch.manual_seed(0)
    m = Net().train()
    with torch.no_grad():                   # QAT statistics: a few training-mode passes
        for x in _inputs(1, 10):
            m(torch.from_numpy(np.concatenate([x] * 4)))
    return m.eval()


def _export_qcdq(m: nn.Module, path, dynamo: bool):
    if importlib.util.find_spec("onnxoptimizer") is None:
        pytest.skip("Brevitas' ONNX export needs onnxoptimizer (in the torch extra)")
    x = torch.from_numpy(_inputs(99, 1)[0])
    export_onnx_qcdq(m, args=x, export_path=str(path), dynamo=dynamo,
                     opset_version=18 if dynamo else 13)
    return path


def test_brevitas_8bit_qcdq_deploys(tmp_path):
    path = _export_qcdq(_brevitas_cnn(8, True), tmp_path / "b8.onnx", False)
    assert "Clip" in {n.op_type for n in onnx.load(str(path)).graph.node}  # narrow range
    xs = _inputs(2)
    got = _c(path, tmp_path / "c", xs)
    _golden_equal(path, xs, got)
    worst, same = _lsb(path, got, _ort(path, xs))
    print(f"Brevitas 8-bit QCDQ: C vs onnxruntime max {worst} LSB, {100 * same:.1f}% "
          "identical")
    assert worst <= MAX_LSB


def test_brevitas_8bit_weights_4bit_activations(tmp_path):
    """int8 weights: the layers requantize with one rounding as onnxruntime does, and the
    4-bit ReLUs (uint8 Clip(0, 15)) are their requants' clamps (int8 storage)."""
    path = _export_qcdq(_brevitas_cnn(8, True, act_bits=4), tmp_path / "w8a4.onnx", False)
    g = load_onnx(path)
    rq = [op for op in g.ops if op.kind == "requant"]
    assert [tuple(op.attrs["clip"]) for op in rq[:2]] == [(0, 15), (0, 15)]
    xs = _inputs(2)
    got = _c(path, tmp_path / "c", xs)
    _golden_equal(path, xs, got)
    worst, same = _lsb(path, got, _ort(path, xs))
    print(f"Brevitas w8a4 QCDQ: C vs onnxruntime max {worst} LSB, {100 * same:.1f}% "
          "identical")
    assert worst <= MAX_LSB


@pytest.mark.parametrize("dynamo", EXPORTERS)
def test_brevitas_4bit_qcdq_deploys_packed(tmp_path, dynamo):
    path = _export_qcdq(_brevitas_cnn(4, not dynamo), tmp_path / "b4.onnx", dynamo)
    g = load_onnx(path)
    weighted = [op for op in g.ops if op.kind in ("conv2d", "fully_connected")]
    assert [g.t(op.inputs[1]).dtype for op in weighted] == ["int4"] * 3
    c1, c2 = weighted[:2]
    assert g.t(c1.outputs[0]).dtype == "uint4"        # conv -> conv: packed
    assert g.t(c2.outputs[0]).dtype == "int8"         # pool -> flatten: int8, clamped
    assert any(op.kind == "minimum" and op.inputs[0] == c2.outputs[0] for op in g.ops)
    xs = _inputs(2, 16)
    got = _c(path, tmp_path / "c", xs)
    _golden_equal(path, xs, got)
    want = _ort(path, xs)
    ours = np.stack(got).reshape(len(xs), -1).astype(np.float64)
    theirs = np.stack(want).reshape(len(xs), -1).astype(np.float64)
    db, worst = sqnr_db(theirs, ours), _lsb(path, got, want)[0]
    top1 = float(np.mean(ours.argmax(-1) == theirs.argmax(-1)))
    print(f"Brevitas 4-bit QCDQ ({'dynamo' if dynamo else 'TorchScript'}): C vs onnxruntime "
          f"SQNR {db:.1f} dB, max {worst} LSB, top-1 agreement {top1:.2f}")
    assert db > 20.0 and top1 >= 0.75
