"""Home and hospital visits on a real database (SQLite and PostgreSQL), the paths that succeed:
a hospital visit from the relative's call to the signed e-voucher with its audit trail, the
family's consent recorded from the request, a request from a complaint keeping its reference,
a home visit resetting a forgotten PIN with the office authorising, and card activation offered
on a visit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from manyi.audit.tables import AuditEvent
from manyi.counter import authorisations, away, bundles, running, voucher
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput
from manyi.quality.survey_tables import SurveyInvitation
from manyi.reach.tables import ReachConsent, ReachMessage
from manyi.special import intake, visits
from tests.conftest import Bank
from tests.counter_helpers import MINUTE, Sim, act, clerk, png
from tests.lobby_helpers import T0
from tests.special_visit_helpers import (  # noqa: F401 (fixtures)
    DAY,
    ZHANG,
    heads_fixture,
    plugged_fixture,
    request,
    run,
    scheduled,
    staff_ids,
    state,
)


def test_a_hospital_visit_from_the_call_to_the_signed_e_voucher(
    db: Database, sim: Sim, heads: dict[str, int]
) -> None:
    reference = request(db)
    visit = state(db, reference)
    assert visit.state == "requested" and visit.needs_branch and visit.contact_id is not None
    assert reference.startswith("VS20261130")

    # The requester never approves; the outlet head, then the branch above (60,000 > 50,000).
    with pytest.raises(Forbidden):
        run(db, "teller.a", intake.approve_request, reference, T0)
    run(db, "head.a", intake.approve_request, reference, T0 + MINUTE)
    assert state(db, reference).state == "requested"
    run(db, "head.sub.a", intake.approve_request, reference, T0 + 2 * MINUTE)
    assert state(db, reference).state == "approved"

    ids = staff_ids(db, "teller.a", "teller.a2")
    run(db, "head.a", visits.assign_staff, reference, ids, T0 + 3 * MINUTE)
    _visit, outcome = run(db, "head.a", visits.schedule, reference, T0 + DAY, T0 + 4 * MINUTE)
    assert outcome == "pending"
    with db.session() as session:
        message = session.scalars(select(ReachMessage)).one()
        assert message.kind == "visit_scheduled" and message.params["outlet"] == "甲网点"
        assert message.params["date"] == "2026-12-01" and message.params["time"] == "10:00"

    at = T0 + DAY
    run(db, "teller.a", visits.record_visit, reference, "5 楼 12 床", "30.27415,120.15515", at)
    run(db, "teller.a", visits.add_photo, reference, png(), at + MINUTE)
    values = {
        "account_number": sim.card("zhang_wei"),
        "item1.amount": "60000",
        "item1.currency": "CNY",
        "item1.purpose": "医疗费用",
    }
    with pytest.raises(InvalidInput) as more:
        run(
            db,
            "teller.a",
            visits.start_bundle,
            reference,
            ["withdraw"],
            values | {"item1.amount": "60000.01"},
            at,
        )
    assert more.value.field == "item1.amount"
    bundle = run(db, "teller.a", visits.start_bundle, reference, ["withdraw"], values, at)

    # The counter's own flow: the customer confirms, the ID card is read, one authorisation,
    # the PIN, the signature.
    act(db, "teller.a", bundles.confirm_by_customer, bundle, at + MINUTE)
    sim.reader.place(ZHANG)
    act(db, "teller.a", bundles.check_identity, bundle, sim.reader, at + MINUTE)
    asked = act(db, "teller.a", authorisations.request_authorisation, bundle, at + MINUTE)
    act(db, "sup.a", authorisations.approve, asked.id, at + 2 * MINUTE)
    sim.pad.customer_types("123456")
    act(db, "teller.a", running.run, bundle, at + 3 * MINUTE, pin_pad=sim.pad, core=sim.core)
    with pytest.raises(Conflict):  # not signed yet
        run(db, "teller.a", visits.close, reference, at + 4 * MINUTE)
    act(db, "teller.a", voucher.sign, bundle, png(), at + 4 * MINUTE)
    run(db, "teller.a2", visits.close, reference, at + 5 * MINUTE)

    done = state(db, reference)
    assert done.state == "closed" and done.bundle_reference == bundle
    with db.session() as session:  # the follow-up survey (quality's "visit" trigger)
        invited = session.scalars(select(SurveyInvitation)).one()
        assert (invited.trigger, invited.visit_key) == ("visit", f"v:{done.id}")
    assert done.visit_place == "5 楼 12 床" and done.geo == "30.27415,120.15515"
    with db.session() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "special_visit")
            .order_by(AuditEvent.seq)
        ).all()
    assert actions == [
        "special.visit.request",
        "special.visit.approve",
        "special.visit.approve",
        "special.visit.assign",
        "special.visit.schedule",
        "special.visit.arrive",
        "special.visit.photo",
        "special.visit.bundle",
        "special.visit.close",
    ]


def test_the_family_consent_is_recorded_from_the_request(db: Database, sim: Sim) -> None:
    request(db, amount="2000")
    with db.session() as session:
        consent = session.scalars(select(ReachConsent)).one()
        assert (consent.purpose, consent.source, consent.granted) == ("visit", "visit", True)
    assert clerk  # the counter helpers' clerk is what start_bundle builds for the teller


def test_a_request_from_a_complaint_keeps_its_reference(db: Database, bank: Bank, sim: Sim) -> None:
    from manyi.complaints import intake as complaints
    from manyi.complaints.access import system_caller

    with db.session() as session:
        form = complaints.ComplaintForm(
            intake="counter",
            subject="母亲住院无法到网点取款",
            description="母亲住院，需要支取医疗费用，无法到网点",
            complainant_name="张小明",
            complainant_phone="13812345678",
            responsible_unit_id=bank.unit("OUT-A"),
        )
        done = complaints.register(
            session, system_caller("test"), form, T0, registered_unit_id=bank.unit("OUT-A")
        )
        complaint = done.complaint.reference
    reference = request(db, source="complaint", complaint_reference=complaint, amount="3000")
    visit = state(db, reference)
    assert visit.source == "complaint" and visit.complaint_reference == complaint


def test_a_home_visit_resets_a_forgotten_pin_with_the_office_authorising(
    db: Database, sim: Sim, heads: dict[str, int]
) -> None:
    """The issue's "change a password" on a visit: the ID card read on site, the supervisor
    authorising from the office, the customer choosing the new PIN on the tablet's pad."""
    reference = scheduled(
        db, need="password_reset", amount="", place_kind="home", reason="bedridden"
    )
    assert not state(db, reference).needs_branch
    at = T0 + DAY
    run(db, "teller.a", visits.record_visit, reference, "家中卧室", "", at)
    card = sim.card("zhang_wei")
    values = {"card_number": card, "item1.reset_reason": "forgotten"}
    bundle = run(db, "teller.a", visits.start_bundle, reference, ["password_reset"], values, at)
    act(db, "teller.a", bundles.confirm_by_customer, bundle, at + MINUTE)
    sim.reader.place(ZHANG)
    act(db, "teller.a", bundles.check_identity, bundle, sim.reader, at + MINUTE)
    asked = act(db, "teller.a", authorisations.request_authorisation, bundle, at + MINUTE)
    act(db, "sup.a", authorisations.approve, asked.id, at + 2 * MINUTE)
    sim.pad.customer_types("864200")
    outcome = act(
        db, "teller.a", running.run, bundle, at + 3 * MINUTE, pin_pad=sim.pad, core=sim.core
    )
    assert outcome.bundle.state == "done"
    assert [kind for _key, kind, _ref in sim.core.journal] == ["password_reset"]
    act(db, "teller.a", voucher.sign, bundle, png(), at + 4 * MINUTE)
    run(db, "teller.a2", visits.close, reference, at + 5 * MINUTE)
    assert state(db, reference).state == "closed"


def test_card_activation_is_offered_on_a_visit(db: Database, sim: Sim) -> None:
    with db.session() as session:
        allowed = [code for code, _zh, _en in away.allowed_away(session)]
        assert {"card_activate", "password_reset"} <= set(allowed)
        fields_ = {f.key for f in away.form_fields(session, ["card_activate", "password_reset"])}
    assert {"card_number", "item2.reset_reason"} <= fields_
