"""Home and hospital visits on a real database (SQLite and PostgreSQL): from the relative's
call to the signed e-voucher, each refusal with its field and nothing stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from manyi import visit_adapters
from manyi.audit.tables import AuditEvent
from manyi.counter import authorisations, away, bundles, running, voucher
from manyi.counter.demo import id_card
from manyi.counter.tables import CounterBundle, CounterPrefill
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, ManyiError
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Staff
from manyi.quality.survey_tables import SurveyInvitation
from manyi.reach.tables import ReachConsent, ReachMessage
from manyi.special import intake, ports, visits
from manyi.special.access import Who
from manyi.special.tables import SpecialVisit, SpecialVisitPhoto
from tests.conftest import PASSWORD, SYSTEM, Bank
from tests.counter_helpers import MINUTE, Sim, act, clerk, png
from tests.lobby_helpers import T0

ZHANG = id_card("zhang_wei")
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _plugged() -> Any:
    visit_adapters.register(ZoneInfo("Asia/Shanghai"), 7)
    yield
    ports.register_messages(ports._NoMessages())
    ports.register_surveys(ports._NoSurveys())


@pytest.fixture
def heads(db: Database, bank: Bank, sim: Sim) -> dict[str, int]:
    """The head of SUB-A (the branch above OUT-A) approves visits above the threshold."""
    with db.session() as session:
        person = staff_service.create_staff(
            session,
            SYSTEM,
            username="head.sub.a",
            display_name="支行负责人甲",
            unit_id=bank.unit("SUB-A"),
            roles=[Role.BRANCH_HEAD],
            password=PASSWORD,
        )
        return {"head.sub.a": person.id}


def run(db: Database, username: str, action: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    with db.session() as session:
        staff = session.scalar(select(Staff).where(Staff.username == username))
        assert staff is not None
        return action(session, Who.of(staff), *args, **kw)


def fields(**overrides: str) -> intake.RequestFields:
    values = {
        "source": "phone",
        "outlet_code": "OUT-A",
        "customer_name": ZHANG.name,
        "id_number": ZHANG.id_number,
        "place_kind": "hospital",
        "place_text": "市第一人民医院 住院部 5 楼 12 床",
        "need": "withdraw_medical",
        "reason": "in_hospital",
        "evidence": "住院证明已核对",
        "amount": "60000",
        "relative_name": "张小明",
        "relation": "儿子",
        "phone": "13812345678",
    }
    values.update(overrides)
    return intake.RequestFields(**values)


def request(db: Database, **overrides: str) -> str:
    visit = run(db, "teller.a", intake.create_request, fields(**overrides), T0)
    return str(visit.reference)


def counts(db: Database) -> tuple[int, int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(SpecialVisit)) or 0,
            session.scalar(select(func.count()).select_from(ReachConsent)) or 0,
            session.scalar(select(func.count()).select_from(CounterBundle)) or 0,
        )


def state(db: Database, reference: str) -> SpecialVisit:
    with db.session() as session:
        visit = session.scalar(select(SpecialVisit).where(SpecialVisit.reference == reference))
        assert visit is not None
        session.expunge(visit)
        return visit


def scheduled(db: Database, **overrides: str) -> str:
    reference = request(db, **overrides)
    run(db, "head.a", intake.approve_request, reference, T0 + MINUTE)
    if state(db, reference).needs_branch:
        run(db, "head.sub.a", intake.approve_request, reference, T0 + 2 * MINUTE)
    ids = staff_ids(db, "teller.a", "teller.a2")
    run(db, "head.a", visits.assign_staff, reference, ids, T0 + 3 * MINUTE)
    run(db, "head.a", visits.schedule, reference, T0 + DAY, T0 + 4 * MINUTE)
    return reference


def staff_ids(db: Database, *usernames: str) -> list[int]:
    with db.session() as session:
        return [
            session.scalars(select(Staff.id).where(Staff.username == u)).one() for u in usernames
        ]


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


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"customer_name": " "}, "customer_name"),
        ({"id_number": "110101199001011234"}, "id_number"),
        ({"place_kind": "office"}, "place_kind"),
        ({"need": "open_account"}, "need"),
        ({"reason": ""}, "reason"),
        ({"amount": "-1"}, "amount"),
        ({"evidence": ""}, "evidence"),
        ({"phone": "12345"}, "phone"),
        ({"phone": ""}, "phone"),
        ({"outlet_code": "OUT-B"}, "outlet"),
        ({"outlet_code": "SUB-A"}, "outlet"),
        ({"source": "complaint", "complaint_reference": "C-NONE"}, "complaint_reference"),
        ({"source": "fax"}, "source"),
    ],
)
def test_bad_requests_are_refused_naming_the_field_and_nothing_is_stored(
    db: Database, sim: Sim, overrides: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        request(db, **overrides)
    assert caught.value.field == field
    assert counts(db) == (0, 0, 0)


def test_one_staff_or_the_same_staff_twice_is_refused(
    db: Database, sim: Sim, heads: dict[str, int]
) -> None:
    reference = request(db, amount="2000")
    run(db, "head.a", intake.approve_request, reference, T0 + MINUTE)
    assert state(db, reference).state == "approved"
    one = staff_ids(db, "teller.a")
    for team in (one, one + one, staff_ids(db, "teller.a", "teller.b")):
        with pytest.raises(InvalidInput) as caught:
            run(db, "head.a", visits.assign_staff, reference, team, T0 + 2 * MINUTE)
        assert caught.value.field == "staff"
    assert state(db, reference).staff_1_id is None
    with pytest.raises(InvalidInput) as no_staff:  # no date before two staff
        run(db, "head.a", visits.schedule, reference, T0 + DAY, T0 + 2 * MINUTE)
    assert no_staff.value.field == "staff"


def test_above_the_threshold_the_outlet_alone_does_not_approve(
    db: Database, sim: Sim, heads: dict[str, int]
) -> None:
    reference = request(db, amount="80000")
    run(db, "head.a", intake.approve_request, reference, T0 + MINUTE)
    ids = staff_ids(db, "teller.a", "teller.a2")
    with pytest.raises(Conflict):
        run(db, "head.a", visits.assign_staff, reference, ids, T0 + 2 * MINUTE)
    with pytest.raises(Conflict):  # the outlet's approval is not given twice
        run(db, "head.a", intake.approve_request, reference, T0 + 2 * MINUTE)
    assert state(db, reference).state == "requested"


def test_a_visit_date_in_the_past_is_refused(db: Database, sim: Sim, heads: dict[str, int]) -> None:
    reference = request(db, amount="2000")
    run(db, "head.a", intake.approve_request, reference, T0 + MINUTE)
    ids = staff_ids(db, "teller.a", "teller.a2")
    run(db, "head.a", visits.assign_staff, reference, ids, T0 + 2 * MINUTE)
    with pytest.raises(InvalidInput) as caught:
        run(db, "head.a", visits.schedule, reference, T0 - DAY, T0 + 3 * MINUTE)
    assert caught.value.field == "visit_at"
    visit = state(db, reference)
    assert visit.state == "approved" and visit.visit_at is None
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ReachMessage)) == 0


def test_a_transaction_not_allowed_away_is_refused_by_the_catalogue(
    db: Database, sim: Sim, heads: dict[str, int]
) -> None:
    reference = scheduled(db, amount="2000")
    run(db, "teller.a", visits.record_visit, reference, "病房", "", T0 + DAY)
    values = {"account_number": sim.card("zhang_wei"), "account_type": "class_1"}
    with pytest.raises(InvalidInput) as caught:
        run(db, "teller.a", visits.start_bundle, reference, ["open_account"], values, T0 + DAY)
    assert caught.value.error_code == "not_away" and "open_account" in caught.value.text()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CounterPrefill)) == 0
    assert state(db, reference).bundle_reference is None
    assert counts(db)[2] == 0


def test_only_the_two_staff_act_on_site_and_photos_are_checked(
    db: Database, sim: Sim, heads: dict[str, int]
) -> None:
    reference = scheduled(db, amount="2000")
    with pytest.raises(Forbidden):
        run(db, "dual.a", visits.record_visit, reference, "病房", "", T0 + DAY)
    with pytest.raises(InvalidInput) as place:
        run(db, "teller.a", visits.record_visit, reference, " ", "", T0 + DAY)
    assert place.value.field == "visit_place"
    with pytest.raises(InvalidInput) as geo:
        run(db, "teller.a", visits.record_visit, reference, "病房", "north", T0 + DAY)
    assert geo.value.field == "geo"
    run(db, "teller.a", visits.record_visit, reference, "病房", "", T0 + DAY)
    for bad in (b"", b"%PDF-1.4 not a photo", b"GIF89a"):
        with pytest.raises(InvalidInput) as caught:
            run(db, "teller.a", visits.add_photo, reference, bad, T0 + DAY)
        assert caught.value.field == "photo"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(SpecialVisitPhoto)) == 0


def test_outside_the_scope_a_visit_is_not_found_and_refusal_needs_a_reason(
    db: Database, sim: Sim, heads: dict[str, int]
) -> None:
    reference = request(db)
    with pytest.raises(ManyiError) as hidden:
        run(db, "head.b", intake.approve_request, reference, T0 + MINUTE)
    assert hidden.value.status_code == 404
    with pytest.raises(InvalidInput):
        run(db, "head.a", intake.refuse_request, reference, " ", T0 + MINUTE)
    run(db, "head.a", intake.refuse_request, reference, "可由家属持委托书办理", T0 + MINUTE)
    assert state(db, reference).state == "refused"
    with pytest.raises(Conflict):
        run(db, "head.a", intake.approve_request, reference, T0 + 2 * MINUTE)


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
