"""Write a lowered model as a C project folder, atomically, with its manifest.

The manifest (``manifest.json``) is what :func:`tinydeploy.load_project` needs to restore
the compilation exactly: the model (by a path relative to the project folder and its
SHA-256), every compile option, the kernel set, target and board, and the numbers that a
re-lowering must reproduce. No timestamps and no absolute paths: the same model and
options always give the same bytes, wherever the folders are.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tinydeploy.version import __version__
from tinydeploy.codegen.boards import board_context, emit_board
from tinydeploy.codegen.cformat import c_prefix
from tinydeploy.codegen.decode import decode_context
from tinydeploy.codegen.emit import emit_project
from tinydeploy.codegen.runtime_files import NAMES_HEADER, names_header
from tinydeploy.codegen.state import state_context
from tinydeploy.codegen.tiled import tiled_context
from tinydeploy.codegen.train import train_context
from tinydeploy.ir.training import training

if TYPE_CHECKING:
    from tinydeploy.lowered import Lowered

MANIFEST_VERSION = 2


def project_prefix(low: "Lowered", model: str | Path | None) -> str:
    """The C prefix: ``--name``, else the model file's name (never a name from inside the
    model file: those are not trusted to become C identifiers)."""
    return c_prefix(low.options.name or (Path(model).stem if model else "network"))


def write_project(low: "Lowered", out_dir: str | Path, model: str | Path | None = None,
                  prefix: str | None = None) -> Path:
    """Emit the C project of ``low`` into ``out_dir`` (temp dir + rename; replaced).
    ``prefix`` overrides the C prefix the options give."""
    prefix = c_prefix(prefix) if prefix else project_prefix(low, model)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        board = low.options.board
        ctx = {**board_context(board), "par_harts": low.options.harts}
        proj = emit_project(low.graph, low.c_args, low.memory.offsets,
                            low.memory.arena_bytes, tmp, prefix, extra=ctx,
                            hook=_hooks(_decode_hook(low), _tiled_hook(low)),
                            scratch=low.memory.scratch, external=low.memory.external,
                            trained=low.memory.trained, lent=low.memory.in_outputs)
        emit_board(board, tmp, {"p": proj, "graph_name": low.graph.name, "graph": low.graph,
                                 **ctx})
        _write_names(tmp, prefix)
        manifest = _manifest(model, out_dir, prefix, low, proj)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True)
                                           + "\n")
        os.chmod(tmp, 0o755)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _write_names(folder: Path, prefix: str) -> None:
    """``td_names.h``: the project's prefix on every external name its runtime sources
    (and board files) define; the network's own names carry the prefix already."""
    sources = {f.name: f.read_text() for f in sorted(folder.rglob("*.c"))
               if f.parent != folder}
    (folder / NAMES_HEADER).write_text(names_header(prefix, sources))


def _hooks(*hooks):
    """One hook running ``hooks`` in order (their template contexts merged): a decode loop
    names its patched args structs before the tiled layers' descriptors replace them."""
    hooks = [h for h in hooks if h is not None]
    if not hooks:
        return None
    return lambda proj: {k: v for h in hooks for k, v in h(proj).items()}


def _tiled_hook(low: "Lowered"):
    if low.tiled is None:
        return None

    return lambda proj: tiled_context(proj, low.graph, low.tiled)


def _decode_hook(low: "Lowered"):
    if low.decode is None:
        if low.graph.meta.get("state"):       # recurrent state (codegen/state.py)
            return lambda proj: state_context(proj, low)
        if training(low.graph) is not None:   # a training step (codegen/train.py)
            return lambda proj: train_context(proj, low)
        return None
    return lambda proj: decode_context(proj, low)


def relative_to(path: str | Path, folder: Path) -> str:
    """``path`` relative to ``folder`` (POSIX separators), for the manifest."""
    return Path(os.path.relpath(Path(path).resolve(), folder.resolve())).as_posix()


def _sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _manifest(model, out_dir: Path, prefix: str, low: "Lowered", proj) -> dict:
    """What load_project needs to find its way back: no timestamps (determinism)."""
    g = low.graph
    opts = low.options.to_dict()
    target_file = None
    if low.target is not None and Path(low.options.target).suffix == ".toml":
        target_file = {"path": relative_to(low.options.target, out_dir),
                       "sha256": _sha256(low.options.target)}
        opts["target"] = target_file["path"]

    def spec(n):
        t = g.t(n)
        return {"name": n, "shape": list(t.shape), "dtype": t.dtype,
                "offset": low.memory.offsets.get(n)}

    return {
        "tinydeploy_manifest": MANIFEST_VERSION,
        "tinydeploy_version": __version__,
        "model": relative_to(model, out_dir) if model else None,
        "model_name": Path(model).name if model else None,
        "model_sha256": _sha256(model) if model else None,
        "options": opts,
        "target_file": target_file,
        "target": low.target.name if low.target else "host",
        "board": low.options.board,
        "kernels": low.options.kernels,
        "io_layout": g.meta.get("io_layout", "source"),
        "prefix": prefix,
        "arena_bytes": low.memory.arena_bytes,
        "lower_bound_bytes": low.memory.lower_bound,
        "weight_bytes": proj.weight_bytes,
        "inputs": [spec(n) for n in g.inputs],
        "outputs": [spec(n) for n in g.outputs],
        "layers": [{**spec(op.outputs[0]), "index": i, "name": op.name, "kind": op.kind,
                    "tensor": op.outputs[0]} for i, op in enumerate(g.ops)],
        **({"tiled": low.tiled.to_dict()} if low.tiled is not None else {}),
        **({"decode": {"max_context": low.decode.max_context,
                       "kv_bytes": low.decode.kv_bytes,
                       "kv_caches": [dict(c) for c in low.decode.caches]}}
           if low.decode is not None else {}),
    }
