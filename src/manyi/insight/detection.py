"""The emerging-issue detector at work: weekly counts per category × unit from the stored
complaints, judged by `domain.detector`, and one alert stored per category × unit × week.

`scan(db, now)` judges the last complete week (Monday to Sunday, bank time) against the twelve
before it. Storing is idempotent and safe with several workers: an INSERT … ON CONFLICT DO
NOTHING … RETURNING on the (category, unit, week) unique constraint, whose id comes back only to
the pass that stored the alert; a second pass, or a second worker, stores nothing. The worker
job runs it hourly with a bank-wide lease (`jobs.py`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from manyi.db import Database
from manyi.insight import issue_cases, issues
from manyi.insight.domain import detector
from manyi.insight.tables import IssueAlert
from manyi.insight.tracker import today_of
from manyi.org.tables import Unit


@dataclass(frozen=True)
class ScanReport:
    week: dt.date
    series: int  # category × unit series with a case in the window
    alerts: int  # alerts raised this week
    stored: int  # of which stored by this pass (the others were there already)

    def line(self) -> str:
        return (
            f"emerging issues, week of {self.week.isoformat()}: {self.alerts} alerts "
            f"({self.stored} new) over {self.series} series"
        )


def last_complete_week(now: dt.datetime) -> dt.date:
    return detector.week_start(today_of(now)) - dt.timedelta(weeks=1)


def judge(
    session: Session,
    week: dt.date,
    thresholds: detector.Thresholds = detector.DEFAULT,
) -> tuple[int, list[detector.Alert]]:
    """The alerts for the week starting `week` (a Monday), bank-wide; and how many series."""
    codes = [c.code for c in issues.categories(session)]
    since = week - dt.timedelta(weeks=thresholds.baseline_weeks)
    found = issue_cases.cases(session, "/", since, week + dt.timedelta(weeks=1), codes=codes)
    cases = []
    for c in found:
        unit_id = detector.detection_unit(c.unit_path)
        if unit_id is not None:
            cases.append(detector.Case(c.id, c.code, unit_id, c.day))
    series = len({(c.category, c.unit_id) for c in cases})
    return series, detector.detect(cases, week, thresholds)


def store(session: Session, alerts: list[detector.Alert], now: dt.datetime) -> int:
    """Insert the alerts not stored yet; returns how many this call stored."""
    if not alerts:
        return 0
    paths = {
        unit_id: path
        for unit_id, path in session.execute(
            select(Unit.id, Unit.path).where(Unit.id.in_({a.unit_id for a in alerts}))
        )
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stored = 0
    for a in alerts:
        if a.unit_id not in paths:
            continue
        statement = (
            insert(IssueAlert)
            .values(
                category_code=a.category,
                unit_id=a.unit_id,
                unit_path=paths[a.unit_id],
                week=a.week,
                count=a.assessment.count,
                expected=a.assessment.expected,
                p_value=a.assessment.p_value,
                method=a.assessment.method,
                case_ids=list(a.case_ids),
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["category_code", "unit_id", "week"])
            .returning(IssueAlert.id)
        )
        # A row comes back only when this statement inserted it (the conflict returns none).
        stored += session.execute(statement).scalar_one_or_none() is not None
    return stored


def scan(db: Database, now: dt.datetime, *, week: dt.date | None = None) -> ScanReport:
    """Judge the last complete week (or `week`) and store its new alerts."""
    week = week or last_complete_week(now)
    with db.session() as session:
        series, alerts = judge(session, week)
        stored = store(session, alerts, now)
    return ScanReport(week, series, len(alerts), stored)
