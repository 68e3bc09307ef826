"""Command line: ``tinydeploy compile | validate | profile | report | demo | quantize``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tinydeploy.errors import TinyDeployError


def _cmd_compile(a) -> int:
    from tinydeploy.compiler import compile_model

    low = compile_model(a.model, a.output, target=a.target, prefix=a.name, board=a.board,
                        kernels=a.kernels,
                        frontend_options={"input_type": a.input_type,
                                          "outputs": a.output_tensor,
                                          "io_layout": a.io_layout if a.io_layout != "source"
                                          else None})
    print(f"wrote {a.output}: {len(low.graph.ops)} layers, arena {low.memory.arena_bytes:,} B "
          f"(lower bound {low.memory.lower_bound:,} B), "
          f"{low.graph.meta['compile_seconds']:.2f} s")
    return 0


def _cmd_validate(a) -> int:
    from tinydeploy.validate import validate

    if a.golden:
        return _validate_golden(a)
    v = validate(a.project, n=a.num_inputs, seed=a.seed, npy=a.npy, sanitize=a.sanitize,
                 tolerance=a.tolerance, on=a.on, timeout=a.timeout,
                 progress=_progress if a.on == "qemu" else None)
    if v.sim_vs_host_exact is not None:
        print(f"QEMU rv32imc vs host build: "
              f"{'byte-identical' if v.sim_vs_host_exact else 'DIFFERENT'}")
    print(f"{v.inputs} inputs: C vs golden {'bit-exact' if v.c_vs_golden_exact else 'DIFFERENT'}; "
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


def _validate_golden(a) -> int:
    from tinydeploy.goldens import format_check
    from tinydeploy.validate import validate_golden

    check = validate_golden(a.project, a.golden, sanitize=a.sanitize)
    print("\n".join(format_check(check)))
    print("PASS" if check.ok else "FAIL")
    return 0 if check.ok else 1


def _progress(msg: str) -> None:
    """Progress of long simulator runs ("QEMU: 3/20 inputs") on stderr, in place on a tty."""
    if not msg.startswith("QEMU"):
        return
    done, total = msg.split()[1].split("/")
    tty = sys.stderr.isatty()
    print(("\r" if tty else "") + msg + ("\033[K" if tty else ""),
          end="\n" if not tty or done == total else "", file=sys.stderr, flush=True)


def _cmd_profile(a) -> int:
    from tinydeploy.rv32 import print_profile, profile

    prof = profile(a.project, n=a.num_inputs, seed=a.seed, timeout=a.timeout,
                   progress=lambda d, t: _progress(f"QEMU: {d}/{t} inputs"))
    if a.json:
        text = json.dumps(prof, indent=1)
        if a.json == "-":
            print(text)
        else:
            Path(a.json).write_text(text + "\n")
    if a.json != "-":
        print_profile(prof)
    return 0


def _cmd_report(a) -> int:
    from tinydeploy import report
    from tinydeploy.compiler import lower_file
    from tinydeploy.targets import load_target

    target = load_target(a.target) if a.target else None
    if target is None or target.flat:
        low = lower_file(a.model)
        args, mod = (low,), report
    else:                       # tiled target: tiles, L1, DMA per level, modeled cycles
        from tinydeploy.codegen import tiled_report
        from tinydeploy.codegen.tiled_plan import plan_tiled

        low = lower_file(a.model, sliding=False)
        args, mod = (low, plan_tiled(low.graph, target, low.memory)), tiled_report
    if a.json:
        text = json.dumps(mod.report_dict(*args), indent=1)
        if a.json == "-":
            print(text)
        else:
            Path(a.json).write_text(text + "\n")
    if a.json != "-":
        mod.print_report(*args)
    if a.plot:
        mod.plot_report(*args, a.plot)
        print(f"plot written to {a.plot}")
    return 0


def _cmd_targets(a) -> int:
    from tinydeploy.targets import targets_table

    print(targets_table(a.files or None))
    return 0


def _cmd_demo(a) -> int:
    from tinydeploy.compiler import compile_model, lower_file
    from tinydeploy.demo import make_demo_model
    from tinydeploy.report import print_report
    from tinydeploy.validate import validate

    out = Path(a.output)
    out.mkdir(parents=True, exist_ok=True)
    model = out / "demo_dscnn_int8.onnx"
    make_demo_model(model, seed=0)
    print(f"1. generated {model} (DS-CNN keyword spotting, int8 ONNX QDQ, seeded weights)")
    low = compile_model(model, out / "demo_dscnn", prefix="demo_dscnn")
    print(f"2. compiled to {out / 'demo_dscnn'} in {low.graph.meta['compile_seconds']:.2f} s")
    v = validate(out / "demo_dscnn", n=a.num_inputs)
    print(f"3. built with cc and ran {v.inputs} inputs: C vs golden "
          f"{'bit-exact' if v.c_vs_golden_exact else 'DIFFERENT'}, C vs {v.reference} "
          f"max |diff| {v.c_vs_reference_max_lsb:g} LSB "
          f"({100 * v.c_vs_reference_exact_fraction:.2f}% identical bytes)")
    for m in v.messages:
        print("   " + m)
    print("4. report:")
    print_report(lower_file(model))
    return 0 if v.ok else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tinydeploy", description="Deploy int8 networks as "
                                "static, bit-exact C99 for microcontrollers.")
    sub = p.add_subparsers(dest="cmd", required=True)

    c = sub.add_parser("compile", help="compile a .tflite/.onnx model into a C project")
    c.add_argument("model", help="int8 .tflite or .onnx model")
    c.add_argument("-o", "--output", required=True, help="output directory (replaced)")
    c.add_argument("--target", default="host", help="deployment target: a name listed by "
                   "'tinydeploy targets' or a target .toml file (default: host)")
    c.add_argument("--kernels", choices=("ref", "opt"), default=None,
                   help="kernel set: plain reference C, or optimized variants tuned for "
                   "rv32imc (default: ref on --board host, opt on qemu-rv32)")
    c.add_argument("--io-layout", choices=("source", "nhwc"), default="source",
                   help="layout of 4-D inputs/outputs in the C API: the model's own "
                   "(default; NCHW for ONNX) or nhwc (no transposes at run time)")
    c.add_argument("--name", help="C prefix of the generated API (default: model name)")
    c.add_argument("--board", default="host", choices=["host", "qemu-rv32"],
                   help="also emit this board's build (qemu-rv32: bare-metal rv32imc ELF "
                   "and QEMU targets; default: host only)")
    c.add_argument("--input-type", choices=["uint8", "int8"],
                   help="NEMO/QuantLab/Deeploy graphs: C type of the input (default: the "
                   "dialect's, uint8 for NEMO, int8 otherwise)")
    c.add_argument("--output-tensor", action="append", metavar="TENSOR",
                   help="NEMO/QuantLab/Deeploy graphs: produce this ONNX tensor as an output "
                   "instead of the graph outputs (repeatable; float heads are cut otherwise)")
    c.set_defaults(fn=_cmd_compile)

    v = sub.add_parser("validate", help="build a compiled project, run inputs, compare "
                       "with the golden and the reference interpreter")
    v.add_argument("project", help="directory written by 'tinydeploy compile'")
    v.add_argument("-n", "--num-inputs", type=int, default=20, help="seeded random inputs")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--npy", nargs="*", default=[], help="extra inputs as .npy files")
    v.add_argument("--sanitize", action="store_true", help="build with ASan/UBSan")
    v.add_argument("--tolerance", type=float, default=None,
                   help="allowed |diff| in LSB vs the reference (default 0 for TFLite; 2 for ONNX, "
                   "whose runtime requantizes in float)")
    v.add_argument("--on", choices=["host", "qemu"], default="host",
                   help="where the C runs: host (cc) or qemu (rv32imc on qemu-system-riscv32; "
                   "also compared byte for byte with the host build; needs --board qemu-rv32)")
    v.add_argument("--timeout", type=float, default=None,
                   help="seconds allowed for the QEMU run (default 600)")
    v.add_argument("--golden", metavar="DIR",
                   help="instead of random inputs: run a golden folder's inputs (DORY "
                   "input.txt/out_layer<k>.txt or Deeploy inputs/outputs/activations.npz) "
                   "and match every golden layer")
    v.set_defaults(fn=_cmd_validate)

    pr = sub.add_parser("profile", help="exact instructions per layer on QEMU rv32imc "
                        "(project compiled with --board qemu-rv32)")
    pr.add_argument("project", help="directory written by 'tinydeploy compile --board qemu-rv32'")
    pr.add_argument("-n", "--num-inputs", type=int, default=1,
                    help="seeded random inputs (counts are the mean per inference)")
    pr.add_argument("--seed", type=int, default=0)
    pr.add_argument("--json", metavar="FILE", help="also write JSON to FILE ('-' = stdout only)")
    pr.add_argument("--timeout", type=float, default=None,
                    help="seconds allowed for the QEMU run (default 600)")
    pr.set_defaults(fn=_cmd_profile)

    r = sub.add_parser("report", help="per-layer table: shapes, MACs, memory")
    r.add_argument("model")
    r.add_argument("--json", metavar="FILE", help="also write JSON to FILE ('-' = stdout only)")
    r.add_argument("--plot", metavar="FILE", help="also plot memory over time and MACs per "
                   "layer to FILE (.png or .svg); tiled targets: modeled cycles and L1 per layer")
    r.add_argument("--target", help="a tiled target (name or .toml): per layer tiles, L1, "
                   "DMA per level and modeled cycles")
    r.set_defaults(fn=_cmd_report)

    t = sub.add_parser("targets", help="list the deployment targets (memory levels, cores, "
                       "kernel throughputs)")
    t.add_argument("files", nargs="*", help="target names or .toml files (default: bundled)")
    t.set_defaults(fn=_cmd_targets)

    d = sub.add_parser("demo", help="generate, compile, build, run, validate and report "
                       "a bundled demo network")
    d.add_argument("-o", "--output", default="out/demo")
    d.add_argument("-n", "--num-inputs", type=int, default=20)
    d.set_defaults(fn=_cmd_demo)

    from tinydeploy.quantize.command import add_parser as add_quantize_parser
    add_quantize_parser(sub)            # tinydeploy quantize: float model -> int8 ONNX QDQ
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except TinyDeployError as e:
        msg = str(e).splitlines()
        print(f"tinydeploy: error: {msg[0] if msg else e}", file=sys.stderr)
        for extra in msg[1:]:
            print(extra, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
