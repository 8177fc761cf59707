"""Home and hospital visits: the pure rules (eligibility, states, approvals, the team, dates)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.counter.domain.catalogue import Catalogue, check_away
from manyi.errors import Conflict, Forbidden, InvalidInput
from manyi.special.domain.eligibility import check_request, default_rules
from manyi.special.domain.requests import (
    ALLOWED,
    Action,
    Approvals,
    Member,
    State,
    approve,
    check_action,
    check_date,
    check_team,
    hours,
    parent_path,
    times,
)

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
OUTLET = "/1/2/3/4/"
RULES = default_rules()


def test_eligible_request_and_the_branch_threshold() -> None:
    small = check_request(RULES, "hospital", "withdraw_medical", "in_hospital", "20000")
    assert small.amount == Decimal("20000") and not small.needs_branch
    assert small.need.transaction == "withdraw"
    large = check_request(RULES, "home", "withdraw_medical", "bedridden", "50000.01")
    assert large.needs_branch
    at_threshold = check_request(RULES, "home", "withdraw_medical", "bedridden", "50000")
    assert not at_threshold.needs_branch
    identity = check_request(RULES, "care_home", "confirm_identity", "elderly_frail", "")
    assert identity.need.transaction is None and identity.amount is None


@pytest.mark.parametrize(
    ("place", "need", "reason", "amount", "field"),
    [
        ("office", "card_loss", "bedridden", "", "place_kind"),
        ("home", "open_account", "bedridden", "", "need"),
        ("home", "card_loss", "busy", "", "reason"),
        ("home", "withdraw_medical", "bedridden", "", "amount"),
        ("home", "withdraw_medical", "bedridden", "abc", "amount"),
        ("home", "withdraw_medical", "bedridden", "-5", "amount"),
        ("home", "withdraw_medical", "bedridden", "1.234", "amount"),
        ("home", "withdraw_medical", "bedridden", "NaN", "amount"),
        ("home", "card_loss", "bedridden", "100", "amount"),
    ],
)
def test_ineligible_requests_name_the_field(
    place: str, need: str, reason: str, amount: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_request(RULES, place, need, reason, amount)
    assert caught.value.field == field


def test_every_need_names_a_real_catalogue_type_allowed_away() -> None:
    catalogue = Catalogue.load()
    for need in RULES.needs.values():
        if need.transaction is not None:
            assert catalogue.get(need.transaction).away_from_counter, need.code


def test_the_catalogue_refuses_a_type_not_allowed_away_naming_it() -> None:
    catalogue = Catalogue.load()
    check_away([catalogue.get("withdraw"), catalogue.get("card_loss")])
    with pytest.raises(InvalidInput) as caught:
        check_away([catalogue.get("withdraw"), catalogue.get("open_account")])
    assert caught.value.error_code == "not_away"
    assert "open_account" in caught.value.text() and "开立个人银行账户" in caught.value.text()


@given(st.sampled_from(list(State)), st.sampled_from(list(Action)))
def test_actions_are_allowed_exactly_in_their_states(state: State, action: Action) -> None:
    if state in ALLOWED[action]:
        check_action(state, action)
    else:
        with pytest.raises(Conflict):
            check_action(state, action)


def test_final_states_allow_nothing() -> None:
    for state in (State.REFUSED, State.CLOSED, State.CANCELLED):
        assert all(state not in states for states in ALLOWED.values())


def test_outlet_approval_alone_completes_a_small_request() -> None:
    done = approve(Approvals(False), 2, 1, OUTLET, OUTLET)
    assert done.complete and done.outlet_by == 2


def test_above_threshold_needs_the_branch_too() -> None:
    outlet = approve(Approvals(True), 2, 1, OUTLET, OUTLET)
    assert not outlet.complete
    both = approve(outlet, 3, 1, "/1/2/", OUTLET)
    assert both.complete and both.branch_by == 3
    branch_first = approve(Approvals(True), 3, 1, "/1/2/3/", OUTLET)
    assert not branch_first.complete


def test_the_requester_never_approves() -> None:
    with pytest.raises(Forbidden):
        approve(Approvals(False), 1, 1, OUTLET, OUTLET)


def test_approvals_come_from_the_right_units_and_people() -> None:
    with pytest.raises(Forbidden):
        approve(Approvals(False), 2, 1, "/1/9/", OUTLET)  # another branch
    with pytest.raises(Conflict):
        approve(Approvals(False), 2, 1, "/1/2/", OUTLET)  # no branch approval needed
    with pytest.raises(Conflict):
        approve(Approvals(False, 2), 3, 1, OUTLET, OUTLET)  # the outlet approved already
    with pytest.raises(Forbidden):
        approve(Approvals(True, 2), 2, 1, "/1/2/", OUTLET)  # the same person twice


def test_two_staff_never_one() -> None:
    a = Member(5, True, OUTLET)
    b = Member(6, True, parent_path(OUTLET))
    assert check_team([a, b], OUTLET) == (5, 6)
    for team, message in [
        ([a], "never one"),
        ([a, a], "different"),
        ([a, Member(7, False, OUTLET)], "inactive"),
        ([a, Member(7, True, "/1/2/")], "outlet or its branch"),
        ([a, b, Member(7, True, OUTLET)], "exactly two"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            check_team(team, OUTLET)
        assert caught.value.field == "staff" and message in caught.value.text()


@given(st.integers(min_value=-10_000, max_value=100_000))
def test_a_visit_date_is_ahead_by_an_hour_and_within_sixty_days(minutes: int) -> None:
    when = NOW + dt.timedelta(minutes=minutes)
    if 60 <= minutes <= 60 * 24 * 60:
        assert check_date(when, NOW) == when
    else:
        with pytest.raises(InvalidInput) as caught:
            check_date(when, NOW)
        assert caught.value.field == "visit_at"


def test_times_from_request() -> None:
    span = times(NOW, NOW + dt.timedelta(hours=3), NOW + dt.timedelta(hours=50))
    assert hours(span.to_approval) == "3.0" and hours(span.to_visit) == "50.0"
    assert hours(times(NOW, None, None).to_visit) == "–"


def test_parent_path() -> None:
    assert parent_path("/1/4/9/") == "/1/4/"
    assert parent_path("/1/") == "/1/"
