"""One C program that runs layer cases on the reference and the optimized kernels.

A :class:`Case` is a reference args struct (a golden's ``KernelArgs``), the op's inputs
(activations and constants, in op order) and the golden's output. The optimized args
come from ``tinydeploy.quant.opt`` exactly as the compiler makes them (for ``cores``
cores). The program (:func:`source`) holds every case as static data, runs the reference
kernel and the optimized kernel - on the host with its scratch in a heap block of exactly
``cores * scratch_size()`` bytes (ASan sees any access outside it), each core's share
one after another - compares both outputs with the golden's bytes and prints

    case <i> ref <instret> <ok> opt <instret> <ok>

(instret: retired instructions on rv32 under qemu -icount, 0 on the host). Exit status:
the number of mismatching outputs. Used by tests/kernels/test_opt_kernels.py and
benchmarks/rv32_kernels.py.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinydeploy.codegen.cformat import c_scalar, c_values
from tinydeploy.codegen.opt_config import opt_config_header
from tinydeploy.quant.opt import MAKERS

REPO = Path(__file__).resolve().parents[2]
RUNTIME = REPO / "src" / "tinydeploy" / "runtime"
KERNELS = RUNTIME / "kernels"
SAN = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
_CTYPE = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t"}


@dataclass
class Case:
    ref: object                          # reference KernelArgs
    inputs: list                         # op inputs (np arrays or None), op order
    expect: np.ndarray                   # golden output
    acts: tuple[int, ...] = (0,)         # positions of the activation inputs
    cores: int = 1
    opt: object = field(default=None)    # filled by opt_args()
    # (reference args, inputs, golden output) for the reference kernel where the case's
    # own args have none (an NCHW depthwise: the NHWC layer on transposed data)
    ref_call: tuple | None = None

    def reference(self) -> tuple:
        return self.ref_call or (self.ref, self.inputs, self.expect)

    def opt_args(self):
        if self.opt is None:
            consts = [None if k in self.acts else v for k, v in enumerate(self.inputs)]
            self.opt = MAKERS[type(self.ref)](self.ref, consts, self.cores)
        return self.opt


def _array(name: str, values, ctype: str, const: bool = True) -> str:
    flat = np.asarray(values).ravel()
    body = c_values(flat if flat.size else np.zeros(1, dtype=np.int64), ctype)
    q = "const " if const else ""
    return f"static {q}{ctype} {name}[{max(flat.size, 1)}] = {{\n{body}\n}};\n"


def _struct(name: str, args) -> str:
    out, members = [], []
    for mname, kind, value in args.c_members():
        what, ctype = kind.split(":", 1)
        if what == "array":
            out.append(_array(f"{name}_{mname}", value, ctype))
            members.append(f"    .{mname} = {name}_{mname},")
        else:
            members.append(f"    .{mname} = {c_scalar(value, ctype)},")
    out.append(f"static const {args.c_struct()} {name} = {{\n" + "\n".join(members) + "\n};\n")
    return "".join(out)


def _ctype(a: np.ndarray) -> str:
    return _CTYPE[np.asarray(a).dtype.name]


def headers(cases: list[Case]) -> list[str]:
    hs = set()
    for c in cases:
        hs.add(f"kernels/{c.reference()[0].C_FUNC}.h")
        hs.add(c.opt_args().c_header())
    return sorted(hs)


def sources(cases: list[Case]) -> list[Path]:
    """The kernel sources the program links (reference and optimized)."""
    srcs = set()
    for c in cases:
        srcs.add(KERNELS / f"{c.reference()[0].C_FUNC}.c")
        srcs.add(RUNTIME / c.opt_args().c_header().replace(".h", ".c"))
    return sorted(srcs)


def _inputs(data: list[str], prefix: str, inputs: list, acts, used=None) -> list[str]:
    """The C names of the inputs (their arrays appended to data; NULL for None, or for
    a position not in ``used``)."""
    names = []
    for k, v in enumerate(inputs):
        if v is None or used is not None and k not in used:
            names.append("NULL")
            continue
        data.append(_array(f"{prefix}_{k}", v, _ctype(v), const=k not in acts))
        names.append(f"{prefix}_{k}")
    return names


def _case(i: int, c: Case) -> tuple[str, str]:
    """(data, body of main) of case i."""
    o = c.opt_args()
    ref, ref_inputs, ref_expect = c.reference()
    data = [_struct(f"ra{i}", ref), _struct(f"oa{i}", o)]
    opt_pos = o.C_INPUTS if o.C_INPUTS is not None else range(len(c.inputs))
    ins = _inputs(data, f"in{i}", c.inputs, c.acts, opt_pos if c.ref_call else None)
    rins = _inputs(data, f"rin{i}", ref_inputs, c.acts) if c.ref_call else ins
    exp = np.asarray(c.expect)
    data.append(_array(f"e{i}", exp, _ctype(exp)))
    data.append(_array(f"re{i}", ref_expect, _ctype(exp)))
    data.append(f"static {_ctype(exp)} y{i}[{max(exp.size, 1)}];\n")
    opt_ins = [ins[k] for k in opt_pos]
    scratch = max(1, o.scratch_size() * c.cores)
    body = f"""
    printf("case {i}");
    memset(y{i}, 0x55, sizeof y{i});
    t = rd_instret();
    {ref.C_FUNC}(&ra{i}, {', '.join(rins)}, y{i});
    t = rd_instret() - t;
    ok = memcmp(y{i}, re{i}, sizeof y{i}) == 0;
    bad += !ok;
    printf(" ref %lu %d", (unsigned long)t, ok);
    memset(y{i}, 0x55, sizeof y{i});
    scratch = td_prog_scratch({scratch});
    t = rd_instret();
    for (int32_t core = 0; core < {c.cores}; ++core) {{
        const td_team_t team = {{core, {c.cores}, NULL}};
        {o.C_FUNC}(&oa{i}, {', '.join(opt_ins)}, y{i}, scratch, &team);
    }}
    t = rd_instret() - t;
    td_prog_free(scratch);
    ok = memcmp(y{i}, e{i}, sizeof y{i}) == 0;
    bad += !ok;
    printf(" opt %lu %d\\n", (unsigned long)t, ok);
"""
    return "".join(data), body


_PRELUDE = """\
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
{includes}
#if defined(__riscv)
static inline uint32_t rd_instret(void)
{{
    uint32_t v;
    __asm__ volatile(".option push\\n.option arch, +zicsr\\ncsrr %0, minstret\\n.option pop"
                     : "=r"(v) :: "memory");
    return v;
}}
static uint8_t td_prog_buf[{static_scratch}] __attribute__((aligned(8)));
static void *td_prog_scratch(size_t n) {{ (void)n; return td_prog_buf; }}
static void td_prog_free(void *p) {{ (void)p; }}
#else
static inline uint32_t rd_instret(void) {{ return 0; }}
static void *td_prog_scratch(size_t n) {{ return malloc(n); }}
static void td_prog_free(void *p) {{ free(p); }}
#endif
"""


def source(cases: list[Case]) -> str:
    biggest = max(max(1, c.opt_args().scratch_size() * c.cores) for c in cases)
    includes = "".join(f'#include "{h}"\n' for h in headers(cases))
    parts = [_PRELUDE.format(includes=includes, static_scratch=biggest)]
    bodies = []
    for i, c in enumerate(cases):
        data, body = _case(i, c)
        parts.append(data)
        bodies.append(body)
    parts.append("int main(void)\n{\n    int bad = 0, ok;\n    uint32_t t;\n    void *scratch;\n"
                 + "".join(bodies) + "    return bad;\n}\n")
    return "".join(parts)


def build_host(cases: list[Case], work: Path, sanitize: bool = True,
               config: bool = False) -> Path:
    """Host build (ASan/UBSan by default) of the program and its kernels; ``config``: with
    the td_opt_config.h a project of these layers gets (only the instances and paths they
    reach) instead of the library's (all of them)."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "prog.c").write_text(source(cases))
    exe = work / "prog"
    flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g", f"-I{RUNTIME}"]
    if config:
        (work / "td_opt_config.h").write_text(
            opt_config_header([c.opt_args() for c in cases]))
        flags += ["-include", str(work / "td_opt_config.h")]
    subprocess.run(["cc", *flags, *(SAN if sanitize else []), str(work / "prog.c"),
                    *map(str, sources(cases)), "-o", str(exe)], check=True,
                   capture_output=True, text=True)
    return exe


_LINE = re.compile(r"case (\d+) ref (\d+) (\d) opt (\d+) (\d)")


def parse(stdout: str) -> list[dict]:
    rows = []
    for line in stdout.splitlines():
        m = _LINE.match(line.strip())
        if m:
            rows.append(dict(ref=int(m[2]), ref_ok=m[3] == "1", opt=int(m[4]),
                             opt_ok=m[5] == "1"))
    return rows


def run_host(cases: list[Case], work: Path, config: bool = False) -> list[dict]:
    exe = build_host(cases, work, config=config)
    r = subprocess.run([str(exe)], capture_output=True, text=True)
    rows = parse(r.stdout)
    assert len(rows) == len(cases), f"program failed ({r.returncode}):\n{r.stderr[-3000:]}"
    return rows


def assert_exact(cases: list[Case], work: Path, together: bool = True) -> None:
    """Every case built alone with its own td_opt_config.h (its paths only), then, with
    ``together``, all in one program with the library's header (every path): the
    reference and the optimized kernel == golden."""
    for i, c in enumerate(cases):
        row = run_host([c], work / f"layer{i}", config=True)[0]
        assert row["ref_ok"], f"reference kernel, case {i}: {c.ref}"
        assert row["opt_ok"], f"optimized kernel, case {i} ({c.cores} cores): {c.ref}"
    if together:
        rows = run_host(cases, work / "all")
        assert all(r["opt_ok"] for r in rows), [i for i, r in enumerate(rows) if not r["opt_ok"]]
