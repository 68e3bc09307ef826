"""Emit a standalone C99 project for a graph.

What Python decides here is data: which arrays exist, which args struct each layer gets,
which buffer (arena offset) each tensor uses, which kernel each layer calls. The shape of
the C code is in ``templates/*.j2``. Output is deterministic for the same inputs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from tinydeploy.codegen.cformat import c_comment, c_scalar, c_string, c_values
from tinydeploy.codegen.cformat import c_type as _c_type
from tinydeploy.codegen.cproject import (CArgs, CArray, CBlock, CBuffer, CIo, CLayer,
                                         CParam, Project)
from tinydeploy.codegen.opt_config import CONFIG, opt_config_header
from tinydeploy.codegen.runtime_files import RUNTIME, include_closure, kernel_source
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph, Tensor
from tinydeploy.ir.ops import OPS
from tinydeploy.quant import preconditions
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.packing import is_packed, pack_bits

TEMPLATES = Path(__file__).parent / "templates"
BOUNDS_HEADER = "td_bounds.h"     # the bounds-checking build's helpers (-DTD_BOUNDS_CHECK)


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
                  arena_bytes: int, prefix: str,
                  scratch: dict[str, tuple[int, int]] | None = None,
                  external: dict[str, str] | None = None,
                  trained: dict[str, str] | None = None,
                  lent: dict[str, tuple[str, int]] | None = None) -> Project:
    """Collect everything the templates need (no text layout decisions here).

    Every args struct is checked against its kernel's preconditions, with the buffers it
    is passed (:func:`tinydeploy.quant.preconditions.check_call`), before anything is
    written: a violation raises naming the layer. ``external``: tensors that live in the
    caller's buffers (memory plan), each -> the graph input/output it is or views: the
    kernels read and write them through the run function's parameters. ``trained``: a
    training step's new parameter values -> the parameter (a constant) whose array they
    are written over: those arrays are mutable (RAM) and not counted as weights.
    ``lent``: tensors placed in a graph output's buffer before it is written -> (output,
    byte offset) (memory/outspace.py)."""
    for what, names in (("inputs", g.inputs), ("outputs", g.outputs)):
        if not names:
            raise TinyDeployError(f"the graph has no {what}: a network needs at least one "
                                  "input and one output", file=g.source or None)
    # the arena's size as its definition has it (an int64-aligned union): what `size`
    # reports as the network's bss, byte for byte
    # reports as the network's bss, byte for byte (0: no arena, every tensor is external)
    proj = Project(prefix=prefix, arena_bytes=-(-arena_bytes // 8) * 8)
    const_names: dict[str, str] = {}
    const_bytes: dict[str, int] = {}
    buffers: dict[str, CBuffer] = {}      # the current layer's arena pointers
    external = external or {}
    trained, lent = trained or {}, lent or {}
    trainable = set(trained.values())
    params = {n: (w if len(names) == 1 else f"{w}{i}")
              for names, w in ((g.inputs, "input"), (g.outputs, "output"))
              for i, n in enumerate(names)}

    def ptr(tname: str, const: bool, layer: int = -1, role: str = "") -> str:
        """The C expression of a tensor: a named const array, or an arena address."""
        if not tname:
            return "NULL"
        if tname in trained:                  # written over its parameter's array
            return ptr(trained[tname], const, layer, "param")
        t = g.t(tname)
        if t.is_const:
            if tname not in const_names:      # named after its first consumer and role
                what = "trainable parameter" if tname in trainable else role
                comment = (f"layer {layer} {g.ops[layer].kind} '{g.ops[layer].name}': "
                           f"{what} {t.dtype} {list(t.shape)} (tensor '{tname}')")
                values = _const_values(t)
                ctype = c_type(t.dtype)
                const_names[tname] = _array(proj, f"l{layer}_{role}", values, ctype, comment)
                const_bytes[tname] = int(np.asarray(values).size) * _C_SIZES[ctype]
                if tname in trainable:        # RAM, updated in place by the step
                    proj.arrays[-1].mutable = True
                else:
                    proj.weight_bytes += t.nbytes
            return const_names[tname]
        q = "const " if const else ""
        if tname in external:                 # the caller's buffer, through the parameter
            return f"({q}{c_type(t.dtype)} *){params[external[tname]]}"
        if tname in lent:                     # inside an output's buffer, not yet written
            return f"({q}{c_type(t.dtype)} *)((uint8_t *){params[lent[tname][0]]} + " \
                   f"{lent[tname][1]})"
        expr = f"({q}{c_type(t.dtype)} *)(td_arena + {offsets[tname]})"
        buffers[expr] = CBuffer(tname, f"{q}{c_type(t.dtype)}", offsets[tname], t.nbytes,
                                not const)
        return expr

    def passed(tname: str, layer: str) -> preconditions.Passed | None:
        """What a kernel gets for ``tname``: its planned buffer or its const array."""
        if not tname:
            return None
        t = g.t(tname)
        if tname in trained:
            return preconditions.Passed(tname, t.dtype, const_bytes[trained[tname]])
        if t.is_const:
            return preconditions.Passed(tname, t.dtype, const_bytes[tname], t.data)
        if tname in external or tname in lent:
            return preconditions.Passed(tname, t.dtype, t.nbytes)
        end = offsets[tname] + t.nbytes
        if end > arena_bytes:
            raise TinyDeployError(f"layer '{layer}': the planned buffer of '{tname}' ends at "
                                  f"byte {end}, past the arena ({arena_bytes} bytes)",
                                  file=g.source or None)
        return preconditions.Passed(tname, t.dtype, t.nbytes)

    for i, op in enumerate(g.ops):
        lname = f"l{i}"
        a = args.get(op.name)
        out = g.t(op.outputs[0])
        buffers = {}
        layer = CLayer(i, op.name, op.kind, None, None, [], ptr(op.outputs[0], False),
                       out.nbytes, buffers=buffers)
        # the op inputs the kernel takes (an optimized kernel carries its constants,
        # packed, in its args struct: only its activations are passed)
        sel = list(range(len(op.inputs))) if a is None or a.C_INPUTS is None else a.C_INPUTS
        roles = input_roles(op)
        ins = [ptr(op.inputs[k], True, i, roles[k]) for k in sel]
        proj.weight_bytes += sum(g.t(n).nbytes for k, n in enumerate(op.inputs)
                                 if k not in sel and n and g.t(n).is_const)
        if a is not None:
            try:
                preconditions.check_call(a, op.name, op.kind,
                                         [passed(op.inputs[k], op.name) for k in sel],
                                         passed(op.outputs[0], op.name),
                                         x_range=preconditions.requant_x_range(op))
            except TinyDeployError as e:
                raise e.with_file(g.source) if g.source else e
            layer.func = a.C_FUNC
            layer.args = _args_struct(proj, lname, a)
            if a.C_VARIADIC:
                layer.ins_array = ins
                layer.ins_ctype = getattr(a, "C_VARIADIC_CTYPE", layer.ins_ctype)
                layer.params = [f"{lname}_ins"]
            else:
                layer.params = list(ins)
            layer.params.append(layer.out_ptr)
            # further outputs (an LSTM's state, read and updated in place), in order
            for n in op.outputs[1:]:
                layer.params.append(ptr(n, False))
                if layer.params[-1] in buffers:
                    buffers[layer.params[-1]].reads = True
            if a.C_SCRATCH:       # its scratch in the arena, and the team (TD_TEAM)
                off, n = (scratch or {}).get(op.name, (0, 0))
                expr = f"(void *)(td_arena + {off})" if n else "NULL"
                if n:
                    buffers[expr] = CBuffer(f"scratch of {op.name}", "void", off, n, True)
                layer.params += [expr, "TD_TEAM"]
                proj.parallel = True
            if a.C_FUNC not in proj.kernels:
                proj.kernels.append(a.C_FUNC)
                header = getattr(a, "c_header", None)
                proj.headers[a.C_FUNC] = header() if header else f"kernels/{a.C_FUNC}.h"
        elif offsets.get(op.inputs[0]) != offsets.get(op.outputs[0]):
            # A no-kernel op (reshape) whose storage could not be aliased: copy the bytes.
            src = passed(op.inputs[0], op.name)
            if src is None or src.nbytes != out.nbytes:
                raise TinyDeployError(f"layer '{op.name}' ({op.kind}): copies {out.nbytes} "
                                      f"bytes from a buffer of "
                                      f"{0 if src is None else src.nbytes}",
                                      file=g.source or None)
            layer.func = "memcpy"
            layer.params = [layer.out_ptr, ins[0], str(out.nbytes)]
        proj.layers.append(layer)

    for names, dst, word in ((g.inputs, proj.inputs, "input"),
                             (g.outputs, proj.outputs, "output")):
        for i, n in enumerate(names):
            t = g.t(n)
            param = word if len(names) == 1 else f"{word}{i}"
            read = any(x == n or external.get(x) == n for op in g.ops for x in op.inputs)
            dst.append(CIo(param, c_type(t.dtype), t.size, t.nbytes, offsets.get(n, -1),
                           t.shape, n, external=n in external,
                           unread=word == "input" and n in external and not read,
                           source=const_names.get(trained.get(n, ""), ""),
                           lent=max((at + g.t(x).nbytes for x, (o, at) in lent.items()
                                     if o == n), default=0)))
    for p in dict.fromkeys(trained.values()):
        if p not in const_names:
            raise TinyDeployError(f"trainable parameter '{p}' is read by no layer",
                                  file=g.source or None)
        proj.trainable.append(CParam(p, const_names[p], c_type(g.t(p).dtype),
                                     const_bytes[p]))
    return proj


_C_SIZES = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "int32_t": 4, "int64_t": 8, "float": 4,
            "uint32_t": 4, "uint64_t": 8}


def bounds_blocks(proj: Project) -> None:
    """Plan the bounds-checking build (``-DTD_BOUNDS_CHECK``, network.c.j2): every arena
    pointer a call passes becomes a heap block of exactly its tensor's planned size, filled
    from the arena before the call (inputs) and copied back after it (outputs), so
    AddressSanitizer sees any access outside the planned buffers. Runs after the tiled
    hook, whose ``td_tiled_run`` calls pass the same arena expressions (the L2 buffers)."""
    for layer in proj.layers:
        if not layer.func:
            continue
        layer.blocks = []

        def block(expr: str) -> str:
            buf = layer.buffers.get(expr)
            if buf is None:                     # a const array, NULL or a byte count
                return expr
            name = f"l{layer.index}_b{len(layer.blocks)}"
            layer.blocks.append(CBlock(name, buf.offset, buf.nbytes, buf.written,
                                       buf.reads))
            return f"({buf.cast} *){name}"

        if layer.ins_array is not None:
            layer.bounds_ins = [block(x) for x in layer.ins_array]
        layer.bounds_params = [block(x) for x in layer.params]


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["cstr"] = c_string
    env.filters["comment"] = c_comment
    return env


def emit_project(g: Graph, args: dict[str, KernelArgs | None], offsets: dict[str, int],
                 arena_bytes: int, out_dir: Path, prefix: str,
                 extra: dict | None = None, hook=None,
                 scratch: dict[str, tuple[int, int]] | None = None,
                 external: dict[str, str] | None = None,
                 trained: dict[str, str] | None = None,
                 lent: dict[str, tuple[str, int]] | None = None) -> Project:
    """Write ``<prefix>.c/.h``, ``main.c``, ``Makefile`` and the runtime files the network
    uses (:mod:`.runtime_files`) into ``out_dir``.

    ``hook(proj) -> dict``, if given, may rewrite layers of the collected project; its
    dict joins the templates' context (tiled targets:
    :func:`tinydeploy.codegen.tiled.tiled_context`, whose ``sources`` are shipped too).
    ``scratch``: each layer's scratch block in the arena (op name -> offset, bytes);
    ``external``: tensors in the caller's buffers, ``trained``: a training step's new
    parameter values, ``lent``: tensors in an output's buffer (see :func:`build_project`)."""
    proj = build_project(g, args, offsets, arena_bytes, prefix, scratch, external, trained,
                         lent)
    out_dir = Path(out_dir)
    ctx = {"p": proj, "graph_name": g.name, "source": Path(g.source).name if g.source else "",
           **(extra or {}), **(hook(proj) if hook else {})}
    kernel_set = g.meta.get("kernels", "ref")
    proj.sources = [kernel_source(k, kernel_set) for k in sorted(proj.kernels)]
    proj.opt_kernels = sorted(k for k in proj.kernels if "/opt/" in kernel_source(k, kernel_set))
    if "tiled" in ctx:
        proj.sources += ctx["tiled"]["sources"]
    bounds_blocks(proj)
    headers = [proj.headers.get(k, f"kernels/{k}.h") for k in proj.kernels]
    proj.includes = sorted(set(headers))
    for f in include_closure(proj.sources + headers) + [BOUNDS_HEADER]:
        (out_dir / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(RUNTIME / f, out_dir / f)
    if (out_dir / CONFIG).is_file():       # the instances of exactly this project's layers
        (out_dir / CONFIG).write_text(opt_config_header(a for a in args.values() if a))
    env = _env()
    for tmpl, fname in (("network.h.j2", f"{prefix}.h"), ("network.c.j2", f"{prefix}.c"),
                        ("main.c.j2", "main.c"), ("Makefile.j2", "Makefile")):
        (out_dir / fname).write_text(env.get_template(tmpl).render(**ctx))
    return proj
