"""Arena placement by CP-SAT, for when the greedy planner ends above the lower bound.

The same problem as :mod:`tinydeploy.memory.planner` states (offsets for buffers with known
lifetimes; two buffers live at the same op share no byte unless they are a legal in-place
pair at exactly the pair's offset difference), written as a constraint model: one offset
variable per buffer (a multiple of its alignment), for every two buffers live together
"a below b", "b below a" or, for an in-place pair, "at the pair's difference"; minimise the
peak. The greedy plan is the solver's hint and its peak the upper bound, so the answer is
never worse; :func:`~tinydeploy.memory.planner.lower_bound` is a bound the model knows, so
the search stops as soon as it is met.

Deterministic: one worker, a fixed seed and a budget in the solver's deterministic time (not
wall-clock), so the same buffers give the same offsets on any machine. The budget keeps a
compile bounded: what the search has not improved by then stays greedy.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from tinydeploy.memory.planner import Buffer, Plan, check_plan, inplace_pairs, lower_bound

DETERMINISTIC_TIME = 2.0        # the solver's deterministic seconds (about 1-3 s wall)
MAX_BUFFERS = 300               # beyond that the greedy plan stands (model size)
SEED = 0


def improve(buffers: list[Buffer], greedy: Plan) -> Plan:
    """A plan with a peak no higher than ``greedy``'s (lower when the solver finds one)."""
    buffers = [b for b in buffers if b.size > 0]
    target = lower_bound(buffers)
    if greedy.peak <= target or len(buffers) > MAX_BUFFERS:
        return greedy
    pairs = inplace_pairs(buffers)
    m = cp_model.CpModel()
    hi = greedy.peak
    peak = m.NewIntVar(target, hi, "peak")
    off, slot = {}, {}
    for b in buffers:
        k = m.NewIntVar(0, (hi - b.size) // b.align, f"k_{len(slot)}")
        slot[b.name] = k
        off[b.name] = b.align * k
        m.Add(b.align * k + b.size <= peak)
        m.AddHint(k, greedy.offsets[b.name] // b.align)
    for i, x in enumerate(buffers):
        for y in buffers[i + 1:]:
            if not x.overlaps_in_time(y):
                continue
            below = m.NewBoolVar("")
            above = m.NewBoolVar("")
            m.Add(off[x.name] + x.size <= off[y.name]).OnlyEnforceIf(below)
            m.Add(off[y.name] + y.size <= off[x.name]).OnlyEnforceIf(above)
            choice = [below, above]
            delta = (-x.inplace_margin if pairs.get(x.name) == y.name else
                     y.inplace_margin if pairs.get(y.name) == x.name else None)
            if delta is not None:
                same = m.NewBoolVar("")
                m.Add(off[x.name] - off[y.name] == delta).OnlyEnforceIf(same)
                choice.append(same)
            m.AddBoolOr(choice)
    m.Minimize(peak)
    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    s.parameters.random_seed = SEED
    s.parameters.max_deterministic_time = DETERMINISTIC_TIME
    status = s.Solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or s.Value(peak) >= greedy.peak:
        return greedy
    offsets = dict(greedy.offsets)
    offsets.update({b.name: int(s.Value(slot[b.name])) * b.align for b in buffers})
    plan = Plan(offsets, max(int(s.Value(peak)), max(
        (offsets[b.name] + b.size for b in buffers), default=0)))
    check_plan(buffers, plan)
    return plan
