"""What the self-check pages read: today's rounds of an outlet (planned or, before the worker
planned them, as they will be), a round's form and a submitted round, and the branch's board
(per outlet over a period, and the rounds missed, late or with failed items)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from manyi.errors import InvalidInput, NotFound
from manyi.guidance.access import Who
from manyi.guidance.domain import selfcheck as rules
from manyi.guidance.domain.selfcheck import Item, Planned, Round, Status, Tally
from manyi.guidance.selfcheck import hours_of, load_round, photo_path, planned_of
from manyi.guidance.selfcheck_tables import SelfCheckAnswer as A
from manyi.guidance.selfcheck_tables import SelfCheckRound as R
from manyi.org.model import path_in_scope
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit
from manyi.supervision import rectification
from manyi.workdays.calendars import bank_calendar

MAX_DAYS = 92  # the board's longest period
LIST_MAX = 300  # rounds listed on the board


@dataclass(frozen=True)
class RoundView:
    round: Round
    planned: Planned
    status: Status
    id: int | None  # None: not planned yet
    submitted_at: dt.datetime | None
    submitted_by: str
    failed: int


@dataclass(frozen=True)
class TodayView:
    outlet: Unit
    day: dt.date
    holiday: str | None  # no rounds that day: the holiday's name, or "" (a day it is closed)
    lobby_set_up: bool  # False: no opening hours, no self-check
    rounds: list[RoundView]


def today(session: Session, outlet: Unit, now: dt.datetime) -> TodayView:
    day = rules.local_day(now, outlet.timezone)
    calendar = bank_calendar(session)
    stored = {
        r.round: r
        for r in session.scalars(select(R).where(R.outlet_id == outlet.id, R.local_day == day))
    }
    names = _names(session, [r.submitted_by_id for r in stored.values()])
    views = []
    if stored:
        for row in sorted(stored.values(), key=lambda r: r.due_at):
            planned = planned_of(row)
            views.append(
                RoundView(
                    planned.round, planned, rules.status(planned, row.submitted_at, now), row.id,
                    row.submitted_at, names.get(row.submitted_by_id or 0, ""), row.failed,
                )
            )  # fmt: skip
    hours = hours_of(session, outlet)
    if not stored and hours is not None:
        for planned in rules.plan_day(day, outlet.timezone, hours, hours.open_on(day, calendar)):
            views.append(
                RoundView(
                    planned.round, planned, rules.status(planned, None, now), None, None, "", 0
                )
            )
    holiday = None if views else (calendar.holiday_name(day) or "")
    return TodayView(outlet, day, holiday, hours is not None or bool(stored), views)


def _names(session: Session, ids: list[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(
        session.execute(select(Staff.id, Staff.display_name).where(Staff.id.in_(wanted))).all()
    )


@dataclass(frozen=True)
class AnswerView:
    item: Item
    passed: bool
    note: str
    photos: list[str]  # sha256 of each photo
    task_id: int | None
    task_state: str


@dataclass(frozen=True)
class SubmittedView:
    row: R
    outlet: Unit
    status: Status
    submitted_by: str
    answers: list[AnswerView] = field(default_factory=list)


def submitted(session: Session, who: Who, round_id: int) -> SubmittedView:
    row = load_round(session, who, round_id)
    if row.submitted_at is None:
        raise NotFound("round {id} has not been submitted", "round", id=round_id)
    outlet = session.get_one(Unit, row.outlet_id)
    items = {i.code: i for i in rules.checklist(row.version)}
    stored = session.scalars(select(A).where(A.round_id == row.id)).all()
    tasks = {
        t.id: t.state.value
        for t in rectification.tasks_for_source(
            session, rectification.Source.MANUAL, f"selfcheck:{row.id}:"
        )
    }
    answers = [
        AnswerView(
            items[a.code], a.passed, a.note, [p["sha256"] for p in a.photos or []], a.task_id,
            tasks.get(a.task_id or 0, ""),
        )
        for a in sorted(stored, key=lambda a: list(items).index(a.code))
    ]  # fmt: skip
    status = rules.status(planned_of(row), row.submitted_at, row.submitted_at)
    by = _names(session, [row.submitted_by_id]).get(row.submitted_by_id or 0, "")
    return SubmittedView(row, outlet, status, by, answers)


def read_photo(
    session: Session, who: Who, round_id: int, sha256: str, var_dir: Path
) -> tuple[str, bytes]:
    """(content type, bytes) of a photo of the round, if the actor's scope holds it."""
    row = load_round(session, who, round_id)
    for answer in session.scalars(select(A).where(A.round_id == row.id)):
        for photo in answer.photos or []:
            path = photo_path(var_dir, sha256)
            if photo["sha256"] == sha256 and path.exists():
                return str(photo["content_type"]), path.read_bytes()
    raise NotFound("there is no such photo in round {id}", "photo", id=round_id)


# --- the branch's board -------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date

    @classmethod
    def parse(cls, first: str, last: str, today: dt.date) -> Period:
        try:
            end = dt.date.fromisoformat(last) if last.strip() else today
        except ValueError:
            raise InvalidInput("a date like 2026-11-30", "to") from None
        try:
            start = dt.date.fromisoformat(first) if first.strip() else end
        except ValueError:
            raise InvalidInput("a date like 2026-11-30", "from") from None
        if start > end:
            raise InvalidInput("the period starts after it ends", "from")
        if (end - start).days >= MAX_DAYS:
            raise InvalidInput("a period of at most {n} days", "from", n=MAX_DAYS)
        return cls(start, end)


SHOWS = ("problems", "missed", "late", "failed", "all")


@dataclass(frozen=True)
class BoardRound:
    id: int
    day: dt.date
    outlet_code: str
    outlet_name: str
    round: Round
    status: Status
    due_at: dt.datetime
    submitted_at: dt.datetime | None
    submitted_by: str
    failed: int
    alerted: bool


@dataclass(frozen=True)
class Board:
    focus: Unit
    period: Period
    outlets: list[tuple[str, str, Tally]]  # (code, name, tally) of each outlet with rounds
    total: Tally
    rounds: list[BoardRound]


def focus_unit(session: Session, scope_path: str, code: str, own_unit_id: int) -> Unit:
    if not code.strip():
        return session.get_one(Unit, own_unit_id)
    unit = session.scalar(select(Unit).where(Unit.code == code.strip()[:40]))
    if unit is None or not path_in_scope(scope_path, unit.path):
        raise NotFound("there is no unit {code} in your scope", "unit", code=code[:40])
    return unit


def board(
    session: Session, focus: Unit, period: Period, show: str, now: dt.datetime, lang: str
) -> Board:
    if show not in SHOWS:
        raise InvalidInput("unknown filter {show}", "show", show=show[:20])
    where = and_(
        in_scope(R.outlet_path, focus.path), R.local_day >= period.first, R.local_day <= period.last
    )
    done = and_(R.submitted_at.is_not(None), R.submitted_at < R.missed_at)
    late = R.submitted_at >= R.missed_at
    missed = and_(R.submitted_at.is_(None), R.missed_at <= now)

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0))

    name = Unit.name_en if lang == "en" else Unit.name_zh
    tasks = dict(
        session.execute(
            select(R.outlet_id, func.count(A.id))
            .join(A, A.round_id == R.id)
            .where(where, A.task_id.is_not(None))
            .group_by(R.outlet_id)
        ).all()
    )
    outlets, total = [], Tally()
    for outlet_id, code, outlet_name, n, n_done, n_late, n_missed, failed in session.execute(
        select(
            R.outlet_id, Unit.code, name, func.count(R.id), count(done), count(late),
            count(missed), func.sum(R.failed),
        )
        .join(Unit, Unit.id == R.outlet_id)
        .where(where)
        .group_by(R.outlet_id, Unit.code, name)
        .order_by(Unit.code)
    ):  # fmt: skip
        tally = Tally(
            int(n), int(n_done or 0), int(n_late or 0), int(n_missed or 0),
            int(n) - int(n_done or 0) - int(n_late or 0) - int(n_missed or 0),
            int(failed or 0), int(tasks.get(outlet_id, 0)),
        )  # fmt: skip
        outlets.append((code, outlet_name or code, tally))
        for key in ("planned", "done", "late", "missed", "pending", "failed_items", "tasks"):
            setattr(total, key, getattr(total, key) + getattr(tally, key))
    chosen = {
        "problems": or_(late, missed, R.failed > 0),
        "missed": missed,
        "late": late,
        "failed": R.failed > 0,
        "all": R.id.is_not(None),
    }[show]
    rows = session.execute(
        select(R, Unit.code, name)
        .join(Unit, Unit.id == R.outlet_id)
        .where(where, chosen)
        .order_by(R.due_at.desc(), Unit.code)
        .limit(LIST_MAX)
    ).all()
    names = _names(session, [r.submitted_by_id for r, _c, _n in rows])
    listed = [
        BoardRound(
            r.id, r.local_day, code, outlet_name or code, Round(r.round),
            rules.status(planned_of(r), r.submitted_at, now), r.due_at, r.submitted_at,
            names.get(r.submitted_by_id or 0, ""), r.failed, r.alerted_at is not None,
        )
        for r, code, outlet_name in rows
    ]  # fmt: skip
    return Board(focus, period, outlets, total, listed)
