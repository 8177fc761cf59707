"""Home and hospital visits on a real database (SQLite and PostgreSQL), the refusals, each with
its field and nothing stored: bad requests, one staff or the same staff twice, the outlet alone
approving above the threshold, a visit date in the past, a transaction the catalogue does not
allow away, anyone but the two staff acting on site and photos that are not photos, a visit
outside the scope, and a refusal without a reason."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from manyi.counter.tables import CounterBundle, CounterPrefill
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, ManyiError
from manyi.reach.tables import ReachConsent, ReachMessage
from manyi.special import intake, visits
from manyi.special.tables import SpecialVisit, SpecialVisitPhoto
from tests.counter_helpers import MINUTE, Sim
from tests.lobby_helpers import T0
from tests.special_visit_helpers import (  # noqa: F401 (fixtures)
    DAY,
    heads_fixture,
    plugged_fixture,
    request,
    run,
    scheduled,
    staff_ids,
    state,
)


def counts(db: Database) -> tuple[int, int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(SpecialVisit)) or 0,
            session.scalar(select(func.count()).select_from(ReachConsent)) or 0,
            session.scalar(select(func.count()).select_from(CounterBundle)) or 0,
        )


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
