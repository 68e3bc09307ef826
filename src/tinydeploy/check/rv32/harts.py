"""Instructions per hart per layer of the parallel build (``qemu -smp N``), exact.

The project compiled with ``--harts N`` runs every layer as a job of N harts
(``<prefix>_rv32_par.elf``, rv32/td_par.c): the optimized kernels split the layer, the
others run on hart 0. Under ``-smp`` QEMU's minstret is one global counter, so the count
comes from a TCG plugin (the recipe of riscv-qemu.md section 5a, built here with the host
C compiler): it counts each hart's executed instructions and starts a new bucket every
time that hart enters ``td_hart_mark`` - which every hart calls at the start of each
layer's job. Bucket ``k + 1`` of hart h is hart h's work on the k-th layer that runs as
a job (its share of the kernel, its barriers and its wait for the next job; a layer
without a C call, such as a reshape that aliases its input, is no job:
:func:`job_layers`); hart 0 marks the end of the last layer. No ``-icount`` (harts run in
parallel); the per-hart counts are exact regardless.

The measured speedup of a layer is its single-hart instruction count (the ``profile`` of
the same project, one hart) over the busiest hart's; the modeled one is what the layer's
split promises: its work units over the most any hart gets (``ceil(units / N)``).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from tinydeploy.check import hostrun
from tinydeploy.check.inputs import random_inputs
from tinydeploy.check.rv32 import qemu
from tinydeploy.errors import TinyDeployError
from tinydeploy.project import as_project

PLUGIN_C = r"""
/* per-hart instruction counts between entries of a marker function (QEMU 7.2 plugin API
 * v1, the few symbols declared here as in riscv-qemu.md section 5a) */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;
#define MAX_CPUS 64
#define MAX_MARKS 4096
static uint64_t counts[MAX_CPUS][MAX_MARKS];
static int mark_of[MAX_CPUS];
static uint64_t mark_pc;
static const char *outpath;
static void on_insn(unsigned int cpu, void *is_mark)
{
    cpu %= MAX_CPUS;
    if (is_mark && mark_of[cpu] < MAX_MARKS - 1) mark_of[cpu]++;
    counts[cpu][mark_of[cpu]]++;
}
static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        void *m = qemu_plugin_insn_vaddr(insn) == mark_pc ? (void *)1 : NULL;
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn, QEMU_PLUGIN_CB_NO_REGS, m);
    }
}
static void on_exit_cb(qemu_plugin_id_t id, void *p)
{
    FILE *f = fopen(outpath, "w");
    for (int c = 0; c < MAX_CPUS; c++)
        for (int k = 0; k <= mark_of[c]; k++)
            if (counts[c][k]) fprintf(f, "%d %d %" PRIu64 "\n", c, k, counts[c][k]);
    fclose(f);
}
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "mark=", 5)) mark_pc = strtoull(argv[i] + 5, NULL, 0);
        else if (!strncmp(argv[i], "out=", 4)) outpath = strdup(argv[i] + 4);
        else return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
    return 0;
}
"""


def _plugin(work: Path) -> Path:
    src, lib = work / "tdharts.c", work / "libtdharts.so"
    src.write_text(PLUGIN_C)
    r = subprocess.run(["cc", "-O2", "-shared", "-fPIC", str(src), "-o", str(lib)],
                       capture_output=True, text=True)
    if r.returncode:
        raise TinyDeployError("could not build the QEMU counting plugin:",
                              detail=r.stderr[-2000:])
    return lib


def _symbol(elf: Path, name: str) -> int:
    out = subprocess.run(["riscv64-unknown-elf-nm", str(elf)], capture_output=True,
                         text=True, check=True).stdout
    for line in out.splitlines():
        w = line.split()
        if len(w) == 3 and w[2] == name:
            return int(w[0], 16)
    raise TinyDeployError(f"{name} not found in {elf}")


def hart_counts(project, records=None, timeout: float | None = None) -> dict:
    """{"harts": N, "layers": [[instructions of hart 0..N-1] per layer]} of one run."""
    proj = as_project(project)
    manifest = qemu.check_board(proj.path, proj.manifest)
    harts = int(proj.options.harts)
    if harts < 2:
        raise TinyDeployError("the project runs on one hart: compile it with --harts N",
                              file=str(proj.path))
    qemu.require_tools()
    g = proj.lowered.graph
    records = records if records is not None else random_inputs(g, 1, 0)
    elf = qemu.build(proj.path, "par")
    prefix = manifest["prefix"]
    mark = _symbol(elf, f"{prefix}_td_hart_mark")
    with tempfile.TemporaryDirectory(prefix="td_harts_") as tmp:
        tmp = Path(tmp)
        lib = _plugin(tmp)
        out = tmp / "counts.txt"
        cmd = qemu.qemu_command(elf, ["in.bin", "out.bin"], icount=False, harts=harts,
                                console=str(tmp / "console.txt"))
        cmd[-2:-2] = ["-plugin", f"{lib},mark={mark},out={out}"]
        hostrun.write_records(tmp / "in.bin", manifest, records[:1])
        r = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True,
                           timeout=timeout or qemu.TIMEOUT)
        if r.returncode != 0:
            raise TinyDeployError(f"parallel run failed on QEMU (exit {r.returncode}):",
                                  detail=f"{(tmp / 'console.txt').read_text()[-2000:]}"
                                         f"{r.stderr}")
        counts: dict = {}
        for line in out.read_text().splitlines():
            c, k, n = (int(v) for v in line.split())
            counts[(c, k)] = n
    layers = [[0] * harts for _ in g.ops]
    for k, i in enumerate(job_layers(proj.path / f"{prefix}.c")):
        layers[i] = [counts.get((h, k + 1), 0) for h in range(harts)]
    return {"harts": harts, "layers": layers}


def job_layers(source: Path) -> list[int]:
    """The layers that run as jobs of the harts, in the order they run: bucket ``k + 1`` of
    every hart is the k-th of them (a layer without a C call - a reshape aliasing its input -
    has no job and no bucket; hart 0 closes the last job's bucket after the last layer)."""
    return [int(i) for i in re.findall(r"^static void l(\d+)_job\(void \*arg, int hart, ",
                                       source.read_text(), flags=re.M)]


def modeled_speedup(args, harts: int) -> float:
    """Work units of the layer's split over the most any hart gets (1 when not split)."""
    units = getattr(args, "parallel_units", None)
    u = units() if units else 1
    return u / -(-u // harts) if u > 0 else 1.0
