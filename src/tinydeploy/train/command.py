"""The ``tinydeploy train`` subcommand (registered by :mod:`tinydeploy.cli`): the C
project of a model's training step."""

from __future__ import annotations

from tinydeploy.compiler import compile_model, lower
from tinydeploy.frontend import load_model
from tinydeploy.ir.training import training
from tinydeploy.options import BOARDS
from tinydeploy.train.spec import LOSSES, OPTIMIZERS, TrainSpec


def add_parser(sub) -> None:
    t = sub.add_parser("train", help="compile a float32 model's training step into a C "
                       "project: <name>_train_step(x, label) updates the chosen parameters "
                       "in RAM, <name>_run(x, y) infers with them")
    t.add_argument("model", help="float32 .tflite or .onnx model")
    t.add_argument("-o", "--output", required=True, help="output directory (replaced)")
    what = t.add_mutually_exclusive_group()
    what.add_argument("--trainable", action="append", metavar="PATTERN",
                      help="train the layers whose name (or a weight's name) matches this "
                      "glob pattern, e.g. 'classifier.*' (repeatable)")
    what.add_argument("--last", type=int, metavar="N",
                      help="train the last N layers with weights")
    t.add_argument("--lora", type=int, metavar="RANK",
                   help="train LoRA adapters of this rank on the fully-connected layers (the "
                   "selected ones, else all); base weights stay const in flash")
    t.add_argument("--lora-alpha", type=float, metavar="A",
                   help="LoRA scale alpha/rank (default alpha = rank)")
    t.add_argument("--loss", choices=LOSSES, default="ce",
                   help="loss on the logits (the input of a final softmax): ce, softmax "
                   "cross-entropy (default)")
    t.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    t.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd",
                   help="sgd: p -= lr * grad (default)")
    t.add_argument("--recompute", action="store_true",
                   help="recompute forward activations in the backward pass instead of "
                   "keeping them, where that lowers the arena (default: keep them)")
    t.add_argument("--seed", type=int, default=0, help="of LoRA's initial A (default 0)")
    t.add_argument("--name", help="C prefix of the generated API (default: the model "
                   "file's name)")
    t.add_argument("--board", default="host", choices=BOARDS,
                   help="also emit this board's build (default: host only)")
    t.set_defaults(fn=run)


def run(a) -> int:
    spec = TrainSpec.make(a.model, trainable=a.trainable or (), last=a.last, lora=a.lora,
                          lora_alpha=a.lora_alpha, loss=a.loss, lr=a.lr,
                          optimizer=a.optimizer, seed=a.seed,
                          recompute=a.recompute)
    low = compile_model(a.model, a.output, train=spec, board=a.board, name=a.name,
                        kernels="ref")
    step = training(low.graph)
    g = low.graph
    params = sum(g.t(p).nbytes for p in step.params)
    frozen = sum(t.nbytes for t in g.tensors.values()
                 if t.is_const and t.name not in step.params)
    infer = lower(load_model(a.model)).memory.arena_bytes
    print(f"wrote {a.output}: {step.start} inference layers + {len(g.ops) - step.start} "
          f"training layers, {low.seconds:.2f} s")
    print(f"  trainable: {len(step.params)} tensors, {params:,} B in RAM; frozen constants "
          f"{frozen:,} B in flash")
    print(f"  arena {low.memory.arena_bytes:,} B for the step (inference alone: {infer:,} B; "
          f"the difference holds activations kept for the backward pass and gradients)")
    rc = g.meta["train"].get("recompute")
    if rc is not None:
        with_ = low.memory.arena_bytes if rc["applied"] else rc["with"]
        print(f"  recomputation: arena {rc['without']:,} B without, {with_:,} B with - "
              f"{'applied' if rc['applied'] else 'not applied'}; {len(rc['ops'])} layers "
              f"recomputed, {rc['macs']:,} extra MACs")
    return 0
