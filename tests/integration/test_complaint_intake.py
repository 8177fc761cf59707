"""Complaint intake on a real database: routing to the least-loaded handler and the clock started,
named staff stepping aside, what each channel requires, flags for regulator referrals and repeat
complainants, and who sees which case.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.complaints import intake
from manyi.complaints.access import get_visible
from manyi.complaints.tables import Complaint, ComplaintEvent
from manyi.db import Database
from manyi.errors import Forbidden, InvalidInput, NotFound
from manyi.notify.tables import NotifyMessage
from tests.complaint_bank import ComplaintBank, cb
from tests.complaint_service_helpers import ID_NUMBER, NOW, form, load, register

__all__ = ["cb"]  # fixture

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
