"""What one compilation decided, handed from the compiler to code generation, checks and
reports: the graph after the passes, the integer kernel arguments per op, the static
memory plan, the options it was made with and (tiled targets) the tile plan."""

from __future__ import annotations

from dataclasses import dataclass, field

from tinydeploy.ir.graph import Graph
from tinydeploy.memory import MemoryPlan
from tinydeploy.options import CompileOptions
from tinydeploy.targets import Target
from tinydeploy.tiling.plan import TiledPlan


@dataclass
class Lowered:
    graph: Graph
    args: dict                       # op name -> KernelArgs (None: no kernel, e.g. reshape)
    memory: MemoryPlan
    options: CompileOptions = field(default_factory=CompileOptions)
    target: Target | None = None     # None: lowered without a target (tests, tools)
    tiled: TiledPlan | None = None   # tiled targets only
    decode: object | None = None     # a decode loop's plan (tinydeploy.decode.DecodePlan)
    seconds: float = 0.0             # wall time of the compilation
    # what the C code calls, op name -> args: the optimized kernels' args (quant/opt)
    # where --kernels opt has one, else ``args`` (None: the same as ``args``)
    kernel_args: dict | None = None

    @property
    def c_args(self) -> dict:
        return self.kernel_args if self.kernel_args is not None else self.args
