"""Static memory planner: legality on random buffer sets, hand cases, MLPerf Tiny arenas."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinydeploy.memory.planner import Buffer, Plan, lower_bound, plan_greedy, plan_naive


def assert_legal(buffers: list[Buffer], plan: Plan) -> None:
    """Independent checker: aligned, inside the peak, live-together buffers disjoint.

    The one allowed overlap: ``b.inplace_of == c.name``, ``c`` dies at ``b``'s first op,
    and both start at the same offset.
    """
    off = plan.offsets
    assert set(off) == {b.name for b in buffers}
    for b in buffers:
        assert off[b.name] % b.align == 0, (b, off[b.name])
        assert 0 <= off[b.name] and off[b.name] + b.size <= plan.peak
    for i, b in enumerate(buffers):
        for c in buffers[i + 1:]:
            live_together = b.first <= c.last and c.first <= b.last
            touching = off[b.name] < off[c.name] + c.size and off[c.name] < off[b.name] + b.size
            if not (live_together and touching and b.size and c.size):
                continue
            inplace = (b.inplace_of == c.name and c.last == b.first) or \
                      (c.inplace_of == b.name and b.last == c.first)
            assert inplace and off[b.name] == off[c.name], f"{b} and {c} overlap"


def live_sum_max(buffers: list[Buffer]) -> int:
    return max((sum(b.size for b in buffers if b.first <= t <= b.last)
                for t in range(max((b.last for b in buffers), default=-1) + 1)), default=0)


@st.composite
def buffer_sets(draw, max_n: int = 12, hints: bool = True) -> list[Buffer]:
    n = draw(st.integers(0, max_n))
    out = []
    for i in range(n):
        first = draw(st.integers(0, 10))
        last = first + draw(st.integers(0, 5))
        size = draw(st.integers(0, 300))
        align = draw(st.sampled_from([1, 2, 4, 8, 16]))
        hint = None
        if hints and i and draw(st.booleans()):
            hint = f"b{draw(st.integers(0, i - 1))}"
        out.append(Buffer(f"b{i}", size, first, last, align, hint))
    return out


@settings(max_examples=50, deadline=None)
@given(buffer_sets())
def test_random_buffers_greedy_plan_is_legal_and_between_bounds(buffers):
    plan = plan_greedy(buffers)
    assert_legal(buffers, plan)
    assert lower_bound(buffers) <= plan.peak <= plan_naive(buffers).peak


@settings(max_examples=30, deadline=None)
@given(buffer_sets(), st.randoms(use_true_random=False))
def test_random_buffers_greedy_plan_is_deterministic_in_any_input_order(buffers, rnd):
    shuffled = list(buffers)
    rnd.shuffle(shuffled)
    assert plan_greedy(buffers) == plan_greedy(buffers) == plan_greedy(shuffled)


@settings(max_examples=30, deadline=None)
@given(buffer_sets())
def test_random_buffers_naive_plan_is_legal_and_sums_sizes(buffers):
    plan = plan_naive(buffers)
    assert_legal(buffers, plan)
    assert plan.peak >= sum(b.size for b in buffers)


@settings(max_examples=30, deadline=None)
@given(buffer_sets(hints=False))
def test_random_buffers_without_hints_lower_bound_is_max_live_sum(buffers):
    assert lower_bound(buffers) == live_sum_max(buffers)


def test_chain_of_three_reuses_the_first_buffer_for_the_third():
    bufs = [Buffer("a", 100, 0, 1), Buffer("b", 100, 1, 2), Buffer("c", 100, 2, 3)]
    plan = plan_greedy(bufs)
    assert plan.peak == 200
    assert plan.offsets["a"] == plan.offsets["c"]


def test_legal_inplace_hint_shares_the_offset_of_the_dying_input():
    bufs = [Buffer("x", 64, 0, 1), Buffer("y", 64, 1, 2, inplace_of="x")]
    plan = plan_greedy(bufs)
    assert plan.offsets["x"] == plan.offsets["y"]
    assert plan.peak == 64 == lower_bound(bufs)


def test_inplace_hint_on_input_still_live_later_is_ignored():
    bufs = [Buffer("x", 64, 0, 2), Buffer("y", 64, 1, 3, inplace_of="x")]
    plan = plan_greedy(bufs)
    assert_legal(bufs, plan)
    assert plan.peak == 128 == lower_bound(bufs)


def test_two_hints_on_one_input_only_one_is_honoured():
    bufs = [Buffer("x", 64, 0, 1), Buffer("y", 64, 1, 2, inplace_of="x"),
            Buffer("z", 64, 1, 2, inplace_of="x")]
    plan = plan_greedy(bufs)
    assert_legal(bufs, plan)
    assert plan.peak == 128 == lower_bound(bufs)


def test_lower_bound_counts_an_inplace_pair_once_at_its_meeting_op():
    bufs = [Buffer("x", 100, 0, 1), Buffer("w", 30, 0, 2), Buffer("y", 60, 1, 2, inplace_of="x")]
    # op 1: x + w + y = 190, but y may sit inside x: 100 + 30
    assert lower_bound(bufs) == 130
    assert plan_greedy(bufs).peak == 130


def test_alignment_pads_offsets_but_not_the_lower_bound():
    bufs = [Buffer("a", 3, 0, 0, align=1), Buffer("b", 8, 0, 0, align=8)]
    plan = plan_greedy(bufs)
    assert_legal(bufs, plan)
    assert lower_bound(bufs) == 11 and plan.peak == 11       # b at 0, a at 8
    assert plan_naive(bufs).peak == 16                       # a at 0, b at 8


def test_empty_buffer_list_gives_empty_plan():
    assert plan_greedy([]) == Plan({}, 0)
    assert plan_naive([]).peak == 0 and lower_bound([]) == 0


def test_many_random_chains_reach_the_lower_bound():
    rng = random.Random(0)
    for _ in range(20):
        sizes = [rng.randrange(1, 1000) * 4 for _ in range(15)]
        bufs = [Buffer(f"t{i}", s, i, i + 1) for i, s in enumerate(sizes)]
        assert plan_greedy(bufs).peak == lower_bound(bufs)


def test_duplicate_buffer_names_are_an_error():
    with pytest.raises(AssertionError, match="unique"):
        plan_greedy([Buffer("a", 1, 0, 0), Buffer("a", 2, 0, 0)])


# TFLite Micro's own activation plan ("head") for the same models, from
# ../shared/models/README.md (measured by binary search on the TFLM arena size).
TFLM_HEAD_BYTES = {"kws_dscnn_int8": 16_000, "vww_mobilenet_int8": 73_728,
                   "ic_resnet8_int8": 49_152, "ad_autoencoder_int8": 768}


def test_mlperf_model_arena_within_5_percent_of_lower_bound(mlperf_model):
    from tests.memory.arena_sim import replay
    from tinydeploy.frontend.tflite import load_tflite
    from tinydeploy.memory import plan_graph

    g = load_tflite(mlperf_model)
    name = mlperf_model.stem
    whole = plan_graph(g, sliding=False)      # whole tensors only, as TFLM plans them
    plan = plan_graph(g)                      # + convs/pools writing over their dying input
    print(f"{name}: arena {plan.arena_bytes} B (whole tensors {whole.arena_bytes} B), "
          f"lower bound {whole.lower_bound} B whole-tensor / {plan.lower_bound} B sliding, "
          f"naive {plan.naive_bytes} B, TFLM head {TFLM_HEAD_BYTES[name]} B")
    replay(g, whole)
    assert whole.arena_bytes <= 1.05 * whole.lower_bound
    assert whole.lower_bound == plan.whole_tensor_bound
    assert plan.arena_bytes <= 1.05 * plan.whole_tensor_bound
    assert plan.lower_bound <= plan.arena_bytes <= whole.arena_bytes
    assert plan.arena_bytes <= TFLM_HEAD_BYTES[name]
    assert max(plan.live_bytes) <= plan.arena_bytes < plan.naive_bytes
