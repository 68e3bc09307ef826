"""Hostile model files: a seeded fuzz run, a kept-apart one, and three reproductions of
files that used to compile into unsafe C (see :mod:`tests.fuzz.runner` for the checks).

Every case must compile (and, for the sample that is built, run clean under ASan/UBSan
and equal the numpy golden) or be refused with one line naming the file (exit 2,
nothing written). ``make fuzz N=10000`` runs the same fuzzer longer.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import tflite

from tests.conftest import MODELS_DIR, model_path
from tests.fuzz import runner
from tests.fuzz.mutate_tflite import FlatModel, read_model, write_model
from tests.signal import micro_speech
from tinydeploy.frontend.tflite_reader import read_tflite

pytestmark = [pytest.mark.models, pytest.mark.cc]

DEFAULT_CASES = 400          # seed 0, every default kind
SIGNAL_CASES, SIGNAL_SEED = 300, 7     # the audio preprocessor's custom ops
DEFAULT_BUILDS = 16
HELD_OUT_SEED = 424242       # never used by the default run
HELD_OUT_CASES = 200


@pytest.fixture(scope="module")
def seeds():
    if not MODELS_DIR.is_dir():
        pytest.skip(f"shared models folder {MODELS_DIR} is absent")
    return runner.load_seeds()


def _check(run: runner.Run) -> None:
    assert run.ok, "fuzz failures:\n" + runner.summary(run)


def test_fuzz_default_run(seeds):
    run = runner.fuzz(DEFAULT_CASES, seed=0, build=DEFAULT_BUILDS, seeds=seeds, jobs=2)
    assert len(run.results) == DEFAULT_CASES
    outcomes = {r.outcome for r in run.results}
    assert {"compiled", "error"} <= outcomes      # the mutations reach both ends
    assert sum(bool(r.build) for r in run.results) == DEFAULT_BUILDS
    _check(run)


def test_fuzz_held_out_seed_and_kinds(seeds):
    """Mutation kinds and a seed the default run never uses find no failure either."""
    assert not set(runner.HELD_OUT_KINDS) & set(runner.DEFAULT_KINDS)
    run = runner.fuzz(HELD_OUT_CASES, seed=HELD_OUT_SEED, build=4,
                      kinds=runner.HELD_OUT_KINDS, seeds=seeds, jobs=2)
    assert {r.kind for r in run.results} == set(runner.HELD_OUT_KINDS)
    _check(run)


def test_cases_are_reproducible(seeds):
    a = runner.make_case(3, 17, seeds, runner.DEFAULT_KINDS)
    b = runner.make_case(3, 17, seeds, runner.DEFAULT_KINDS)
    assert (a.seed, a.kind, a.desc, a.data) == (b.seed, b.kind, b.desc, b.data)


# -- the three files that compiled into unsafe C ------------------------------------------
def _refused_or_clean(name: str, data: bytes, desc: str) -> runner.Result:
    """Compile through the CLI; a compiled case must also build and run clean."""
    case = runner.Case(f"repro:{name}", name, "repro", desc, data)
    r = runner.run_compile(case, timeout=120)
    assert r.outcome in ("error", "compiled"), (r.outcome, r.place, r.message)
    if r.outcome == "compiled":
        b = runner.run_build(case, timeout=300)
        assert b.build == "clean", (b.build, b.build_place, b.build_message)
    return r


def _patched(model: str, edit) -> bytes:
    m = FlatModel(model_path(model).read_bytes())
    edit(m, read_tflite(model_path(model)))
    return bytes(m.buf)


def _quant_site(m: FlatModel, tensor: int, field: str):
    return next(v for v in m.vectors if v.label == f"tensor[{tensor}].quant.{field}")


def test_fully_connected_scale_1e38_in_ad_model():
    """A tensor scale of 1e38 used to give a requantization shift of 126 bits."""
    def edit(m: FlatModel, r) -> None:
        fc = next(op for op in r.ops if op.opname == "FULLY_CONNECTED")
        v = _quant_site(m, fc.inputs[0], "Scale")
        m.put(v.fmt, v.elem(0), 1e38)

    r = _refused_or_clean("ad_autoencoder_int8.tflite",
                          _patched("ad_autoencoder_int8.tflite", edit), "FC input scale 1e38")
    if r.outcome == "error":
        assert "multiplier" in r.message or "scale" in r.message


def test_opcode_now_quantize_in_vww():
    """An operator whose opcode now names QUANTIZE (a requantize) used to be compiled with
    its input's size and overflow the output buffer (td_requantize_s8.c)."""
    def edit(m: FlatModel, r) -> None:
        code = tflite.BuiltinOperator.QUANTIZE
        pool = next(i for i, op in enumerate(r.ops) if op.opname == "AVERAGE_POOL_2D")
        k = next(s for s in m.scalars if s.label == f"op[{pool}].OpcodeIndex")
        idx = m.get(k.fmt, k.pos)
        for s in m.scalars:
            if s.label == f"opcode[{idx}].BuiltinCode":
                m.put(s.fmt, s.pos, code)
            if s.label == f"opcode[{idx}].DeprecatedBuiltinCode":
                m.put(s.fmt, s.pos, min(code, 127))

    data = _patched("vww_mobilenet_int8.tflite", edit)
    r = _refused_or_clean("vww_mobilenet_int8.tflite", data, "AVERAGE_POOL_2D -> QUANTIZE")
    if r.outcome == "error":
        assert "QUANTIZE" in r.message and "elements" in r.message, r.message


def test_subgraph_without_outputs():
    """A subgraph with no outputs used to generate a header that does not compile."""
    def edit(m: FlatModel, r) -> None:
        v = next(v for v in m.vectors if v.label == "subgraph[0].Outputs")
        m.put("<I", v.len_pos, 0)

    r = _refused_or_clean("kws_dscnn_int8.tflite", _patched("kws_dscnn_int8.tflite", edit),
                          "no subgraph outputs")
    if r.outcome == "error":
        assert "no outputs" in r.message


# -- the kinds of TFLite damage, one each: a clean error naming file and reason ----
def _flat(label: str, value):
    """Set the scalar called ``label``, or element ``label[i]`` of a vector."""
    def edit(m: FlatModel) -> None:
        if label.endswith("]"):
            base, idx = label[:-1].rsplit("[", 1)
            v = next(v for v in m.vectors if v.label == base)
            m.put(v.fmt, v.elem(int(idx)), value)
        else:
            s = next(s for s in m.scalars if s.label == label)
            m.put(s.fmt, s.pos, value)
    return edit


def _length(label: str, n: int):
    def edit(m: FlatModel) -> None:
        v = next(v for v in m.vectors if v.label == label)
        m.put("<I", v.len_pos, n)
    return edit


def _remove(label: str):
    def edit(m: FlatModel) -> None:
        m.remove(next(f for f in m.fields if f.label == label))
    return edit


def _rebuilt(edit):
    """Edit the model as data and write it again (fields the file omits, new opcodes)."""
    def apply(m: FlatModel) -> None:
        d = read_model(bytes(m.buf))
        edit(d)
        m.buf = bytearray(write_model(d))
    return apply


def _opcode_of(opname: str):
    def edit(d) -> None:
        code = getattr(tflite.BuiltinOperator, opname)
        d["opcodes"].append({"DeprecatedBuiltinCode": min(code, 127), "BuiltinCode": code,
                             "Version": 1})
        d["ops"][1]["OpcodeIndex"] = len(d["opcodes"]) - 1
    return edit


# KWS: op 0 is CONV_2D [0, 17, 3] -> 22 (tensor 17: per-channel weights, 64 channels),
# op 1 DEPTHWISE_CONV_2D [22, 5, 4] -> 23, op 2 CONV_2D [23, 18, 6] -> 24
DAMAGE = {
    "weight scale NaN": (_flat("tensor[17].quant.Scale[3]", math.nan), "scale"),
    "activation scale inf": (_flat("tensor[22].quant.Scale[0]", math.inf), "scale"),
    "activation scale 0": (_flat("tensor[22].quant.Scale[0]", 0.0), "scale"),
    "weight scale negative": (_flat("tensor[17].quant.Scale[0]", -0.5), "scale"),
    "huge input scale": (_flat("tensor[0].quant.Scale[0]", 1e38), "multiplier"),
    "zero point 300": (_flat("tensor[22].quant.ZeroPoint[0]", 300), "zero point"),
    "zero point -2**63": (_flat("tensor[0].quant.ZeroPoint[0]", -2**63), "zero point"),
    "per-channel scales too short": (_length("tensor[17].quant.Scale", 7), "7 scales"),
    "quantized dimension 7": (_rebuilt(lambda d: d["tensors"][17]["quant"].update(
        QuantizedDimension=7)), "axis 7"),
    "operator inputs emptied": (_length("op[0].Inputs", 0), "input"),
    "operator input out of range": (_flat("op[0].Inputs[1]", 1000), "tensor 1000"),
    "operator outputs emptied": (_length("op[0].Outputs", 0), "output"),
    "options table dropped": (_remove("op[0].BuiltinOptions"), "Conv2DOptions"),
    "stride 2**31 - 1": (_flat("op[0].Conv2DOptions.StrideW", 2**31 - 1), "output size"),
    "unknown activation": (_flat("op[0].Conv2DOptions.FusedActivationFunction", 99),
                           "activation"),
    "unknown tensor type": (_flat("tensor[22].Type", 99), "unknown tensor type 99"),
    "batch 2**31 - 1": (_flat("tensor[0].Shape[0]", 2**31 - 1), "exceeds"),
    "buffer out of range": (_flat("tensor[17].Buffer", 10_000), "buffer"),
    "weights read from an empty buffer": (_flat("tensor[17].Buffer", 0), "constant"),
    "cycle": (_flat("op[1].Inputs[0]", 24), "used before it is computed"),
    "graph output is a weight": (_flat("subgraph[0].Outputs[0]", 17), "constant"),
    "no graph outputs": (_length("subgraph[0].Outputs", 0), "no outputs"),
    "opcode index out of range": (_rebuilt(lambda d: d["ops"][1].update(OpcodeIndex=99)),
                                  "operator code"),
    "padding enum 7": (_rebuilt(lambda d: d["ops"][0]["options"][1].update(Padding=7)),
                       "padding"),
    "depthwise becomes QUANTIZE": (_rebuilt(_opcode_of("QUANTIZE")), "takes 1 input"),
    "depthwise becomes RESHAPE": (_rebuilt(_opcode_of("RESHAPE")), "takes 1 to 2 input"),
}


@pytest.mark.parametrize("what", sorted(DAMAGE))
def test_tflite_damage_is_a_clean_error(what):
    edit, words = DAMAGE[what]
    m = FlatModel(model_path("kws_dscnn_int8.tflite").read_bytes())
    edit(m)
    case = runner.Case(f"damage:{what}", "kws_dscnn_int8.tflite", "damage", what, bytes(m.buf))
    r = runner.run_compile(case, timeout=120)
    assert r.outcome == "error", (r.outcome, r.place, r.message)
    assert words in r.message, r.message


# cases long runs (`make fuzz`) found, each an internal error once: kept as regressions
FOUND_BY_LONG_RUNS = ["0:1132", "0:2063", "0:3998", "0:4435", "0:4680", "0:8846", "1:1987",
                      "2:278", "2:2538", "2:2548", "31:1467", "57:1305"]


@pytest.mark.parametrize("case_id", FOUND_BY_LONG_RUNS)
def test_case_found_by_a_long_run_is_refused_or_clean(seeds, case_id):
    seed, index = (int(v) for v in case_id.split(":"))
    case = runner.make_case(seed, index, seeds, runner.DEFAULT_KINDS)
    r = runner.run_compile(case, timeout=120)
    assert r.outcome in ("error", "compiled"), (case.desc, r.outcome, r.place, r.message)


def test_a_standard_node_with_inputs_its_schema_does_not_take_is_refused(seeds):
    """0:1132 (a RequantShift renamed Sigmoid, its three inputs kept) compiled as a float
    Sigmoid that ignored two inputs: now one line naming the node."""
    case = runner.make_case(0, 1132, seeds, runner.DEFAULT_KINDS)
    r = runner.run_compile(case, timeout=120)
    assert r.outcome == "error" and "rqs1" in r.message and "3 inputs (Sigmoid takes at most 1)" \
        in r.message, (r.outcome, r.message)


def test_float_outputs_compare_up_to_libm_ulps_and_integers_exactly():
    a = np.array([1.0, np.nan, np.inf, -0.5], np.float32)
    b = a.copy()
    b[0] = np.nextafter(np.float32(1.0), np.float32(2.0))
    assert runner.same_output(a, b)
    b[1] = 0.0
    assert not runner.same_output(a, b)                    # NaN where the golden has none
    assert not runner.same_output(a, a * np.float32(1.001))
    i = np.array([1, 2], np.int8)
    assert not runner.same_output(i, i + np.int8(1)) and runner.same_output(i, i.copy())


def test_fuzz_signal_custom_ops():
    """TFLite Micro's signal ops (custom operators with flexbuffer options, uint32/uint64
    tensors, a spectral subtraction's state): the micro_speech preprocessor the tests build,
    mutated by every TFLite mutation kind, is refused with one line or compiles and runs
    clean (a separate seed list: the default run's case ids stay what they were)."""
    seed = runner.Seed("audio_preprocessor.tflite", micro_speech.preprocessor_model())
    kinds = [k for k in runner.DEFAULT_KINDS if not k.startswith("onnx_")]
    run = runner.fuzz(SIGNAL_CASES, seed=SIGNAL_SEED, build=6, kinds=kinds, seeds=[seed],
                      jobs=2)
    assert {"compiled", "error"} <= {r.outcome for r in run.results}
    _check(run)


@pytest.mark.parametrize("case_id", ["1000:1807", "1000:2921"])
def test_signal_case_found_by_a_long_run_is_one_line(case_id):
    """A bit flip in a custom operator's name length made the name run over the rest of
    the file (hundreds of lines of error); the name is now printable and cut."""
    seed = runner.Seed("audio_preprocessor.tflite", micro_speech.preprocessor_model())
    kinds = [k for k in runner.DEFAULT_KINDS if not k.startswith("onnx_")]
    s, i = (int(v) for v in case_id.split(":"))
    r = runner.run_compile(runner.make_case(s, i, [seed], kinds), timeout=120)
    assert r.outcome in ("error", "compiled"), (r.outcome, r.place, r.message[:300])
