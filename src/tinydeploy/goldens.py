"""Check a compiled project against golden activations written by the PULP tool flow.

Formats read (see ../shared/models/pulp/README.md):

- DORY text files: ``input.txt`` and ``out_layer<k>.txt``, or per record ``input_<i>.txt``,
  ``out_<i>_layer<k>.txt`` and ``output_<i>.txt``; a header line, then one integer per
  line (``v,`` with optional ``\\`` continuations). Headers can be wrong: ignored.
- Deeploy: ``inputs.npz``, ``outputs.npz`` and ``activations.npz``, one array per tensor.

Golden layers are matched to our tensors by content: same number of elements, equal
values in HWC or CHW order (our values in the source domain, i.e. minus the IR zero
point). The generated C is built with per-layer dumps and run on the golden inputs (whose
layout, CHW or HWC, is the one that makes more golden layers match); every golden layer
must equal one tensor of the C run, else the first differing element is reported.
A golden layer no tensor has the size of, or an input that fits no network input, is a
:class:`TinyDeployError` (exit 2): the folder does not describe this network.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinydeploy import hostrun
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph
from tinydeploy.passes.fuse_requant import with_accumulators


@dataclass
class Golden:
    label: str                 # where it came from, e.g. "out_0_layer3.txt"
    values: np.ndarray         # flat int64


@dataclass
class Record:
    inputs: list[Golden]
    layers: list[Golden]


@dataclass
class LayerMatch:
    record: int
    golden: str
    size: int
    tensor: str | None = None       # our tensor (exact match, or the closest one)
    layout: str = ""
    ok: bool = False
    detail: str = ""


@dataclass
class GoldenCheck:
    records: int
    input_layout: str
    matches: list[LayerMatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(m.ok for m in self.matches)


# -- reading ------------------------------------------------------------------------------
def _read_txt(path: Path) -> Golden:
    values = []
    for i, line in enumerate(path.read_text(errors="replace").splitlines()):
        s = line.strip().rstrip("\\").strip().rstrip(",").strip()
        if not s:
            continue
        try:
            v = float(s)
        except ValueError:
            if i == 0 or s.startswith("#"):
                continue
            raise TinyDeployError(f"line {i + 1} is not a number: {line[:60]!r}",
                                  file=str(path)) from None
        if v != int(v):
            raise TinyDeployError(f"line {i + 1} holds the non-integer {v}", file=str(path))
        values.append(int(v))
    if not values:
        raise TinyDeployError("no values", file=str(path))
    return Golden(path.name, np.array(values, dtype=np.int64))


def _layer_key(path: Path) -> int:
    return int(re.findall(r"layer(\d+)", path.name)[0])


def _read_dory(folder: Path, notes: list[str]) -> list[Record]:
    multi = sorted(folder.glob("input_*.txt"), key=lambda p: int(re.findall(r"\d+", p.stem)[0]))
    if multi:
        if (folder / "input.txt").exists():
            notes.append("input.txt ignored: the per-record input_<i>.txt files are used")
        records = []
        for p in multi:
            i = int(re.findall(r"\d+", p.stem)[0])
            layers = sorted(folder.glob(f"out_{i}_layer*.txt"), key=_layer_key)
            outs = [folder / f"output_{i}.txt"] if (folder / f"output_{i}.txt").exists() \
                else []
            records.append(Record([_read_txt(p)], [_read_txt(q) for q in layers + outs]))
        return records
    layers = sorted(folder.glob("out_layer*.txt"), key=_layer_key)
    return [Record([_read_txt(folder / "input.txt")], [_read_txt(q) for q in layers])]


def _npz(path: Path) -> list[Golden]:
    if not path.exists():
        return []
    try:
        z = np.load(path, allow_pickle=False)
        return [Golden(f"{path.name}:{k}", np.asarray(z[k]).astype(np.int64).ravel())
                for k in z.files]
    except Exception as e:  # noqa: BLE001 - any unreadable file is the user's error
        raise TinyDeployError(f"cannot read: {e}", file=str(path)) from None


def read_golden(folder: str | Path, notes: list[str] | None = None) -> list[Record]:
    """The records (inputs + golden layers) of a DORY or Deeploy golden folder."""
    folder = Path(folder)
    notes = notes if notes is not None else []
    if not folder.is_dir():
        raise TinyDeployError("golden folder not found", file=str(folder))
    if (folder / "inputs.npz").exists():
        layers = _npz(folder / "activations.npz") + _npz(folder / "outputs.npz")
        return [Record(_npz(folder / "inputs.npz"), layers)]
    if (folder / "input.txt").exists() or list(folder.glob("input_*.txt")):
        return _read_dory(folder, notes)
    raise TinyDeployError("no golden files: expected DORY input.txt/out_layer<k>.txt or "
                          "Deeploy inputs.npz/outputs.npz", file=str(folder))


# -- inputs --------------------------------------------------------------------------------
def _layouts(x: np.ndarray, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """The golden flat input as our (source layout) input, read as CHW and as HWC."""
    out = {"CHW": x.reshape(shape)}
    if len(shape) in (3, 4) and shape[1] > 1 and int(np.prod(shape[2:])) > 1:
        rest = shape[2:]
        hwc = x.reshape((shape[0], *rest, shape[1]))
        out["HWC"] = np.moveaxis(hwc, -1, 1)
    return out


def map_inputs(g: Graph, rec: Record, notes: list[str]) -> list[dict[str, np.ndarray]]:
    """Per graph input, its candidate arrays by layout; unused golden inputs noted."""
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
        out.append({lay: a.astype(t.dtype) for lay, a in _layouts(v, t.shape).items()})
    for i, gi in enumerate(rec.inputs):
        if i not in used:
            notes.append(f"{gi.label} ({gi.values.size} values) matches no network input: "
                         "ignored")
    return out


# -- our tensors ---------------------------------------------------------------------------
def source_views(g: Graph, name: str, data: np.ndarray) -> dict[str, np.ndarray]:
    """A tensor's values in the source domain, flat in IR (HWC) and CHW order."""
    t = g.t(name)
    zp = t.quant.zp if t.quant is not None else 0
    v = np.asarray(data).astype(np.int64).reshape(t.shape) - zp
    if name in g.inputs:
        return {"CHW": v.ravel()}
    views = {"HWC": v.ravel()}
    if v.ndim == 4 and v.shape[3] > 1 and v.shape[1] * v.shape[2] > 1:
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


def match_record(g: Graph, rec: Record, tensors: dict[str, np.ndarray], rec_i: int
                 ) -> list[LayerMatch]:
    # Fused layers never store their int32 sums, which Deeploy goldens list: add them.
    g, tensors = with_accumulators(g, tensors)
    order = [n for n in tensors]
    ours = {n: source_views(g, n, tensors[n]) for n in order}
    out, pos = [], 0
    for gold in rec.layers:
        m, pos = _match(gold, ours, order, pos, rec_i)
        out.append(m)
    return out


# -- the check -----------------------------------------------------------------------------
def _numpy_tensors(low, inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
    from tinydeploy.quant.execute import run_graph

    env = run_graph(low.graph, inputs, low.args)
    g = low.graph
    return {n: env[n] for n in g.activations() if n in env}


def _choose_layout(low, rec: Record, cands: list[dict[str, np.ndarray]]) -> str:
    layouts = sorted({lay for c in cands for lay in c}, key=lambda s: s != "CHW")
    if len(layouts) == 1:
        return layouts[0]
    score = {}
    for lay in layouts:
        ins = [c.get(lay, c["CHW"]) for c in cands]
        ms = match_record(low.graph, rec, _numpy_tensors(low, ins), 0)
        score[lay] = sum(m.ok for m in ms)
    return max(layouts, key=lambda lay: (score[lay], lay == "CHW"))


def _c_tensors(project: Path, manifest: dict, g: Graph, exe: Path,
               inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
    with tempfile.TemporaryDirectory(prefix="td_golden_") as tmp:
        hostrun.run(exe, manifest, [inputs], dump_dir=Path(tmp))
        out = {n: x for n, x in zip(g.inputs, inputs)}
        for layer in manifest["layers"]:
            f = Path(tmp) / f"layer_{layer['index']}.bin"
            if f.exists():
                out[layer["name"]] = np.frombuffer(f.read_bytes(), dtype=layer["dtype"])
    return out


def check_golden(project: str | Path, golden_dir: str | Path, low, manifest: dict,
                 sanitize: bool = False) -> GoldenCheck:
    """Run the project's C (per-layer dump build) on the golden inputs; match layers."""
    project = Path(project)
    notes: list[str] = []
    records = read_golden(golden_dir, notes)
    g = low.graph
    manifest = {**manifest, "layers": [{**lay, "name": g.ops[lay["index"]].outputs[0]}
                                       for lay in manifest["layers"]]}
    exe = hostrun.build(project, debug=True, sanitize=sanitize)
    cands = [map_inputs(g, r, notes) for r in records]
    layout = _choose_layout(low, records[0], cands[0])
    check = GoldenCheck(len(records), layout, notes=notes)
    for i, (rec, cand) in enumerate(zip(records, cands)):
        ins = [c.get(layout, c["CHW"]) for c in cand]
        tensors = _c_tensors(project, manifest, g, exe, ins)
        ms = match_record(g, rec, tensors, i)
        missing = [m for m in ms if m.tensor is None]
        if missing:
            raise TinyDeployError(
                "golden layers cannot be matched to this network: "
                + "; ".join(f"{m.golden} has {m.size} values, no tensor has that many"
                            for m in missing[:3]), file=str(golden_dir))
        check.matches.extend(ms)
    return check


def format_check(c: GoldenCheck) -> list[str]:
    lines = [f"golden: {c.records} record(s), inputs read as {c.input_layout}"]
    lines += [f"note: {n}" for n in c.notes]
    for m in c.matches:
        head = f"[{m.record}] {m.golden} ({m.size} values): "
        lines.append(head + (f"matched '{m.tensor}' ({m.layout})" if m.ok else m.detail))
    bad = sum(not m.ok for m in c.matches)
    lines.append(f"{len(c.matches) - bad}/{len(c.matches)} golden layers bit-exact")
    return lines


def load_manifest(project: Path) -> dict:
    return json.loads((Path(project) / "manifest.json").read_text())
