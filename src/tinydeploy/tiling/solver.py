"""Choose each layer's tiling with OR-Tools CP-SAT, minimizing modeled cycles.

The model: one Boolean per candidate tile size per dimension (exactly one chosen), and
one for the loop order. Every per-dimension quantity (tile count, summed input span with
halos, largest input span, compute factor, first/last tile sizes) is a table over that
dimension's candidates, so it is a linear sum of the Booleans. The layer's byte counts,
footprint and cycles are products of those per-dimension terms
(``AddMultiplicationEquality``), selected by the loop order and "single tile" literals
with enforcement literals, exactly as :mod:`.schedule` and :mod:`.cost` define them - so
the CP-SAT optimum is the optimum of the cost model over the candidates (tests compare
it with brute-force enumeration).

Candidates per dimension (in units of whole channel groups for ``c``): every size when a
dimension has at most ``EXHAUSTIVE`` of them; otherwise the balanced sizes
``ceil(extent / n)`` for every tile count ``n`` (the smallest tile for each count), plus
multiples of the core count along the dimension split across cores and multiples of 4
output channels for conv (the shapes the kernels like).

Deterministic: one worker, fixed seed, a deterministic time limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from tinydeploy.errors import TinyDeployError
from tinydeploy.targets import Target
from tinydeploy.tiling.cost import CostModel, cost_model, par_dim
from tinydeploy.tiling.problem import DIMS, ORDERS, LayerGeometry, Tiling, align_up, \
    scratch_bytes
from tinydeploy.tiling.schedule import dim_tiles
from tinydeploy.tiling.solution import TileSolution, make_solution, untiled_solution

EXHAUSTIVE = 16
SEED = 1
DETERMINISTIC_TIME = 0.8     # CP-SAT deterministic time units (about seconds), per solve


def candidates(geom: LayerGeometry, dim: str, cores: int) -> list[int]:
    """Candidate tile sizes along ``dim``, ascending; always includes the full extent."""
    step = geom.c_step if dim == "c" else 1
    units = geom.extent(dim) // step
    if units <= EXHAUSTIVE:
        us = set(range(1, units + 1))
    else:
        us = {-(-units // n) for n in range(1, units + 1)}
        if dim == par_dim(geom, cores):
            us |= set(range(cores, units + 1, cores))
        if dim == "c" and geom.kernel_class in ("conv", "pointwise"):
            us |= set(range(4, units + 1, 4))
    return sorted(u * step for u in us)


@dataclass(frozen=True)
class _Table:
    """Per-candidate values along one dimension (lists indexed like ``sizes``)."""

    sizes: list[int]
    n: list[int]
    last: list[int]
    in_sum: list[int]
    in_first: list[int]
    in_max: list[int]
    f_sum: list[int]
    full: int            # index of the full-extent size


def _table(geom: LayerGeometry, dim: str, sizes: list[int], m: CostModel) -> _Table:
    f = {"h": m.f_h, "w": lambda s: s, "c": m.f_c}[dim]
    cols: dict[str, list[int]] = {k: [] for k in ("n", "last", "in_sum", "in_first",
                                                  "in_max", "f_sum")}
    for t in sizes:
        tiles = dim_tiles(geom, dim, t)
        spans = [d.i1 - d.i0 for d in tiles]
        cols["n"].append(len(tiles))
        cols["last"].append(tiles[-1].o1 - tiles[-1].o0)
        cols["in_sum"].append(sum(spans))
        cols["in_first"].append(spans[0])
        cols["in_max"].append(max(spans))
        cols["f_sum"].append(sum(f(d.o1 - d.o0) for d in tiles))
    return _Table(sizes, full=sizes.index(geom.extent(dim)), **cols)


class _Cp:
    """A CpModel with bound tracking for non-negative product variables."""

    def __init__(self):
        self.m = cp_model.CpModel()
        self.hi: dict[int, int] = {}

    def new(self, lo: int, hi: int, name: str) -> cp_model.IntVar:
        v = self.m.NewIntVar(lo, hi, name)
        self.hi[v.Index()] = hi
        return v

    def table(self, xs, vals: list[int], name: str) -> cp_model.IntVar:
        v = self.new(min(vals), max(vals), name)
        self.m.Add(v == sum(int(c) * x for c, x in zip(vals, xs)))
        return v

    def mul(self, a, b, name: str) -> cp_model.IntVar:
        v = self.new(0, self.hi[a.Index()] * self.hi[b.Index()], name)
        self.m.AddMultiplicationEquality(v, [a, b])
        return v

    def both(self, a, b, name: str) -> cp_model.IntVar:
        v = self.m.NewBoolVar(name)
        self.m.AddBoolAnd([a, b]).OnlyEnforceIf(v)
        self.m.AddBoolOr([a.Not(), b.Not()]).OnlyEnforceIf(v.Not())
        return v

    def pick(self, cases: list[tuple[list, object]], hi: int, name: str) -> cp_model.IntVar:
        """A variable equal to ``expr`` under each (literals, expr) case (cases cover all)."""
        v = self.new(0, hi, name)
        for lits, expr in cases:
            self.m.Add(v == expr).OnlyEnforceIf(lits)
        return v

    def aligned(self, v, name: str) -> cp_model.IntVar:
        q = self.new(0, self.hi[v.Index()] // 4 + 1, name)
        self.m.AddDivisionEquality(q, v + 3, 4)
        return q     # slot bytes = 4 * q


@dataclass
class _Vars:
    """The decision literals and the per-dimension terms shared by every expression."""

    cp: _Cp
    tab: dict[str, _Table]
    x: dict[str, list]           # one Boolean per candidate size, per dimension
    chw: object                  # loop order literal (true: channels outermost)
    s1: object                   # a single tile along h and w
    c1: object                   # a single tile along c
    all1: object                 # a single tile in all
    memo: dict = field(default_factory=dict)

    def col(self, d: str, key: str):
        """The variable equal to ``tab[d].<key>`` of the chosen candidate."""
        if (d, key) not in self.memo:
            self.memo[d, key] = self.cp.table(self.x[d], getattr(self.tab[d], key),
                                              f"{d}_{key}")
        return self.memo[d, key]

    def counts(self):
        """Tile counts: (along h x w, along c, total)."""
        if "counts" not in self.memo:
            nc = self.col("c", "n")
            nhw = self.cp.mul(self.col("h", "n"), self.col("w", "n"), "nhw")
            self.memo["counts"] = nhw, nc, self.cp.mul(nhw, nc, "n")
        return self.memo["counts"]


def _dma(v: _Vars, geom: LayerGeometry, m: CostModel):
    """Q x DMA cycles of the whole layer (:func:`schedule.count_dma` in closed form)."""
    cp, hwc, chw, s1, c1 = v.cp, v.chw.Not(), v.chw, v.s1, v.c1
    nhw, nc, n = v.counts()
    inhw = cp.mul(v.col("h", "in_sum"), v.col("w", "in_sum"), "in_hw")
    if geom.input_depends_on_c:
        in_b, in_r = cp.mul(inhw, v.col("c", "in_sum"), "in_bytes"), n
    else:
        nc_inhw = cp.mul(nc, inhw, "nc_in_hw")
        big = cp.hi[nc_inhw.Index()] * geom.in_c
        in_b = cp.pick([([hwc], geom.in_c * inhw), ([chw, s1], geom.in_c * inhw),
                        ([chw, s1.Not()], geom.in_c * nc_inhw)], big, "in_bytes")
        in_r = cp.pick([([hwc], nhw), ([chw, s1], 1), ([chw, s1.Not()], n)],
                       cp.hi[n.Index()], "in_loads")
    w_all = geom.out_c * geom.weight_bytes_per_oc
    w_b = w_r = 0
    if w_all:
        w_b = cp.pick([([hwc, c1], w_all), ([hwc, c1.Not()], w_all * nhw), ([chw], w_all)],
                      w_all * cp.hi[nhw.Index()], "w_bytes")
        w_r = cp.pick([([hwc, c1], 1), ([hwc, c1.Not()], n), ([chw], nc)],
                      cp.hi[n.Index()], "w_loads")
    out_b = geom.out_h * geom.out_w * geom.out_c
    p_b, p_r = geom.out_c * sum(geom.param_bytes), len(geom.param_bytes)
    k = geom.n_inputs
    return m.setup_q * (k * in_r + w_r + n + p_r) + m.byte_q * (k * in_b + w_b + out_b + p_b)


def _exposed(v: _Vars, geom: LayerGeometry, m: CostModel):
    """Q x cycles of the first tile's loads (with the parameter arrays) and last store."""
    cp = v.cp
    in_first = cp.mul(cp.mul(v.col("h", "in_first"), v.col("w", "in_first"), "inf_hw"),
                      v.col("c", "in_first"), "in_first")
    wpoc = geom.weight_bytes_per_oc
    w_first = sum(int(t * wpoc) * xv for t, xv in zip(v.tab["c"].sizes, v.x["c"]))
    out_last = cp.mul(cp.mul(v.col("h", "last"), v.col("w", "last"), "last_hw"),
                      v.col("c", "last"), "out_last")
    p_b, p_r = geom.out_c * sum(geom.param_bytes), len(geom.param_bytes)
    k = geom.n_inputs
    transfers = k + (1 if wpoc else 0) + p_r + 1
    return m.setup_q * transfers + m.byte_q * (k * in_first + w_first + p_b + out_last)


def _compute(v: _Vars, geom: LayerGeometry, m: CostModel):
    """Q x compute cycles summed over tiles (:meth:`CostModel.tile_compute_q` + overhead)."""
    _, _, n = v.counts()
    fhc = v.cp.mul(v.col("h", "f_sum"), v.col("c", "f_sum"), "f_hc")
    return m.cpo_q * geom.out_w * fhc + m.overhead_q * n


def _build(geom: LayerGeometry, target: Target, l1_limit: int | None, minimize_fp: bool):
    m = cost_model(geom, target)
    cp = _Cp()
    tab = {d: _table(geom, d, candidates(geom, d, target.cores), m) for d in DIMS}
    x = {d: [cp.m.NewBoolVar(f"{d}{t}") for t in tab[d].sizes] for d in DIMS}
    for d in DIMS:
        cp.m.AddExactlyOne(x[d])
    s1 = cp.both(x["h"][tab["h"].full], x["w"][tab["w"].full], "single_hw")
    c1 = x["c"][tab["c"].full]
    v = _Vars(cp, tab, x, cp.m.NewBoolVar("chw"), s1, c1, cp.both(s1, c1, "single"))
    fp = _footprint(v, geom, target)
    if l1_limit is not None:
        cp.m.Add(fp <= l1_limit)
    if minimize_fp:
        cp.m.Minimize(fp)
    else:
        exposed = _exposed(v, geom, m)
        hidden = cp.new(0, 10**18, "hidden")
        cp.m.Add(hidden == _dma(v, geom, m) - exposed)
        comp = cp.new(0, 10**18, "compute")
        cp.m.Add(comp == _compute(v, geom, m))
        worst = cp.new(0, 10**18, "overlapped")
        cp.m.AddMaxEquality(worst, [comp, hidden])
        cp.m.Minimize(exposed + worst)
    return cp, tab, x, v.chw, fp


def _footprint(v: _Vars, geom: LayerGeometry, target: Target):
    """L1 bytes of :func:`schedule.l1_buffers` as a CP-SAT expression."""
    cp, tab, x = v.cp, v.tab, v.x
    in_max = cp.mul(cp.mul(v.col("h", "in_max"), v.col("w", "in_max"), "inm_hw"),
                    v.col("c", "in_max"), "in_max")
    in_q = cp.aligned(in_max, "in_slot")
    single_in = v.all1 if geom.input_depends_on_c else v.s1
    in_fp = cp.pick([([single_in], 4 * in_q), ([single_in.Not()], 8 * in_q)],
                    8 * cp.hi[in_q.Index()], "in_fp")
    wpoc = geom.weight_bytes_per_oc
    w_fp = sum((1 if nn == 1 else 2) * align_up(t * wpoc) * xv
               for t, nn, xv in zip(tab["c"].sizes, tab["c"].n, x["c"])) if wpoc else 0
    out_max = cp.mul(cp.mul(cp.table(x["h"], tab["h"].sizes, "th"),
                            cp.table(x["w"], tab["w"].sizes, "tw"), "t_hw"),
                     cp.table(x["c"], tab["c"].sizes, "tc"), "out_max")
    out_q = cp.aligned(out_max, "out_slot")
    out_fp = cp.pick([([v.all1], 4 * out_q), ([v.all1.Not()], 8 * out_q)],
                     8 * cp.hi[out_q.Index()], "out_fp")
    params = align_up(geom.out_c * sum(geom.param_bytes)) if geom.param_bytes else 0
    k = target.kernels
    scratch = sum(align_up(scratch_bytes(geom, r, target.cores, k.im2col)) * xv
                  for r, xv in zip(tab["h"].in_max, x["h"]))
    return geom.n_inputs * in_fp + w_fp + params + out_fp + scratch


def _solve(cp: _Cp) -> tuple[cp_model.CpSolver, int]:
    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    s.parameters.random_seed = SEED
    s.parameters.max_deterministic_time = DETERMINISTIC_TIME
    s.parameters.cp_model_presolve = False    # the model is small; presolve doubled the time
    return s, s.Solve(cp.m)


def _chosen(s: cp_model.CpSolver, tab, x, chw) -> Tiling:
    pick = {d: tab[d].sizes[next(i for i, v in enumerate(x[d]) if s.Value(v))] for d in DIMS}
    return Tiling(pick["h"], pick["w"], pick["c"], ORDERS[1] if s.Value(chw) else ORDERS[0])


def min_footprint(geom: LayerGeometry, target: Target) -> tuple[int, Tiling]:
    """The smallest L1 footprint over all candidate tilings, and a tiling that has it."""
    cp, tab, x, chw, _ = _build(geom, target, None, minimize_fp=True)
    s, status = _solve(cp)
    assert status == cp_model.OPTIMAL, s.StatusName(status)
    return int(s.ObjectiveValue()), _chosen(s, tab, x, chw)


def solve_layer(geom: LayerGeometry, target: Target, l3_weight_bytes: int = 0
                ) -> TileSolution:
    """The CP-SAT-optimal tiling of one layer on ``target`` (untiled on flat targets).

    Raises TinyDeployError when even the smallest tile does not fit L1.
    """
    if target.flat:
        return untiled_solution(geom, target)
    l1 = target.memory[0].size
    cp, tab, x, chw, _ = _build(geom, target, l1, minimize_fp=False)
    s, status = _solve(cp)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        tiling = _chosen(s, tab, x, chw)
        return make_solution(geom, tiling, target,
                             "optimal" if status == cp_model.OPTIMAL else "feasible",
                             l3_weight_bytes)
    need, _ = min_footprint(geom, target)
    if need <= l1:
        raise TinyDeployError(f"layer '{geom.name}': the tiling solver found no solution "
                              f"within its time limit ({s.StatusName(status)})")
    raise TinyDeployError(f"layer '{geom.name}': no tiling fits L1 of {l1} bytes; "
                          f"the smallest tile needs {need} bytes")


def objective_value(geom: LayerGeometry, target: Target) -> int:
    """The CP-SAT objective (Q units) of the optimum, for tests against brute force."""
    cp, _, _, _, _ = _build(geom, target, target.memory[0].size, minimize_fp=False)
    s, status = _solve(cp)
    assert status == cp_model.OPTIMAL, s.StatusName(status)
    return int(s.ObjectiveValue())
