"""Head office enters a year's holidays and make-up workdays (the State Council's notice), or
removes an entered year so the package (or Monday to Friday) counts again.

Both are bank-wide settings: only an actor at head office may make them
(`org.model.check_bank_wide_settings`, 403 for anyone else). A save is checked whole first
(`domain.notice`, each fault with its line number) and stores nothing unless every line passes;
it replaces the year's days, records who entered them and when, bumps the calendar's version
(so every process rebuilds its cached calendar) and goes on the audit chain.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import InvalidInput, NotFound
from manyi.org.model import check_bank_wide_settings
from manyi.workdays import calendars
from manyi.workdays.domain.calendar import DayKind, EnteredDay
from manyi.workdays.domain.notice import NoticeError, Problem, parse_notice
from manyi.workdays.tables import WorkdayCalendarVersion, WorkdayDay, WorkdayYear

__all__ = ["InvalidNotice", "remove_year", "save_year"]

MAX_SOURCE = 200


class InvalidNotice(InvalidInput):
    """The notice's lines were refused; `problems` says which and why (line 0: the whole)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            "the holidays were not saved: {count} problems", "text", count=len(problems)
        )


@dataclass(frozen=True)
class Saved:
    year: int
    holidays: int
    workdays: int


def _bump(session: Session, now: dt.datetime) -> None:
    token = uuid.uuid4().hex
    result = session.execute(
        update(WorkdayCalendarVersion)
        .where(WorkdayCalendarVersion.id == 1)
        .values(revision=WorkdayCalendarVersion.revision + 1, token=token, changed_at=now)
    )
    changed = int(getattr(result, "rowcount", 0) or 0)
    if not changed:  # a schema made without the migration (which inserts the row)
        session.add(WorkdayCalendarVersion(id=1, revision=1, token=token, changed_at=now))
    session.flush()
    calendars.changed(session, now)


def _clashes(session: Session, year: int, days: list[EnteredDay], text: str) -> list[Problem]:
    """Dates already entered under another year's notice (a December day, say)."""
    listed = {d.day for d in days}
    taken = session.execute(
        select(WorkdayDay.day, WorkdayDay.year).where(
            WorkdayDay.year != year, WorkdayDay.day.in_(listed)
        )
    ).all()
    if not taken:
        return []
    lines = text.splitlines()
    problems = []
    for day, other in sorted(taken):
        number = next((i for i, line in enumerate(lines, 1) if day.isoformat() in line), 0)
        problems.append(
            Problem(
                number,
                "{day} is already entered in the {other} notice",
                {"day": day.isoformat(), "other": other},
            )
        )
    return problems


def save_year(
    session: Session,
    actor: audit.Actor,
    year: int,
    text: str,
    now: dt.datetime,
    *,
    level: str,
    source: str = "",
    display_name: str = "",
) -> Saved:
    """Enter (or replace) `year`'s holidays and make-up workdays from the notice's lines."""
    check_bank_wide_settings(level)
    source = source.strip()
    if len(source) > MAX_SOURCE:
        raise InvalidInput("at most {n} characters", "source", n=MAX_SOURCE)
    try:
        days = parse_notice(year, text)
    except NoticeError as exc:
        raise InvalidNotice(exc.problems) from None
    clashes = _clashes(session, year, days, text)
    if clashes:
        raise InvalidNotice(clashes)
    row = session.get(WorkdayYear, year)
    replaced = row is not None
    if row is None:
        row = WorkdayYear(year=year)
        session.add(row)
    row.text = text.strip()
    row.source = source
    row.entered_by_id = actor.id
    row.entered_by_name = (display_name or actor.name)[:120]
    row.entered_at = now
    session.flush()
    session.execute(delete(WorkdayDay).where(WorkdayDay.year == year))
    session.add_all(WorkdayDay(day=d.day, year=year, kind=d.kind.value, name=d.name) for d in days)
    _bump(session, now)
    saved = Saved(
        year=year,
        holidays=sum(d.kind is DayKind.HOLIDAY for d in days),
        workdays=sum(d.kind is DayKind.WORKDAY for d in days),
    )
    audit.record(
        session,
        actor,
        entity_type="workday_year",
        entity_id=year,
        action="workdays.replace" if replaced else "workdays.enter",
        summary={
            "year": year,
            "holidays": saved.holidays,
            "workdays": saved.workdays,
            "source": source,
        },
        unit_id=actor.unit_id,
        unit_path=actor.unit_path or None,
        now=now,
    )
    return saved


def remove_year(
    session: Session, actor: audit.Actor, year: int, now: dt.datetime, *, level: str
) -> None:
    """Forget an entered year: the package (or Monday to Friday) counts for it again."""
    check_bank_wide_settings(level)
    row = session.get(WorkdayYear, year)
    if row is None:
        raise NotFound("{year} was not entered", "year", year=year)
    session.execute(delete(WorkdayDay).where(WorkdayDay.year == year))
    session.delete(row)
    _bump(session, now)
    audit.record(
        session,
        actor,
        entity_type="workday_year",
        entity_id=year,
        action="workdays.remove",
        summary={"year": year},
        unit_id=actor.unit_id,
        unit_path=actor.unit_path or None,
        now=now,
    )
