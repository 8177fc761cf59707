"""The misconduct rules: severities, steps, deadlines on the working-day calendar, sanctions,
accountability one level up, and the bulletin's masked names."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.complaints.domain.workcal import ChinaCalendar
from manyi.errors import Conflict, InvalidInput
from manyi.supervision.domain import bulletins
from manyi.supervision.domain import misconduct as m
from manyi.supervision.domain.misconduct import CaseState, DeadlineStatus, Step

CAL = ChinaCalendar()


def test_severities_come_from_the_list_and_the_severe_ones_are_marked() -> None:
    assert m.severity_of("malignant").severe and m.severity_of("serious").severe
    assert not m.severity_of("general").severe and not m.severity_of("minor").severe
    with pytest.raises(InvalidInput, match="unknown severity"):
        m.severity_of("catastrophic")


def test_a_case_moves_forward_one_step_at_a_time() -> None:
    state = CaseState.REPORTED
    for step, expected in [
        (Step.INVESTIGATE, CaseState.INVESTIGATING),
        (Step.RECORD_FINDINGS, CaseState.FINDINGS),
        (Step.DECIDE_SANCTIONS, CaseState.SANCTIONED),
        (Step.FINALISE, CaseState.FINALISED),
    ]:
        assert m.next_step(state) is step
        state = m.after(state, step)
        assert state is expected
    assert m.next_step(state) is None
    with pytest.raises(Conflict):
        m.after(CaseState.REPORTED, Step.FINALISE)
    with pytest.raises(Conflict):  # sanctions decided: too late to dismiss
        m.after(CaseState.SANCTIONED, Step.DISMISS)
    assert m.after(CaseState.FINDINGS, Step.DISMISS) is CaseState.DISMISSED


def test_the_investigation_deadline_skips_the_national_day_holiday() -> None:
    # Reported on Monday 28 September 2026; 1–7 October are the holiday, and Sunday
    # 27 September and Saturday 10 October are make-up working days (调休).
    due = m.investigation_due(dt.date(2026, 9, 28), m.severity_of("malignant"), CAL)
    # 29, 30 September, then 8, 9, 10 (Saturday, worked) October.
    assert due == dt.date(2026, 10, 10)


def test_deadline_status_is_computed_from_today() -> None:
    due = dt.date(2026, 12, 10)  # a Thursday
    status = m.deadline_status
    assert status("investigating", due, dt.date(2026, 12, 1), CAL) is DeadlineStatus.ON_TIME
    assert status("investigating", due, dt.date(2026, 12, 8), CAL) is DeadlineStatus.AT_RISK
    assert status("reported", due, dt.date(2026, 12, 11), CAL) is DeadlineStatus.OVERDUE
    assert status("findings", due, dt.date(2026, 12, 11), CAL) is DeadlineStatus.MET


def test_sanctions_come_from_the_catalogue() -> None:
    chosen = m.sanctions_of(["star_removal", "warning", "warning"])
    assert [s.code for s in chosen] == ["warning", "star_removal"]  # catalogue order, once
    assert [s.removes_star for s in chosen] == [False, True]
    with pytest.raises(InvalidInput, match="not in the sanctions catalogue"):
        m.sanctions_of(["flogging"])
    with pytest.raises(InvalidInput, match="at least one"):
        m.sanctions_of(["", " "])


def test_origins_are_checked() -> None:
    assert m.origin_ref("inspection", "12", "greeting.smile") == "12:greeting.smile"
    assert m.origin_ref("report", "", "") == ""
    with pytest.raises(InvalidInput):
        m.origin_ref("inspection", "twelve", "x")
    with pytest.raises(InvalidInput):
        m.origin_ref("complaint", "  ", "")
    with pytest.raises(InvalidInput, match="unknown origin"):
        m.origin_ref("rumour", "x", "")


def _chain() -> list[m.UnitHeads]:
    outlet = m.UnitHeads(9, "中关村营业室", (m.Head(5, "王建华"),))
    sub_branch = m.UnitHeads(4, "海淀支行", ())  # no head here: the duty passes up
    branch = m.UnitHeads(2, "北京分行", (m.Head(3, "许志远"),))
    head_office = m.UnitHeads(1, "总行", (m.Head(1, "行长"),))
    return [outlet, sub_branch, branch, head_office]


def test_a_severe_case_holds_the_outlet_head_and_the_manager_above_accountable() -> None:
    parties = m.accountable_parties(m.severity_of("malignant"), 7, _chain())
    assert [(p.role, p.name) for p in parties] == [
        (m.Accountable.UNIT_HEAD, "王建华"),
        (m.Accountable.PARENT_MANAGER, "许志远"),
    ]
    assert m.accountable_parties(m.severity_of("general"), 7, _chain()) == ()


def test_the_outlet_head_is_not_their_own_accountable_party() -> None:
    parties = m.accountable_parties(m.severity_of("serious"), 5, _chain())
    assert [(p.role, p.name) for p in parties] == [
        (m.Accountable.UNIT_HEAD, "许志远"),
        (m.Accountable.PARENT_MANAGER, "行长"),
    ]


def test_names_are_masked_and_the_bulletin_says_what_happened() -> None:
    assert bulletins.mask_name("张伟") == "张*"
    assert bulletins.mask_name("欧阳娜娜") == "欧***"
    assert bulletins.mask_name("") == ""
    facts = bulletins.BulletinFacts(
        case_id=1,
        severity=m.severity_of("malignant"),
        unit_name="中关村营业室",
        staff_name="张伟",
        happened_on=dt.date(2026, 11, 20),
        summary="与客户发生争吵并摔打物品。",
        sanctions=m.sanctions_of(["demerit", "star_removal"]),
        parties=m.accountable_parties(m.severity_of("malignant"), 7, _chain()),
    )
    title, body = bulletins.compose_bulletin(facts, show_names=False)
    assert title == "关于中关村营业室恶性服务事件的通报"
    assert "张*" in body and "张伟" not in body and "王建华" not in body and "王**" in body
    assert "记过、取消服务明星资格" in body and "摔打物品。" in body
    _, shown = bulletins.compose_bulletin(facts, show_names=True)
    assert "张伟" in shown and "许志远" in shown
    with pytest.raises(InvalidInput):
        bulletins.check_bulletin(" ", "text")
    with pytest.raises(InvalidInput):
        bulletins.check_bulletin("title", "x" * (bulletins.BODY_MAX + 1))
