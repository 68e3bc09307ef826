"""Boards: what a generated project needs, beyond the generic C, to run on one machine.

The generic templates (``codegen/templates``) make a portable C99 project for the host.
A board adds its own files into a subdirectory of the project and a Makefile fragment
that the generic Makefile includes. Files ending in ``.j2`` are rendered with the same
context as the generic templates (``p`` = the project, plus the board's own values);
other files are copied as they are.

Boards: ``host`` (nothing extra) and ``qemu-rv32`` (bare-metal rv32imc + picolibc +
semihosting, run on ``qemu-system-riscv32 -machine virt``; see ``qemu_rv32/rv32.mk.j2``;
rv32imafc for a graph with float32 tensors, :mod:`.rv32imc`). ``ctx["graph"]``, when
given, is the IR graph the project was emitted from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from tinydeploy.codegen.boards import rv32imc
from tinydeploy.codegen.cformat import c_comment, c_string
from tinydeploy.errors import TinyDeployError

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Board:
    name: str
    files: str | None          # package directory holding the board's files
    subdir: str = ""           # where they go inside the generated project
    makefile: str = ""         # the fragment the generic Makefile includes


BOARDS = {
    "host": Board("host", None),
    "qemu-rv32": Board("qemu-rv32", "qemu_rv32", "rv32", "rv32/rv32.mk"),
}


def get_board(name: str) -> Board:
    if name not in BOARDS:
        raise TinyDeployError(f"unknown board '{name}' (available: {', '.join(BOARDS)})")
    return BOARDS[name]


def board_context(name: str) -> dict:
    """Values the generic templates see (``board_mk``: the Makefile fragment, or None)."""
    b = get_board(name)
    return {"board": b.name, "board_mk": b.makefile or None}


def _values(b: Board, ctx: dict) -> dict:
    if b.name != "qemu-rv32":
        return {}
    return rv32imc.template_values(rv32imc.uses_float(ctx.get("graph")))


def emit_board(name: str, out_dir: Path, ctx: dict) -> list[str]:
    """Write the board's files into ``out_dir``; returns their project-relative paths."""
    b = get_board(name)
    if b.files is None:
        return []
    src = HERE / b.files
    env = Environment(loader=FileSystemLoader(str(src)), undefined=StrictUndefined,
                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["cstr"] = c_string
    env.filters["comment"] = c_comment
    dst = Path(out_dir) / b.subdir
    dst.mkdir(parents=True, exist_ok=True)
    values = {**ctx, **_values(b, ctx)}
    written = []
    for f in sorted(p for p in src.iterdir() if p.is_file() and p.name != "__init__.py"):
        if f.suffix == ".j2":
            name_out = f.name[:-3]
            (dst / name_out).write_text(env.get_template(f.name).render(**values))
        else:
            name_out = f.name
            (dst / name_out).write_bytes(f.read_bytes())
        written.append(f"{b.subdir}/{name_out}")
    return written
