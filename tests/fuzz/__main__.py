"""``python -m tests.fuzz N [--seed S] [--build K] [--jobs J] [--kinds ...] [--held-out]``

Runs N seeded cases (see :mod:`tests.fuzz.runner`), prints progress on stderr and a
summary table on stdout; exits 1 on any traceback, internal error, hang, crash, warning,
error line that does not name the file, or sanitizer report. ``--case S:I`` reruns one
case in this process (``--write DIR`` keeps the mutated file, ``--build`` also builds and
runs it under ASan/UBSan).
"""

from __future__ import annotations

import argparse
import sys
import time

from tests.fuzz.runner import DEFAULT_KINDS, HELD_OUT_KINDS, fuzz, load_seeds, reproduce, \
    summary, write_json


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n")[2])
    p.add_argument("n", type=int, nargs="?", default=1000, help="number of cases")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=0, help="first case index")
    p.add_argument("--build", default=None,
                   help="compiled cases to build and run under ASan/UBSan: a number or "
                   "'all' (default 20; with --case: 1 builds that case)")
    p.add_argument("--jobs", "-j", type=int, default=2)
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per case")
    p.add_argument("--kinds", nargs="*", help=f"mutation kinds (default: all of "
                   f"{' '.join(DEFAULT_KINDS)})")
    p.add_argument("--held-out", action="store_true",
                   help=f"use the kept-apart kinds {' '.join(HELD_OUT_KINDS)}")
    p.add_argument("--models", nargs="*", help="seed model names (default: all)")
    p.add_argument("--json", help="write every result to this file")
    p.add_argument("--case", help="rerun one case S:I in this process")
    p.add_argument("--write", help="with --case: keep the mutated file in this folder")
    a = p.parse_args(argv)
    build = 20 if a.build is None else -1 if a.build == "all" else int(a.build)
    kinds = a.kinds or (HELD_OUT_KINDS if a.held_out else None)
    seeds = load_seeds(a.models)
    if a.case:
        r = reproduce(a.case, kinds, build=a.build is not None and build != 0,
                      write=a.write, seeds=seeds)
        for k, v in vars(r).items():
            print(f"{k}: {v}")
        return 0

    last = [0.0]
    tty = sys.stderr.isatty()

    def progress(stage: str, done: int, total: int, counts) -> None:
        now = time.monotonic()
        if done != total and now - last[0] < (0.5 if tty else 10.0):
            return
        last[0] = now
        bad = sum(c for o, c in counts.items() if o not in ("compiled", "error", "clean"))
        text = (f"{stage} {done}/{total}: " + ", ".join(f"{o} {c}" for o, c in
                                                         sorted(counts.items()))
                + (f"  [{bad} FAILING]" if bad else ""))
        print(("\r" + text + "\033[K") if tty else text, end="" if tty and done != total
              else "\n", file=sys.stderr, flush=True)

    run = fuzz(a.n, seed=a.seed, build=build, kinds=kinds, seeds=seeds, jobs=a.jobs,
               timeout=a.timeout, progress=progress, start=a.start)
    print(summary(run))
    if a.json:
        write_json(run, a.json)
    return 0 if run.ok else 1


if __name__ == "__main__":
    sys.exit(main())
