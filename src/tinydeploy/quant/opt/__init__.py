"""Arguments of the optimized kernels (``runtime/kernels/opt/``), made at compile time.

With ``--kernels opt`` each op that has an optimized kernel gets, instead of its
reference args, an args struct of that kernel: the same geometry, plus everything the
inner loops need in its final form - weights packed in the order the loops read them,
per-channel constants with the bias and the input offset folded in and the
requantization reduced to its cheapest exact form, the path and the block sizes chosen,
the scratch the call needs (placed by the memory planner with the layer's lifetime; per
core) and how far below its dying input its output may start (``inplace_margin``, from
its own order of reads and writes: quant/opt/_inplace.py). The C
kernels only read them: nothing is packed, folded or decided per call.

The golden stays the op's own (``quant/golden``): an optimized kernel must give the
reference kernel's bytes. Each module here registers a maker for one reference args
type: ``make(ref_args, consts, cores, lean) -> OptArgs | None`` (None: keep the reference
kernel for this layer, e.g. a shape the fast kernel does not cover). ``lean``: the layer
sits at the arena's peak, so take the variant with the least scratch even if slower
(the compiler asks for it after a first memory plan; :func:`tinydeploy.compiler.lower`).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np

from tinydeploy.ir.graph import Graph
from tinydeploy.quant.args import KernelArgs

# reference args type -> maker(ref_args, consts, cores) -> OptArgs | None
MAKERS: dict[type, Callable] = {}


@dataclass(frozen=True, eq=False)
class OptArgs(KernelArgs):
    """An optimized kernel's args: takes only its activation inputs (constants are in
    the struct), and ``(void *scratch, const td_team_t *team)`` after its output."""

    C_INPUTS: ClassVar[tuple[int, ...] | None] = (0,)
    C_SCRATCH: ClassVar[bool] = True

    @classmethod
    def c_header(cls) -> str:
        return cls.C_HEADER or f"kernels/opt/{cls.C_FUNC}.h"

    def c_members(self) -> list[tuple[str, str, object]]:
        return [m for m in super().c_members() if m[0] not in self._python_only()]

    @classmethod
    def _python_only(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls) if f.metadata.get("python_only")}

    def c_config(self) -> dict[str, tuple[int, ...]]:
        """Specialized instances this layer calls (codegen/opt_config.py): macro -> values."""
        return {}


def python_field(default):
    """A field Python keeps for itself (e.g. the team size): not a C struct member."""
    return dataclasses.field(default=default, metadata={"python_only": True})


def register(ref_type: type, maker: Callable) -> None:
    assert ref_type not in MAKERS, f"opt maker for {ref_type.__name__} registered twice"
    MAKERS[ref_type] = maker


def opt_args(g: Graph, args: dict, cores: int = 1, lean: frozenset = frozenset()) -> dict:
    """``args`` with every op that has an optimized kernel given its optimized args (the
    least-scratch variant for the ops named in ``lean``)."""
    out = dict(args)
    for op in g.ops:
        a = args.get(op.name)
        maker = MAKERS.get(type(a))
        if maker is None:
            continue
        consts = [None if not n or not g.t(n).is_const else np.asarray(g.t(n).data)
                  for n in op.inputs]
        new = maker(a, consts, cores, op.name in lean)
        if new is not None:
            out[op.name] = new
    return out


def _load_all() -> None:
    for m in pkgutil.iter_modules(__path__):
        if not m.name.startswith("_"):
            importlib.import_module(f"{__name__}.{m.name}")


_load_all()

__all__ = ["OptArgs", "MAKERS", "opt_args", "register"]
