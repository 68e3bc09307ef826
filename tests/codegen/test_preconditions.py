"""Nothing the compiler accepts becomes unsafe C: every kernel argument is checked against
the kernel's preconditions (quant/preconditions.py) before anything is written.

- mutated MLPerf models: a 1e38 tensor scale (a 128-bit left shift), an operator turned
  into a requantize by its opcode index (a kernel writing past its output), a subgraph
  without outputs (a header that would not compile) are refused with one clean error
  naming the layer, and leave no output behind;
- every rule of the table, with valid args and with args violating each precondition;
- the table covers every kernel the runtime ships, and every kernel header documents
  its preconditions.
"""

from __future__ import annotations

import dataclasses
import re
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import tflite

from tests.codegen.precondition_cases_attention import ATTENTION_ACCS, ATTENTION_CASES
from tests.codegen.precondition_cases_attention import WALKED as ATTENTION_WALKED
from tests.codegen.precondition_cases_16x8 import CASES_16X8
from tests.codegen.precondition_cases_f32 import CASES_F32
from tests.codegen.precondition_cases_recurrent import CASES_RECURRENT
from tests.codegen.precondition_cases_signal_basic import CASES_SIGNAL_BASIC
from tests.codegen.precondition_cases_signal_fft import CASES_SIGNAL_FFT
from tests.codegen.precondition_cases_signal_noise import CASES_SIGNAL_NOISE
from tests.codegen.precondition_cases_tflite_ops import CASES_TFLITE_OPS
from tests.conftest import model_path
from tests.stream.precondition_cases_stream import CASES_STREAM
from tests.tflite_writer import TFLiteBuilder
from tinydeploy.codegen.emit import build_project
from tinydeploy.compiler import compile_model, lower_file
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph, Op, QuantParams
from tinydeploy.quant import preconditions as pc
from tinydeploy.quant.golden import GOLDENS, VARIANTS, _load_all
from tinydeploy.quant.golden import _accumulate as acc
from tinydeploy.quant.golden.add import AddArgs
from tinydeploy.quant.golden.avg_pool2d import AvgPool2dArgs
from tinydeploy.quant.golden.concat import ConcatArgs
from tinydeploy.quant.golden.conv2d import Conv2dArgs
from tinydeploy.quant.golden.depthwise_conv2d import DepthwiseConv2dArgs
from tinydeploy.quant.golden.dequantize import DequantizeArgs, DequantizeU8Args
from tinydeploy.quant.golden.fully_connected import FullyConnectedArgs
from tinydeploy.quant.golden.fused_requant import FUSED
from tinydeploy.quant.golden.logistic import LogisticArgs
from tinydeploy.quant.golden.max_pool2d import MaxPool2dArgs
from tinydeploy.quant.golden.mean import MeanArgs
from tinydeploy.quant.golden.mul import MulArgs
from tinydeploy.quant.golden.pad import PadArgs
from tinydeploy.quant.golden.quantize import (QuantizeF32Args, RequantizeArgs,
                                              RequantizeS8U8Args, RequantizeU8S8Args)
from tinydeploy.quant.golden.requant import RequantArgs, RequantS16Args, RequantS32Args
from tinydeploy.quant.golden.softmax import SoftmaxArgs, SoftmaxS8S16Args
from tinydeploy.quant.golden.subbyte.add import AddSbArgs
from tinydeploy.quant.golden.subbyte.conv2d import Conv2dSbArgs
from tinydeploy.quant.golden.subbyte.depthwise_conv2d import DepthwiseConv2dSbArgs
from tinydeploy.quant.golden.subbyte.fully_connected import FullyConnectedSbArgs
from tinydeploy.quant.golden.subbyte.pool import AvgPool2dSbArgs, MaxPool2dSbArgs
from tinydeploy.quant.golden.sum_pool2d import SumPool2dArgs, SumPool2dS16Args
from tinydeploy.quant.golden.tanh import TanhArgs
from tinydeploy.quant.golden.transpose import TransposeArgs, TransposeU8Args
from tinydeploy.quant.requant import multiply_by_quantized_multiplier

KERNELS = Path(pc.__file__).parents[2] / "runtime" / "kernels"
M = 1 << 30            # a valid Q31 multiplier (0.5)


# ---- mutated models --------------------------------------------------------------------

def _model(path: Path) -> tuple[bytearray, tflite.Model]:
    data = bytearray(path.read_bytes())
    return data, tflite.Model.GetRootAsModel(data, 0)


def set_output_scale(src: Path, dst: Path, op_index: int, scale: float) -> str:
    """Write ``src`` with every scale of operator ``op_index``'s output set to ``scale``
    (patched in place in the flatbuffer); returns the name of the op that consumes it."""
    data, m = _model(src)
    sg = m.Subgraphs(0)
    q = sg.Tensors(int(sg.Operators(op_index).Outputs(0))).Quantization()
    field = q._tab.Offset(8)                      # QuantizationParameters.scale
    start, n = q._tab.Vector(field), q._tab.VectorLen(field)
    for i in range(n):
        struct.pack_into("<f", data, start + 4 * i, scale)
    dst.write_bytes(bytes(data))
    return op_index + 1


def set_opcode_index(src: Path, dst: Path, op_index: int, builtin: int) -> int:
    """Write ``src`` with operator ``op_index`` pointing at the operator code whose builtin
    is ``builtin`` (the model must have one); returns that opcode index."""
    data, m = _model(src)
    codes = [m.OperatorCodes(i).BuiltinCode() for i in range(m.OperatorCodesLength())]
    new = codes.index(builtin)
    op = m.Subgraphs(0).Operators(op_index)
    field = op._tab.Offset(4)                     # Operator.opcode_index (stored: not 0)
    assert field, "operator without a stored opcode index"
    struct.pack_into("<I", data, op._tab.Pos + field, new)
    dst.write_bytes(bytes(data))
    return new


def test_huge_output_scale_is_refused_naming_the_layer(tmp_path):
    """AD autoencoder, one FULLY_CONNECTED's output scale 1e38: the next layer's multiplier
    would need a 128-bit left shift (undefined in C, in TFLite too). Refused, not
    compiled into C that depends on luck; nothing is written."""
    src = model_path("ad_autoencoder_int8.tflite")
    bad = tmp_path / "ad_1e38.tflite"
    consumer = set_output_scale(src, bad, 2, 1e38)
    out = tmp_path / "out"
    with pytest.raises(TinyDeployError) as e:
        compile_model(bad, out)
    msg = str(e.value)
    assert f"{consumer}_FULLY_CONNECTED" in msg and "shift" in msg, msg
    assert str(bad) in msg and "\n" not in msg
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_huge_shift_is_refused_by_the_code_generator_itself():
    """The same violation reaches the code generator's check even if nothing before it
    objects: one args struct with a left shift of 128."""
    low = lower_file(model_path("ad_autoencoder_int8.tflite"))
    op = low.graph.ops[3]
    a = low.args[op.name]
    args = {**low.args, op.name: replace(a, out_shift=np.full_like(a.out_shift, 128))}
    with pytest.raises(pc.KernelPreconditionError,
                       match=rf"layer '{op.name}' \(fully_connected\): out_shift\[0\] = 128 "
                             r"outside the kernel's range \[-31, 31\]: the scales make the "
                             "requantization impossible"):
        build_project(low.graph, args, low.memory.offsets, low.memory.arena_bytes, "ad",
                      external=low.memory.external)


def test_operator_repointed_to_requantize_is_refused(tmp_path):
    """VWW, a stride-2 depthwise conv whose opcode index now names QUANTIZE (int8 -> int8:
    TFLite's requantize): its args would requantize the 36864-byte input into the
    9216-byte output buffer (a global buffer overflow). Refused naming the layer."""
    src = model_path("vww_mobilenet_int8.tflite")
    bad = tmp_path / "vww_rq.tflite"
    set_opcode_index(src, bad, 3, tflite.BuiltinOperator.QUANTIZE)
    out = tmp_path / "out"
    with pytest.raises(TinyDeployError) as e:
        compile_model(bad, out)
    msg = str(e.value)
    assert "3_QUANTIZE" in msg and str(bad) in msg and "\n" not in msg, msg
    assert not out.exists()


def test_requantize_sized_for_another_tensor_is_refused_by_the_code_generator():
    """What the repointed operator becomes, given straight to the code generator: a
    requantize whose size is its input's, writing into a smaller output buffer."""
    low = lower_file(model_path("vww_mobilenet_int8.tflite"))
    g = low.graph
    i, op = next((i, o) for i, o in enumerate(g.ops) if o.kind == "depthwise_conv2d"
                 and g.t(o.inputs[0]).size > g.t(o.outputs[0]).size)
    x = g.t(op.inputs[0])
    ops = list(g.ops)
    ops[i] = Op("quantize", op.name, (op.inputs[0],), op.outputs, {"act": "none"})
    g2 = Graph(g.name, g.tensors, ops, g.inputs, g.outputs, g.source, g.meta)
    args = {**low.args, op.name: RequantizeArgs(size=x.size, input_offset=0, multiplier=M,
                                                shift=0, output_offset=0, act_min=-128,
                                                act_max=127)}
    with pytest.raises(pc.KernelPreconditionError) as e:
        build_project(g2, args, low.memory.offsets, low.memory.arena_bytes, "vww",
                      external=low.memory.external)
    have = g.t(op.outputs[0]).nbytes
    assert (f"layer '{op.name}' (quantize): the kernel writes {x.size} bytes of output "
            f"'{op.outputs[0]}', whose buffer holds {have}") in str(e.value)


def _one_op_model(path: Path, outputs: bool) -> Path:
    w = TFLiteBuilder()
    x = w.tensor("x", (1, 4, 4, 2), "int8", QuantParams.make(0.05, 0))
    y = w.tensor("y", (1, 4, 4, 2), "int8", QuantParams.make(1 / 256, -128))
    w.op("LOGISTIC", [x], [y])
    path.write_bytes(w.finish([x], [y] if outputs else []))
    return path


def test_subgraph_without_outputs_is_refused(tmp_path):
    bad = _one_op_model(tmp_path / "noout.tflite", outputs=False)
    out = tmp_path / "out"
    with pytest.raises(TinyDeployError) as e:
        compile_model(bad, out)
    assert "output" in str(e.value) and str(bad) in str(e.value)
    assert not out.exists()


def test_graph_without_outputs_is_refused_by_the_code_generator(tmp_path):
    low = lower_file(_one_op_model(tmp_path / "ok.tflite", outputs=True))
    g = low.graph
    g2 = Graph(g.name, g.tensors, g.ops, g.inputs, [], g.source, g.meta)
    with pytest.raises(TinyDeployError, match="the graph has no outputs"):
        build_project(g2, low.args, low.memory.offsets, low.memory.arena_bytes, "net",
                      external=low.memory.external)


# ---- every rule: valid args, and each precondition violated ------------------------------

def _fields(a) -> list[str]:
    return [f.name for f in dataclasses.fields(a)]


def i32(*v):
    return np.array(v, dtype=np.int32)


def i64(*v):
    return np.array(v, dtype=np.int64)


CONV = Conv2dArgs(1, 4, 4, 2, 2, 2, 4, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0, -128, 127,
                  i32(M, M, M, M), i32(-1, -2, 0, 3))
DW = DepthwiseConv2dArgs(1, 4, 4, 2, 2, 2, 4, 3, 3, 2, 1, 1, 1, 1, 0, 0, 0, 0, -128, 127,
                         i32(M, M, M, M), i32(-1, -1, -1, -1))
FC = FullyConnectedArgs(2, 8, 3, 5, 0, -3, -128, 127, i32(M, 0, M), i32(-5, 0, -31))
POOL = dict(batches=1, in_h=4, in_w=4, channels=3, out_h=2, out_w=2, kernel_h=2, kernel_w=2,
            stride_h=2, stride_w=2, pad_top=0, pad_left=0, act_min=-128, act_max=127)
ADD = AddArgs(ndim=2, shape=i32(4, 3), a_strides=i32(3, 1), b_strides=i32(0, 1),
              a_offset=1, b_offset=-2, left_shift=20, a_multiplier=M, a_shift=0,
              b_multiplier=M, b_shift=-1, out_multiplier=M, out_shift=-18, out_offset=3,
              act_min=-128, act_max=127)
MUL = MulArgs(ndim=1, shape=i32(12), a_strides=i32(1), b_strides=i32(1), a_offset=0,
              b_offset=128, out_multiplier=M, out_shift=-7, out_offset=0, act_min=-128,
              act_max=127)
REQ = dict(size=10, input_offset=-3, multiplier=M, shift=1, output_offset=4, act_min=-128,
           act_max=127)
RQ = RequantArgs(size=8, channels=2, fp32=0, rounding=0, clip_lo=-128, clip_hi=127,
                 out_offset=0, mul2=1, mul=i64(3, 5), add=i64(7, -7), div=i64(16, 16))
CONV32 = acc.Conv2dS32Args(1, 4, 4, 2, 2, 2, 2, 3, 3, 1, 1, 1, 1, 1, 0, 0, 128)
DW32 = acc.DepthwiseConv2dS32Args(1, 4, 4, 2, 2, 2, 2, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0)
FC32 = acc.FullyConnectedS32Args(1, 4, 2, 0)
ADD32 = acc.AddS32Args(8, 1, 1, 3, -4)
SUM = SumPool2dArgs(**{**POOL, "act_min": -(2**31), "act_max": 2**31 - 1}, input_offset=128)
SB = dict(in_bits=4, in_signed=1, w_bits=2, out_bits=4, out_signed=0)
DEEP_Q = [({"out_mult": i32(M - 1, M, M, M)}, "out_mult[0] = 1073741823 is not a Q31"),
          ({"out_shift": i32(-1, -1, -1, 32)}, "out_shift[3] = 32 outside the kernel's range"),
          ({"out_shift": i32(-32, -1, -1, -1)}, "out_shift[0] = -32 outside"),
          ({"out_mult": i32(M, M, M)}, "out_mult has 3 entries, the kernel reads 4"),
          ({"act_min": 10, "act_max": 9}, "act_min = 10 > act_max = 9"),
          ({"act_max": 128}, "act_max = 128 outside [-128, 127]"),
          ({"input_offset": 129}, "input_offset = 129 outside [-127, 128]"),
          ({"output_offset": -129}, "output_offset = -129 outside [-128, 127]"),
          ({"k_h": 0}, "k_h = 0 must be > 0"), ({"stride_w": -1}, "stride_w = -1 must be > 0"),
          ({"dilation_h": 0}, "dilation_h = 0 must be > 0"),
          ({"pad_left": -1}, "pad_left = -1 must be >= 0"),
          ({"in_h": 1 << 16, "in_w": 1 << 16}, "input elements = 8589934592 exceeds"),
          ({"batches": 2**31}, "batches = 2147483648 does not fit")]
GEOM_POOL = [({"kernel_h": 0}, "kernel_h = 0 must be > 0"),
             ({"pad_top": 5}, "the pooling window lies entirely in the padding"),
             ({"channels": 0}, "channels = 0 must be > 0"),
             ({"out_w": 1 << 30, "stride_w": 4}, "window reach (columns)")]
ACT_POOL = [({"act_min": 1, "act_max": 0}, "act_min = 1 > act_max = 0"),
            ({"act_min": -129}, "act_min = -129 outside [-128, 127]")]
ADD_BAD = [({"left_shift": 31}, "left_shift = 31 outside [0, 30]"),
           ({"left_shift": 24}, "(a + a_offset) << left_shift can reach"),
           ({"a_shift": 1}, "a_shift = 1 outside the kernel's range [-31, 0]"),
           ({"out_shift": -32}, "out_shift = -32 outside"),
           ({"b_multiplier": 1 << 29}, "b_multiplier = 536870912 is not a Q31"),
           ({"left_shift": 23, "a_shift": 0, "b_shift": 0, "a_multiplier": 2**31 - 1,
             "b_multiplier": 2**31 - 1}, "the sum of the rescaled inputs can reach"),
           ({"act_min": 0, "act_max": -1}, "act_min = 0 > act_max = -1"),
           ({"out_offset": 200}, "out_offset = 200 outside [-128, 127]")]
BCAST_BAD = [({"ndim": 7}, "ndim = 7 outside [1, 6]"),
             ({"shape": i32(4, 0)}, "has an empty dimension"),
             ({"a_strides": i32(3, -1)}, "negative broadcast strides"),
             ({"b_strides": i32(1)}, "b_strides has 1 entries, the kernel reads 2")]
REQ_BAD = [({"shift": 32}, "shift = 32 outside the kernel's range [-31, 31]"),
           ({"shift": 24}, "the requantized value plus the output offset can reach"),
           ({"multiplier": -M}, "multiplier = -1073741824 is not a Q31"),
           ({"size": 0}, "size = 0 must be > 0"),
           ({"act_min": 100, "act_max": 99}, "act_min = 100 > act_max = 99")]
RQ_BAD = [({"div": i64(16, 0)}, "div has a divisor <= 0"),
          ({"mul": i64(3)}, "mul has 1 entries, the kernel reads 2"),
          ({"fp32": 4}, "fp32 = 4 outside [0, 3]"),
          ({"rounding": 2}, "rounding = 2: 0 (floor) or 1 (toward zero)"),
          ({"clip_lo": 5, "clip_hi": 4}, "does not fit"),
          ({"mul": i64(2**31, 1)}, "reach 2^62"),
          ({"size": 7}, "size = 7 is not a multiple of channels = 2"),
          ({"channels": 0}, "channels = 0 must be > 0")]
SB_BITS = [({"in_bits": 3}, "in_bits = 3: storage must be 2, 4 or 8 bits"),
           ({"out_signed": 2}, "out_signed = 2 outside [0, 1]"),
           ({"act_max": 16}, "act_max = 16 outside [0, 15]")]
Q4_BAD = [({"input_multiplier": 2**31}, "input_multiplier = 2147483648 does not fit"),
          ({"input_multiplier": -1}, "input_multiplier = -1 outside [0, 2147483647]"),
          ({"input_left_shift": 32}, "input_left_shift = 32 outside the kernel's range"),
          ({"input_zero_point": 128}, "input_zero_point = 128 outside"),
          ({"input_range_radius": -1}, "input_range_radius = -1 outside")]

CASES = {
    "td_conv2d_s8": (CONV, DEEP_Q + [({"groups": 3}, "groups = 3 does not divide")]),
    "td_depthwise_conv2d_s8": (DW, [(c, m) for c, m in DEEP_Q if "in_h" not in c] + [
        ({"depth_multiplier": 1}, "out_c = 4 != in_c * depth_multiplier = 2")]),
    "td_fully_connected_s8": (FC, [
        ({"out_shift": i32(-5, 0, 40)}, "out_shift[2] = 40 outside"),
        ({"out_mult": i32(M, 1, M)}, "out_mult[1] = 1 is not a Q31"),
        ({"weight_offset": -128}, "weight_offset = -128 outside [-127, 128]"),
        ({"in_features": 0}, "in_features = 0 must be > 0"),
        ({"out_features": 4}, "out_mult has 3 entries, the kernel reads 4"),
        ({"batches": 1 << 16, "in_features": 1 << 16}, "input elements = 4294967296 exceeds"),
        ({"act_min": 127, "act_max": -128}, "act_min = 127 > act_max = -128")]),
    "td_avg_pool2d_s8": (AvgPool2dArgs(**POOL), GEOM_POOL + ACT_POOL),
    "td_max_pool2d_s8": (MaxPool2dArgs(**POOL), GEOM_POOL + ACT_POOL),
    "td_add_s8": (ADD, ADD_BAD + BCAST_BAD),
    "td_mul_s8": (MUL, [
        ({"ndim": 0}, "ndim = 0 outside [1, 6]"), ({"shape": i32(0)}, "an empty dimension"),
        ({"a_strides": i32(-1)}, "negative broadcast strides"),
        ({"out_shift": 17}, "the requantized product plus the output offset can reach"),
        ({"out_shift": -32}, "out_shift = -32 outside"),
        ({"b_offset": 129}, "b_offset = 129 outside [-127, 128]"),
        ({"out_multiplier": 5}, "out_multiplier = 5 is not a Q31")]),
    "td_requantize_s8": (RequantizeArgs(**REQ), REQ_BAD + [
        ({"output_offset": 128}, "output_offset = 128 outside [-128, 127]")]),
    "td_requantize_s8_u8": (RequantizeS8U8Args(**{**REQ, "act_min": 0, "act_max": 255,
                                                  "output_offset": 128}), REQ_BAD[:4] + [
        ({"act_min": -1}, "act_min = -1 outside [0, 255]"),
        ({"output_offset": -1}, "output_offset = -1 outside [0, 255]")]),
    "td_requantize_u8_s8": (RequantizeU8S8Args(**{**REQ, "input_offset": -128}), REQ_BAD + [
        ({"input_offset": 1}, "input_offset = 1 outside [-255, 0]")]),
    "td_quantize_f32_s8": (QuantizeF32Args(size=6, scale=0.25, zero_point=-3), [
        ({"scale": 0.0}, "scale = 0.0 is not a finite, non-zero float32"),
        ({"scale": 1e39}, "scale = 1e+39 is not a finite float32"),
        ({"scale": float("nan")}, "is not a finite float32"),
        ({"zero_point": 128}, "zero_point = 128 outside"), ({"size": 0}, "size = 0")]),
    "td_dequantize_s8_f32": (DequantizeArgs(size=6, scale=0.5, zero_point=-128), [
        ({"scale": 1e-50}, "is not a finite, non-zero float32"),
        ({"zero_point": 255}, "zero_point = 255 outside [-128, 127]")]),
    "td_dequantize_u8_f32": (DequantizeU8Args(size=6, scale=0.5, zero_point=255), [
        ({"scale": float("inf")}, "is not a finite float32"),
        ({"zero_point": -1}, "zero_point = -1 outside [0, 255]")]),
    "td_softmax_s8_s16": (SoftmaxS8S16Args(outer=2, depth=7, input_multiplier=M,
                                           input_left_shift=20, diff_min=-100), [
        ({"depth": 4096}, "depth = 4096 outside [1, 4095]"),
        ({"diff_min": 1}, "diff_min = 1 outside")]),
    "td_softmax_s8": (SoftmaxArgs(outer=3, depth=10, input_multiplier=M, input_left_shift=31,
                                  diff_min=-1), [
        ({"diff_min": 1}, "diff_min = 1 outside"),
        ({"diff_min": -2}, "d << shift leaves int32"),
        ({"depth": 4096}, "depth = 4096 outside [1, 4095]"),
        ({"input_left_shift": 32}, "input_left_shift = 32 outside [0, 31]"),
        ({"input_multiplier": 0}, "input_multiplier = 0 is not a Q31"),
        ({"outer": 0}, "outer = 0 must be > 0")]),
    "td_logistic_s8": (LogisticArgs(size=5, input_zero_point=3, input_range_radius=100,
                                    input_multiplier=M, input_left_shift=31), Q4_BAD),
    "td_tanh_s8": (TanhArgs(size=5, input_zero_point=3, input_range_radius=100,
                            input_multiplier=M, input_left_shift=-31), Q4_BAD),
    "td_mean_s8": (MeanArgs(i32(1, 1, 1, 1, 1, 4), i32(0, 0, 0, 0, 0, 1),
                            i32(1, 1, 1, 1, 3, 5), i32(0, 0, 0, 0, 20, 4), count=15,
                            input_zp=-3, output_zp=7, multiplier=M, shift=-3), [
        ({"count": 14}, "count = 14 != product of red_dims = 15"),
        ({"red_dims": i32(1, 1, 1, 1, 0, 5)}, "red_dims = [1, 1, 1, 1, 0, 5]: entries must"),
        ({"keep_strides": i32(0, 0, 0, 0, 0, -1)}, "entries must be >= 0"),
        ({"keep_dims": i32(1, 1, 1, 4)}, "keep_dims has 4 entries, the kernel reads 6"),
        ({"shift": 32}, "shift = 32 outside"), ({"shift": 24}, "can reach"),
        ({"multiplier": -1}, "multiplier = -1 outside [0, 2147483647]"),
        ({"output_zp": 128}, "output_zp = 128 outside")]),
    "td_pad_s8": (PadArgs(i32(1, 1, 1, 1, 2, 3), i32(1, 1, 1, 1, 4, 4), i32(0, 0, 0, 0, 1, 1),
                          -5), [
        ({"pad_before": i32(0, 0, 0, 0, 1, 2)}, "dim 5: in_shape 3 + pad_before 2 > "
                                                "out_shape 4"),
        ({"in_shape": i32(1, 1, 1, 0, 2, 3)}, "entries must be >= 1"),
        ({"pad_before": i32(0, 0, 0, 0, -1, 1)}, "entries must be >= 0"),
        ({"pad_value": 128}, "pad_value = 128 outside")]),
    "td_transpose_s8": (TransposeArgs(i32(1, 1, 1, 1, 3, 2), i32(0, 0, 0, 0, 1, 3)), [
        ({"out_shape": i32(1, 1, 1, 1, 3, 0)}, "entries must be >= 1"),
        ({"in_strides": i32(0, 0, 0, 0, 1, -3)}, "entries must be >= 0"),
        ({"in_strides": i32(1, 3)}, "in_strides has 2 entries, the kernel reads 6")]),
    "td_transpose_u8": (TransposeU8Args(i32(1, 1, 1, 1, 3, 2), i32(0, 0, 0, 0, 1, 3)), [
        ({"out_shape": i32(1, 1, 1, 1, 3, -2)}, "entries must be >= 1")]),
    "td_concat_s8": (ConcatArgs(2, 3, i32(4, 6)), [
        ({"num_inputs": 3}, "copy_sizes has 2 entries, the kernel reads 3"),
        ({"copy_sizes": i32(4, -6)}, "copy_sizes [4, -6] must be >= 0"),
        ({"outer": 0}, "outer = 0 must be > 0")]),
    "td_conv2d_s8_s32": (CONV32, [({"input_offset": 129}, "input_offset = 129 outside"),
                                  ({"groups": 0}, "groups = 0 must be > 0"),
                                  ({"out_h": 0}, "out_h = 0 must be > 0")]),
    "td_conv2d_s16_s32": (acc.Conv2dS16S32Args(*[getattr(CONV32, f) for f in
                                                 _fields(CONV32)]), [
        ({"input_offset": 32769}, "input_offset = 32769 outside [-32767, 32768]")]),
    "td_depthwise_conv2d_s8_s32": (DW32, [({"depth_multiplier": 2}, "out_c = 2 != in_c")]),
    "td_fully_connected_s8_s32": (FC32, [({"batches": 0}, "batches = 0 must be > 0"),
                                         ({"input_offset": -128}, "outside [-127, 128]")]),
    "td_fully_connected_s16_s32": (acc.FullyConnectedS16S32Args(1, 4, 2, 300), [
        ({"input_offset": 40000}, "input_offset = 40000 outside")]),
    "td_add_s8_s32": (ADD32, [({"a_mult": 2**24}, "|(a + a_offset) * a_mult| can reach"),
                              ({"a_mult": 2**23, "b_mult": 2**23}, "the weighted sum can"),
                              ({"b_offset": 129}, "b_offset = 129 outside")]),
    "td_sum_pool2d_s8_s32": (SUM, GEOM_POOL + [
        ({"kernel_h": 2**12, "kernel_w": 2**12, "in_h": 2**12, "in_w": 2**12, "channels": 1,
          "out_h": 1, "out_w": 1}, "the window sum can reach")]),
    "td_sum_pool2d_s16_s32": (SumPool2dS16Args(**{f: getattr(SUM, f) for f in _fields(SUM)}),
                              GEOM_POOL + [({"input_offset": 40000}, "input_offset = 40000"),
                                           ({"kernel_h": 2**9, "kernel_w": 2**9, "in_h": 2**9,
                                             "in_w": 2**9, "channels": 1, "out_h": 1,
                                             "out_w": 1}, "the window sum can reach")]),
    "td_requant_s32_s8": (RQ, RQ_BAD),
    "td_requant_s32_s16": (RequantS16Args(**{f: getattr(RQ, f) for f in
                                             _fields(RQ)}),
                           [({"clip_hi": 2**15}, "does not fit int16")]),
    "td_requant_s32_s32": (RequantS32Args(**{**{f: getattr(RQ, f) for f in
                                                _fields(RQ)}, "clip_lo": -2**31,
                                             "clip_hi": 2**31 - 1}),
                           [({"out_offset": 1}, "does not fit int32")]),
    "td_conv2d_sb": (Conv2dSbArgs(*[getattr(CONV, f) for f in _fields(CONV)
                                    [:18]], **{**SB, "act_min": 0, "act_max": 15},
                                  out_mult=CONV.out_mult, out_shift=CONV.out_shift),
                     SB_BITS + [({"out_shift": i32(0, 0, 0, 99)}, "out_shift[3] = 99")]),
    "td_depthwise_conv2d_sb": (DepthwiseConv2dSbArgs(
        *[getattr(DW, f) for f in _fields(DW)[:18]],
        **{**SB, "act_min": 0, "act_max": 15}, out_mult=DW.out_mult, out_shift=DW.out_shift),
        SB_BITS + [({"w_bits": 1}, "w_bits = 1 outside [2, 8]")]),
    "td_fully_connected_sb": (FullyConnectedSbArgs(2, 8, 3, 5, 3, 0, 15, **SB,
                                                   out_mult=FC.out_mult,
                                                   out_shift=FC.out_shift),
                              SB_BITS + [({"in_features": 0}, "in_features = 0 must be")]),
    "td_add_sb": (AddSbArgs(12, 8, -2, 20, M, 0, M, -1, M, -18, 3, 0, 15, 4, 1, 2, 1, 4, 0), [
        ({"a_bits": 5}, "a_bits = 5: storage must be 2, 4 or 8 bits"),
        ({"left_shift": 28}, "(a + a_offset) << left_shift can reach"),
        ({"a_signed": 0}, "a_offset = 8 outside [-255, 0]"),
        ({"act_max": 16}, "act_max = 16 outside [0, 15]"),
        ({"b_shift": 3}, "b_shift = 3 outside the kernel's range [-31, 0]")]),
    "td_avg_pool2d_sb": (AvgPool2dSbArgs(**{**POOL, "act_min": -8, "act_max": 7}, in_bits=8,
                                         in_signed=1, out_bits=4, out_signed=1),
                         GEOM_POOL + [({"act_min": -9}, "act_min = -9 outside [-8, 7]"),
                                      ({"out_bits": 6}, "out_bits = 6: storage must be")]),
    "td_max_pool2d_sb": (MaxPool2dSbArgs(**{**POOL, "act_min": 0, "act_max": 3}, in_bits=2,
                                         in_signed=0, out_bits=2, out_signed=0),
                         GEOM_POOL + [({"act_max": 4}, "act_max = 4 outside [0, 3]")]),
}


def _fused_cases():
    """One fused kernel per accumulator kind, with violations of both halves."""
    out = {}
    accs = {acc.Conv2dS32Args: CONV32, acc.DepthwiseConv2dS32Args: DW32,
            acc.FullyConnectedS32Args: FC32, acc.AddS32Args: ADD32, SumPool2dArgs: SUM,
            acc.Conv2dS16S32Args: replace(CONV32, input_offset=0),
            acc.FullyConnectedS16S32Args: FC32, **ATTENTION_ACCS}
    for (a_type, r_type), cls in FUSED.items():
        a = accs[a_type]
        a = a_type(**{f: getattr(a, f) for f in _fields(a)})
        n = pc.check_args(a).output.nbytes // 4
        walked = a.C_FUNC == "td_add_s8_s32" or a.C_FUNC in ATTENTION_WALKED
        ch = 2 if walked else pc._acc_channels(a)
        rq = r_type(size=n, channels=ch, fp32=3, rounding=1, clip_lo=-100, clip_hi=100,
                    out_offset=-5, mul2=2, mul=np.full(ch, 3, np.int64),
                    add=np.full(ch, -1, np.int64), div=np.full(ch, 7, np.int64))
        out[cls.C_FUNC] = (cls(a, rq), [
            ({"rq": replace(rq, div=np.zeros(ch, np.int64))}, "rq_div has a divisor <= 0"),
            ({"rq": replace(rq, size=n + ch)}, f"the requant covers {n + ch} values"),
            ({"rq": replace(rq, mul2=2**40)}, "reach 2^62"),
            ({"acc": replace(a, ndim=0)}, "ndim = 0") if hasattr(a, "ndim") else
            ({"acc": replace(a, **{next(f for f in ("batches", "size", "m")
                                        if hasattr(a, f)): 0})},
             "must be > 0")] + ([] if walked else [
                 ({"rq": replace(rq, channels=ch + 1, mul=np.full(ch + 1, 3, np.int64),
                                 add=np.zeros(ch + 1, np.int64),
                                 div=np.ones(ch + 1, np.int64))},
                  f"rq_channels = {ch + 1} != the accumulator's {ch} channels")]))
    return out


ALL = {**CASES, **ATTENTION_CASES, **CASES_16X8, **CASES_TFLITE_OPS, **CASES_RECURRENT,
       **CASES_SIGNAL_BASIC, **CASES_SIGNAL_FFT,
       **CASES_F32, **CASES_SIGNAL_NOISE, **CASES_STREAM, **_fused_cases()}


@pytest.mark.parametrize("func", sorted(ALL))
def test_rule_accepts_valid_args_and_refuses_each_violation(func):
    valid, violations = ALL[func]
    assert valid.C_FUNC == func
    spec = pc.check_args(valid, "L", "kind")
    assert spec.output.nbytes > 0 and spec.inputs
    assert violations, f"{func}: no violation tested"
    for changes, expect in violations:
        # (a value that does not fit its C type may already be refused when the args
        # are made: quant/args.py)
        with pytest.raises(TinyDeployError) as e:
            pc.check_args(replace(valid, **changes), "L", "kind")
        if isinstance(e.value, pc.KernelPreconditionError):
            assert str(e.value).startswith("layer 'L' (kind): "), e.value
        assert expect in str(e.value), (func, changes, str(e.value))


@pytest.mark.parametrize("func", sorted(ALL))
def test_rule_checks_the_buffers_passed(func):
    """Each operand must be exactly as large as the args imply, of the kernel's dtype."""
    valid, _ = ALL[func]
    spec = pc.check_args(valid)
    ins = [pc.Passed(f"t{k}", o.dtypes[0], o.nbytes) for k, o in enumerate(spec.inputs)]
    out = pc.Passed("y", spec.output.dtypes[0], spec.output.nbytes)
    pc.check_call(valid, "L", "kind", ins, out)
    for k in range(len(ins) + 1):
        for delta in (-1, 1):
            bad_ins, bad_out = list(ins), out
            if k < len(ins):
                bad_ins[k] = replace(ins[k], nbytes=ins[k].nbytes + delta)
            else:
                bad_out = replace(out, nbytes=out.nbytes + delta)
            with pytest.raises(pc.KernelPreconditionError, match="the args do not match"):
                pc.check_call(valid, "L", "kind", bad_ins, bad_out)
    with pytest.raises(pc.KernelPreconditionError, match="the kernel takes"):
        pc.check_call(valid, "L", "kind", ins, replace(out, dtype="float64"))
    with pytest.raises(pc.KernelPreconditionError, match="inputs"):
        pc.check_call(valid, "L", "kind", ins + [ins[0]], out)


def test_optional_bias_and_missing_inputs():
    spec = pc.check_args(CONV)
    x, w, b = (pc.Passed(n, o.dtypes[0], o.nbytes) for n, o in zip("xwb", spec.inputs))
    y = pc.Passed("y", "int8", spec.output.nbytes)
    pc.check_call(CONV, "L", "conv2d", [x, w, None], y)      # no bias: NULL
    pc.check_call(CONV, "L", "conv2d", [x, w], y)
    with pytest.raises(pc.KernelPreconditionError, match="takes 3 inputs"):
        pc.check_call(CONV, "L", "conv2d", [x, None, b], y)
    with pytest.raises(pc.KernelPreconditionError, match="takes 3 inputs"):
        pc.check_call(CONV, "L", "conv2d", [x], y)


def test_accumulator_bound_uses_the_weights():
    spec = pc.check_args(FC)
    ok = np.ones((3, 8), np.int8)
    huge = np.full((3, 8), 127, np.int8)
    pc.check_args(FC, consts=[None, ok, None])
    bias = np.array([2**31 - 1, 0, 0], np.int32)
    with pytest.raises(pc.KernelPreconditionError, match="accumulator may overflow"):
        pc.check_args(FC, consts=[None, huge, bias])
    assert spec.inputs[1].nbytes == 24


@pytest.mark.parametrize("seed", range(5))
def test_requant_bound_bounds_td_requant(seed):
    """requant_bound is an upper bound of |MultiplyByQuantizedMultiplier| (and None exactly
    when the left shift may wrap)."""
    rng = np.random.default_rng(seed)
    for _ in range(200):
        v_max = int(rng.integers(1, 2**16))
        mult = int(rng.choice([0, int(rng.integers(2**30, 2**31))]))
        shift = int(rng.integers(-31, 32))
        b = pc.requant_bound(v_max, mult, shift)
        if (v_max << max(shift, 0)) > 2**31 - 1:
            assert b is None
            continue
        v = np.array([-v_max, v_max, v_max - 1, -(v_max - 1), 1, -1], dtype=np.int64)
        got = np.abs(multiply_by_quantized_multiplier(v, mult, shift)).max()
        assert got <= b, (v_max, mult, shift, got, b)


# ---- the table covers the runtime, the headers say the same ----------------------------

def _args_types() -> set[type]:
    _load_all()
    types = {g.args_type for g in GOLDENS.values() if g.args_type is not None}
    types |= {v.golden.args_type for vs in VARIANTS.values() for v in vs}
    types |= set(FUSED.values())
    seen, todo = set(), list(types)
    while todo:
        t = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        todo += t.__subclasses__()
    return {t for t in seen if t.C_FUNC}


def test_every_kernel_args_class_has_a_rule_and_tests():
    funcs = {t.C_FUNC for t in _args_types()}
    fused = {t.C_FUNC for t in FUSED.values()}
    assert funcs - set(pc.RULES) - fused == set()
    assert funcs <= set(ALL), sorted(funcs - set(ALL))


def test_every_shipped_kernel_has_a_rule():
    sources = {p.stem for p in KERNELS.glob("td_*.c")}
    fused = {t.C_FUNC for t in FUSED.values()}
    assert sources - set(pc.RULES) - fused == set()


def test_every_kernel_header_documents_its_preconditions():
    for h in sorted(KERNELS.glob("td_*.h")):
        text = h.read_text()
        if "_args_t;" not in text:
            continue
        top = text[:text.index("*/")]
        assert re.search(r"Preconditions \(checked at compile time, quant/preconditions\.py",
                         top), h.name


def test_check_layer_takes_the_buffers_from_the_graph():
    """The graph-level entry point (for tools and fuzzers): every layer of a real model
    passes; the same layer with args made for another tensor does not."""
    low = lower_file(model_path("kws_dscnn_int8.tflite"))
    for op in low.graph.ops:
        if low.args[op.name] is not None:
            pc.check_layer(low.graph, op, low.args[op.name])
    op = next(o for o in low.graph.ops if o.kind == "fully_connected")
    bad = replace(low.args[op.name], batches=2)
    with pytest.raises(pc.KernelPreconditionError, match=rf"layer '{op.name}' "
                       r"\(fully_connected\): the kernel reads \d+ bytes of input 0"):
        pc.check_layer(low.graph, op, bad)
