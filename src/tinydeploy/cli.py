"""Command line: ``tinydeploy compile | validate | profile | report | targets | demo |
quantize``, a thin layer over the Python API (:mod:`tinydeploy.api`).

Errors in the input print one line naming file, node and reason and exit 2. Anything
else that goes wrong is a bug: one line ("internal error in <command> on <file>: ...;
please report") and exit 3; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from tinydeploy import api, report
from tinydeploy.check.goldens import format_check
from tinydeploy.compiler import build
from tinydeploy.demo import make_demo_model
from tinydeploy.errors import TinyDeployError
from tinydeploy.options import BOARDS, INPUT_TYPES, KERNEL_SETS, CompileOptions
from tinydeploy.quantize.command import add_parser as add_quantize_parser
from tinydeploy.train.command import add_parser as add_train_parser
from tinydeploy.report.profile import print_profile
from tinydeploy.targets import targets_table

EXIT_BAD_INPUT, EXIT_INTERNAL = 2, 3


def _options(a) -> CompileOptions:
    return CompileOptions(target=a.target or "host", board=getattr(a, "board", "host"),
                          kernels=a.kernels, name=getattr(a, "name", None),
                          io_layout=a.io_layout, input_type=a.input_type,
                          output_tensors=tuple(a.output_tensor or ()),
                          input_shapes=tuple(a.input_shape or ()),
                          max_context=getattr(a, "max_context", None),
                          harts=getattr(a, "harts", None) or 1,
                          stream=bool(getattr(a, "stream", False)))


def _cmd_compile(a) -> int:
    o = _options(a)
    proj = api.compile(a.model, a.output, target=o.target, board=o.board, kernels=o.kernels,
                       name=o.name, io_layout=o.io_layout, input_type=o.input_type,
                       output_tensors=o.output_tensors, input_shapes=o.input_shapes,
                       max_context=o.max_context, harts=o.harts, stream=o.stream)
    low = proj.lowered
    print(f"wrote {a.output}: {len(low.graph.ops)} layers, arena {low.memory.arena_bytes:,} B "
          f"(lower bound {low.memory.lower_bound:,} B), kernels {proj.kernels}, "
          f"{low.seconds:.2f} s")
    if low.decode is not None:
        print(f"  decode loop: {low.decode.max_context} tokens of context, KV caches "
              f"{low.decode.kv_bytes:,} B in the arena")
    if o.stream:
        held = sum(low.graph.t(n).nbytes for n in low.graph.meta.get("state", ()))
        print(f"  streaming: one time step per call, histories {held:,} B of state in "
              "the arena")
    return 0


def _cmd_validate(a) -> int:
    proj = api.load_project(a.project, model=a.model)
    if a.golden:
        check = proj.validate_golden(a.golden, sanitize=a.sanitize)
        print("\n".join(format_check(check)))
        print("PASS" if check.ok else "FAIL")
        return 0 if check.ok else 1
    v = proj.validate(n=a.num_inputs, seed=a.seed, npy=a.npy, sanitize=a.sanitize,
                      tolerance=a.tolerance, on=a.on, timeout=a.timeout,
                      progress=_progress if a.on == "qemu" else None)
    if v.sim_vs_host_exact is not None:
        print(f"QEMU rv32imc vs host build: "
              f"{'byte-identical' if v.sim_vs_host_exact else 'DIFFERENT'}")
    print(f"{v.inputs} inputs: C vs golden {v.golden_words}; "
          f"C vs {v.reference}: max |diff| {v.c_vs_reference_max_lsb:g} LSB, "
          f"{100 * v.c_vs_reference_exact_fraction:.2f}% identical bytes "
          f"(tolerance {v.tolerance_lsb:g})")
    if v.dma_exact is not None:
        print(f"DMA bytes and transfers per layer (host HAL counters): "
              f"{'as planned' if v.dma_exact else 'DIFFERENT from the plan'}")
    for m in v.messages:
        print(m)
    print("PASS" if v.ok else "FAIL")
    return 0 if v.ok else 1


def _progress(msg: str) -> None:
    """Progress of long simulator runs ("QEMU: 3/20 inputs") on stderr, in place on a tty."""
    if not msg.startswith("QEMU"):
        return
    done, total = msg.split()[1].split("/")
    tty = sys.stderr.isatty()
    print(("\r" if tty else "") + msg + ("\033[K" if tty else ""),
          end="\n" if not tty or done == total else "", file=sys.stderr, flush=True)


def _write_json(dest: str, data) -> None:
    text = json.dumps(data, indent=1)
    if dest == "-":
        print(text)
    else:
        Path(dest).write_text(text + "\n")


def _cmd_profile(a) -> int:
    proj = api.load_project(a.project, model=a.model)
    prof = proj.profile(n=a.num_inputs, seed=a.seed, timeout=a.timeout,
                        progress=lambda d, t: _progress(f"QEMU: {d}/{t} inputs"))
    if a.json:
        _write_json(a.json, prof)
    if a.json != "-":
        print_profile(prof)
    if a.html:
        proj.write_html(a.html, profile=prof)
        print(f"HTML report written to {a.html}")
    return 0


def _cmd_report(a) -> int:
    src = Path(a.model)
    if src.is_dir():                   # a compiled project: report what was compiled
        if a.target or a.kernels:
            raise TinyDeployError("--target/--kernels apply to a model file; a project "
                                  "reports the options it was compiled with", file=a.model)
        proj = api.load_project(src)
        low = proj.lowered
    else:
        low = build(src, _options(a))
    if a.json:
        _write_json(a.json, report.report_dict(low))
    if a.json != "-":
        report.print_report(low)
    if a.plot:
        report.plot_report(low, a.plot)
        print(f"plot written to {a.plot}")
    if a.html:
        report.write_html(low, a.html)
        print(f"HTML report written to {a.html}")
    return 0


def _cmd_targets(a) -> int:
    print(targets_table(a.files or None))
    return 0


def _cmd_demo(a) -> int:
    out = Path(a.output)
    out.mkdir(parents=True, exist_ok=True)
    model = out / "demo_dscnn_int8.onnx"
    make_demo_model(model, seed=0)
    print(f"1. generated {model} (DS-CNN keyword spotting, int8 ONNX QDQ, seeded weights)")
    proj = api.compile(model, out / "demo_dscnn", name="demo_dscnn")
    print(f"2. compiled to {proj.path} in {proj.lowered.seconds:.2f} s")
    v = proj.validate(n=a.num_inputs)
    print(f"3. built with cc and ran {v.inputs} inputs: C vs golden "
          f"{'bit-exact' if v.c_vs_golden_exact else 'DIFFERENT'}, C vs {v.reference} "
          f"max |diff| {v.c_vs_reference_max_lsb:g} LSB "
          f"({100 * v.c_vs_reference_exact_fraction:.2f}% identical bytes)")
    for m in v.messages:
        print("   " + m)
    print("4. report:")
    proj.print_report()
    html = out / "demo_dscnn.html"
    proj.write_html(html)
    print(f"5. HTML report: {html}")
    return 0 if v.ok else 1


def _compile_args(c, project_options: bool = True) -> None:
    """Options that decide how a model is compiled (compile, and report on a model)."""
    c.add_argument("--target", default=None, help="deployment target: a name listed by "
                   "'tinydeploy targets' or a target .toml file (default: host)")
    c.add_argument("--kernels", choices=KERNEL_SETS, default=None,
                   help="kernel set: plain reference C, or optimized variants tuned for "
                   "rv32imc (default: ref on --board host, opt on qemu-rv32)")
    c.add_argument("--harts", type=int, default=None, metavar="N",
                   help="--board qemu-rv32: split every layer over N harts (qemu -smp N, "
                   "make rv32-par; the plan reserves each hart's scratch; default 1)")
    c.add_argument("--io-layout", choices=("source", "nhwc"), default="source",
                   help="layout of 4-D inputs/outputs in the C API: the model's own "
                   "(default; NCHW for ONNX) or nhwc (no transposes at run time)")
    c.add_argument("--input-type", choices=INPUT_TYPES,
                   help="NEMO/QuantLab/Deeploy graphs: C type of the input (default: the "
                   "dialect's, uint8 for NEMO, int8 otherwise); with it, an integer graph "
                   "of plain ONNX ops (float tensors holding integers) is read as integers")
    c.add_argument("--output-tensor", action="append", metavar="TENSOR",
                   help="NEMO/QuantLab/Deeploy graphs: produce this ONNX tensor as an output "
                   "instead of the graph outputs (repeatable), e.g. the integer tensor before a "
                   "float head to cut it (heads run in C as float32 otherwise)")
    c.add_argument("--input-shape", action="append", metavar="NAME=D0,D1,..",
                   help="integer graphs: the dims of an input with symbolic ones (repeatable;"
                   " a dim of 0 is an empty input, e.g. an empty KV cache)")
    c.add_argument("--max-context", type=int, default=None, metavar="N",
                   help="a language model's one-step graph (KV cache in, extended cache out):"
                   " compile a decode loop, <name>_reset()/<name>_step(), with the caches in "
                   "static memory for up to N tokens")
    c.add_argument("--stream", action="store_true",
                   help="one time step per call: causal temporal conv nets keep each "
                   "layer's history in RAM")
    if project_options:
        c.add_argument("--name", help="C prefix of the generated API (default: the model "
                       "file's name)")
        c.add_argument("--board", default="host", choices=BOARDS,
                       help="also emit this board's build (qemu-rv32: bare-metal rv32imc "
                       "ELF and QEMU targets; default: host only)")


def _project_args(p, what: str) -> None:
    p.add_argument("project", help=f"directory written by 'tinydeploy compile'{what}")
    p.add_argument("--model", help="the source model, if it is no longer where the project "
                   "says (checked by hash)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tinydeploy", description="Deploy neural networks as "
                                "static, bit-exact C99 for microcontrollers.")
    p.add_argument("--debug", action="store_true",
                   help="show the Python traceback of internal errors")
    sub = p.add_subparsers(dest="cmd", required=True)

    c = sub.add_parser("compile", help="compile a .tflite/.onnx model into a C project")
    c.add_argument("model", help="int8 .tflite or .onnx model")
    c.add_argument("-o", "--output", required=True, help="output directory (replaced)")
    _compile_args(c)
    c.set_defaults(fn=_cmd_compile)

    v = sub.add_parser("validate", help="build a compiled project, run inputs, compare "
                       "with the golden and the reference interpreter")
    _project_args(v, "")
    v.add_argument("-n", "--num-inputs", type=int, default=20, help="seeded random inputs")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--npy", nargs="*", default=[], help="extra inputs as .npy files")
    v.add_argument("--sanitize", action="store_true", help="build with ASan/UBSan")
    v.add_argument("--tolerance", type=float, default=None,
                   help="allowed |diff| in LSB vs the reference (default 0 for TFLite; 2 for "
                   "ONNX, whose runtime requantizes in float)")
    v.add_argument("--on", choices=["host", "qemu"], default="host",
                   help="where the C runs: host (cc) or qemu (rv32imc on qemu-system-riscv32; "
                   "also compared byte for byte with the host build; needs --board qemu-rv32)")
    v.add_argument("--timeout", type=float, default=None,
                   help="seconds allowed for the QEMU run (default 600)")
    v.add_argument("--golden", metavar="DIR",
                   help="instead of random inputs: run a golden folder's inputs (DORY "
                   "input.txt/out_layer<k>.txt or Deeploy inputs/outputs/activations.npz); "
                   "final outputs are compared in the layout the header declares")
    v.set_defaults(fn=_cmd_validate)

    pr = sub.add_parser("profile", help="exact instructions per layer on QEMU rv32imc "
                        "(project compiled with --board qemu-rv32)")
    _project_args(pr, " --board qemu-rv32")
    pr.add_argument("-n", "--num-inputs", type=int, default=1,
                    help="seeded random inputs (counts are the mean per inference)")
    pr.add_argument("--seed", type=int, default=0)
    pr.add_argument("--json", metavar="FILE", help="also write JSON to FILE ('-' = stdout only)")
    pr.add_argument("--html", metavar="FILE", help="also write the HTML report with the "
                    "measured instructions per layer")
    pr.add_argument("--timeout", type=float, default=None,
                    help="seconds allowed for the QEMU run (default 600)")
    pr.set_defaults(fn=_cmd_profile)

    r = sub.add_parser("report", help="per-layer table: shapes, MACs, memory (of a model, "
                       "or of a compiled project: what was compiled)")
    r.add_argument("model", help="a .tflite/.onnx model, or a project directory")
    r.add_argument("--json", metavar="FILE", help="also write JSON to FILE ('-' = stdout only)")
    r.add_argument("--plot", metavar="FILE", help="also plot memory over time and MACs per "
                   "layer to FILE (.png or .svg); tiled targets: modeled cycles and L1 per layer")
    r.add_argument("--html", metavar="FILE", help="also write one self-contained HTML page "
                   "(tables and plots)")
    _compile_args(r, project_options=False)
    r.set_defaults(fn=_cmd_report, board="host")

    t = sub.add_parser("targets", help="list the deployment targets (memory levels, cores, "
                       "kernel throughputs)")
    t.add_argument("files", nargs="*", help="target names or .toml files (default: bundled)")
    t.set_defaults(fn=_cmd_targets)

    d = sub.add_parser("demo", help="generate, compile, build, run, validate and report "
                       "a bundled demo network")
    d.add_argument("-o", "--output", default="out/demo")
    d.add_argument("-n", "--num-inputs", type=int, default=20)
    d.set_defaults(fn=_cmd_demo)

    add_quantize_parser(sub)            # tinydeploy quantize: float model -> int8 ONNX QDQ
    add_train_parser(sub)               # tinydeploy train: a float model's C training step
    return p


def _subject(args) -> str:
    for key in ("model", "project", "output"):
        if getattr(args, key, None):
            return str(getattr(args, key))
    return "(no file)"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except TinyDeployError as e:
        msg = str(e).splitlines()
        print(f"tinydeploy: error: {msg[0] if msg else e}", file=sys.stderr)
        for extra in msg[1:]:
            print(extra, file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("tinydeploy: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - the last line of defence: never a traceback
        if args.debug:
            traceback.print_exc()
        where = traceback.extract_tb(e.__traceback__)[-1]
        reason = " ".join(str(e).split())[:300] or type(e).__name__
        print(f"tinydeploy: internal error in {args.cmd} on {_subject(args)}: "
              f"{type(e).__name__}: {reason} (at {Path(where.filename).name}:{where.lineno}); "
              f"please report (--debug shows the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
