"""Maker-checker (四眼原则) and who changes bank-wide settings: pure rules."""

from __future__ import annotations

import pytest

from manyi.approvals.domain import (
    REASON_MAX,
    ChangeState,
    Decision,
    clean_reason,
    decide,
    parse_decision,
)
from manyi.errors import Conflict, Forbidden, InvalidInput
from manyi.org.model import UnitLevel, check_bank_wide_settings
from manyi.web.i18n import translator

MAKER, CHECKER = 7, 8
PENDING = ChangeState.PENDING


def test_a_different_person_approves_or_rejects() -> None:
    assert decide(PENDING, Decision.APPROVE, MAKER, CHECKER, "") is ChangeState.APPROVED
    assert decide(PENDING, Decision.REJECT, MAKER, CHECKER, "门槛过高") is ChangeState.REJECTED


@pytest.mark.parametrize("decision", [Decision.APPROVE, Decision.REJECT])
def test_the_maker_is_never_their_own_checker(decision: Decision) -> None:
    with pytest.raises(Forbidden) as refused:
        decide(PENDING, decision, MAKER, MAKER, "理由")
    assert refused.value.error_code == "maker_is_checker"


def test_someone_without_a_staff_id_approves_nothing() -> None:
    # The command line cannot be told apart from the maker: it is no second person.
    with pytest.raises(Forbidden):
        decide(PENDING, Decision.APPROVE, MAKER, None, "")
    with pytest.raises(Forbidden):
        decide(PENDING, Decision.APPROVE, None, None, "")


def test_only_the_maker_withdraws() -> None:
    assert decide(PENDING, Decision.WITHDRAW, MAKER, MAKER, "写错了") is ChangeState.WITHDRAWN
    with pytest.raises(Forbidden) as refused:
        decide(PENDING, Decision.WITHDRAW, MAKER, CHECKER, "写错了")
    assert refused.value.error_code == "not_the_maker"


@pytest.mark.parametrize("decision", [Decision.REJECT, Decision.WITHDRAW])
def test_refusing_and_withdrawing_say_why(decision: Decision) -> None:
    checker = MAKER if decision is Decision.WITHDRAW else CHECKER
    with pytest.raises(InvalidInput) as refused:
        decide(PENDING, decision, MAKER, checker, "   ")
    assert refused.value.field == "reason"


@pytest.mark.parametrize(
    "state", [ChangeState.APPROVED, ChangeState.REJECTED, ChangeState.WITHDRAWN]
)
def test_a_change_is_decided_once(state: ChangeState) -> None:
    with pytest.raises(Conflict) as refused:
        decide(state, Decision.APPROVE, MAKER, CHECKER, "")
    assert refused.value.message == f"this change was already {state.value}"
    assert translator("zh-CN")(refused.value.message).startswith("此修改已")


def test_decisions_and_reasons_as_typed() -> None:
    assert parse_decision(" approve ") is Decision.APPROVE
    with pytest.raises(InvalidInput):
        parse_decision("approve!")
    assert clean_reason("  门槛\n 过高 ") == "门槛 过高"
    with pytest.raises(InvalidInput):
        clean_reason("长" * (REASON_MAX + 1))


def test_bank_wide_settings_are_changed_at_head_office_only() -> None:
    check_bank_wide_settings(UnitLevel.HEAD_OFFICE)
    check_bank_wide_settings("head_office")  # as the signed-in principal carries it
    for level in (UnitLevel.TIER1_BRANCH, UnitLevel.TIER2_BRANCH, UnitLevel.OUTLET):
        with pytest.raises(Forbidden) as refused:
            check_bank_wide_settings(level)
        assert refused.value.error_code == "head_office_only"
