"""The badge and the scoring completed: staff numbers (工号) kept, checked and worn on the badge;
the outlet's inspections read from the inspections part; approvers told when a nomination waits
for them; the badge on the counter's customer-facing pages."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manyi import demo
from manyi.counter.adapters import registry
from manyi.db import Database
from manyi.errors import Conflict, InvalidInput
from manyi.notify.tables import NotifyMessage
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Staff
from manyi.supervision import lobby_adapters, stars, stars_notices
from manyi.supervision.inspection_tables import InspectionVisit, ServiceStandard
from manyi.supervision.stars_tables import StarProgramme
from tests.conftest import FIXED_NOW, PASSWORD, SYSTEM, Bank
from tests.counter_helpers import submit
from tests.integration import test_supervision_stars as star_tests
from tests.integration.test_counter_teller_pages import deposit_and_withdrawal, open_code
from tests.stars_helpers import programme_definition
from tests.web_helpers import csrf_of, signed_in_client

NOW = FIXED_NOW
stars_bank = star_tests.stars_bank  # the bank with branch approvers and the 2026Q4 programme
nominate, approve = star_tests.nominate, star_tests.approve


def number_of(db: Database, staff_id: int) -> str | None:
    with db.session() as session:
        return session.get_one(Staff, staff_id).staff_number


def staff_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Staff)) or 0)


def test_staff_numbers_are_optional_unique_and_checked(db: Database, bank: Bank) -> None:
    teller = bank.staff["teller_a"]
    with db.session() as session:
        staff_service.update_staff(session, SYSTEM, teller, staff_number=" bj01023 ")
    assert number_of(db, teller) == "BJ01023"  # kept in capitals, without spaces
    before = staff_count(db)
    with db.session() as session, pytest.raises(Conflict) as taken:
        staff_service.create_staff(
            session,
            SYSTEM,
            username="teller.new",
            display_name="新柜员",
            unit_id=bank.unit("OUT-A"),
            roles=[Role.TELLER],
            password=PASSWORD,
            staff_number="BJ01023",
        )
    assert taken.value.field == "staff_number" and staff_count(db) == before
    with db.session() as session, pytest.raises(InvalidInput):
        staff_service.update_staff(session, SYSTEM, teller, staff_number="X" * 17)
    # The admin pages: a bad number and a taken one are refused, nothing changes.
    admin = signed_in_client(db, "admin")
    token = csrf_of(admin, "/admin/staff/new")
    bad = admin.post(
        "/admin/staff",
        data={
            "csrf_token": token,
            "username": "teller.new",
            "display_name": "新柜员",
            "staff_number": "BJ 01/7",
            "unit_id": str(bank.unit("OUT-A")),
            "roles": "teller",
            "password": "Correct-horse-42",
        },
    )
    assert bad.status_code == 422 and "工号：最多 16 位字母" in bad.text
    assert staff_count(db) == before
    other = bank.staff["teller_b"]
    url = f"/admin/staff/{other}"
    fields = {"csrf_token": token, "display_name": "柜员乙", "unit_id": str(bank.unit("OUT-B"))}
    clash = admin.post(url, data={**fields, "roles": "teller", "staff_number": "bj01023"})
    assert clash.status_code == 409 and "工号 BJ01023 已被 teller.a 使用" in clash.text
    assert number_of(db, other) is None
    saved = admin.post(
        url, data={**fields, "roles": "teller", "active": "on", "staff_number": "SH02001"}
    )
    assert saved.status_code == 303 and number_of(db, other) == "SH02001"
    assert "SH02001" in admin.get("/admin/staff?q=sh020").text  # listed, and found by number
    # The badge wears the number; someone without one wears none (never the database id).
    with db.session() as session:
        badges = lobby_adapters.TellerBadges()
        assert badges.badge(session, teller, NOW).staff_no == "BJ01023"  # type: ignore[union-attr]
        staff_service.update_staff(session, SYSTEM, teller, staff_number="")
        assert badges.badge(session, teller, NOW).staff_no == ""  # type: ignore[union-attr]


def test_the_outlets_submitted_inspections_score_its_tellers(
    db: Database, stars_bank: Bank
) -> None:
    with db.session() as session:
        row = session.get_one(StarProgramme, stars_bank.unit("programme"))
        row.definition = programme_definition(
            criteria=[
                {"criterion": "inspection", "weight": 50},
                {"criterion": "complaints", "weight": 50, "target": 3},
            ]
        )
        standard = ServiceStandard(version=1, items=[], note="", published_at=NOW)
        session.add(standard)
        session.flush()
        out_a = session.get_one(Staff, stars_bank.staff["teller_a"]).unit
        for score, state, days_ago in (
            (80.0, "submitted", 3),
            (90.0, "submitted", 10),
            (10.0, "in_progress", 1),
            (20.0, "submitted", 100),
        ):
            submitted = NOW - dt.timedelta(days=days_ago)
            session.add(
                InspectionVisit(
                    kind="scheduled",
                    unit_id=out_a.id,
                    unit_path=out_a.path,
                    standard_id=standard.id,
                    planned_on=submitted.date(),
                    state=state,
                    score=score,
                    notes="",
                    created_at=submitted,
                    submitted_at=submitted if state == "submitted" else None,
                )
            )
    with db.session() as session:
        programme = session.get_one(StarProgramme, stars_bank.unit("programme"))
        at_a = stars.candidates(session, programme, stars.outlet_in_scope(session, "OUT-A", "/"))
        at_b = stars.candidates(session, programme, stars.outlet_in_scope(session, "OUT-B", "/"))
    # OUT-A: the mean of the two visits submitted in 2026Q4 (the one in progress and the one
    # of the previous quarter do not count).
    line = at_a[0].assessment.lines[0]
    assert (line.raw, line.has_data, line.weight) == ("85.0", True, 50.0)
    assert at_a[0].assessment.total == pytest.approx(92.5)
    # OUT-B had no inspection: the criterion is not counted for its teller, not scored 0.
    line_b = at_b[0].assessment.lines[0]
    assert (line_b.has_data, line_b.weight) == (False, 0.0)
    assert at_b[0].assessment.total == 100.0  # complaints alone: none


def inbox(db: Database) -> list[tuple[str, str]]:
    with db.session() as session:
        rows = session.execute(
            select(Staff.username, NotifyMessage.subject)
            .join(Staff, Staff.id == NotifyMessage.recipient_staff_id)
            .where(NotifyMessage.subject == stars_notices.AWAITS_SUBJECT)
            .order_by(NotifyMessage.id)
        )
        return [(username, subject) for username, subject in rows]


def test_approvers_are_told_once_when_a_nomination_waits_for_them(
    db: Database, stars_bank: Bank
) -> None:
    with db.session() as session:
        row = session.get_one(StarProgramme, stars_bank.unit("programme"))
        row.definition = programme_definition(
            criteria=[{"criterion": "volume", "weight": 1, "target": 20}]
        )
    nomination = nominate(db, stars_bank, "teller.a")
    # The branch step: the approvers of BR-A above the outlet, not those of BR-B, not head
    # office yet.
    assert [who for who, _ in inbox(db)] == ["br.head.a"]
    approve(db, "br.head.a", nomination)
    told = [who for who, _ in inbox(db)]
    assert told[0] == "br.head.a" and set(told[1:]) == {"admin"}  # head office's approver
    with db.session() as session:  # told again: nobody gets a second message
        from manyi.supervision.stars_tables import StarNomination

        again = session.get_one(StarNomination, nomination)
        stars_notices.tell_approvers(
            session,
            again,
            stars_notices.HEAD_OFFICE_STEP,
            programme_code="2026Q4",
            programme_name="x",
            now=NOW,
            actor_id=None,
        )
    assert len(inbox(db)) == len(told)


@pytest.mark.usefixtures("frozen_clock")
def test_the_counters_customer_pages_show_the_tellers_badge(
    db: Database, bank: Bank, rt: registry.Runtime, teller: TestClient
) -> None:
    with db.session() as session:
        staff_service.update_staff(session, SYSTEM, bank.staff["teller_a"], staff_number="BJ01023")
    code = submit(db, ["deposit", "withdraw"], deposit_and_withdrawal(rt), FIXED_NOW)
    ref = open_code(teller, code)
    for path in (f"/counter/bundles/{ref}/review", f"/counter/bundles/{ref}/sign"):
        page = teller.get(path)
        assert page.status_code == 200
        badge = page.text.split('data-testid="teller-badge"', 1)[1].split("</div>", 1)[0]
        assert "柜员甲" in badge and "BJ01023" in badge, path


def test_every_demo_staff_member_has_a_staff_number(db: Database) -> None:
    with db.session() as session:
        demo.seed(session)
    with db.session() as session:  # a demo bank seeded before staff numbers gets them too
        session.scalars(
            select(Staff).where(Staff.username == "zgc.teller2")
        ).one().staff_number = None
    with db.session() as session:
        demo.seed(session)
    with db.read() as session:
        rows = session.execute(select(Staff.username, Staff.staff_number)).all()
        numbers = {username: number for username, number in rows}
    assert len(numbers) == len(demo.STAFF) and None not in numbers.values()
    assert len(set(numbers.values())) == len(numbers)  # unique
    assert numbers["zgc.teller2"] == demo.staff_numbers()["zgc.teller2"]
    assert numbers["zgc.teller2"].startswith("BJ") and numbers["admin"].startswith("HO")
