"""A C program around a decode project's API (tests only): loads the KV caches with
``<prefix>_kv_load`` (optional), calls ``<prefix>_step`` once per token and prints every
return code and output byte, built with the host compiler under ASan/UBSan."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]


def _array(name: str, ctype: str, values: np.ndarray) -> str:
    flat = ", ".join(str(int(v)) for v in np.asarray(values).ravel()) or "0"
    return f"static const {ctype} {name}[] = {{{flat}}};"


def run_decode(project: Path, manifest: dict, steps: list[list[np.ndarray]],
               kv: list[np.ndarray] | None = None, kv_length: int = 0
               ) -> tuple[int | None, list[int], list[list[np.ndarray]]]:
    """(return code of the cache load, of every step, the outputs of every step) of the
    compiled decode loop fed ``steps`` (one list of input arrays per token, at the inputs'
    largest size)."""
    p = manifest["prefix"]
    ctypes = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t"}
    lines = ["#include <stdio.h>", "#include <stdint.h>", f'#include "{p}.h"']
    for k, arr in enumerate(kv or []):
        lines.append(_array(f"kv{k}", "int8_t", arr))
    if kv:
        lines.append("static const void *const kv[] = {" +
                     ", ".join(f"kv{k}" for k in range(len(kv))) + "};")
    for t, rec in enumerate(steps):
        for spec, x in zip(manifest["inputs"], rec):
            lines.append(_array(f"in{t}_{spec['name'].replace('.', '_')}"
                                .replace("::", "_"), ctypes[spec["dtype"]], x))
    lines.append("int main(void) {")
    if kv:
        lines.append(f'    printf("load %d\\n", {p}_kv_load({kv_length}, kv));')
    for spec in manifest["outputs"]:
        lines.append(f"    static {ctypes[spec['dtype']]} out_{len(lines)}"
                     f"[{int(np.prod(spec['shape']))}];")
    outs = [f"out_{len(lines) - len(manifest['outputs']) + i}"
            for i in range(len(manifest["outputs"]))]
    for t, _ in enumerate(steps):
        args = [f"in{t}_{s['name'].replace('.', '_').replace('::', '_')}"
                for s in manifest["inputs"]] + outs
        lines.append(f"    printf(\"step %d\\n\", {p}_step({', '.join(args)}));")
        for o, spec in zip(outs, manifest["outputs"]):
            n = int(np.prod(spec["shape"]))
            lines.append(f'    for (int i = 0; i < {n}; ++i) printf("%d ", (int){o}[i]);')
            lines.append('    printf("\\n");')
    lines.append("    return 0;\n}")
    project = Path(project)
    (project / "driver.c").write_text("\n".join(lines) + "\n")
    sources = [str(f) for f in project.rglob("*.c") if f.name != "main.c"]
    exe = project / "driver"
    cc = shutil.which("cc") or "gcc"
    subprocess.run([cc, "-std=c99", "-O1", "-Wall", "-Werror", *SANITIZE, "-o", str(exe),
                    *sources], check=True, capture_output=True, cwd=project)
    res = subprocess.run([str(exe)], capture_output=True, text=True, check=True)
    load, codes, outs_per_step = None, [], []
    lines_out = iter(res.stdout.splitlines())
    for line in lines_out:
        if line.startswith("load"):
            load = int(line.split()[1])
        if line.startswith("step"):
            codes.append(int(line.split()[1]))
            outs_per_step.append([np.array([int(v) for v in next(lines_out).split()])
                                  for _ in manifest["outputs"]])
    return load, codes, outs_per_step
