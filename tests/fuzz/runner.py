"""The fuzzer: seeded cases, one in-process ``tinydeploy compile`` per case, classified.

A case is ``(seed, index)``: a ``random.Random(f"{seed}:{index}")`` picks a seed model
(:data:`SEEDS`), a mutation kind and its details, so any case is reproduced from its id
alone (``python -m tests.fuzz --case 0:123``). Each case writes the mutated file into a
fresh temporary folder and runs ``tinydeploy.cli.main(["--debug", "compile", f, "-o",
out])`` in a worker process (``--debug`` only adds the traceback of an internal error,
for the failure place). Outcomes:

- ``compiled``: exit 0 and the project is there;
- ``error``: exit 2 with exactly one stderr line ``tinydeploy: error: ...`` that names
  the file, and nothing written (the folder holds only the model);
- ``bad-error``: exit 2 otherwise (no file named, several lines, output left behind);
- ``internal``: exit 3 (the CLI's "internal error ...; please report");
- ``traceback``: an exception escaped ``main``; ``hang``: over the time limit
  (``signal.alarm`` in the worker; a worker that does not answer either is killed);
  ``crash``: the worker process died (segfault, out of memory);
- ``warning``: otherwise fine, but Python warnings were printed (e.g. numpy overflow:
  arithmetic on numbers nobody checked).

A sample of the compiled cases (``build``) is then compiled again through the API, built
with ``-fsanitize=address,undefined -fno-sanitize-recover=all`` and run on two random
inputs; outputs must equal the numpy golden (the reference interpreters may legitimately
disagree with a mutated model, so they are not asked). Build outcomes: ``clean``,
``sanitizer`` (an ASan/UBSan report), ``run-failed``, ``build-failed`` (the C does not
compile), ``golden-mismatch``, ``golden-error``, ``build-hang``.

Every failure has a *place*: file:line of the innermost tinydeploy frame of its
traceback (or the sanitizer's first ``file:line`` in the generated C).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import multiprocessing
import multiprocessing.connection
import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tests.fuzz import mutate_bytes, mutate_onnx, mutate_tflite

REPO = Path(__file__).resolve().parents[2]
MODELS = Path(os.environ.get("TINYDEPLOY_MODELS", REPO.parent / "shared" / "models"))
TFLITE_SEEDS = ["kws_dscnn_int8.tflite", "vww_mobilenet_int8.tflite",
                "ic_resnet8_int8.tflite", "ad_autoencoder_int8.tflite",
                "extra/sww_streaming_wakeword_int8.tflite"]
PULP_SEEDS = ["pulp/deeploy_cnn_linear2.onnx", "pulp/deeploy_conv2d_rq.onnx",
              "pulp/deeploy_dwconv2d_rq.onnx", "pulp/deeploy_minimobilenet.onnx",
              "pulp/nemo_dscnn.onnx", "pulp/nemo_eegnet_1xw.onnx",
              "pulp/nemo_penguinet32.onnx", "pulp/nemo_rescon1.onnx",
              "pulp/ql_dvs_cnn9.onnx"]
DEMO = "demo_dscnn_int8.onnx"

BYTE_KINDS = {f"bytes_{k}": f for k, f in mutate_bytes.KINDS.items()}
DEFAULT_KINDS = [*BYTE_KINDS, *mutate_tflite.KINDS, *mutate_onnx.KINDS, "multi"]
HELD_OUT_KINDS = [*mutate_tflite.HELD_OUT, *mutate_onnx.HELD_OUT]
FAILURES = ("bad-error", "internal", "traceback", "hang", "crash", "warning", "fuzzer-error")
BUILD_FAILURES = ("sanitizer", "run-failed", "build-failed", "golden-mismatch",
                  "golden-error", "build-hang", "build-crash", "not-compiled")


GOLDEN_MAX_ARENA = 64 << 20      # built mutants with larger activations: sanitizers only


class CaseTimeout(BaseException):
    """Raised by SIGALRM in a worker (a BaseException: nothing in tinydeploy catches it)."""


# -- seeds ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Seed:
    name: str            # file name (the mutant is written under this name)
    data: bytes

    @property
    def fmt(self) -> str:
        return "tflite" if self.name.endswith(".tflite") else "onnx"


def load_seeds(names: list[str] | None = None) -> list[Seed]:
    """The seed models: MLPerf Tiny .tflite, the PULP .onnx graphs and the demo network."""
    if not MODELS.is_dir():
        raise FileNotFoundError(f"shared models folder {MODELS} is absent")
    seeds = [Seed(Path(p).name, (MODELS / p).read_bytes()) for p in TFLITE_SEEDS + PULP_SEEDS]
    seeds.append(Seed(DEMO, demo_bytes()))
    if names:
        seeds = [s for s in seeds if s.name in names or Path(s.name).stem in names]
    return seeds


def demo_bytes() -> bytes:
    from tinydeploy.demo import make_demo_model
    with tempfile.TemporaryDirectory(prefix="td_fuzz_seed_") as tmp:
        p = Path(tmp) / DEMO
        make_demo_model(p, seed=0)
        return p.read_bytes()


# -- cases ----------------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    seed: str
    kind: str
    desc: str
    data: bytes = field(repr=False)


def _applicable(kind: str, fmt: str) -> bool:
    if kind.startswith("tfl_"):
        return fmt == "tflite"
    if kind.startswith("onnx_"):
        return fmt == "onnx"
    return True


def _apply(kind: str, rng: random.Random, seed: Seed, data: bytes):
    if kind in BYTE_KINDS:
        return BYTE_KINDS[kind](rng, data)
    if kind == "multi":             # 2-3 structure-aware edits stacked
        kinds = sorted(mutate_tflite.KINDS if seed.fmt == "tflite" else mutate_onnx.KINDS)
        descs = []
        for _ in range(rng.choice((2, 2, 3))):
            r = _apply(rng.choice(kinds), rng, seed, data)
            if r is not None:
                data, d = r
                descs.append(d)
        return (data, " + ".join(descs)) if descs else None
    mod = mutate_tflite if kind.startswith("tfl_") else mutate_onnx
    return mod.mutate(kind, rng, data)


def make_case(seed: int, index: int, seeds: list[Seed], kinds: list[str]) -> Case:
    """Case ``seed:index``: deterministic in its id, the seed list and the kinds."""
    rng = random.Random(f"{seed}:{index}")
    by_fmt = defaultdict(list)
    for s in seeds:
        by_fmt[s.fmt].append(s)
    for _ in range(50):
        fmts = sorted(f for f in by_fmt if any(_applicable(k, f) for k in kinds))
        s = rng.choice(by_fmt[rng.choice(fmts)])
        kind = rng.choice([k for k in kinds if _applicable(k, s.fmt)])
        r = _apply(kind, rng, s, s.data)
        if r is not None and r[0] != s.data:
            return Case(f"{seed}:{index}", s.name, kind, r[1], r[0])
    raise RuntimeError(f"no mutation applies for case {seed}:{index}")


# -- one case -------------------------------------------------------------------------------
@dataclass
class Result:
    id: str
    seed: str
    kind: str
    desc: str
    outcome: str
    place: str = ""
    message: str = ""
    seconds: float = 0.0
    build: str = ""              # build outcome of a built case
    build_place: str = ""
    build_message: str = ""


def same_output(c: np.ndarray, golden: np.ndarray) -> bool:
    """C == golden: integers byte for byte; float32 the same NaN/inf positions and finite
    values within libm's ulps (the float goldens round expf/logf/... in float64, which
    the C library may miss by an ulp: quant/golden/float32/__init__.py)."""
    if c.dtype.kind != "f":
        return np.array_equal(c, golden)
    special = ~np.isfinite(c) | ~np.isfinite(golden)
    if not np.array_equal(c[special], golden[special], equal_nan=True):
        return False
    return bool(np.allclose(c[~special], golden[~special], rtol=1e-5, atol=1e-6))


def innermost_place(tb_text: str) -> str:
    """file:line of the innermost tinydeploy frame of a formatted traceback."""
    frames = re.findall(r'File "([^"]+)", line (\d+)', tb_text)
    ours = [(f, n) for f, n in frames if "/tinydeploy/" in f and "/tests/" not in f]
    f, n = (ours or frames or [("?", "0")])[-1]
    rel = f.split("/tinydeploy/", 1)[-1] if "/tinydeploy/" in f else Path(f).name
    return f"{rel}:{n}"


def _alarm(signum, frame):
    raise CaseTimeout()


def _case_dir(case: Case) -> tuple[Path, Path, Path]:
    tmp = Path(tempfile.mkdtemp(prefix="td_fuzz_"))
    model = tmp / case.seed
    model.write_bytes(case.data)
    return tmp, model, tmp / "out"


def run_compile(case: Case, timeout: float) -> Result:
    """Compile one mutant through the CLI, in process, and classify what happened."""
    from tinydeploy import cli
    tmp, model, out = _case_dir(case)
    err, std = io.StringIO(), io.StringIO()
    res = Result(case.id, case.seed, case.kind, case.desc, "?")
    t0 = time.perf_counter()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with warnings.catch_warnings(record=True) as caught, \
                contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
            warnings.simplefilter("always")
            rc = cli.main(["--debug", "compile", str(model), "-o", str(out)])
        signal.setitimer(signal.ITIMER_REAL, 0)
        res.seconds = time.perf_counter() - t0
        _classify(res, rc, err.getvalue(), model, out, tmp, caught)
    except CaseTimeout:
        res.seconds = time.perf_counter() - t0
        res.outcome, res.message = "hang", f"over {timeout:g} s"
        res.place = innermost_place(traceback.format_exc())
    except BaseException as e:  # noqa: BLE001 - a traceback escaping main is the finding
        signal.setitimer(signal.ITIMER_REAL, 0)
        res.seconds = time.perf_counter() - t0
        res.outcome = "traceback"
        res.place = innermost_place(traceback.format_exc())
        res.message = f"{type(e).__name__}: {_one_line(str(e))}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def _one_line(s: str, n: int = 240) -> str:
    return " ".join(s.split())[:n]


def _classify(res: Result, rc: int, stderr: str, model: Path, out: Path, tmp: Path,
              caught) -> None:
    lines = stderr.splitlines()
    left = sorted(p.name for p in tmp.iterdir() if p.name != model.name)
    if rc == 0:
        res.outcome = "compiled" if (out / "manifest.json").is_file() else "bad-error"
        res.message = "" if res.outcome == "compiled" else "exit 0 but no project written"
    elif rc == 2:
        line = lines[0] if lines else ""
        problems = []
        if len(lines) != 1:
            problems.append(f"{len(lines)} stderr lines")
        if not line.startswith("tinydeploy: error: "):
            problems.append("no 'tinydeploy: error: ' prefix")
        if str(model) not in line:
            problems.append("file not named")
        if left:
            problems.append(f"left behind: {left}")
        res.outcome = "bad-error" if problems else "error"
        res.message = (("; ".join(problems) + " | ") if problems else "") + \
            _one_line(line.replace(str(model), "<file>"), 4000)
        if problems:
            res.place = "message:" + _error_stem(line.replace(str(model), "<file>"))
    elif rc == 3:
        res.outcome = "internal"
        res.place = innermost_place(stderr)
        msg = [ln for ln in lines if ln.startswith("tinydeploy: internal error")]
        res.message = _one_line((msg[0] if msg else lines[-1] if lines else "").replace(
            str(model), "<file>"))
    else:
        res.outcome, res.message = "bad-error", f"exit code {rc}: {_one_line(stderr)}"
    if caught and res.outcome in ("compiled", "error"):
        w = caught[0]
        res.outcome = "warning"
        res.place = f"{_rel(w.filename)}:{w.lineno}"
        res.message = f"{w.category.__name__}: {_one_line(str(w.message))}"


def _rel(f: str) -> str:
    return f.split("/tinydeploy/", 1)[-1] if "/tinydeploy/" in f else Path(f).name


def _error_stem(line: str) -> str:
    """An error message without its numbers and names (groups unnamed-file errors)."""
    s = re.sub(r"'[^']*'|\"[^\"]*\"|-?\d+(\.\d+)?(e[-+]?\d+)?", "_", line)
    return _one_line(s, 90)


KERNEL_SETS = ("ref", "opt")      # each built case: reference, then optimized kernels


def run_build(case: Case, timeout: float) -> Result:
    """Compile through the API with each kernel set (reference, then the optimized kernels
    of runtime/kernels/opt, the default of the rv32 board), build with ASan/UBSan and run
    2 random inputs vs the golden; the first set that is not clean gives the result (its
    message starts with the set)."""
    res = Result(case.id, case.seed, case.kind, case.desc, "compiled")
    tmp, model, _ = _case_dir(case)
    t0 = time.perf_counter()
    try:
        for kernels in KERNEL_SETS:
            _build_one(case, model, tmp / kernels, kernels, timeout, res)
            if res.build != "clean":
                res.build_message = f"[{kernels}] {res.build_message}"
                break
    finally:
        res.seconds = time.perf_counter() - t0
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def _build_one(case: Case, model: Path, out: Path, kernels: str, timeout: float,
               res: Result) -> None:
    """One kernel set of :func:`run_build`: sets ``res.build`` (and place, message)."""
    import tinydeploy
    from tinydeploy.check import hostrun
    from tinydeploy.check.inputs import random_inputs
    from tinydeploy.quant.execute import run_stream

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    stage = "compile"
    res.build, res.build_place, res.build_message = "", "", ""
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            try:
                proj = tinydeploy.compile(model, out, kernels=kernels)
            except Exception as e:  # noqa: BLE001
                res.build, res.build_message = "not-compiled", _one_line(str(e))
                res.build_place = innermost_place(traceback.format_exc())
                return
            low = proj.lowered
            stage = "build"
            try:
                exe = hostrun.build(out, sanitize=True)
            except tinydeploy.TinyDeployError as e:
                res.build = "build-failed"
                res.build_place, res.build_message = _c_place(str(e))
                return
            seed = int(hashlib.sha256(case.id.encode()).hexdigest()[:8], 16)
            records = random_inputs(low.graph, 2, seed)
            stage = "run"
            try:
                # the program inherits the limit; ASan maps terabytes of shadow memory
                resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
                c_out = hostrun.run(exe, proj.manifest, records)
            except tinydeploy.TinyDeployError as e:
                text = str(e)
                sanitizer = re.search(r"runtime error:|AddressSanitizer|"
                                      r"UndefinedBehaviorSanitizer|LeakSanitizer", text)
                res.build = "sanitizer" if sanitizer else "run-failed"
                res.build_place, res.build_message = _c_place(text)
                return
            finally:
                resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
            if low.memory.arena_bytes > GOLDEN_MAX_ARENA:
                res.build = "clean"         # sanitizers only: the golden would take long
                res.build_message = f"golden skipped (arena {low.memory.arena_bytes:,} B)"
                return
            stage = "golden"
            try:
                gold = run_stream(low.graph, records, low.args)   # (state carried)
            except Exception as e:  # noqa: BLE001
                res.build = "golden-error"
                res.build_place = innermost_place(traceback.format_exc())
                res.build_message = f"{type(e).__name__}: {_one_line(str(e))}"
                return
            for i, (c, g) in enumerate(zip(c_out, gold)):
                for name, y in zip(low.graph.outputs, c):
                    if not same_output(y, g[name].reshape(y.shape)):
                        res.build = "golden-mismatch"
                        res.build_place = f"output {name}"
                        res.build_message = f"input {i}: C differs from the golden"
                        return
            res.build = "clean"
    except CaseTimeout:
        res.build, res.build_message = "build-hang", f"over {timeout:g} s in {stage}"
        res.build_place = innermost_place(traceback.format_exc())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _c_place(text: str) -> tuple[str, str]:
    """(first file:line in a compiler/sanitizer report, its first report line)."""
    m = re.search(r"([\w./-]+\.[ch]):(\d+)(?::\d+)?: (?:runtime error|error)", text)
    if m is None:
        m = re.search(r"#\d+ 0x[0-9a-f]+ in \w+ ([\w./-]+\.[ch]):(\d+)", text)
    place = f"{Path(m.group(1)).name}:{m.group(2)}" if m else "?"
    first = next((ln for ln in text.splitlines() if re.search(
        r"runtime error|ERROR: AddressSanitizer|error:|Sanitizer", ln)), text[-300:])
    return place, _one_line(first)


# -- worker processes -----------------------------------------------------------------------
_STATE: dict = {}


def _worker(conn, mem_bytes: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if mem_bytes:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, hard))
    while True:
        job = conn.recv()
        if job is None:
            return
        what, index, timeout = job
        seed, seeds, kinds = _STATE["seed"], _STATE["seeds"], _STATE["kinds"]
        try:
            case = make_case(seed, index, seeds, kinds)
        except Exception as e:  # noqa: BLE001 - a bug of the fuzzer itself
            conn.send(Result(f"{seed}:{index}", "?", "?", "", "fuzzer-error",
                             innermost_place(traceback.format_exc()),
                             f"{type(e).__name__}: {e}"))
            continue
        conn.send(run_compile(case, timeout) if what == "compile" else
                  run_build(case, timeout))


class Pool:
    """Worker processes (forked, so tinydeploy is imported once) running jobs with a time
    limit; a worker that does not answer in time is killed (by its pid) and replaced."""

    def __init__(self, n: int, mem_bytes: int):
        self.ctx = multiprocessing.get_context("fork")
        self.n, self.mem = n, mem_bytes
        self.workers = [self._spawn() for _ in range(n)]

    def _spawn(self):
        a, b = self.ctx.Pipe()
        p = self.ctx.Process(target=_worker, args=(b, self.mem), daemon=True)
        p.start()
        b.close()
        return [p, a, None, 0.0]      # process, conn, job, started

    def run(self, jobs: list[tuple[str, int, float]], on_result) -> None:
        pending = list(reversed(jobs))
        busy = 0
        while pending or busy:
            for w in self.workers:
                if w[2] is None and pending:
                    w[2], w[3] = pending.pop(), time.monotonic()
                    w[1].send(w[2])
                    busy += 1
            conns = [w[1] for w in self.workers if w[2] is not None]
            ready = multiprocessing.connection.wait(conns, timeout=1.0)
            for i, w in enumerate(self.workers):
                if w[2] is None:
                    continue
                what, index, timeout = w[2]
                if w[1] in ready:
                    try:
                        r = w[1].recv()
                    except (EOFError, OSError):
                        r = self._dead(w, i, "crash", f"worker died (exit {w[0].exitcode})")
                elif time.monotonic() - w[3] > timeout + 30:
                    r = self._dead(w, i, "hang", f"no answer in {timeout + 30:g} s, killed")
                elif not w[0].is_alive():
                    r = self._dead(w, i, "crash", f"worker died (exit {w[0].exitcode})")
                else:
                    continue
                if what == "build" and r.outcome in ("crash", "hang"):
                    r.build, r.outcome = "build-" + r.outcome, "compiled"
                    r.build_message = r.message
                w[2] = None
                busy -= 1
                on_result(r)

    def _dead(self, w, i: int, outcome: str, msg: str) -> Result:
        what, index, _ = w[2]
        if w[0].is_alive():
            os.kill(w[0].pid, signal.SIGKILL)
        w[0].join()
        w[1].close()
        fresh = self._spawn()
        self.workers[i] = fresh
        w[2] = None
        seed = _STATE["seed"]
        try:
            c = make_case(seed, index, _STATE["seeds"], _STATE["kinds"])
            return Result(c.id, c.seed, c.kind, c.desc, outcome, "", msg)
        except Exception:  # noqa: BLE001
            return Result(f"{seed}:{index}", "?", "?", "", outcome, "", msg)

    def close(self) -> None:
        for p, conn, _, _ in self.workers:
            with contextlib.suppress(OSError):
                conn.send(None)
        for p, conn, _, _ in self.workers:
            p.join(timeout=10)
            if p.is_alive():
                os.kill(p.pid, signal.SIGKILL)
                p.join()


# -- a run ----------------------------------------------------------------------------------
@dataclass
class Run:
    seed: int
    results: list[Result]
    seconds: float
    kinds: list[str]

    @property
    def failures(self) -> list[Result]:
        return [r for r in self.results if r.outcome in FAILURES or r.build in BUILD_FAILURES]

    @property
    def ok(self) -> bool:
        return not self.failures


def select_builds(results: list[Result], k: int) -> list[Result]:
    """Up to ``k`` compiled cases (all for ``k < 0``), deterministic: distinct (seed model,
    kind) pairs first, then by a hash of the case id."""
    compiled = sorted((r for r in results if r.outcome == "compiled"),
                      key=lambda r: hashlib.sha256(r.id.encode()).hexdigest())
    if k < 0:
        return compiled
    chosen, seen = [], set()
    for r in compiled:
        if (r.seed, r.kind) not in seen and len(chosen) < k:
            chosen.append(r)
            seen.add((r.seed, r.kind))
    for r in compiled:
        if len(chosen) >= k:
            break
        if r not in chosen:
            chosen.append(r)
    return chosen


def fuzz(n: int, seed: int = 0, build: int = 20, kinds: list[str] | None = None,
         seeds: list[Seed] | None = None, jobs: int = 2, timeout: float = 30.0,
         build_timeout: float = 180.0, mem_gb: float = 6.0, progress=None,
         start: int = 0) -> Run:
    """Run cases ``seed:start`` .. ``seed:start+n-1``, then build ``build`` compiled ones
    (all of them for ``build < 0``)."""
    import tinydeploy.api  # noqa: F401 - imported once, before the workers fork
    import tinydeploy.cli  # noqa: F401
    t0 = time.perf_counter()
    _STATE.update(seed=seed, seeds=seeds or load_seeds(), kinds=list(kinds or DEFAULT_KINDS))
    by_id: dict[str, Result] = {}
    pool = Pool(jobs, int(mem_gb * 2**30))
    try:
        done = Counter()

        def got(r: Result) -> None:
            by_id[r.id] = r
            done[r.outcome] += 1
            if progress:
                progress("compile", len(by_id), n, done)

        pool.run([("compile", i, timeout) for i in range(start, start + n)], got)
        chosen = select_builds(list(by_id.values()), build)
        built = Counter()

        def got_build(r: Result) -> None:
            prev = by_id[r.id]
            prev.build, prev.build_place, prev.build_message = \
                r.build, r.build_place, r.build_message
            built[r.build] += 1
            if progress:
                progress("build", sum(built.values()), len(chosen), built)

        pool.run([("build", int(r.id.split(":")[1]), build_timeout) for r in chosen],
                 got_build)
    finally:
        pool.close()
    results = sorted(by_id.values(), key=lambda r: int(r.id.split(":")[1]))
    return Run(seed, results, time.perf_counter() - t0, _STATE["kinds"])


# -- reporting ------------------------------------------------------------------------------
OUTCOMES = ("compiled", "error", *FAILURES)


def summary(run: Run) -> str:
    rs = run.results
    lines = [f"fuzz seed {run.seed}: {len(rs)} cases in {run.seconds:.0f} s"]
    total = Counter(r.outcome for r in rs)
    lines.append("outcome        cases")
    for o in OUTCOMES:
        if total[o] or o in ("compiled", "error"):
            lines.append(f"  {o:<12} {total[o]:6d}")
    built = Counter(r.build for r in rs if r.build)
    if built:
        lines.append("built with ASan/UBSan, reference and optimized kernels (2 random "
                     "inputs, C vs golden)")
        for o, c in sorted(built.items()):
            lines.append(f"  {o:<16} {c:4d}")
    lines.append("")
    cols = [o for o in OUTCOMES if total[o]]
    lines.append(f"{'mutation kind':<22}" + "".join(f"{c:>13}" for c in cols))
    per = defaultdict(Counter)
    for r in rs:
        per[r.kind][r.outcome] += 1
    for k in sorted(per):
        lines.append(f"{k:<22}" + "".join(f"{per[k][c]:>13}" for c in cols))
    places = defaultdict(list)
    for r in rs:
        if r.outcome in FAILURES:
            places[(r.outcome, r.place)].append(r)
        if r.build in BUILD_FAILURES:
            places[(r.build, r.build_place)].append(r)
    lines.append("")
    if not places:
        lines.append("no failures: no tracebacks, hangs, internal errors, unnamed-file "
                     "errors or sanitizer reports")
    else:
        lines.append(f"{len(places)} distinct failure places (outcome, innermost tinydeploy "
                     "frame, cases, example):")
        for (o, p), group in sorted(places.items(), key=lambda kv: -len(kv[1])):
            ex = group[0]
            msg = ex.build_message if o in BUILD_FAILURES else ex.message
            lines.append(f"  {o:<14} {p or '?':<44} {len(group):5d}  {ex.id} {ex.seed} "
                         f"{ex.kind}: {_one_line(ex.desc, 100)}")
            lines.append(f"  {'':<14} {_one_line(msg, 200)}")
    return "\n".join(lines)


def write_json(run: Run, path: str) -> None:
    Path(path).write_text(json.dumps({"seed": run.seed, "seconds": run.seconds,
                                      "results": [asdict(r) for r in run.results]}, indent=1))


def reproduce(case_id: str, kinds: list[str] | None = None, build: bool = False,
              write: str | None = None, seeds: list[Seed] | None = None) -> Result:
    """Run one case in this process (``--debug`` tracebacks shown)."""
    seed, index = (int(x) for x in case_id.split(":"))
    case = make_case(seed, index, seeds or load_seeds(), list(kinds or DEFAULT_KINDS))
    print(f"case {case.id}: {case.seed} {case.kind}: {case.desc}", file=sys.stderr)
    if write:
        Path(write).mkdir(parents=True, exist_ok=True)
        p = Path(write) / f"{case.id.replace(':', '_')}_{case.seed}"
        p.write_bytes(case.data)
        print(f"wrote {p}", file=sys.stderr)
    return run_build(case, 300.0) if build else run_compile(case, 300.0)
