"""A compiled project folder, read back: the one way validate, profile and report find the
model and the exact options a project was compiled with.

:func:`read_project` reads ``manifest.json``, finds the model (stored relative to the
project folder, checked by SHA-256; ``model=`` overrides the path when the folders were
moved apart) and restores every compile option. :meth:`CompiledProject.lowered` redoes
the compilation in memory and checks that it reproduces what was written (arena size
and every tensor offset), so a check never runs against a different plan than the C.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from tinydeploy.codegen.project import MANIFEST_VERSION
from tinydeploy.compiler import build
from tinydeploy.errors import TinyDeployError
from tinydeploy.lowered import Lowered
from tinydeploy.options import CompileOptions



@dataclass
class CompiledProject:
    """A project folder written by ``tinydeploy compile`` (see :func:`read_project`)."""

    path: Path
    manifest: dict
    model: Path
    options: CompileOptions
    _lowered: Lowered | None = field(default=None, repr=False)

    @property
    def prefix(self) -> str:
        return self.manifest["prefix"]

    @property
    def kernels(self) -> str:
        return self.options.kernels or "ref"

    @property
    def board(self) -> str:
        return self.options.board

    @property
    def target(self) -> str:
        """The target's name (``host``, ``gap8``, ... or the name inside a target file)."""
        return self.manifest["target"]

    @property
    def tiled(self) -> bool:
        return "tiled" in self.manifest

    @property
    def lowered(self) -> Lowered:
        """The compilation redone in memory (cached); identical to what was written."""
        if self._lowered is None:
            low = build(self.model, self.options)
            self._check_same(low)
            self._lowered = low
        return self._lowered

    def _check_same(self, low: Lowered) -> None:
        m = self.manifest
        offsets = {s.get("tensor", s["name"]): s["offset"]
                   for s in m["layers"] + m["inputs"] + m["outputs"]}
        ours = {n: low.memory.offsets.get(n) for n in offsets}
        if low.memory.arena_bytes != m["arena_bytes"] or ours != offsets:
            raise TinyDeployError(
                f"recompiling {self.model.name} with the project's options gives another "
                f"memory plan (arena {low.memory.arena_bytes} B, project "
                f"{m['arena_bytes']} B): the project was written by another version "
                f"({m.get('tinydeploy_version', '?')}); recompile it", file=str(self.path))


def read_project(path: str | Path, model: str | Path | None = None) -> CompiledProject:
    """The compiled project in folder ``path``; ``model`` overrides where the model is."""
    path = Path(path)
    f = path / "manifest.json"
    if not f.is_file():
        raise TinyDeployError("not a tinydeploy output directory (no manifest.json)",
                              file=str(path))
    try:
        m = json.loads(f.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise TinyDeployError(f"unreadable manifest.json ({e})", file=str(path)) from None
    if not isinstance(m, dict) or m.get("tinydeploy_manifest") != MANIFEST_VERSION:
        raise TinyDeployError("manifest.json was written by another tinydeploy version; "
                              "recompile the project", file=str(path))
    model_path = _model_path(path, m, model)
    opts = dict(m["options"])
    if m.get("target_file"):
        opts["target"] = str(_checked(path / m["target_file"]["path"],
                                      m["target_file"]["sha256"], "target file", path))
    return CompiledProject(path, m, model_path, CompileOptions.from_dict(opts))


def _model_path(project: Path, m: dict, model: str | Path | None) -> Path:
    if model is None:
        if not m.get("model"):
            raise TinyDeployError("the manifest names no source model", file=str(project))
        model = project / m["model"]
    return _checked(Path(model), m["model_sha256"], "source model", project)


def _checked(f: Path, sha256: str, what: str, project: Path) -> Path:
    if not f.is_file():
        raise TinyDeployError(f"{what} {f} not found (pass its path, e.g. "
                              f"'--model FILE', if the folders moved)", file=str(project))
    if hashlib.sha256(f.read_bytes()).hexdigest() != sha256:
        raise TinyDeployError(f"{what} {f} changed since compile; recompile",
                              file=str(project))
    return f.resolve()


def as_project(project: "str | Path | CompiledProject") -> CompiledProject:
    """A project folder's path, or an already read project, as a :class:`CompiledProject`."""
    return project if isinstance(project, CompiledProject) else read_project(project)
