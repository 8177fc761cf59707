"""The outlet head's daily self-check on a real database (SQLite and PostgreSQL): rounds planned by
the outlet's zone, hours and the bank's calendar; a round submitted with a failed item and its
photo, the item made a rectification task once; refusals that store nothing; a missed round
alerting the branch once, even with two workers; scope; the pages and the board's export."""

from __future__ import annotations

import datetime as dt
import io
import threading
from pathlib import Path

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.guidance import jobs, selfcheck, triage
from manyi.guidance import selfcheck_queries as views
from manyi.guidance.domain.selfcheck import Answer, Round, items_of
from manyi.guidance.selfcheck_tables import SelfCheckAnswer, SelfCheckRound
from manyi.notify.tables import NotifyMessage
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Unit
from manyi.supervision.rectification_tables import RectificationTask
from tests.conftest import FIXED_NOW, PASSWORD, Bank, add_staff
from tests.lobby_helpers import configure
from tests.rect_helpers import PNG
from tests.web_helpers import csrf_of, make_client, sign_in

GIF = selfcheck.Photo("x.png", b"GIF89a" + b"\0" * 30)  # not a photo we keep
NOON = FIXED_NOW + dt.timedelta(hours=1, minutes=30)  # 11:30 in Beijing, Monday 30 November


def who(db: Database, username: str) -> triage.Who:
    with db.session() as session:
        staff = staff_service.by_username(session, username)
        assert staff is not None
        return triage.Who(
            staff.id, staff.username, staff.unit_id, staff.unit.path, staff.permissions
        )


@pytest.fixture
def outlets(db: Database, bank: Bank) -> Bank:
    """OUT-A open 09:00–17:00 in Beijing; OUT-B around the clock, in Urumqi's zone."""
    configure(db, bank.unit("OUT-A"))
    configure(db, bank.unit("OUT-B"), opens=dt.time(0), closes=None)
    with db.session() as session:
        session.get_one(Unit, bank.unit("OUT-B")).timezone = "Asia/Urumqi"
    add_staff(db, bank, "lobby.a")
    return bank


def midday(**changes: Answer) -> dict[str, Answer]:
    return {i.code: Answer(i.code, True) for i in items_of(Round.MIDDAY)} | changes


def submit(
    db: Database,
    username: str,
    answers: dict[str, Answer],
    photos: dict[str, selfcheck.Photo] | None = None,
    *,
    round_name: str = "midday",
    outlet: str = "OUT-A",
    at: dt.datetime = NOON,
    var_dir: Path = Path("/nonexistent"),
) -> int:
    person = who(db, username)
    with db.session() as session:
        unit = session.scalars(select(Unit).where(Unit.code == outlet)).one()
        row = selfcheck.submit(
            session, person, unit, round_name, answers, photos or {}, var_dir=var_dir, now=at
        )
        return row.id


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_rounds_follow_the_outlets_zone_hours_and_the_calendar(db: Database, outlets: Bank) -> None:
    with db.session() as session:
        assert jobs.plan(session, FIXED_NOW) == 2  # Sunday before: no rounds; Monday: both
        assert jobs.plan(session, FIXED_NOW) == 0  # planned once
    with db.read() as session:
        rows = session.scalars(select(SelfCheckRound).order_by(SelfCheckRound.id)).all()
        days = {(r.outlet_id, r.local_day) for r in rows}
        a = [r for r in rows if r.outlet_id == outlets.unit("OUT-A")]
        b = [r for r in rows if r.outlet_id == outlets.unit("OUT-B")]
    assert days == {(outlets.unit(o), dt.date(2026, 11, 30)) for o in ("OUT-A", "OUT-B")}
    assert [r.due_at.hour for r in a] == [1, 4, 9]  # 09:00, 12:00, 17:00 in Beijing
    assert [r.due_at.hour for r in b] == [3, 6, 11]  # the bank's hours in Urumqi (UTC+6)
    # National Day is not a working day of the bank's calendar: no rounds.
    holiday = dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC)
    with db.session() as session:
        outlet = session.get_one(Unit, outlets.unit("OUT-A"))
        assert selfcheck.plan_day(session, outlet, holiday.date()) == []
        view = views.today(session, outlet, holiday)
    assert view.rounds == [] and view.holiday  # the package names it (National Day)


def test_rounds_follow_the_days_the_outlet_opens(db: Database, bank: Bank) -> None:
    """OUT-A opens every day of the week and on public holidays (节假日照常营业); OUT-B keeps the
    bank's working days. A Saturday and National Day: rounds at OUT-A only."""
    every_day = frozenset(range(1, 8))
    configure(db, bank.unit("OUT-A"), open_weekdays=every_day, open_on_holidays=True)
    configure(db, bank.unit("OUT-B"))
    saturday = FIXED_NOW - dt.timedelta(days=2)  # 10:00 in Beijing, Saturday 28 November
    national_day = dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC)
    with db.session() as session:
        a = session.get_one(Unit, bank.unit("OUT-A"))
        b = session.get_one(Unit, bank.unit("OUT-B"))
        for moment in (saturday, national_day):
            day = moment.date()
            assert [r.round for r in selfcheck.plan_day(session, a, day)] == [
                "opening",
                "midday",
                "closing",
            ]
            assert selfcheck.plan_day(session, b, day) == []
        closed = views.today(session, b, saturday)
        opened = views.today(session, a, saturday)
    assert closed.rounds == [] and closed.holiday == ""  # an ordinary rest day: no name
    assert [v.round for v in opened.rounds] == [Round.OPENING, Round.MIDDAY, Round.CLOSING]
    # A head who closes the outlet on holidays again: no rounds on the next one it has not
    # planned yet (a planned day stays as it was).
    configure(db, bank.unit("OUT-A"), open_weekdays=every_day, open_on_holidays=False)
    with db.session() as session:
        a = session.get_one(Unit, bank.unit("OUT-A"))
        assert selfcheck.plan_day(session, a, dt.date(2026, 10, 2)) == []
        assert len(selfcheck.plan_day(session, a, national_day.date())) == 3


def test_a_round_with_a_failed_item_photo_and_task(
    db: Database, outlets: Bank, tmp_path: Path
) -> None:
    answers = midday(MD3=Answer("MD3", False, "2号智能柜员机故障"))
    round_id = submit(
        db, "head.a", answers, {"MD3": selfcheck.Photo("机具.png", PNG)}, var_dir=tmp_path
    )
    with db.read() as session:
        row = session.get_one(SelfCheckRound, round_id)
        stored = session.scalars(
            select(SelfCheckAnswer).where(SelfCheckAnswer.round_id == round_id)
        ).all()
        actions = set(session.scalars(select(AuditEvent.action)))
    assert (row.round, row.failed, row.alert_at) == ("midday", 1, None)
    assert len(stored) == len(items_of(Round.MIDDAY))
    failed = next(a for a in stored if not a.passed)
    assert failed.code == "MD3" and failed.photos[0]["content_type"] == "image/png"
    assert selfcheck.photo_path(tmp_path, failed.photos[0]["sha256"]).read_bytes() == PNG
    assert "guidance.selfcheck.submit" in actions
    head = who(db, "head.a")
    with db.session() as session:
        task_id = selfcheck.open_task(session, head, round_id, "MD3", NOON)
    with db.session() as session:
        assert selfcheck.open_task(session, head, round_id, "MD3", NOON) == task_id
        with pytest.raises(Conflict, match="did not fail"):
            selfcheck.open_task(session, head, round_id, "MD1", NOON)
    with db.read() as session:
        task = session.get_one(RectificationTask, task_id)
        view = views.submitted(session, head, round_id)
    assert (task.source, task.source_ref) == ("manual", f"selfcheck:{round_id}:MD3")
    assert task.unit_id == outlets.unit("OUT-A") and task.owner_id == outlets.staff["head_a"]
    assert next(a for a in view.answers if a.item.code == "MD3").task_state == "open"
    # Done once: a second submission of the round is refused.
    with pytest.raises(Conflict, match="already done"):
        submit(db, "head.a", midday())


@pytest.mark.parametrize(
    ("username", "answers", "photos", "round_name", "error", "field"),
    [
        ("head.a", midday(MD1=Answer("MD1", None)), {}, "midday", InvalidInput, "MD1"),
        ("head.a", midday(MD3=Answer("MD3", False, "坏了")), {}, "midday", InvalidInput, "MD3"),
        ("head.a", midday(MD2=Answer("MD2", False, "x")), {"MD2": GIF}, "midday", InvalidInput,
         "MD2"),
        ("head.a", midday(), {}, "closing", Conflict, "round"),  # opens at 16:00
        ("head.a", midday(), {}, "teatime", InvalidInput, "round"),
        ("lobby.a", midday(), {}, "midday", Forbidden, ""),  # not who configures the lobby
        ("admin", midday(), {}, "midday", Forbidden, ""),  # not the outlet's own staff
    ],
)  # fmt: skip
def test_refusals_store_nothing(
    db: Database,
    outlets: Bank,
    tmp_path: Path,
    username: str,
    answers: dict[str, Answer],
    photos: dict[str, selfcheck.Photo],
    round_name: str,
    error: type[Exception],
    field: str,
) -> None:
    audited = count(db, AuditEvent)
    with pytest.raises(error) as refused:
        submit(db, username, answers, photos, round_name=round_name, var_dir=tmp_path / "var")
    assert getattr(refused.value, "field", "") == field
    assert count(db, SelfCheckRound) == count(db, SelfCheckAnswer) == 0
    assert count(db, AuditEvent) == audited and not (tmp_path / "var").exists()


def told(db: Database, staff_id: int) -> int:
    with db.read() as session:
        return int(
            session.scalar(
                select(func.count(NotifyMessage.id)).where(
                    NotifyMessage.recipient_staff_id == staff_id
                )
            )
            or 0
        )


def test_a_missed_round_alerts_the_branch_once(db: Database, outlets: Bank) -> None:
    with db.session() as session:  # a head at the sub-branch above OUT-A
        staff_service.create_staff(
            session, jobs.WORKER, username="head.sub.a", display_name="支行长甲",
            unit_id=outlets.unit("SUB-A"), roles=[Role.BRANCH_HEAD], password="Test-pass-2026",
        )  # fmt: skip
    sub_head = who(db, "head.sub.a").staff_id
    submit(db, "head.a", midday(), at=NOON)  # midday done; opening missed at 10:00
    report = jobs.scan(db, NOON)
    # OUT-A's opening: its sub-branch's head and its own; in Urumqi it is 09:30, within the grace.
    assert (report.alerted, report.told) == (1, 2)
    assert told(db, sub_head) == 1 and told(db, outlets.staff["head_a"]) == 1
    assert told(db, outlets.staff["head_b"]) == 0
    assert jobs.scan(db, NOON + dt.timedelta(minutes=20)).alerted == 0  # once
    # A missed round may still be done late that day: recorded late, the alert kept.
    late = submit(db, "head.a", {i.code: Answer(i.code, True) for i in items_of(Round.OPENING)},
                  round_name="opening", at=NOON)  # fmt: skip
    with db.read() as session:
        outlet = session.get_one(Unit, outlets.unit("OUT-A"))
        today = views.today(session, outlet, NOON)
        row = session.get_one(SelfCheckRound, late)
    assert [r.status.value for r in today.rounds] == ["late", "done", "upcoming"]
    assert row.alerted_at is not None and row.alerted == 2


@pytest.mark.postgres
def test_two_workers_alert_a_missed_round_once(db: Database, outlets: Bank) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    with db.session() as session:
        jobs.plan(session, FIXED_NOW)
    evening = FIXED_NOW + dt.timedelta(hours=12)  # every round of both outlets missed
    reports: list[jobs.AlertReport] = []
    barrier = threading.Barrier(2)

    def work() -> None:
        barrier.wait()
        reports.append(jobs.scan(db, evening, batch=2))

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(r.alerted for r in reports) == 6
    assert told(db, outlets.staff["head_a"]) == 3 and told(db, outlets.staff["head_b"]) == 3


def test_scope(db: Database, outlets: Bank, tmp_path: Path) -> None:
    round_id = submit(db, "head.a", midday(MD2=Answer("MD2", False, "排队")), var_dir=tmp_path)
    other = who(db, "head.b")
    with db.session() as session, pytest.raises(NotFound):
        triage.outlet_of(session, other, "OUT-A")
    with db.session() as session, pytest.raises(NotFound):
        views.submitted(session, other, round_id)
    with db.session() as session, pytest.raises(NotFound):
        selfcheck.open_task(session, other, round_id, "MD2", NOON)
    with db.session() as session, pytest.raises(Forbidden):
        selfcheck.open_task(session, who(db, "teller.a"), round_id, "MD2", NOON)
    with db.session() as session, pytest.raises(NotFound):  # nor the board of another outlet
        views.focus_unit(session, other.unit_path, "OUT-A", other.unit_id)
    with db.read() as session:
        b = session.get_one(Unit, outlets.unit("OUT-B"))
        mine = views.board(session, session.get_one(Unit, outlets.unit("OUT-A")),
                           views.Period(NOON.date(), NOON.date()), "all", NOON, "zh")  # fmt: skip
    assert [code for code, _n, _t in mine.outlets] == ["OUT-A"] and b.code == "OUT-B"


def test_the_pages(
    db: Database, outlets: Bank, tmp_path: Path, time_machine: time_machine.TimeMachineFixture
) -> None:
    time_machine.move_to(NOON, tick=False)
    client = make_client(db, var_dir=tmp_path)
    sign_in(client, "head.a", PASSWORD)
    home = client.get("/guidance/selfcheck")
    assert home.status_code == 200 and 'data-testid="round-midday"' in home.text
    token = csrf_of(client, "/guidance/selfcheck?round=midday")
    form = {"csrf_token": token, "outlet": "OUT-A", "round": "midday"}
    form |= {f"a.{i.code}": "pass" for i in items_of(Round.MIDDAY)}
    bad = client.post("/guidance/selfcheck", data=form | {"a.MD3": "fail", "n.MD3": "故障"})
    assert bad.status_code == 422 and 'data-testid="item-error"' in bad.text
    assert 'id="item-MD3"' in bad.text and count(db, SelfCheckRound) == 0
    good = client.post(
        "/guidance/selfcheck",
        data=form | {"a.MD3": "fail", "n.MD3": "故障"},
        files={"p.MD3": ("p.png", PNG, "image/png")},
    )
    assert good.status_code == 303
    page = client.get(good.headers["location"])
    assert 'data-testid="make-task-MD3"' in page.text
    round_path = good.headers["location"].split("?")[0]
    task = client.post(f"{round_path}/items/MD3/task", data={"csrf_token": token})
    assert task.status_code == 303
    assert 'data-testid="task-MD3"' in client.get(round_path).text
    board = client.get("/guidance/selfcheck/board?show=all")
    assert board.status_code == 200 and 'data-unit="OUT-A"' in board.text
    assert client.get("/guidance/selfcheck/board?from=2026-13-01").status_code == 422
    export = client.get("/guidance/selfcheck/board.xlsx?show=all")
    sheets = load_workbook(io.BytesIO(export.content))
    assert [s.title for s in sheets.worksheets] == ["网点", "自查轮次"]
    teller = make_client(db)
    sign_in(teller, "teller.a", PASSWORD)
    assert teller.get("/guidance/selfcheck").status_code == 403


def test_the_demo_has_a_month_of_self_checks(db: Database) -> None:
    from manyi import demo
    from manyi.guidance.selfcheck_demo import seed_selfcheck

    with db.session() as session:
        demo.seed(session, password=demo.DEMO_PASSWORD)
    with db.session() as session:
        added = seed_selfcheck(session, FIXED_NOW)
    with db.session() as session:
        assert seed_selfcheck(session, FIXED_NOW + dt.timedelta(hours=3)) == 0
    with db.read() as session:
        rows = session.scalars(select(SelfCheckRound)).all()
        tasks = session.scalars(
            select(RectificationTask.source_ref).where(
                RectificationTask.source_ref.startswith("selfcheck:")
            )
        ).all()
    assert added == len(rows) == 2 * 20 * 3  # two outlets, twenty working days, three rounds
    assert {r.local_day for r in rows} <= {
        FIXED_NOW.date() - dt.timedelta(days=d) for d in range(1, 31)
    }
    missed = [r for r in rows if r.submitted_at is None]
    assert missed and all(r.alerted_at is not None for r in missed)
    assert any(r.failed for r in rows) and len(tasks) == 2 * 3
