"""Praise, the customer's voice beyond complaints (issue 19), below the browser and through the
pages: registered against a staff member and their outlet, counted by the service stars toward
the candidate's score; bad praise is refused naming the field with nothing stored; the data
scope holds and a teller cannot register."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from manyi.complaints import facts, praise
from manyi.complaints.access import Caller
from manyi.complaints.praise_tables import ComplaintPraise
from manyi.db import Database
from manyi.errors import InvalidInput, NotFound
from manyi.org.tables import Staff
from manyi.supervision import stars
from manyi.supervision.stars_tables import StarProgramme
from tests.conftest import FIXED_NOW, Bank, add_staff
from tests.row_helpers import count
from tests.stars_helpers import head_office, serve
from tests.web_helpers import csrf_of, signed_in_client

NOW = FIXED_NOW  # 2026-11-30 10:00 in Shanghai
TODAY = dt.date(2026, 11, 30)


def caller(db: Database, username: str) -> Caller:
    with db.session() as session:
        person = session.scalars(select(Staff).where(Staff.username == username)).one()
        return Caller.of(person)


def register_praise(db: Database, by: str, staff: int | None, **changes: object) -> int:
    values: dict[str, object] = {
        "staff_id": staff,
        "channel": "letter",
        "received_on": TODAY - dt.timedelta(days=2),
        "text": "客户来信表扬柜员耐心细致",
    }
    values.update(changes)
    who = caller(db, by)
    with db.session() as session:
        return praise.register(session, who, now=NOW, **values).id  # type: ignore[arg-type]


def test_praise_is_registered_against_the_staff_member_and_their_outlet(
    db: Database, bank: Bank
) -> None:
    add_staff(db, bank, "lobby.a", "lobby.b")
    register_praise(db, "lobby.a", bank.staff["teller_a"])
    register_praise(db, "lobby.a", bank.staff["teller_a"], channel="phone", text="电话表扬")
    register_praise(
        db, "lobby.a", bank.staff["teller_a"], received_on=dt.date(2026, 6, 1), text="去年的"
    )
    who = {name: caller(db, name) for name in ("lobby.a", "lobby.b", "admin")}
    with db.session() as session:
        row = session.scalars(select(ComplaintPraise).order_by(ComplaintPraise.id)).first()
        assert row is not None
        assert (row.unit_id, row.channel) == (bank.unit("OUT-A"), "letter")
        assert row.unit_path.endswith(f"/{bank.unit('OUT-A')}/")
        # The stars' fact: praise received in the period, by the day the customer praised.
        counted = facts.praise_for_staff(
            session,
            [bank.staff["teller_a"], bank.staff["teller_b"]],
            start=dt.date(2026, 10, 1),
            end=dt.date(2026, 12, 31),
        )
        assert counted == {bank.staff["teller_a"]: 2}
        # The list within a scope: OUT-B's lobby manager sees none of OUT-A's praise.
        assert len(praise.listing(session, who["lobby.a"])) == 3
        assert praise.listing(session, who["lobby.b"]) == []
        head = praise.listing(session, who["admin"], start=dt.date(2026, 11, 1))
        assert [(p.staff_name, p.unit_name, p.channel) for p in head] == [
            ("柜员甲", "甲网点", "phone"),
            ("柜员甲", "甲网点", "letter"),
        ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"received_on": None}, "received_on"),
        ({"received_on": TODAY + dt.timedelta(days=1)}, "received_on"),
        ({"received_on": TODAY - dt.timedelta(days=400)}, "received_on"),
        ({"text": "  "}, "text"),
        ({"text": "好" * 1001}, "text"),
    ],
)
def test_bad_praise_is_refused_naming_the_field_and_stores_nothing(
    db: Database, bank: Bank, changes: dict[str, object], field: str
) -> None:
    add_staff(db, bank, "lobby.a")
    with pytest.raises(InvalidInput) as refused:
        register_praise(db, "lobby.a", bank.staff["teller_a"], **changes)
    assert refused.value.field == field
    assert count(db, ComplaintPraise) == 0


def test_praise_outside_ones_scope_is_not_found_and_a_teller_cannot_register(
    db: Database, bank: Bank
) -> None:
    add_staff(db, bank, "lobby.a")
    with pytest.raises(InvalidInput) as nobody:
        register_praise(db, "lobby.a", None)
    assert nobody.value.field == "staff_id"
    with pytest.raises(NotFound):
        register_praise(db, "lobby.a", bank.staff["teller_b"])
    with pytest.raises(Exception, match="may not"):
        register_praise(db, "teller.a", bank.staff["teller_a"])
    assert count(db, ComplaintPraise) == 0


def test_registered_praise_counts_toward_the_stars_candidate_score(
    db: Database, bank: Bank
) -> None:
    add_staff(db, bank, "lobby.a")
    serve(db, bank.unit("OUT-A"), bank.staff["teller_a"], 40)
    programme_id = head_office(
        db,
        quotas={"BR-A": 1},
        criteria=[
            {"criterion": "volume", "weight": 50, "target": 40},
            {"criterion": "praise", "weight": 50, "target": 5},
        ],
    )
    for _ in range(3):
        register_praise(db, "lobby.a", bank.staff["teller_a"])
    register_praise(  # before the programme's quarter: not counted
        db, "lobby.a", bank.staff["teller_a"], received_on=dt.date(2026, 9, 30)
    )
    with db.session() as session:
        row = session.get_one(StarProgramme, programme_id)
        outlet = stars.outlet_in_scope(session, "OUT-A", "/")
        found = {c.username: c for c in stars.candidates(session, row, outlet)}
    lines = {line.criterion.value: line for line in found["teller.a"].assessment.lines}
    assert lines["praise"].raw == "3" and lines["praise"].score == 60.0
    assert found["teller.a"].assessment.total == 80.0  # volume 100 × 50 % + praise 60 × 50 %


@pytest.mark.usefixtures("frozen_clock")
def test_the_praise_page_registers_lists_and_refuses_bad_input(db: Database, bank: Bank) -> None:
    add_staff(db, bank, "lobby.a")
    lobby = signed_in_client(db, "lobby.a")
    token = csrf_of(lobby, "/complaints/praise")
    page = lobby.get("/complaints/praise")
    assert page.status_code == 200 and "登记表扬" in page.text and "柜员甲" in page.text
    assert "柜员乙" not in page.text  # OUT-B's staff are not offered
    sent = {
        "csrf_token": token,
        "staff_id": str(bank.staff["teller_a"]),
        "channel": "online",
        "received_on": "2026-11-29",
        "text": "手机银行留言表扬",
    }
    done = lobby.post("/complaints/praise", data=sent)
    assert done.status_code == 303
    listed = lobby.get(done.headers["location"])
    assert "手机银行留言表扬" in listed.text and "表扬已登记" in listed.text
    bad = lobby.post("/complaints/praise", data=sent | {"received_on": "2026-12-31"})
    assert bad.status_code == 422 and "表扬日期晚于今天" in bad.text
    outside = lobby.post(
        "/complaints/praise", data=sent | {"staff_id": str(bank.staff["teller_b"])}
    )
    assert outside.status_code == 404
    assert count(db, ComplaintPraise) == 1
    teller = signed_in_client(db, "teller_a")
    assert teller.get("/complaints/praise").status_code == 403
