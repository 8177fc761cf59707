"""The monthly anonymous pulse survey: answering once a month, and the report by unit.

An answer is stored with the unit and month only (`tables.PulseAnswer`: a random key, no
staff id, no time); "this staff member answered this month" is a separate row
(`PulseAnswered`) that refuses a second answer. Both are written in the answering
transaction; nothing links one to the other but the month, which a whole unit shares.
Results (`results`) sum answers per unit in SQL and show only groups of five or more
(`domain.pulse.report`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from manyi.errors import Conflict, InvalidInput
from manyi.org.scope import in_scope
from manyi.org.tables import Unit
from manyi.workload.domain import pulse
from manyi.workload.tables import PulseAnswer, PulseAnswered

MONTH_FORMAT = "%Y-%m"


def month_of(now: dt.datetime, zone: ZoneInfo) -> str:
    return now.astimezone(zone).strftime(MONTH_FORMAT)


def check_month(text: str) -> str:
    try:
        return dt.datetime.strptime(text, MONTH_FORMAT).strftime(MONTH_FORMAT)
    except ValueError:
        raise InvalidInput("month: a month like 2026-03", "month") from None


def has_answered(session: Session, staff_id: int, month: str) -> bool:
    return session.get(PulseAnswered, (staff_id, month)) is not None


@dataclass(frozen=True)
class Respondent:
    staff_id: int
    unit_id: int
    unit_path: str


def answer(
    session: Session,
    who: Respondent,
    form: Mapping[str, str],
    now: dt.datetime,
    zone: ZoneInfo,
) -> str:
    """Store this month's answer; refused when already answered. Returns the month."""
    parsed = pulse.parse_answer(form)
    month = month_of(now, zone)
    if has_answered(session, who.staff_id, month):
        raise Conflict("you already answered this month's survey", "pulse")
    try:
        with session.begin_nested():
            session.add(PulseAnswered(staff_id=who.staff_id, month=month))
            session.flush()
    except IntegrityError:  # answered meanwhile in another tab
        raise Conflict("you already answered this month's survey", "pulse") from None
    session.add(
        PulseAnswer(
            id=secrets.token_hex(16),
            unit_id=who.unit_id,
            unit_path=who.unit_path,
            month=month,
            comment=parsed.comment,
            **parsed.scores,
        )
    )
    session.flush()
    return month


@dataclass(frozen=True)
class Results:
    month: str
    report: pulse.Report
    comments: tuple[str, ...]  # of the whole scope, only with its total shown


def results(session: Session, scope_path: str, month: str, lang: str) -> Results:
    """The month's answers in the scope, by unit, never a group under five."""
    sums = [func.sum(getattr(PulseAnswer, q)) for q in pulse.QUESTIONS]
    rows = session.execute(
        select(PulseAnswer.unit_id, func.count(), *sums)
        .where(PulseAnswer.month == month, in_scope(PulseAnswer.unit_path, scope_path))
        .group_by(PulseAnswer.unit_id)
    ).all()
    units = {
        u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_([r[0] for r in rows])))
    }
    groups = [
        pulse.Group(
            key=units[r[0]].code,
            name=units[r[0]].name(lang),
            respondents=int(r[1]),
            sums={q: int(v) for q, v in zip(pulse.QUESTIONS, r[2:], strict=True)},
        )
        for r in rows
    ]
    pooled = "Other units together" if lang == "en" else "其余单位合计"
    total = "All in scope" if lang == "en" else "范围内全部"
    report = pulse.report(groups, pooled_name=pooled, total_name=total)
    comments: tuple[str, ...] = ()
    if report.total is not None:
        comments = tuple(
            session.scalars(
                select(PulseAnswer.comment)
                .where(
                    PulseAnswer.month == month,
                    in_scope(PulseAnswer.unit_path, scope_path),
                    PulseAnswer.comment != "",
                )
                .order_by(PulseAnswer.comment)  # not the order answered
            )
        )
    return Results(month, report, comments)
