"""The spot-check sampler (supervision.domain.sampler): reproducible, stratified, weighted."""

from __future__ import annotations

from collections import Counter

import pytest

from manyi.errors import InvalidInput
from manyi.supervision.domain import sampler as s


def bank(sizes: dict[int, int]) -> list[s.Candidate]:
    """Outlets numbered branch × 100 + i, nothing against them."""
    return [s.Candidate(b * 100 + i, b) for b, size in sizes.items() for i in range(size)]


def test_the_same_seed_and_inputs_draw_the_same_outlets_in_any_order() -> None:
    outlets = bank({1: 6, 2: 3, 3: 1})
    first = s.draw("Q1-2027", outlets, 4)
    again = s.draw("Q1-2027", list(reversed(outlets)), 4)
    assert first == again
    other = {s.draw(f"seed-{k}", outlets, 4).outlet_ids for k in range(20)}
    assert len(other) > 5  # another seed, another draw


def test_allocation_is_proportional_with_at_least_one_per_branch() -> None:
    drawn = s.draw("x", bank({1: 6, 2: 3, 3: 1}), 4)
    assert {st.branch_id: st.allocated for st in drawn.strata} == {1: 2, 2: 1, 3: 1}
    assert Counter(p.branch_id for p in drawn.picks) == {1: 2, 2: 1, 3: 1}
    # The floor of one per branch overshoots (quotas 2.94, 0.03, 0.03): the big one gives back.
    drawn = s.draw("x", bank({1: 100, 2: 1, 3: 1}), 3)
    assert {st.branch_id: st.allocated for st in drawn.strata} == {1: 1, 2: 1, 3: 1}


def test_fewer_draws_than_branches_give_one_each_to_drawn_branches() -> None:
    drawn = s.draw("few", bank({1: 5, 2: 5, 3: 5}), 2)
    assert sorted(st.allocated for st in drawn.strata) == [0, 1, 1]
    assert len(set(drawn.outlet_ids)) == 2


def test_more_than_the_outlets_draws_them_all() -> None:
    outlets = bank({1: 2, 2: 1})
    drawn = s.draw("all", outlets, 10)
    assert drawn.everything
    assert sorted(drawn.outlet_ids) == sorted(c.outlet_id for c in outlets)
    assert s.draw("all", [], 3).picks == ()


def test_a_branch_without_outlets_is_listed_and_gets_nothing() -> None:
    drawn = s.draw("empty", bank({1: 3}), 2, branches=[1, 7])
    assert {st.branch_id: (st.outlets, st.allocated) for st in drawn.strata} == {
        1: (3, 2),
        7: (0, 0),
    }


def test_complaints_and_low_satisfaction_weigh_an_outlet_up() -> None:
    assert s.DEFAULT_WEIGHTS.of(2, True) == 3.0
    assert s.DEFAULT_WEIGHTS.of(99, True) == 4.0  # complaints counted up to the cap
    quiet = [s.Candidate(i, 1) for i in range(1, 10)]
    loud = s.Candidate(10, 1, complaints_90d=4, low_satisfaction=True)
    times = sum(10 in s.draw(f"w{k}", [*quiet, loud], 1).outlet_ids for k in range(400))
    # Weight 4 against nine of weight 1: drawn first with probability 4/13 (about 123 in 400).
    assert 90 < times < 160


def test_zero_weights_are_drawn_last_and_still_reproducibly() -> None:
    none = s.Weights(base=0.0)
    outlets = [s.Candidate(1, 1), s.Candidate(2, 1), s.Candidate(3, 1, complaints_90d=1)]
    drawn = s.draw("z", outlets, 1, weights=none)
    assert drawn.outlet_ids == (3,)
    all_zero = [s.Candidate(1, 1), s.Candidate(2, 1)]
    assert s.draw("z", all_zero, 1, weights=none) == s.draw("z", all_zero[::-1], 1, weights=none)
    assert len(s.draw("z", all_zero, 1, weights=none).picks) == 1


def test_bad_seed_size_or_input_is_refused() -> None:
    for seed in ("", "a b", "x" * 41, "种子"):
        with pytest.raises(InvalidInput):
            s.draw(seed, bank({1: 1}), 1)
    for n in (0, -1, s.MAX_SAMPLE + 1):
        with pytest.raises(InvalidInput):
            s.draw("ok", bank({1: 1}), n)
    with pytest.raises(InvalidInput):
        s.draw("ok", [s.Candidate(1, 1), s.Candidate(1, 2)], 1)
