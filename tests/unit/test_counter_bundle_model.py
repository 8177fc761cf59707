"""The bundle's states: every allowed transition, every forbidden one, and the run guards."""

from __future__ import annotations

import pytest

from manyi.counter.domain.authorisation_rules import Level
from manyi.counter.domain.bundle_states import (
    FINAL,
    Action,
    BundleState,
    after_run,
    allowed_actions,
    check_request,
    check_run,
    next_state,
)
from manyi.counter.domain.execution import RunStatus
from manyi.errors import Conflict

S, A = BundleState, Action

ALLOWED: dict[tuple[BundleState, Action], BundleState] = {
    (S.DRAFT, A.CORRECT): S.DRAFT,
    (S.DRAFT, A.CONFIRM): S.CONFIRMED,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.CONFIRMED, A.CORRECT): S.DRAFT,
    (S.CONFIRMED, A.CHECK_IDENTITY): S.IDENTITY_CHECKED,
    (S.CONFIRMED, A.REQUEST_AUTHORISATION): S.AWAITING_AUTHORISATION,
    (S.CONFIRMED, A.RUN): S.CONFIRMED,
    (S.CONFIRMED, A.CANCEL): S.CANCELLED,
    (S.IDENTITY_CHECKED, A.CORRECT): S.DRAFT,
    (S.IDENTITY_CHECKED, A.CHECK_IDENTITY): S.IDENTITY_CHECKED,
    (S.IDENTITY_CHECKED, A.REQUEST_AUTHORISATION): S.AWAITING_AUTHORISATION,
    (S.IDENTITY_CHECKED, A.RUN): S.IDENTITY_CHECKED,
    (S.IDENTITY_CHECKED, A.CANCEL): S.CANCELLED,
    (S.AWAITING_AUTHORISATION, A.APPROVE): S.AUTHORISED,
    (S.AWAITING_AUTHORISATION, A.REJECT): S.REJECTED,
    (S.AWAITING_AUTHORISATION, A.CANCEL): S.CANCELLED,
    (S.AUTHORISED, A.RUN): S.AUTHORISED,
    (S.INTERRUPTED, A.RETRY): S.INTERRUPTED,
    (S.PIN_RETRY, A.RETRY): S.PIN_RETRY,  # a wrong PIN: the customer types it again
    (S.DONE, A.SIGN): S.SIGNED,
    (S.PARTIAL, A.SIGN): S.SIGNED,
    (S.FAILED, A.SIGN): S.SIGNED,
    (S.SIGNED, A.ARCHIVE): S.ARCHIVED,
}


@pytest.mark.parametrize(("start", "action"), list(ALLOWED))
def test_allowed_transitions(start: BundleState, action: Action) -> None:
    # RUN and RETRY stay put here: their outcome decides the next state (after_run).
    assert next_state(start, action) is ALLOWED[start, action]
    assert action in allowed_actions(start)


FORBIDDEN = [(s, a) for s in BundleState for a in Action if (s, a) not in ALLOWED]


@pytest.mark.parametrize(("start", "action"), FORBIDDEN)
def test_forbidden_transitions(start: BundleState, action: Action) -> None:
    with pytest.raises(Conflict) as refused:
        next_state(start.value, action)
    assert refused.value.error_code == "bundle_state"
    assert refused.value.params == {"state": start.value, "action": action.value}
    assert action not in allowed_actions(start)


def test_final_states_allow_nothing() -> None:
    assert {S.REJECTED, S.CANCELLED, S.ARCHIVED} == FINAL
    for state in FINAL:
        assert allowed_actions(state) == frozenset()


def test_nothing_is_corrected_once_authorisation_is_asked() -> None:
    for state in (S.AWAITING_AUTHORISATION, S.AUTHORISED, S.DONE, S.INTERRUPTED):
        with pytest.raises(Conflict):
            next_state(state, A.CORRECT)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (RunStatus.COMPLETED, S.DONE),
        (RunStatus.PARTIAL, S.PARTIAL),
        (RunStatus.FAILED, S.FAILED),
        (RunStatus.NEEDS_RETRY, S.INTERRUPTED),
        (RunStatus.PIN_WRONG, S.PIN_RETRY),
    ],
)
def test_a_runs_outcome_decides_the_state(status: RunStatus, state: BundleState) -> None:
    assert after_run(status) is state


def test_a_run_needs_the_card_read_when_an_item_asks_for_it() -> None:
    with pytest.raises(Conflict) as refused:
        check_run(S.CONFIRMED, identity_required=True, identity_checked=False, level=Level.NONE)
    assert refused.value.error_code == "identity_required"
    check_run(S.CONFIRMED, identity_required=False, identity_checked=False, level=Level.NONE)
    check_run(S.IDENTITY_CHECKED, identity_required=True, identity_checked=True, level=Level.NONE)


@pytest.mark.parametrize("level", [Level.SUPERVISOR, Level.REMOTE])
def test_a_run_needs_the_authorisation_the_bundle_needs(level: Level) -> None:
    for state in (S.CONFIRMED, S.IDENTITY_CHECKED):
        with pytest.raises(Conflict) as refused:
            check_run(state, identity_required=False, identity_checked=True, level=level)
        assert refused.value.error_code == "authorisation_required"
    check_run(S.AUTHORISED, identity_required=True, identity_checked=True, level=level)
    with pytest.raises(Conflict):  # the state is checked first
        check_run(
            S.AWAITING_AUTHORISATION, identity_required=False, identity_checked=True, level=level
        )


def test_typing_the_pin_again_needs_no_new_authorisation() -> None:
    # The bundle is no longer "authorised", yet its retry goes through: the approval holds.
    check_run(
        S.PIN_RETRY,
        identity_required=True,
        identity_checked=True,
        level=Level.SUPERVISOR,
        retry=True,
    )


def test_an_authorised_bundle_still_needs_its_card_read() -> None:
    with pytest.raises(Conflict):
        check_run(
            S.AUTHORISED, identity_required=True, identity_checked=False, level=Level.SUPERVISOR
        )


def test_a_retry_only_resumes_an_interrupted_bundle() -> None:
    check_run(
        S.INTERRUPTED,
        identity_required=True,
        identity_checked=False,
        level=Level.REMOTE,
        retry=True,
    )
    for state in (S.CONFIRMED, S.DONE, S.AUTHORISED):
        with pytest.raises(Conflict):
            check_run(
                state, identity_required=False, identity_checked=True, level=Level.NONE, retry=True
            )
    with pytest.raises(Conflict):
        check_run(S.INTERRUPTED, identity_required=False, identity_checked=True, level=Level.NONE)


def test_an_authorisation_request_needs_the_card_read_first() -> None:
    with pytest.raises(Conflict) as refused:
        check_request(S.CONFIRMED, identity_required=True, identity_checked=False)
    assert refused.value.error_code == "identity_required"
    check_request(S.CONFIRMED, identity_required=False, identity_checked=False)
    check_request(S.IDENTITY_CHECKED, identity_required=True, identity_checked=True)
    with pytest.raises(Conflict):
        check_request(S.DRAFT, identity_required=False, identity_checked=False)
