"""Complaint use cases on a real database: intake, routing, every transition, scope."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.complaints import experts, extensions, handling, intake, resolution
from manyi.complaints.access import get_visible
from manyi.complaints.domain.model import TransitionError
from manyi.complaints.tables import Complaint, ComplaintEvent
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.notify.tables import NotifyMessage
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import Bank

NOW = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)  # 14:00 in Shanghai
DECIDED = {"verdict": "partly", "root_cause_kind": "person"}
PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def cb(db: Database, bank: Bank) -> ComplaintBank:
    return build_complaint_bank(db, bank)


def form(**overrides: object) -> intake.ComplaintForm:
    values: dict[str, object] = {
        "intake": "hotline",
        "subject": "柜面办理业务等候时间过长",
        "description": "客户反映在网点排队一个多小时，无人解释。",
        "complainant_name": "王五",
        "complainant_phone": PHONE,
        "business_code": "savings",
        "cause_code": "service_quality.waiting",
    }
    values.update(overrides)
    return intake.ComplaintForm(**values)  # type: ignore[arg-type]


def register(
    db: Database,
    cb: ComplaintBank,
    persona: str = "hotline",
    unit: str = "OUT-A",
    **overrides: object,
) -> int:
    caller = cb.caller(db, persona)
    with db.session() as session:
        registered = intake.register(
            session, caller, form(responsible_unit_id=cb.unit(unit), **overrides), NOW
        )
        return registered.complaint.id


def load(db: Database, complaint_id: int) -> Complaint:
    with db.session() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        session.expunge(complaint)
        return complaint


# --- intake and routing -------------------------------------------------------------------


def test_registration_routes_to_the_least_loaded_handler_and_starts_the_clock(
    db: Database, cb: ComplaintBank
) -> None:
    first = load(db, register(db, cb))
    second = load(db, register(db, cb, complainant_phone="13912345678"))
    assert first.reference.startswith("TS20260310") and first.state == "assigned"
    assert {first.handler_id, second.handler_id} == {cb.staff["handler_a"], cb.staff["handler_a2"]}
    assert first.department and first.query_code_hash
    # CBIRC: received 10 March, due at the end of 25 March in Shanghai (16:00 UTC).
    assert first.due_at == dt.datetime(2026, 3, 25, 16, 0, tzinfo=dt.UTC)
    assert first.next_check_at is not None and NOW < first.next_check_at < first.due_at
    with db.session() as session:
        actions = session.scalars(
            select(ComplaintEvent.action)
            .where(ComplaintEvent.complaint_id == first.id)
            .order_by(ComplaintEvent.id)
        ).all()
        audited = session.scalar(
            select(func.count()).where(AuditEvent.entity_id == first.reference)
        )
        told = session.scalar(
            select(func.count()).where(NotifyMessage.recipient_staff_id == first.handler_id)
        )
    assert actions == ["register", "assign"] and audited == 2 and told == 1


def test_named_staff_step_aside_and_routing_climbs_to_the_unit_above(
    db: Database, cb: ComplaintBank
) -> None:
    one = load(db, register(db, cb, named_staff_ids=[cb.staff["handler_a"]]))
    assert one.handler_id == cb.staff["handler_a2"]
    both = load(
        db, register(db, cb, named_staff_ids=[cb.staff["handler_a"], cb.staff["handler_a2"]])
    )
    assert both.handler_id == cb.staff["handler_sub_a"]


def test_the_channel_decides_what_is_required(db: Database, cb: ComplaintBank) -> None:
    caller = cb.caller(db, "hotline")
    cases = [
        ({"intake": "regulator"}, "regulator_ref"),
        ({"intake": "letter", "complainant_address": ""}, "complainant_address"),
        ({"intake": "hotline", "complainant_phone": ""}, "complainant_phone"),
        ({"complainant_phone": "12345678901"}, "complainant_phone"),
        ({"complainant_id_number": "110105194912310021"}, "complainant_id_number"),
        ({"subject": "  "}, "subject"),
        ({"cause_code": "no.such"}, "cause_code"),
        ({"received_at": NOW + dt.timedelta(days=1)}, "received_at"),
        ({"intake": "fax"}, "intake"),
    ]
    for overrides, field in cases:
        with pytest.raises(InvalidInput) as caught, db.session() as session:
            intake.register(session, caller, form(**overrides), NOW)
            pytest.fail(f"accepted {overrides}")
        assert caught.value.field == field, overrides
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_regulator_referral_and_repeat_complainant_are_flagged(
    db: Database, cb: ComplaintBank
) -> None:
    first = load(db, register(db, cb, complainant_id_number=ID_NUMBER))
    referral = load(
        db,
        register(
            db,
            cb,
            intake="regulator",
            regulator_ref="京银保监转〔2026〕12号",
            regulator_received_on=dt.date(2026, 3, 9),
            complainant_phone="13700000000",
            complainant_id_number=ID_NUMBER.lower(),
        ),
    )
    assert "repeat" not in first.flags
    assert {"regulator", "repeat"} <= set(referral.flags)
    assert referral.complainant_id_number == ID_NUMBER


# --- scope --------------------------------------------------------------------------------


def test_a_handler_sees_only_their_outlet_and_managers_see_their_subtree(
    db: Database, cb: ComplaintBank
) -> None:
    at_a = register(db, cb, unit="OUT-A")
    at_b = register(db, cb, unit="OUT-B")
    who = {
        p: cb.caller(db, p)
        for p in ("handler_a", "manager_sub_a", "manager_br_a", "manager_hq", "teller_a")
    }
    with db.session() as session:
        get_visible(session, who["handler_a"], at_a)
        with pytest.raises(NotFound):
            get_visible(session, who["handler_a"], at_b)
        with pytest.raises(NotFound):
            get_visible(session, who["manager_sub_a"], at_b)
        for persona in ("manager_sub_a", "manager_br_a"):
            get_visible(session, who[persona], at_a)
        for case in (at_a, at_b):
            get_visible(session, who["manager_hq"], case)
        with pytest.raises(Forbidden):
            get_visible(session, who["teller_a"], at_a)


# --- transitions --------------------------------------------------------------------------


def handler_of(db: Database, cb: ComplaintBank, complaint_id: int) -> str:
    handler_id = load(db, complaint_id).handler_id
    return next(name for name, sid in cb.staff.items() if sid == handler_id)


def test_the_whole_way_from_assigned_to_closed(db: Database, cb: ComplaintBank) -> None:
    case = register(db, cb)
    handler = cb.caller(db, handler_of(db, cb, case))
    later = NOW + dt.timedelta(days=3)
    with db.session() as session:
        handling.start(session, handler, case, later)
        resolution.decide(
            session,
            handler,
            case,
            later,
            decision="已向客户致歉并优化叫号",
            reply_channel="phone",
            verdict="upheld",
            root_cause_kind="process",
            root_cause="高峰时段窗口不足",
            rectification_ref="ZG-2026-001",
        )
        resolution.close(session, handler, case, later, reason="accepted")
    closed = load(db, case)
    assert closed.state == "closed" and closed.close_reason == "accepted"
    assert not closed.breached and closed.next_check_at is None


def test_forbidden_transitions_and_actors(db: Database, cb: ComplaintBank) -> None:
    case = register(db, cb)
    handler_name = handler_of(db, cb, case)
    handler = cb.caller(db, handler_name)
    other = cb.caller(db, "handler_a2" if handler_name == "handler_a" else "handler_a")
    manager = cb.caller(db, "manager_sub_a")
    with db.session() as session:
        with pytest.raises(TransitionError):
            resolution.decide(
                session, handler, case, NOW, decision="x", reply_channel="phone", **DECIDED
            )
        with pytest.raises(Forbidden):
            handling.start(session, other, case, NOW)
        with pytest.raises(Forbidden):
            handling.start(session, manager, case, NOW)  # only the handler investigates
        with pytest.raises(TransitionError):
            resolution.close(session, handler, case, NOW, reason="accepted")
        with pytest.raises(TransitionError):
            resolution.reopen(session, manager, case, NOW, reason="客户不满意")
    with db.session() as session:
        handling.start(session, handler, case, NOW)
        with pytest.raises(InvalidInput):
            resolution.decide(
                session, handler, case, NOW, decision="", reply_channel="phone", **DECIDED
            )
    with db.session() as session, pytest.raises(InvalidInput):
        resolution.decide(
            session, handler, case, NOW, decision="答复", reply_channel="pigeon", **DECIDED
        )
    with db.session() as session:
        resolution.decide(
            session, handler, case, NOW, decision="答复", reply_channel="sms", **DECIDED
        )
        with pytest.raises(TransitionError):
            resolution.withdraw(session, handler, case, NOW, note="客户撤诉")
        with pytest.raises(Forbidden):
            resolution.reopen(session, handler, case, NOW, reason="客户不满意")
    with db.session() as session:
        resolution.reopen(
            session, manager, case, NOW + dt.timedelta(days=1), reason="客户不认可答复"
        )
    reopened = load(db, case)
    assert reopened.state == "investigating" and reopened.reopen_count == 1
    assert reopened.due_at == dt.datetime(2026, 3, 26, 16, 0, tzinfo=dt.UTC)  # fresh 15 days


def test_withdrawal_ends_the_case(db: Database, cb: ComplaintBank) -> None:
    case = register(db, cb)
    handler = cb.caller(db, handler_of(db, cb, case))
    with db.session() as session:
        resolution.withdraw(session, handler, case, NOW, note="客户来电撤诉")
    assert load(db, case).state == "withdrawn"


def test_a_conflict_moves_the_case_to_someone_else_for_good(
    db: Database, cb: ComplaintBank
) -> None:
    case = register(db, cb)
    first = handler_of(db, cb, case)
    with db.session() as session:
        handling.declare_conflict(
            session, cb.caller(db, first), case, NOW, reason="投诉人是我的亲属"
        )
    second = handler_of(db, cb, case)
    assert second != first and load(db, case).state == "assigned"
    with db.session() as session, pytest.raises(InvalidInput):
        handling.reassign(
            session, cb.caller(db, "manager_sub_a"), case, NOW, handler_id=cb.staff[first]
        )


def test_transfer_routes_the_case_in_the_new_unit(db: Database, cb: ComplaintBank) -> None:
    case = register(db, cb)
    with db.session() as session:
        handling.transfer(
            session,
            cb.caller(db, "manager_hq"),
            case,
            NOW,
            unit_id=cb.unit("OUT-B"),
            note="业务发生在乙网点",
        )
    moved = load(db, case)
    assert moved.handler_id == cb.staff["handler_b"] and moved.responsible_unit_id == cb.unit(
        "OUT-B"
    )
    assert moved.due_at == dt.datetime(2026, 3, 25, 16, 0, tzinfo=dt.UTC)  # the clock runs on
    with db.session() as session, pytest.raises(NotFound):
        get_visible(session, cb.caller(db, "handler_a"), case)


# --- extensions and experts ---------------------------------------------------------------


def test_extensions_follow_the_policy(db: Database, cb: ComplaintBank) -> None:
    case = register(db, cb)
    handler = cb.caller(db, handler_of(db, cb, case))
    with db.session() as session:
        with pytest.raises(InvalidInput) as caught:
            extensions.request_extension(
                session, handler, case, NOW, reason="情况复杂", complainant_informed=False
            )
        assert caught.value.field == "complainant_informed"
    with db.session() as session:
        extensions.request_extension(
            session, handler, case, NOW, reason="需调取录像", complainant_informed=True
        )
    assert load(db, case).due_at == dt.datetime(2026, 4, 9, 16, 0, tzinfo=dt.UTC)  # 30 days
    with db.session() as session:
        second = extensions.request_extension(
            session, handler, case, NOW, reason="涉及第三方机构", complainant_informed=True
        )
        second_id = second.id
        assert second.state == "pending"
    with db.session() as session, pytest.raises(Forbidden):
        extensions.decide_extension(session, handler, second_id, NOW, approve=True)
    with db.session() as session:
        extensions.decide_extension(
            session, cb.caller(db, "manager_sub_a"), second_id, NOW, approve=True
        )
    assert load(db, case).due_at == dt.datetime(2026, 5, 9, 16, 0, tzinfo=dt.UTC)  # 60 days
    with db.session() as session, pytest.raises(Conflict):
        extensions.request_extension(
            session, handler, case, NOW, reason="再延", complainant_informed=True
        )


def test_an_expert_outside_the_scope_sees_and_answers_the_case_they_are_asked_about(
    db: Database, cb: ComplaintBank
) -> None:
    case = register(db, cb)
    handler = cb.caller(db, handler_of(db, cb, case))
    admin = cb.caller(db, "admin")
    with db.session() as session:
        experts.set_expert(
            session, admin, cb.staff["expert"], business_codes=["savings"], level="chief"
        )
        experts.set_expert(
            session, admin, cb.staff["expert2"], business_codes=["loans"], level="senior"
        )
    expert = cb.caller(db, "expert")
    expert2 = cb.caller(db, "expert2")
    with db.session() as session, pytest.raises(NotFound):
        get_visible(session, expert, case)
    with db.session() as session:
        handling.start(session, handler, case, NOW)
        asked = experts.consult(
            session, handler, case, NOW, expert_id=cb.staff["expert"], question="是否需要赔偿？"
        )
        asked_id = asked.id
    with db.session() as session:
        get_visible(session, expert, case)
        with pytest.raises(Forbidden):
            experts.give_opinion(session, expert2, asked_id, NOW, opinion="无需赔偿")
        experts.give_opinion(session, expert, asked_id, NOW, opinion="建议致歉并减免手续费")
        notes = session.scalars(
            select(ComplaintEvent.note).where(
                ComplaintEvent.complaint_id == case, ComplaintEvent.action == "opinion"
            )
        ).all()
    assert notes == ["建议致歉并减免手续费"]


def test_classifying_keeps_the_flags_the_system_set(db: Database, cb: ComplaintBank) -> None:
    case = register(
        db,
        cb,
        intake="media",
        intake_ref="某报 2026-03-09",
        business_code="",
        cause_code="",
        complainant_id_number=ID_NUMBER,
    )
    again = register(db, cb, complainant_id_number=ID_NUMBER)
    handler = cb.caller(db, handler_of(db, cb, again))
    with db.session() as session:
        handling.classify(
            session,
            handler,
            again,
            NOW,
            channel_code="electronic.mobile",
            business_code="cards.credit",
            cause_code="pricing",
            flags=["group"],
        )
        with pytest.raises(InvalidInput):
            handling.classify(
                session,
                handler,
                again,
                NOW,
                channel_code="",
                business_code="no.such",
                cause_code="",
                flags=[],
            )
    classified = load(db, again)
    assert (classified.business_code, classified.department) == ("cards.credit", "cards")
    assert set(classified.flags) == {"group", "repeat"}  # repeat is kept, not chosen
    manager = cb.caller(db, "manager_sub_a")
    with db.session() as session:
        handling.classify(
            session,
            manager,
            case,
            NOW,
            channel_code="",
            business_code="savings",
            cause_code="",
            flags=[],
        )
    assert load(db, case).flags == ["media_risk"]  # the channel's flag stays
    outsider = cb.caller(db, "handler_b")
    with db.session() as session, pytest.raises(NotFound):
        handling.classify(
            session,
            outsider,
            case,
            NOW,
            channel_code="",
            business_code="",
            cause_code="",
            flags=[],
        )
