"""What to train and how: the options of ``tinydeploy train`` (kept in the project's
manifest with the compile options, so a project re-lowers exactly)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from tinydeploy.errors import TinyDeployError

LOSSES = ("ce",)
OPTIMIZERS = ("sgd",)


@dataclass(frozen=True)
class TrainSpec:
    """- ``trainable``: glob patterns (fnmatch) over layer names and parameter tensor
      names: every weight and bias of a layer whose name or a parameter's name matches;
    - ``last``: the last N layers with weights (all their weights and biases);
    - ``lora``: rank of LoRA adapters (A [r, C_in], B [C_out, r], y += alpha/r * x A^T
      B^T) on the fully-connected layers (those ``trainable``/``last`` select, else all);
      only A and B train, the base weights stay in flash;
    - ``lora_alpha``: LoRA's alpha (default: the rank, a scale of 1);
    - ``loss``: ``ce`` (softmax cross-entropy on the logits: the input of a final
      softmax, or the output itself), mean over the batch rows;
    - ``lr``, ``optimizer``: plain SGD, p -= lr * grad;
    - ``seed``: of LoRA's A initialisation (normal, std 1/sqrt(C_in); B starts at 0);
    - ``recompute``: recompute forward activations in the backward pass instead of
      keeping them, where that lowers the planned arena (:mod:`.recompute`)."""

    trainable: tuple[str, ...] = ()
    last: int | None = None
    lora: int | None = None
    lora_alpha: float | None = None
    loss: str = "ce"
    lr: float = 0.01
    optimizer: str = "sgd"
    seed: int = 0
    recompute: bool = False

    @classmethod
    def make(cls, file: str | None = None, **values) -> "TrainSpec":
        if "trainable" in values:
            values["trainable"] = tuple(values["trainable"] or ())
        if "recompute" in values:
            values["recompute"] = bool(values["recompute"])
        spec = cls(**values)
        spec.check(file)
        return spec

    def check(self, file: str | None = None) -> None:
        def bad(why: str) -> TinyDeployError:
            return TinyDeployError(f"train: {why}", file=file)

        if not self.trainable and self.last is None and self.lora is None:
            raise bad("choose what to train: --trainable PATTERN, --last N or --lora RANK")
        if self.trainable and self.last is not None:
            raise bad("--trainable and --last both select layers: give one")
        if self.last is not None and not 1 <= int(self.last) <= 10_000:
            raise bad(f"--last {self.last}: at least 1")
        if self.lora is not None and not 1 <= int(self.lora) <= 4096:
            raise bad(f"--lora {self.lora}: a rank of at least 1")
        if self.loss not in LOSSES:
            raise bad(f"unknown loss '{self.loss}' ({', '.join(LOSSES)})")
        if self.optimizer not in OPTIMIZERS:
            raise bad(f"unknown optimizer '{self.optimizer}' ({', '.join(OPTIMIZERS)})")
        for what, v in (("--lr", self.lr), ("--lora-alpha", self.lora_alpha)):
            if v is not None and not (math.isfinite(float(v)) and float(v) > 0):
                raise bad(f"{what} {v}: a finite number > 0")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["trainable"] = list(self.trainable)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainSpec":
        return cls.make(**d)
