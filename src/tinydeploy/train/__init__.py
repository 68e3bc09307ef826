"""On-device training: a C training step from a plain float32 model
(``tinydeploy train``): what trains (:mod:`.select`, :mod:`.lora`), reverse mode on the
IR (:mod:`.autodiff`, rules in :mod:`.grads`); the step runs in C as
:mod:`tinydeploy.ir.training` describes."""

from tinydeploy.train.autodiff import training_step
from tinydeploy.train.spec import TrainSpec

__all__ = ["TrainSpec", "training_step"]
