"""Complaint extensions and experts on a real database: extensions follow the policy, an expert
outside the scope answers the case they are asked about, and classifying keeps the flags the
system set.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from manyi.complaints import experts, extensions, handling
from manyi.complaints.access import get_visible
from manyi.complaints.tables import ComplaintEvent
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.complaint_bank import ComplaintBank, cb
from tests.complaint_service_helpers import ID_NUMBER, NOW, handler_of, load, register

__all__ = ["cb"]  # fixture

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
