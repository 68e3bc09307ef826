"""Validate a compiled project: build it, run inputs, compare with the golden and the
reference interpreter, and name the first differing layer on a mismatch."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinydeploy.check import dma as dma_check
from tinydeploy.check import hostrun, rv32
from tinydeploy.check.goldens import GoldenCheck, check_golden
from tinydeploy.check.inputs import load_npy_inputs, random_inputs
from tinydeploy.check.pulp_reference import run_pulp_reference
from tinydeploy.check.reference import reference_name, run_reference
from tinydeploy.check.stream import stream_reference
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph
from tinydeploy.ir.training import steps_in_place
from tinydeploy.lowered import Lowered
from tinydeploy.frontend.tflite_reader import TT, read_tflite
from tinydeploy.project import CompiledProject, as_project
from tinydeploy.quant.execute import run_graph, run_stream
from tinydeploy.quant.packing import from_storage
from tinydeploy.quantize.float_ops import run_float


@dataclass
class Validation:
    inputs: int
    reference: str
    c_vs_golden_exact: bool
    c_vs_reference_max_lsb: float
    c_vs_reference_exact_fraction: float
    tolerance_lsb: float
    first_bad_layer: str | None = None
    messages: list[str] = field(default_factory=list)
    on: str = "host"                        # where the C ran: host or qemu (rv32imc)
    sim_vs_host_exact: bool | None = None   # qemu: outputs byte-identical to the host build
    dma_exact: bool | None = None   # tiled targets: measured DMA per layer == the plan's
    dma: dict | None = None         # tiled targets: measured DMA counters per layer index
    # float32 networks: the golden computes libm functions (exp, tanh, ...) correctly
    # rounded, the C calls the target's libm, which may be an ulp off: their float outputs
    # are compared within FLOAT_UNIT (relative) - the largest difference, or 0 if identical
    c_vs_golden_float_units: float = 0.0

    @property
    def golden_words(self) -> str:
        """How the C compares with the golden, in words."""
        if not self.c_vs_golden_exact:
            return "DIFFERENT"
        if self.c_vs_golden_float_units:
            return (f"equal (float outputs within {self.c_vs_golden_float_units:.2g} x "
                    f"{FLOAT_UNIT:g} relative: libm rounding)")
        return "bit-exact"

    @property
    def ok(self) -> bool:
        return (self.c_vs_golden_exact and self.c_vs_reference_max_lsb <= self.tolerance_lsb
                and self.sim_vs_host_exact is not False and self.dma_exact is not False)


# A float32 network's outputs (no quantization step): one "LSB" is this much of the
# reference value's magnitude (at least of 1.0), so the tolerance is relative
FLOAT_UNIT = 1e-5
# ... and the C of a float32 network may differ from the golden by this many FLOAT_UNITs
# where the target's libm is not correctly rounded (tanhf, expf: an ulp, carried through a
# recurrence); an integer output, or a wrong kernel, is never excused
GOLDEN_FLOAT_UNITS = 1.0


def _lsb_diff(a: np.ndarray, b: np.ndarray, lsb: float | None = 1.0) -> np.ndarray:
    """|a - b| in units of the output's quantization step (LSB); ``lsb`` None: a float32
    network's output, in units of FLOAT_UNIT * max(1, |b|)."""
    if a.dtype.kind == "f" and lsb is None:
        b64 = b.astype(np.float64)
        with np.errstate(invalid="ignore"):
            d = np.abs(a.astype(np.float64) - b64)
        d = np.where((a == b) | (np.isnan(a) & np.isnan(b)), 0.0, d)
        return d / (FLOAT_UNIT * np.maximum(1.0, np.abs(b64)))
    if a.dtype.kind == "f":
        return np.abs(a.astype(np.float64) - b.astype(np.float64)) / lsb
    return np.abs(a.astype(np.int64) - b.astype(np.int64))


def output_lsb(g: Graph, name: str) -> float | None:
    """The real value of one LSB of an output: 1 for integer outputs; for a float output made
    by a dequantize, the scale it dequantizes with; None for a float32 network's output
    (relative units: FLOAT_UNIT) and for the float head of an integer-deployable graph."""
    op = g.producer(name)
    if g.t(name).dtype == "float32" and op is not None and op.kind == "dequantize":
        q = g.t(op.inputs[0]).quant
        return q.s if q is not None else 1.0
    if g.t(name).dtype == "float32" and (g.meta.get("float") or g.meta.get("float_head")):
        return None
    return 1.0


def validate(project: str | Path | CompiledProject, n: int = 20, seed: int = 0,
             npy: list[str] | None = None, sanitize: bool = False,
             tolerance: float | None = None, progress=None, on: str = "host",
             timeout: float | None = None, records=None,
             bounds: bool = False) -> Validation:
    """Build the project, run ``n`` seeded random inputs (plus ``npy`` files, or exactly
    ``records``), compare with the numpy golden and the reference interpreter.

    ``on="qemu"``: checks the rv32imc build on QEMU (also byte-identical to the host's).
    ``bounds``: run the bounds-checking build (``make bounds``, see hostrun.build)."""
    proj = as_project(project)
    manifest = proj.manifest
    _check_on(proj.path, manifest, on)
    model = str(proj.model)
    low = proj.lowered
    if records is None:
        records = random_inputs(low.graph, n, seed) + load_npy_inputs(low.graph, npy or [])
    exe = hostrun.build(proj.path, sanitize=sanitize, bounds=bounds)
    dma = None
    if proj.tiled:                  # tiled target: also measure the DMA of every layer
        c_out, dma = dma_check.run_measuring(exe, manifest, records)
    else:
        c_out = hostrun.run(exe, manifest, records)
    sim_bad = None
    if on == "qemu":
        c_out, sim_bad = _run_qemu(proj.path, manifest, records, c_out, progress, timeout)
    golden = run_stream(low.graph, records, low.args)     # (state carried, as in C)
    if progress:
        progress("ran C and golden")
    if steps_in_place(low.graph):              # ONNX Runtime training graph (one SGD step)
        fmt_ref = ("the numpy golden (no reference interpreter here runs ONNX Runtime "
                   "training graphs; `validate --golden` compares Deeploy's outputs)")
        ref = [[gold[n] for n in low.graph.outputs] for gold in golden]
    elif low.graph.meta.get("stream"):         # one step per call: the whole sequence's
        fmt_ref, ref = stream_reference(low, model, records, _model_reference)
    else:
        fmt_ref, ref = _model_reference(low.graph, model, records)
    # onnxruntime requantizes in float with one rounding; TFLite-style fixed point (ours)
    # rounds twice, so ONNX outputs may differ by a few LSB (reported, not hidden).
    tol = tolerance if tolerance is not None else \
        (0 if (model.endswith(".tflite") or low.graph.meta.get("dialect"))
         and not low.graph.meta.get("float") else 2)
    head = bool(low.graph.meta.get("float_head"))
    if head and tolerance is None:   # float head in C: its outputs within FLOAT_UNIT
        tol = 1

    g_exact = True
    bad_record = None
    lsbs = [output_lsb(low.graph, n) for n in low.graph.outputs]
    float_units = 0.0
    for i, (c, gold) in enumerate(zip(c_out, golden)):
        for name, y, lsb in zip(low.graph.outputs, c, lsbs):
            if np.array_equal(y, gold[name]):
                continue
            if y.dtype.kind == "f" and lsb is None and low.graph.meta.get("float"):
                d = float(_lsb_diff(y, np.asarray(gold[name]).reshape(y.shape), None).max())
                if d <= GOLDEN_FLOAT_UNITS:          # libm rounding, not a wrong kernel
                    float_units = max(float_units, d)
                    continue
            g_exact = False
            bad_record = i if bad_record is None else bad_record
    diffs = [_lsb_diff(y, r.reshape(y.shape), lsb)
             for c, rr in zip(c_out, ref) for y, r, lsb in zip(c, rr, lsbs)]
    if head:                         # ... and its integer outputs still exact
        ints = [low.graph.t(n).dtype != "float32" for n in low.graph.outputs] * len(ref)
        diffs = [np.where(d > 0, np.inf, d) if i else d for d, i in zip(diffs, ints)]
    max_lsb = float(np.round(max(d.max() for d in diffs), 6)) if diffs else 0.0
    exact = float(np.mean(np.concatenate([(d == 0).ravel() for d in diffs]))) if diffs else 1.0
    v = Validation(len(records), fmt_ref, g_exact, max_lsb, exact, tol, on=on,
                   sim_vs_host_exact=None if on == "host" else sim_bad is None,
                   c_vs_golden_float_units=float_units)
    if dma is not None:
        v.dma, dma_msgs = dma, dma_check.compare(manifest, dma)
        v.dma_exact = not dma_msgs
        v.messages += dma_msgs
    if sim_bad is not None:
        v.messages.append(f"QEMU rv32imc output differs from the host build on input {sim_bad}")
    if not g_exact:
        v.first_bad_layer = first_bad_layer(proj.path, manifest, low, records[bad_record], on)
        v.messages.append(f"C differs from the golden on input {bad_record}: first differing "
                          f"layer {v.first_bad_layer}")
    if max_lsb > tol:
        worst = int(np.argmax([d.max() for d in diffs]))
        v.messages.append(f"C differs from {fmt_ref} by up to {max_lsb:g} LSB "
                          f"(input {worst // max(1, len(low.graph.outputs))}); "
                          + ("golden matches C, so the golden disagrees with the reference"
                             if g_exact else "see the layer above"))
    return v


def validate_golden(project: str | Path | CompiledProject, golden_dir: str | Path,
                    sanitize: bool = False) -> GoldenCheck:
    """Build the project with per-layer dumps, run it on a golden folder's inputs (DORY
    text files or Deeploy .npz) and match every golden layer (see :mod:`.goldens`)."""
    proj = as_project(project)
    return check_golden(proj.path, golden_dir, proj.lowered, proj.manifest, sanitize)


def _model_reference(g: Graph, model: str, records) -> tuple[str, list]:
    """(name, outputs per record) of the model file's own reference interpreter."""
    if g.meta.get("dialect"):                  # NEMO/QuantLab/Deeploy integer graphs
        return run_pulp_reference(model, g, records)
    if g.meta.get("float") and model.endswith(".tflite") and _hybrid(model):
        # TFLite Micro refuses dynamic-range ("hybrid") files: the float64 reference of
        # the quantizer (quantize/float_ops.py) stands in
        return ("float64 reference (TFLite Micro refuses hybrid models)",
                [[np.asarray(run_float(g, rec)[n], np.float32) for n in g.outputs]
                 for rec in records])
    return reference_name(model), _reference_in_our_layout(g, model, records)


def _check_on(project: Path, manifest: dict, on: str) -> None:
    """Before any work: a wrong board or a missing tool is a one-line error."""
    if on not in ("host", "qemu"):
        raise TinyDeployError(f"unknown --on '{on}' (host or qemu)")
    if on == "qemu":
        rv32.check_board(project, manifest)
        rv32.require_tools()


def _run_qemu(project: Path, manifest: dict, records, host_out, progress, timeout):
    """Outputs of the rv32 build on QEMU and the first input where they differ from the
    host build's (None when all are byte-identical)."""
    def sim_progress(done: int, total: int) -> None:
        progress(f"QEMU: {done}/{total} inputs")

    out = rv32.run(rv32.build(project), manifest, records,
                   progress=sim_progress if progress else None, timeout=timeout)
    bad = [i for i, (a, b) in enumerate(zip(out, host_out))
           if any(x.tobytes() != y.tobytes() for x, y in zip(a, b))]
    return out, (bad[0] if bad else None)


def _hybrid(model: str) -> bool:
    """A .tflite file whose weights are int8 but whose activations are float32."""
    r = read_tflite(model)
    return any(t.data and t.type == TT.INT8 for t in r.tensors)


def _reference_in_our_layout(g: Graph, model: str, records):
    """Reference outputs for our records; with ``--io-layout nhwc`` the 4-D edges are
    transposed to the source layout (NCHW) for the reference and back."""
    if g.meta.get("io_layout") != "nhwc":
        return run_reference(model, records)
    to_src = [[x.transpose(0, 3, 1, 2) if x.ndim == 4 else x for x in rec] for rec in records]
    return [[y.transpose(0, 2, 3, 1) if y.ndim == 4 else y for y in rec]
            for rec in run_reference(model, to_src)]


def first_bad_layer(project: Path, manifest: dict, low: Lowered, record,
                    on: str = "host") -> str:
    """Build the layer-dumping binary and compare every layer with the golden."""
    if on == "qemu":
        exe, runner = rv32.build(project, "debug"), rv32.run
    else:
        exe, runner = hostrun.build(project, debug=True), hostrun.run
    gold = run_graph(low.graph, record, low.args)
    with tempfile.TemporaryDirectory(prefix="td_dump_") as tmp:
        runner(exe, manifest, [record], dump_dir=Path(tmp))
        for layer in manifest["layers"]:
            f = Path(tmp) / f"layer_{layer['index']}.bin"
            want = gold[low.graph.ops[layer["index"]].outputs[0]]
            got = (from_storage(f.read_bytes(), layer["dtype"], [int(np.prod(layer["shape"]))])
                   if f.exists() else None)   # (packed sub-byte layers unpacked)
            if got is None or not np.array_equal(got, want.ravel()):
                idx = -1 if got is None else int(np.flatnonzero(got != want.ravel())[0])
                detail = "no dump" if got is None else \
                    f"element {idx}: C {got[idx]} vs golden {want.ravel()[idx]}"
                return f"#{layer['index']} {layer['kind']} '{layer['name']}' ({detail})"
    return "none (all layers match; the final copy-out differs)"
