"""Emit a standalone C99 project for a graph.

What Python decides here is data: which arrays exist, which args struct each layer gets,
which buffer (arena offset) each tensor uses, which kernel each layer calls. The shape of
the C code is in ``templates/*.j2``. Output is deterministic for the same inputs.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from tinydeploy.codegen.cformat import c_comment, c_scalar, c_string, c_values
from tinydeploy.codegen.cformat import c_type as _c_type
from tinydeploy.codegen.runtime_files import RUNTIME, include_closure, kernel_source
from tinydeploy.ir.graph import Graph, Tensor
from tinydeploy.ir.ops import OPS
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.packing import is_packed, pack_bits

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class CArray:
    name: str
    ctype: str
    length: int
    values: str
    comment: str = ""


@dataclass
class CArgs:
    name: str
    struct: str
    members: list[tuple[str, str]]


@dataclass
class CLayer:
    index: int
    name: str
    kind: str
    func: str | None           # None: no code (aliased reshape)
    args: str | None
    params: list[str]
    out_ptr: str
    out_bytes: int
    ins_array: list[str] | None = None    # variadic kernels: the input pointers


@dataclass
class CIo:
    name: str
    ctype: str
    size: int
    nbytes: int
    offset: int
    shape: tuple[int, ...]
    tensor: str = ""           # the IR tensor name (for comments)


@dataclass
class Project:
    prefix: str
    arrays: list[CArray] = field(default_factory=list)
    args: list[CArgs] = field(default_factory=list)
    layers: list[CLayer] = field(default_factory=list)
    inputs: list[CIo] = field(default_factory=list)
    outputs: list[CIo] = field(default_factory=list)
    arena_bytes: int = 0
    kernels: list[str] = field(default_factory=list)
    opt_kernels: list[str] = field(default_factory=list)   # those run by their opt variant
    sources: list[str] = field(default_factory=list)       # runtime .c files shipped
    weight_bytes: int = 0


def c_type(dtype: str) -> str:
    """C element type of a tensor's storage: packed sub-byte tensors are bytes."""
    return "uint8_t" if is_packed(dtype) else _c_type(dtype)


def _const_values(t: Tensor) -> np.ndarray:
    """A constant's storage values: packed bytes for sub-byte dtypes (quant/packing.py)."""
    return pack_bits(t.data, t.bits) if is_packed(t.dtype) else t.data


def _array(proj: Project, base: str, values: np.ndarray, ctype: str, comment: str = "") -> str:
    name = f"{proj.prefix}_{base}"
    flat = np.asarray(values).ravel()
    proj.arrays.append(CArray(name, ctype, max(1, flat.size),
                              c_values(flat if flat.size else np.zeros(1), ctype), comment))
    return name


def _args_struct(proj: Project, layer: str, args: KernelArgs) -> str:
    members = []
    for mname, kind, value in args.c_members():
        what, ctype = kind.split(":", 1)
        if what == "array":
            members.append((mname, _array(proj, f"{layer}_{mname}", value, ctype)))
        else:
            members.append((mname, c_scalar(value, ctype)))
    name = f"{proj.prefix}_{layer}_args"
    proj.args.append(CArgs(name, args.c_struct(), members))
    return name


ROLE_NAMES = {"weight": "weights", "x": "x"}


def input_roles(op) -> list[str]:
    """Names of an op's inputs for C arrays: its roles in :mod:`tinydeploy.ir.ops`
    ("weights", "bias", "a", "b", ...; "in<k>" for variadic inputs)."""
    roles = OPS[op.kind].inputs if op.kind in OPS else ()
    out = []
    for k in range(len(op.inputs)):
        r = roles[k] if k < len(roles) and roles[k] != "*" else f"in{k}"
        out.append(ROLE_NAMES.get(r, r))
    return out


def build_project(g: Graph, args: dict[str, KernelArgs | None], offsets: dict[str, int],
                  arena_bytes: int, prefix: str) -> Project:
    """Collect everything the templates need (no text layout decisions here)."""
    proj = Project(prefix=prefix, arena_bytes=max(arena_bytes, 1))
    const_names: dict[str, str] = {}

    def ptr(tname: str, const: bool, layer: int = -1, role: str = "") -> str:
        """The C expression of a tensor: a named const array, or an arena address."""
        if not tname:
            return "NULL"
        t = g.t(tname)
        if t.is_const:
            if tname not in const_names:      # named after its first consumer and role
                comment = (f"layer {layer} {g.ops[layer].kind} '{g.ops[layer].name}': "
                           f"{role} {t.dtype} {list(t.shape)} (tensor '{tname}')")
                const_names[tname] = _array(proj, f"l{layer}_{role}", _const_values(t),
                                            c_type(t.dtype), comment)
                proj.weight_bytes += t.nbytes
            return const_names[tname]
        q = "const " if const else ""
        return f"({q}{c_type(t.dtype)} *)(td_arena + {offsets[tname]})"

    for i, op in enumerate(g.ops):
        lname = f"l{i}"
        a = args.get(op.name)
        out = g.t(op.outputs[0])
        layer = CLayer(i, op.name, op.kind, None, None, [], ptr(op.outputs[0], False),
                       out.nbytes)
        ins = [ptr(n, True, i, role) for n, role in zip(op.inputs, input_roles(op))]
        if a is not None:
            layer.func = a.C_FUNC
            layer.args = _args_struct(proj, lname, a)
            if a.C_VARIADIC:
                layer.ins_array = ins
                layer.params = [f"{lname}_ins"]
            else:
                layer.params = list(ins)
            layer.params.append(layer.out_ptr)
            if a.C_FUNC not in proj.kernels:
                proj.kernels.append(a.C_FUNC)
        elif offsets.get(op.inputs[0]) != offsets.get(op.outputs[0]):
            # A no-kernel op (reshape) whose storage could not be aliased: copy the bytes.
            layer.func = "memcpy"
            layer.params = [layer.out_ptr, ins[0], str(out.nbytes)]
        proj.layers.append(layer)

    for names, dst, word in ((g.inputs, proj.inputs, "input"),
                             (g.outputs, proj.outputs, "output")):
        for i, n in enumerate(names):
            t = g.t(n)
            param = word if len(names) == 1 else f"{word}{i}"
            dst.append(CIo(param, c_type(t.dtype), t.size, t.nbytes, offsets[n], t.shape, n))
    return proj


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["cstr"] = c_string
    env.filters["comment"] = c_comment
    return env


def emit_project(g: Graph, args: dict[str, KernelArgs | None], offsets: dict[str, int],
                 arena_bytes: int, out_dir: Path, prefix: str,
                 extra: dict | None = None, hook=None) -> Project:
    """Write ``<prefix>.c/.h``, ``main.c``, ``Makefile`` and the runtime files the network
    uses (:mod:`.runtime_files`) into ``out_dir``.

    ``hook(proj) -> dict``, if given, may rewrite layers of the collected project; its
    dict joins the templates' context (tiled targets:
    :func:`tinydeploy.codegen.tiled.tiled_context`, whose ``sources`` are shipped too)."""
    proj = build_project(g, args, offsets, arena_bytes, prefix)
    out_dir = Path(out_dir)
    ctx = {"p": proj, "graph_name": g.name, "source": Path(g.source).name if g.source else "",
           **(extra or {}), **(hook(proj) if hook else {})}
    kernel_set = g.meta.get("kernels", "ref")
    proj.sources = [kernel_source(k, kernel_set) for k in sorted(proj.kernels)]
    proj.opt_kernels = sorted(k for k in proj.kernels if "/opt/" in kernel_source(k, kernel_set))
    if "tiled" in ctx:
        proj.sources += ctx["tiled"]["sources"]
    headers = [f"kernels/{k}.h" for k in proj.kernels]
    for f in include_closure(proj.sources + headers):
        (out_dir / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(RUNTIME / f, out_dir / f)
    env = _env()
    for tmpl, fname in (("network.h.j2", f"{prefix}.h"), ("network.c.j2", f"{prefix}.c"),
                        ("main.c.j2", "main.c"), ("Makefile.j2", "Makefile")):
        (out_dir / fname).write_text(env.get_template(tmpl).render(**ctx))
    return proj
