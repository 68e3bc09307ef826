"""Check a compiled project against golden activations written by the PULP tool flow
(folders read by :mod:`.golden_files`: DORY text files or Deeploy .npz).

Final outputs and inner layers are checked differently:

- A golden *network output* (Deeploy ``outputs.npz``; DORY ``output_<i>.txt``, and the
  last ``out_layer`` when a graph output has its size) is compared with the graph output
  it stands for (in order; by name or size when the counts differ), as the C API returns
  it: in the layout the generated header declares (the source's, NCHW for ONNX; NHWC for
  4-D edges under ``--io-layout nhwc``), element by element. The golden is read in its
  folder's layout: Deeploy arrays are in the source layout; a DORY folder is CHW or HWC,
  told by its inner layers (or its input), never by the output itself. A mismatch names
  the output and the first differing index.
- *Inner layers* are located by content: same number of elements, equal values in HWC or
  CHW order (our values in the source domain, i.e. minus the IR zero point).

The generated C is built with per-layer dumps and run on the golden inputs (a DORY
folder's input layout, CHW or HWC, is the one that makes more inner layers match; Deeploy
inputs are source-shaped arrays). A golden layer no tensor has the size of, a golden
output no graph output fits, or an input that fits no network input is a
:class:`TinyDeployError` (exit 2): the folder does not describe this network.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinydeploy.check import hostrun
from tinydeploy.check.golden_files import Golden, Record, read_golden
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph
from tinydeploy.passes.fuse_requant import with_accumulators
from tinydeploy.quant.execute import run_graph

LAYOUTS = ("CHW", "HWC")      # a golden folder's element order (channels first / last)


@dataclass
class LayerMatch:
    record: int
    golden: str
    size: int
    tensor: str | None = None       # our tensor (exact match, or the closest one)
    layout: str = ""
    ok: bool = False
    detail: str = ""
    output: bool = False            # compared with a graph output in the declared layout


@dataclass
class GoldenCheck:
    records: int
    input_layout: str
    matches: list[LayerMatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    output_layout: str = "CHW"      # how the folder's golden outputs were read

    @property
    def ok(self) -> bool:
        return all(m.ok for m in self.matches)


# -- layouts of the graph's edges ----------------------------------------------------------
def declared_layout(g: Graph, name: str) -> str:
    """The layout the C header declares for a graph input/output: NCHW or NHWC for 4-D
    edges (the source's, or NHWC under ``--io-layout nhwc``), else "source"."""
    if len(g.t(name).shape) != 4:
        return "source"
    if g.meta.get("io_layout") == "nhwc" or g.meta.get("format") == "tflite":
        return "NHWC"
    return "NCHW"


def source_shape(g: Graph, name: str) -> tuple[int, ...]:
    """The source (channels-first) shape of a graph edge whose header shape is known."""
    shape = tuple(g.t(name).shape)
    if declared_layout(g, name) == "NHWC":
        n, h, w, c = shape
        return (n, c, h, w)
    return shape


def _spread(shape: tuple[int, ...]) -> bool:
    """CHW and HWC orders differ for a channels-first shape."""
    return len(shape) >= 3 and shape[1] > 1 and int(np.prod(shape[2:])) > 1


def _read_as(v: np.ndarray, shape: tuple[int, ...], layout: str) -> np.ndarray:
    """Flat golden values in ``layout`` as an array of the channels-first ``shape``."""
    if layout == "HWC" and _spread(shape):
        return np.moveaxis(v.reshape((shape[0], *shape[2:], shape[1])), -1, 1)
    return v.reshape(shape)


def _to_declared(x: np.ndarray, layout: str) -> np.ndarray:
    return x.transpose(0, 2, 3, 1) if layout == "NHWC" else x


# -- inputs --------------------------------------------------------------------------------
def map_inputs(g: Graph, rec: Record, notes: list[str]) -> list[dict[str, np.ndarray]]:
    """Per graph input, its candidate arrays (in the declared layout) by golden layout;
    unused golden inputs noted."""
    used, out = set(), []
    for name in g.inputs:
        t = g.t(name)
        k = next((i for i, gi in enumerate(rec.inputs)
                  if i not in used and gi.values.size == t.size), None)
        if k is None:
            raise TinyDeployError(f"the golden folder has no input of {t.size} values for "
                                  f"network input '{name}' {list(t.shape)}")
        used.add(k)
        v = rec.inputs[k].values
        info = np.iinfo(np.dtype(t.dtype))
        if v.min() < info.min or v.max() > info.max:
            other = "uint8" if t.dtype == "int8" else "int8"
            raise TinyDeployError(f"golden input {rec.inputs[k].label} spans [{v.min()}, "
                                  f"{v.max()}], outside the compiled input type {t.dtype}; "
                                  f"recompile with --input-type {other}")
        src, lay = source_shape(g, name), declared_layout(g, name)
        layouts = ["CHW"] if rec.fmt == "deeploy" or not _spread(src) else list(LAYOUTS)
        out.append({gl: _to_declared(_read_as(v, src, gl), lay).astype(t.dtype)
                    for gl in layouts})
    for i, gi in enumerate(rec.inputs):
        if i not in used:
            notes.append(f"{gi.label} ({gi.values.size} values) matches no network input: "
                         "ignored")
    return out


# -- our tensors ---------------------------------------------------------------------------
def source_views(g: Graph, name: str, data: np.ndarray) -> dict[str, np.ndarray]:
    """A tensor's values in the source domain, flat in HWC and CHW order (graph edges:
    in the layout the header declares; other 4-D tensors: the IR's NHWC)."""
    t = g.t(name)
    zp = t.quant.zp if t.quant is not None else 0
    v = np.asarray(data).astype(np.int64).reshape(t.shape) - zp
    edge = name in g.inputs or name in g.outputs
    lay = declared_layout(g, name) if edge else ("NHWC" if v.ndim == 4 else "source")
    if lay == "NCHW":
        views = {"CHW": v.ravel()}
        if _spread(v.shape):
            views["HWC"] = v.transpose(0, 2, 3, 1).ravel()
        return views
    if lay == "source":
        if edge and v.ndim == 3:                 # [N, C, L] as the source has it
            views = {"CHW": v.ravel()}
            if _spread(v.shape):
                views["HWC"] = v.transpose(0, 2, 1).ravel()
            return views
        return {"CHW": v.ravel()} if name in g.inputs else {"HWC": v.ravel()}
    views = {"HWC": v.ravel()}
    if v.shape[3] > 1 and v.shape[1] * v.shape[2] > 1:
        views["CHW"] = v.transpose(0, 3, 1, 2).ravel()
    return views


def _match(gold: Golden, ours: dict[str, dict[str, np.ndarray]], order: list[str],
           start: int, rec: int) -> tuple[LayerMatch, int]:
    """The first tensor (from position ``start`` on, else any) equal to ``gold``."""
    m = LayerMatch(rec, gold.label, gold.values.size)
    cands = [(i, n) for i, n in enumerate(order)
             if any(v.size == gold.values.size for v in ours[n].values())]
    for i, n in sorted(cands, key=lambda c: (c[0] < start, c[0])):
        for lay, v in ours[n].items():
            if v.size == gold.values.size and np.array_equal(v, gold.values):
                m.tensor, m.layout, m.ok, m.detail = n, lay, True, "matched"
                return m, i
    if not cands:
        return m, start
    best = max(((np.count_nonzero(v == gold.values), n, lay, v) for _, n in cands
                for lay, v in ours[n].items() if v.size == gold.values.size),
               key=lambda c: c[0])
    _, n, lay, v = best
    idx = int(np.flatnonzero(v != gold.values)[0])
    m.tensor, m.layout = n, lay
    m.detail = (f"differs from '{n}' ({lay}) first at index {idx}: golden "
                f"{gold.values[idx]}, ours {v[idx]} ({np.count_nonzero(v != gold.values)} "
                f"of {v.size} differ)")
    return m, start


def match_layers(g: Graph, golds: list[Golden], tensors: dict[str, np.ndarray], rec_i: int
                 ) -> list[LayerMatch]:
    """Inner golden layers located by content among our tensors."""
    # Fused layers never store their int32 sums, which Deeploy goldens list: add them.
    g, tensors = with_accumulators(g, tensors)
    order = [n for n in tensors]
    ours = {n: source_views(g, n, tensors[n]) for n in order}
    out, pos = [], 0
    for gold in golds:
        m, pos = _match(gold, ours, order, pos, rec_i)
        out.append(m)
    return out


def match_record(g: Graph, rec: Record, tensors: dict[str, np.ndarray], rec_i: int
                 ) -> list[LayerMatch]:
    """Every golden layer of ``rec`` located by content (no output pairing)."""
    return match_layers(g, rec.layers, tensors, rec_i)


# -- golden outputs ------------------------------------------------------------------------
def split_outputs(g: Graph, rec: Record, notes: list[str], folder: str
                  ) -> tuple[list[Golden], dict[int, int]]:
    """(inner layers, {index in rec.layers: index of the graph output it stands for})."""
    outs = list(g.outputs)
    sizes = [g.t(o).size for o in outs]
    names = list(g.meta.get("source_outputs") or outs)
    finals = [k for k, gl in enumerate(rec.layers) if gl.kind == "output"]
    pairs: dict[int, int] = {}
    if finals and g.meta.get("outputs_requested"):
        note = ("the outputs were chosen with --output-tensor: the golden network outputs "
                "are located by content like inner layers")
        if note not in notes:
            notes.append(note)
        finals = []
    keys = [rec.layers[k].label.split(":", 1)[-1] for k in finals]
    if finals and all(key in names for key in keys):        # Deeploy arrays by name
        pairs = {k: names.index(key) for k, key in zip(finals, keys)}
    elif len(finals) == len(outs):                           # else in order
        pairs = {k: i for i, k in enumerate(finals)}
    for k in finals:
        if k in pairs:
            continue
        gl = rec.layers[k]
        key = gl.label.split(":", 1)[-1]
        same = [i for i, s in enumerate(sizes) if s == gl.values.size]
        i = names.index(key) if key in names else (same[0] if len(same) == 1 else None)
        if i is None:
            raise TinyDeployError(f"golden output {gl.label} ({gl.values.size} values) fits "
                                  f"none of the network outputs "
                                  f"{', '.join(f'{o!r} {list(g.t(o).shape)}' for o in outs)}",
                                  file=folder)
        pairs[k] = i
    for k, i in pairs.items():
        gl = rec.layers[k]
        if gl.values.size != sizes[i]:
            raise TinyDeployError(f"golden output {gl.label} has {gl.values.size} values, "
                                  f"network output '{outs[i]}' {list(g.t(outs[i]).shape)} "
                                  f"has {sizes[i]}", file=folder)
    for k, gl in enumerate(rec.layers):        # DORY: the last layer, if it is an output
        if gl.kind == "last" and not g.meta.get("outputs_requested"):
            # (integers: a float head's output is not it, its integer input is a layer)
            same = [i for i, s in enumerate(sizes) if s == gl.values.size and
                    g.t(outs[i]).dtype != "float32"]
            if same:
                pairs[k] = same[0]
    inner = [gl for k, gl in enumerate(rec.layers) if k not in pairs]
    return inner, pairs


def compare_output(g: Graph, gold: Golden, out_i: int, y: np.ndarray, golden_layout: str,
                   rec_i: int) -> LayerMatch:
    """A golden network output against the C API's output ``y``, in the declared layout."""
    name = g.outputs[out_i]
    lay = declared_layout(g, name)
    shape = tuple(g.t(name).shape)
    src = source_shape(g, name)
    m = LayerMatch(rec_i, gold.label, gold.values.size, name, lay, output=True)
    where = f"graph output '{name}', declared {lay} {list(shape)}"
    if gold.shape is not None and gold.shape != src:
        m.detail = (f"{where}: the golden array has shape {list(gold.shape)}, the source "
                    f"shape of this output is {list(src)}")
        return m
    want = _to_declared(_read_as(gold.values, src, golden_layout), lay).ravel()
    got = np.asarray(y).astype(np.int64).ravel()
    if got.size != want.size:
        m.detail = f"{where}: the C API returns {got.size} values, the golden {want.size}"
        return m
    bad = np.flatnonzero(got != want)
    if bad.size == 0:
        m.ok, m.detail = True, f"matched '{name}' (graph output, declared {lay} {list(shape)})"
        return m
    i = int(bad[0])
    pos = list(int(p) for p in np.unravel_index(i, shape))
    m.detail = (f"{where}: differs first at index {i} {pos}: golden {want[i]}, C {got[i]} "
                f"({bad.size} of {got.size} differ)")
    return m


# -- the check -----------------------------------------------------------------------------
def _numpy_run(low, inputs: list[np.ndarray]):
    env = run_graph(low.graph, inputs, low.args)
    g = low.graph
    tensors = {n: env[n] for n in g.activations() if n in env}
    return tensors, [env[n] for n in g.outputs]


def _choose_layout(low, inner: list[Golden], cands: list[dict[str, np.ndarray]]) -> str:
    """The input layout that makes more inner layers match (CHW on a tie); the golden
    outputs never vote."""
    layouts = sorted({lay for c in cands for lay in c}, key=lambda s: s != "CHW")
    if len(layouts) == 1:
        return layouts[0]
    score = {}
    for lay in layouts:
        ins = [c.get(lay, c["CHW"]) for c in cands]
        ms = match_layers(low.graph, inner, _numpy_run(low, ins)[0], 0)
        score[lay] = sum(m.ok for m in ms)
    return max(layouts, key=lambda lay: (score[lay], lay == "CHW"))


def _folder_layout(fmt: str, inner: list[LayerMatch], views: dict[str, bool],
                   input_layout: str, input_spread: bool, notes: list[str]) -> str:
    """How the golden outputs are read: Deeploy's arrays are source-shaped (CHW); a DORY
    folder's order is the one its inner layers matched in (where CHW and HWC differ),
    else its input's, else CHW."""
    if fmt == "deeploy":
        return "CHW"
    votes = Counter(m.layout for m in inner if m.ok and views.get(m.tensor or ""))
    if votes:
        return "HWC" if votes["HWC"] > votes["CHW"] else "CHW"
    if input_spread:
        return input_layout
    notes.append("no inner layer or input tells this folder's layout: golden outputs "
                 "read as CHW")
    return "CHW"


def _c_run(project: Path, manifest: dict, g: Graph, exe: Path, inputs: list[np.ndarray]):
    """(per-layer tensors of the C run, the C API's outputs)."""
    with tempfile.TemporaryDirectory(prefix="td_golden_") as tmp:
        outs = hostrun.run(exe, manifest, [inputs], dump_dir=Path(tmp))[0]
        tensors = {n: x for n, x in zip(g.inputs, inputs)}
        for layer in manifest["layers"]:
            f = Path(tmp) / f"layer_{layer['index']}.bin"
            if f.exists():
                tensors[layer["name"]] = np.frombuffer(f.read_bytes(), dtype=layer["dtype"])
    return tensors, outs


def check_golden(project: str | Path, golden_dir: str | Path, low, manifest: dict,
                 sanitize: bool = False) -> GoldenCheck:
    """Run the project's C (per-layer dump build) on the golden inputs; compare golden
    outputs with the C API's outputs in the declared layout, locate inner layers."""
    project = Path(project)
    notes: list[str] = []
    records = read_golden(golden_dir, notes)
    g = low.graph
    manifest = {**manifest, "layers": [{**lay, "name": g.ops[lay["index"]].outputs[0]}
                                       for lay in manifest["layers"]]}
    splits = [split_outputs(g, r, notes, str(golden_dir)) for r in records]
    cands = [map_inputs(g, r, notes) for r in records]
    exe = hostrun.build(project, debug=True, sanitize=sanitize)
    layout = _choose_layout(low, splits[0][0], cands[0])
    check = GoldenCheck(len(records), layout, notes=notes)
    runs = []
    for i, (rec, cand, (inner, pairs)) in enumerate(zip(records, cands, splits)):
        ins = [c.get(layout, c["CHW"]) for c in cand]
        tensors, outs = _c_run(project, manifest, g, exe, ins)
        ms = match_layers(g, inner, tensors, i)
        missing = [m for m in ms if m.tensor is None]
        if missing:
            raise TinyDeployError(
                "golden layers cannot be matched to this network: "
                + "; ".join(f"{m.golden} has {m.size} values, no tensor has that many"
                            for m in missing[:3]), file=str(golden_dir))
        runs.append((rec, pairs, ms, outs, tensors))
    spread = {n: _spread_views(g, n, t) for *_, tensors in runs[:1] for n, t in tensors.items()}
    check.output_layout = _folder_layout(
        records[0].fmt, [m for r in runs for m in r[2]], spread, layout,
        any(len(c) > 1 for c in cands[0]), notes)
    for i, (rec, pairs, ms, outs, _) in enumerate(runs):
        inner_iter = iter(ms)
        for k, gold in enumerate(rec.layers):
            if k in pairs:
                check.matches.append(compare_output(g, gold, pairs[k], outs[pairs[k]],
                                                    check.output_layout, i))
            else:
                check.matches.append(next(inner_iter))
    return check


def _spread_views(g: Graph, name: str, data: np.ndarray) -> bool:
    """Whether a tensor's CHW and HWC views differ (a match in it tells a layout)."""
    try:
        views = source_views(g, name, data)
    except (KeyError, ValueError):
        return False
    return len(views) > 1 and not np.array_equal(*views.values())


def format_check(c: GoldenCheck) -> list[str]:
    lines = [f"golden: {c.records} record(s), inputs read as {c.input_layout}; golden "
             f"network outputs read as {c.output_layout} and compared with the graph "
             "outputs in the layout the C header declares"]
    lines += [f"note: {n}" for n in c.notes]
    for m in c.matches:
        head = f"[{m.record}] {m.golden} ({m.size} values): "
        if m.output:
            lines.append(head + m.detail)
        else:
            lines.append(head + (f"matched '{m.tensor}' ({m.layout})" if m.ok else m.detail))
    bad = sum(not m.ok for m in c.matches)
    lines.append(f"{len(c.matches) - bad}/{len(c.matches)} golden layers bit-exact")
    return lines
