"""Validate a compiled project: build it, run inputs, compare with the golden and the
reference interpreter, and name the first differing layer on a mismatch."""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinydeploy import hostrun, rv32
from tinydeploy.compiler import Lowered, lower_file
from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.pulp.reference import run_pulp_reference
from tinydeploy.ir.graph import Graph
from tinydeploy.quant.execute import run_graph
from tinydeploy.quant.packing import from_storage
from tinydeploy.reference import reference_name, run_reference


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

    @property
    def ok(self) -> bool:
        return (self.c_vs_golden_exact and self.c_vs_reference_max_lsb <= self.tolerance_lsb
                and self.sim_vs_host_exact is not False and self.dma_exact is not False)


def random_inputs(g: Graph, n: int, seed: int) -> list[list[np.ndarray]]:
    """``n`` seeded input records covering each input's full integer range.

    Float inputs get values spread over the range their QuantizeLinear/QUANTIZE represents.
    """
    rng = np.random.default_rng(seed)
    records = []
    for _ in range(n):
        rec = []
        for name in g.inputs:
            t = g.t(name)
            if t.dtype == "float32":
                q = _float_input_range(g, name)
                rec.append(rng.uniform(q[0], q[1], size=t.shape).astype(np.float32))
            else:
                info = np.iinfo(np.dtype(t.dtype))
                rec.append(rng.integers(info.min, info.max, size=t.shape, endpoint=True)
                           .astype(t.dtype))
        records.append(rec)
    return records


def _float_input_range(g: Graph, name: str) -> tuple[float, float]:
    for op in g.consumers(name):
        out = g.t(op.outputs[0])
        if op.kind == "quantize" and out.quant is not None:
            info = np.iinfo(np.dtype(out.dtype))
            s, z = out.quant.s, out.quant.zp
            return s * (info.min - z), s * (info.max - z)
    return -1.0, 1.0


def load_npy_inputs(g: Graph, paths: list[str]) -> list[list[np.ndarray]]:
    """User inputs: each .npy holds one input (or a batch along a new leading axis)."""
    if len(g.inputs) != 1:
        raise TinyDeployError(".npy inputs are supported for single-input networks only")
    t = g.t(g.inputs[0])
    records = []
    for p in paths:
        try:
            x = np.load(p, allow_pickle=False)
        except Exception as e:  # noqa: BLE001 - any unreadable file is the user's error
            raise TinyDeployError(f"cannot read .npy: {e}", file=p) from None
        if x.dtype != np.dtype(t.dtype):
            raise TinyDeployError(f"dtype {x.dtype} does not match input '{t.name}' "
                                  f"({t.dtype})", file=p)
        batch = x.reshape((-1, *t.shape)) if x.size % t.size == 0 else None
        if batch is None or x.size == 0:
            raise TinyDeployError(f"shape {x.shape} does not match input '{t.name}' "
                                  f"{list(t.shape)}", file=p)
        records += [[b] for b in batch]
    return records


def _lsb_diff(a: np.ndarray, b: np.ndarray, lsb: float = 1.0) -> np.ndarray:
    """|a - b| in units of the output's quantization step (LSB)."""
    if a.dtype.kind == "f":
        return np.abs(a.astype(np.float64) - b.astype(np.float64)) / lsb
    return np.abs(a.astype(np.int64) - b.astype(np.int64))


def output_lsb(g: Graph, name: str) -> float:
    """The real value of one LSB of an output: 1 for integer outputs; for a float output made
    by a dequantize, the scale it dequantizes with."""
    op = g.producer(name)
    if g.t(name).dtype == "float32" and op is not None and op.kind == "dequantize":
        q = g.t(op.inputs[0]).quant
        return q.s if q is not None else 1.0
    return 1.0


def validate(project: str | Path, n: int = 20, seed: int = 0, npy: list[str] | None = None,
             sanitize: bool = False, tolerance: float | None = None,
             progress=None, on: str = "host", timeout: float | None = None) -> Validation:
    """``on="qemu"``: checks the rv32imc build on QEMU (also byte-identical to the host's)."""
    project = Path(project)
    manifest = _manifest(project)
    _check_on(project, manifest, on)
    model = manifest["model"]
    low = lower_file(model, **manifest.get("frontend_options", {}))
    records = random_inputs(low.graph, n, seed) + load_npy_inputs(low.graph, npy or [])
    exe = hostrun.build(project, sanitize=sanitize)
    dma = None
    if manifest.get("tiled"):       # tiled target: also measure the DMA of every layer
        from tinydeploy.codegen.tiled_stats import run_measuring
        c_out, dma = run_measuring(exe, manifest, records)
    else:
        c_out = hostrun.run(exe, manifest, records)
    sim_bad = None
    if on == "qemu":
        c_out, sim_bad = _run_qemu(project, manifest, records, c_out, progress, timeout)
    golden = [run_graph(low.graph, rec, low.args) for rec in records]
    if progress:
        progress("ran C and golden")
    if low.graph.meta.get("dialect"):          # NEMO/QuantLab/Deeploy integer graphs
        fmt_ref, ref = run_pulp_reference(model, low.graph, records)
    else:
        ref = _reference_in_our_layout(low.graph, model, records)
        fmt_ref = reference_name(model)
    # onnxruntime requantizes in float with one rounding; TFLite-style fixed point (ours)
    # rounds twice, so ONNX outputs may differ by a few LSB (reported, not hidden).
    tol = tolerance if tolerance is not None else \
        (0 if model.endswith(".tflite") or low.graph.meta.get("dialect") else 2)

    g_exact = True
    bad_record = None
    for i, (c, gold) in enumerate(zip(c_out, golden)):
        for name, y in zip(low.graph.outputs, c):
            if not np.array_equal(y, gold[name]):
                g_exact = False
                bad_record = i if bad_record is None else bad_record
    lsbs = [output_lsb(low.graph, n) for n in low.graph.outputs]
    diffs = [_lsb_diff(y, r.reshape(y.shape), lsb)
             for c, rr in zip(c_out, ref) for y, r, lsb in zip(c, rr, lsbs)]
    max_lsb = float(np.round(max(d.max() for d in diffs), 6)) if diffs else 0.0
    exact = float(np.mean(np.concatenate([(d == 0).ravel() for d in diffs]))) if diffs else 1.0
    v = Validation(len(records), fmt_ref, g_exact, max_lsb, exact, tol, on=on,
                   sim_vs_host_exact=None if on == "host" else sim_bad is None)
    if dma is not None:
        from tinydeploy.codegen.tiled_stats import compare
        v.dma, dma_msgs = dma, compare(manifest, dma)
        v.dma_exact = not dma_msgs
        v.messages += dma_msgs
    if sim_bad is not None:
        v.messages.append(f"QEMU rv32imc output differs from the host build on input {sim_bad}")
    if not g_exact:
        v.first_bad_layer = first_bad_layer(project, manifest, low, records[bad_record], on)
        v.messages.append(f"C differs from the golden on input {bad_record}: first differing "
                          f"layer {v.first_bad_layer}")
    if max_lsb > tol:
        worst = int(np.argmax([d.max() for d in diffs]))
        v.messages.append(f"C differs from {fmt_ref} by up to {max_lsb:g} LSB "
                          f"(input {worst // max(1, len(low.graph.outputs))}); "
                          + ("golden matches C, so the golden disagrees with the reference"
                             if g_exact else "see the layer above"))
    return v


def validate_golden(project: str | Path, golden_dir: str | Path, sanitize: bool = False):
    """Build the project with per-layer dumps, run it on a golden folder's inputs (DORY
    text files or Deeploy .npz) and match every golden layer (see :mod:`goldens`)."""
    from tinydeploy.goldens import check_golden

    project = Path(project)
    manifest = _manifest(project)
    low = lower_file(manifest["model"], **manifest.get("frontend_options", {}))
    return check_golden(project, golden_dir, low, manifest, sanitize)


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


def _manifest(project: Path) -> dict:
    f = project / "manifest.json"
    if not f.is_file():
        raise TinyDeployError("not a tinydeploy output directory (no manifest.json)",
                              file=str(project))
    m = json.loads(f.read_text())
    if not m.get("model") or not Path(m["model"]).is_file():
        raise TinyDeployError(f"source model {m.get('model')} not found", file=str(project))
    if hashlib.sha256(Path(m["model"]).read_bytes()).hexdigest() != m["model_sha256"]:
        raise TinyDeployError(f"source model {m['model']} changed since compile; recompile",
                              file=str(project))
    return m
