"""The anonymous monthly pulse survey: answered once a month, stored without the staff id, and
reported only for groups of five or more."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import inspect, select

from manyi.db import Database
from manyi.org.tables import Unit
from manyi.workload import pulse
from manyi.workload.tables import PulseAnswer, PulseAnswered
from tests.conftest import FIXED_NOW, MORE_STAFF, Bank, add_staff
from tests.web_helpers import csrf_of, signed_in_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
ZONE = pulse.ZoneInfo("Asia/Shanghai")
GOOD = {"workload": "2", "support": "4", "pressure": "3", "comment": "人手不够"}


def answers(db: Database) -> list[PulseAnswer]:
    with db.read() as session:
        return list(session.scalars(select(PulseAnswer)))


def test_a_staff_member_answers_once_a_month(db: Database, bank: Bank) -> None:
    client = signed_in_client(db, "teller.a")
    token = csrf_of(client, "/workload/pulse")
    sent = client.post("/workload/pulse", data=GOOD | {"csrf_token": token})
    assert sent.status_code == 303
    page = client.get("/workload/pulse?thanks=1")
    assert 'data-testid="thanks"' in page.text and 'data-testid="answered"' in page.text
    again = client.post("/workload/pulse", data=GOOD | {"csrf_token": token})
    assert again.status_code == 409 and 'data-testid="error"' in again.text
    [stored] = answers(db)
    assert (stored.workload, stored.support, stored.pressure, stored.comment) == (
        2,
        4,
        3,
        "人手不够",
    )
    assert stored.month == "2026-11" and stored.unit_path.endswith("/")
    assert re.fullmatch(r"[0-9a-f]{32}", stored.id)  # random: not the order of answering
    with db.read() as session:
        marks = session.scalars(select(PulseAnswered)).all()
    assert [(m.staff_id, m.month) for m in marks] == [(bank.staff["teller_a"], "2026-11")]


def test_a_bad_answer_is_refused_naming_the_question_and_nothing_is_stored(
    db: Database, bank: Bank
) -> None:
    client = signed_in_client(db, "teller.a")
    token = csrf_of(client, "/workload/pulse")
    bad = client.post("/workload/pulse", data=GOOD | {"support": "7", "csrf_token": token})
    assert bad.status_code == 422 and 'data-testid="error"' in bad.text
    assert 'value="2" checked' in bad.text  # what was typed stays
    assert answers(db) == []
    with db.read() as session:
        assert session.scalars(select(PulseAnswered)).all() == []
    # Nothing was marked answered: the staff member may still answer.
    assert client.post("/workload/pulse", data=GOOD | {"csrf_token": token}).status_code == 303


def test_no_answer_row_holds_who_answered(db: Database) -> None:
    columns = {c["name"] for c in inspect(db.engine).get_columns("workload_pulse_answers")}
    assert columns == {
        "id", "unit_id", "unit_path", "month", "workload", "support", "pressure", "comment"
    }  # fmt: skip
    marks = {c["name"] for c in inspect(db.engine).get_columns("workload_pulse_answered")}
    assert marks == {"staff_id", "month"}  # only the month is shared with the answers


def answer_as(db: Database, bank: Bank, staff_ids: list[int], unit: str, score: int) -> None:
    with db.session() as session:
        outlet = session.get_one(Unit, bank.unit(unit))
        for staff_id in staff_ids:
            who = pulse.Respondent(staff_id, outlet.id, outlet.path)
            form = {"workload": str(score), "support": str(score), "pressure": str(score)}
            pulse.answer(session, who, form, FIXED_NOW, ZONE)


def test_results_only_for_groups_of_five_or_more(db: Database, bank: Bank) -> None:
    extra = add_staff(db, bank, *list(MORE_STAFF)[:8])
    staff = sorted(bank.staff.values()) + sorted(extra.values())
    answer_as(db, bank, staff[:4], "OUT-A", 4)
    answer_as(db, bank, staff[4:6], "OUT-B", 1)
    head = signed_in_client(db, "head.a")
    page = head.get("/workload/pulse/results?month=2026-11")
    assert page.status_code == 200
    assert 'data-testid="hidden"' in page.text and 'data-testid="pulse-table"' not in page.text
    assert "4.00" not in page.text  # four people: no mean shown
    answer_as(db, bank, staff[6:7], "OUT-A", 2)
    page = head.get("/workload/pulse/results?month=2026-11")
    assert 'data-testid="unit-OUT-A"' in page.text and "3.60" in page.text  # (4·4 + 2) / 5
    # Head office: OUT-A shown; OUT-B's two hidden, and so is the total, which would reveal them.
    admin = signed_in_client(db, "admin").get("/workload/pulse/results?month=2026-11")
    assert 'data-testid="unit-OUT-A"' in admin.text and 'data-testid="hidden"' in admin.text
    assert 'data-testid="total"' not in admin.text and "1.00" not in admin.text
    with db.read() as session:
        whole = pulse.results(session, "/", "2026-11", "en").report
    assert [r.respondents for r in whole.rows] == [5] and whole.total is None
    # A bad month is a 422 naming it.
    assert head.get("/workload/pulse/results?month=2026-13").status_code == 422


def test_another_month_opens_a_new_survey(db: Database, bank: Bank) -> None:
    answer_as(db, bank, [bank.staff["teller_a"]], "OUT-A", 3)
    with db.read() as session:
        assert pulse.has_answered(session, bank.staff["teller_a"], "2026-11")
        later = FIXED_NOW + dt.timedelta(days=2)  # 2 December in Beijing
        assert not pulse.has_answered(session, bank.staff["teller_a"], pulse.month_of(later, ZONE))
