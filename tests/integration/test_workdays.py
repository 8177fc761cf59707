"""Holidays the bank enters itself (`/admin/holidays`): head office saves a year, a branch
administrator reads it and is refused a change, bad lines are refused with their numbers and
nothing stored; a complaint received 2026-12-28 whose 15 working days run into 2027 warns while
2027 is a guess and counts 元旦 once it is entered; the staffing plan uses the entered year."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from manyi.audit.tables import AuditEvent
from manyi.complaints import clock, escalation, intake
from manyi.complaints.tables import Complaint
from manyi.config import get_settings
from manyi.db import Database
from manyi.forecast.cli_staffing import app as staffing_app
from manyi.forecast.eventlog import write_events
from manyi.org.model import UnitLevel
from manyi.supervision import rectification
from manyi.supervision.rectification_tables import RectificationTask
from manyi.workdays import calendars, entry
from manyi.workdays.domain import YearSource
from manyi.workdays.tables import WorkdayCalendarVersion, WorkdayDay, WorkdayYear
from tests import rect_helpers
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import SYSTEM, Bank, add_staff
from tests.unit.test_demand import ZONE, history
from tests.web_helpers import csrf_of, signed_in_client

NOTICE_2027 = """\
2027-01-01..2027-01-03 元旦
2027-02-05..2027-02-13 春节
2027-02-20 上班 春节
"""
# Monday 2026-12-28, 10:00 in Beijing: 15 working days run to 2027-01-18 on Monday to Friday,
# to 2027-01-19 once 元旦 (Friday 2027-01-01) is known.
RECEIVED = dt.datetime(2026, 12, 28, 2, 0, tzinfo=dt.UTC)
PAGE = "/admin/holidays"


@pytest.fixture
def cbank(db: Database, bank: Bank) -> ComplaintBank:
    return build_complaint_bank(db, bank)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    calendars.forget()
    yield
    calendars.forget()


def stored(db: Database) -> tuple[int, int]:
    with db.read() as session:
        years = session.scalar(select(func.count()).select_from(WorkdayYear)) or 0
        days = session.scalar(select(func.count()).select_from(WorkdayDay)) or 0
    return years, days


def register_workday_case(db: Database, cbank: ComplaintBank) -> int:
    with db.session() as session:
        done = intake.register(
            session,
            cbank.caller(db, "hotline"),
            cbank.hotline_form(),
            RECEIVED,
            policy_code="cbirc-2020-workdays",
        )
        return done.complaint.id


def enter_2027(db: Database, bank: Bank) -> None:
    with db.session() as session:
        entry.save_year(
            session,
            SYSTEM,
            2027,
            NOTICE_2027,
            RECEIVED,
            level=UnitLevel.HEAD_OFFICE.value,
            source="国办发明电〔2026〕X号",
        )


def test_head_office_enters_a_year_and_a_branch_admin_is_refused(
    db: Database, bank: Bank, frozen_clock: dt.datetime
) -> None:
    add_staff(db, bank, "admin.br.a")
    admin = signed_in_client(db, "admin")
    page = admin.get(PAGE)
    assert page.status_code == 200
    assert 'data-year="2027" data-source="guess"' in page.text
    assert 'data-year="2026" data-source="package"' in page.text
    csrf = csrf_of(admin, PAGE)

    # Bad lines: each named by its number, nothing stored, the text kept for correction.
    bad_text = "2027-01-01..2027-01-03 元旦\n2027-02-30 春节\n\n2027-03-01 上班 春节\n"
    bad = admin.post(
        PAGE, data={"year": "2027", "text": bad_text, "source": "", "csrf_token": csrf}
    )
    assert bad.status_code == 422
    assert "第 2 行" in bad.text and "2027-02-30 不是日期" in bad.text
    assert "第 4 行" in bad.text and "2027-03-01 是工作日" in bad.text
    assert "2027-02-30 春节" in bad.text  # the draft is shown again
    assert stored(db) == (0, 0)
    wrong_year = admin.post(
        PAGE, data={"year": "27a", "text": NOTICE_2027, "source": "", "csrf_token": csrf}
    )
    assert wrong_year.status_code == 422 and stored(db) == (0, 0)

    saved = admin.post(
        PAGE,
        data={"year": "2027", "text": NOTICE_2027, "source": "国办发明电", "csrf_token": csrf},
    )
    assert saved.status_code == 303, saved.text
    assert stored(db) == (1, 3 + 9 + 1)
    shown = admin.get(saved.headers["location"])
    assert 'data-year="2027" data-source="entered"' in shown.text
    assert "管理员甲" in shown.text and "国办发明电" in shown.text  # who entered it
    with db.read() as session:
        row = session.get(WorkdayYear, 2027)
        assert row is not None and row.entered_at == frozen_clock
        assert calendars.bank_calendar(session).source(2027) is YearSource.ENTERED
        actions = list(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.entity_type == "workday_year")
            )
        )
    assert actions == ["workdays.enter"]

    # A branch administrator reads the page but changes nothing: 403 with the reason.
    branch = signed_in_client(db, "admin.br.a")
    read = branch.get(PAGE)
    assert read.status_code == 200 and 'data-testid="head-office-only"' in read.text
    branch_csrf = csrf_of(branch, PAGE)
    refused = branch.post(
        PAGE,
        data={"year": "2028", "text": "2028-01-01 元旦", "source": "", "csrf_token": branch_csrf},
    )
    assert refused.status_code == 403 and "只有总行管理员可以修改全行设置" in refused.text
    removal = branch.post(f"{PAGE}/2027/remove", data={"csrf_token": branch_csrf})
    assert removal.status_code == 403
    assert stored(db) == (1, 13)
    # A teller has no business here at all.
    assert signed_in_client(db, "teller_a").get(PAGE).status_code == 403

    # Head office removes the year: the package (here: the guess) counts again.
    removed = admin.post(f"{PAGE}/2027/remove", data={"csrf_token": csrf})
    assert removed.status_code == 303 and stored(db) == (0, 0)
    with db.read() as session:
        assert calendars.bank_calendar(session).guessed(2027)


def test_a_december_day_entered_in_one_notice_cannot_be_entered_in_another(
    db: Database, bank: Bank
) -> None:
    with db.session() as session:
        entry.save_year(
            session, SYSTEM, 2027, "2026-12-26 上班 元旦", RECEIVED, level="head_office"
        )
    with db.session() as session, pytest.raises(entry.InvalidNotice) as caught:
        entry.save_year(
            session, SYSTEM, 2026, "2026-12-26 放假 圣诞", RECEIVED, level="head_office"
        )
    assert [(p.line, p.params["other"]) for p in caught.value.problems] == [(1, 2027)]


def test_every_process_sees_a_save_through_the_version_row(db: Database, bank: Bank) -> None:
    with db.read() as session:
        before = calendars.bank_calendar(session)
        assert before.guessed(2027)
    # Another process saves (here: another unit of work; this process's cache is not told).
    enter_2027(db, bank)
    with db.read() as session:
        version = session.get(WorkdayCalendarVersion, 1)
        assert version is not None and version.revision == 1
        after = calendars.bank_calendar(session)
    assert after is not before and not after.is_workday(dt.date(2027, 1, 1))
    with db.read() as session:
        assert calendars.bank_calendar(session) is after  # unchanged: the cached one


def test_a_case_into_a_guessed_year_warns_until_the_year_is_entered(
    db: Database,
    cbank: ComplaintBank,
    frozen_clock: dt.datetime,
    time_machine: time_machine.TimeMachineFixture,
) -> None:
    from manyi.web.wiring import plug_features

    plug_features()  # the complaints' listener on calendar changes, as the app wires it
    case_id = register_workday_case(db, cbank)
    time_machine.move_to(RECEIVED + dt.timedelta(hours=2), tick=False)
    handler = signed_in_client(db, "hotline")
    page = handler.get(f"/complaints/{case_id}")
    assert page.status_code == 200
    assert 'data-testid="calendar-guess"' in page.text and "2027 年" in page.text
    assert "应于 2027-01-18 24:00 前答复" in page.text
    manager = signed_in_client(db, "manager_hq")  # the workbench row, in the manager's scope
    listing = manager.get("/complaints?tab=scope")
    assert "节假日未定" in listing.text
    with db.read() as session:
        case = session.get_one(Complaint, case_id)
        assert case.due_at == dt.datetime(2027, 1, 18, 16, 0, tzinfo=dt.UTC)

    enter_2027(db, cbank.bank)

    page = handler.get(f"/complaints/{case_id}")
    assert 'data-testid="calendar-guess"' not in page.text
    assert "应于 2027-01-19 24:00 前答复" in page.text  # 元旦 is a holiday now
    assert "节假日未定" not in manager.get("/complaints?tab=scope").text
    # The stored due time follows at the deadline scan's next look, which the save asked for.
    with db.read() as session:
        case = session.get_one(Complaint, case_id)
        assert case.next_check_at is not None and case.next_check_at <= RECEIVED
    escalation.scan(db, RECEIVED + dt.timedelta(hours=2))
    with db.read() as session:
        case = session.get_one(Complaint, case_id)
        assert case.due_at == dt.datetime(2027, 1, 19, 16, 0, tzinfo=dt.UTC)
        status = clock.status(
            case,
            clock.policy_of(clock.policy_row(session, case.policy_code)),
            RECEIVED,
            clock.calendars(session),
        )
    assert status.guessed_years == ()


def test_the_staffing_plan_counts_on_the_entered_year(
    db: Database, bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "events.csv"
    log.write_text("".join(write_events(history(), ZONE)), encoding="utf-8")
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    wrapper = typer.Typer()
    wrapper.add_typer(staffing_app, name="staffing")

    def plan(*extra: str) -> dict[str, object]:
        args = ["staffing", "plan", "--history", str(log), "--date", "2027-02-08", "--json"]
        result = CliRunner().invoke(wrapper, [*args, "--replications", "0", *extra])
        assert result.exit_code == 0, result.output
        body: dict[str, object] = json.loads(result.output)
        return body

    try:
        guessed = plan()  # Monday in 春节, but 2027 is not known yet: an ordinary Monday
        assert guessed["day_kind"] == "mon" and "2027" in str(guessed["notes"])
        enter_2027(db, bank)
        entered = plan()
        assert entered["day_kind"] == "holiday" and entered["intervals"] == []
        assert entered["notes"] == []
        assert plan("--calendar", "package")["day_kind"] == "mon"  # the package alone
        bad = CliRunner().invoke(
            wrapper,
            [
                "staffing",
                "plan",
                "--history",
                str(log),
                "--date",
                "2027-02-08",
                "--calendar",
                "moon",
            ],
        )
        assert bad.exit_code == 2 and "--calendar" in bad.output
    finally:
        get_settings.cache_clear()


def test_a_rectification_task_due_in_a_guessed_year_says_so(
    db: Database, bank: Bank, time_machine: time_machine.TimeMachineFixture
) -> None:
    with db.session() as session:
        task_id = rectification.open_task(
            session,
            rect_helpers.actor(db, "manager.br.a"),
            rect_helpers.new_task(bank, "OUT-A", due_days=10),
            now=RECEIVED,
        )
        task = session.get_one(RectificationTask, task_id)
        assert task.due_on == dt.date(2027, 1, 11)  # ten weekdays: 元旦 not known yet
    time_machine.move_to(RECEIVED, tick=False)
    manager = signed_in_client(db, "manager_br_a")
    page = manager.get(f"/supervision/rectification/{task_id}")
    assert page.status_code == 200 and 'data-testid="calendar-guess"' in page.text
    enter_2027(db, bank)
    page = manager.get(f"/supervision/rectification/{task_id}")
    assert 'data-testid="calendar-guess"' not in page.text
    with db.session() as session:  # a task opened now counts 元旦 as a holiday
        later = rectification.open_task(
            session,
            rect_helpers.actor(db, "manager.br.a"),
            rect_helpers.new_task(bank, "OUT-A", due_days=10),
            now=RECEIVED,
        )
        assert session.get_one(RectificationTask, later).due_on == dt.date(2027, 1, 12)
