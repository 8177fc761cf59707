"""Complaint counts by month, business type, cause, channel, intake or unit."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from manyi.complaints import categories
from manyi.complaints.domain.deadlines import zone_for
from manyi.complaints.domain.taxonomy import top_level
from manyi.complaints.tables import Complaint
from manyi.org.scope import in_scope
from manyi.org.tables import Unit

UNCLASSIFIED = "unclassified"


class By(enum.StrEnum):
    MONTH = "month"
    BUSINESS_TYPE = "business_type"
    CAUSE = "cause"
    CHANNEL = "channel"
    INTAKE = "intake"
    UNIT = "unit"


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    count: int
    change: float | None = None  # month over month, for --by month


_AXIS_COLUMN = {
    By.BUSINESS_TYPE: (Complaint.business_code, "business"),
    By.CAUSE: (Complaint.cause_code, "cause"),
    By.CHANNEL: (Complaint.channel_code, "channel"),
}


def counts(session: Session, by: By, *, scope_path: str = "/", lang: str = "zh") -> list[Row]:
    where: ColumnElement[bool] = (
        in_scope(Complaint.responsible_unit_path, scope_path) if scope_path != "/" else true()
    )
    if by is By.MONTH:
        return _by_month(session, where)
    if by is By.UNIT:
        rows = session.execute(
            select(Unit.code, Unit.name_zh, Unit.name_en, func.count())
            .join(Unit, Unit.id == Complaint.responsible_unit_id)
            .where(where)
            .group_by(Unit.code, Unit.name_zh, Unit.name_en)
        ).all()
        result = [Row(code, (en if lang == "en" and en else zh), n) for code, zh, en, n in rows]
        return sorted(result, key=lambda r: (-r.count, r.key))
    if by is By.INTAKE:
        from manyi.complaints.domain.taxonomy import Intake

        found = session.execute(
            select(Complaint.intake, func.count()).where(where).group_by(Complaint.intake)
        ).all()
        result = []
        for value, n in found:
            intake = Intake(value)
            result.append(Row(value, intake.name_en if lang == "en" else intake.name_zh, n))
        return sorted(result, key=lambda r: (-r.count, r.key))
    column, axis = _AXIS_COLUMN[by]
    names = categories.names(session, lang)
    totals: Counter[str] = Counter()
    for code, n in session.execute(select(column, func.count()).where(where).group_by(column)):
        totals[top_level(code) if code else UNCLASSIFIED] += n
    return sorted(
        (Row(key, names.get((axis, key), key), n) for key, n in totals.items()),
        key=lambda r: (-r.count, r.key),
    )


def _by_month(session: Session, where: ColumnElement[bool]) -> list[Row]:
    """Months in each case's own local time, oldest first, with the change on the month before."""
    totals: Counter[str] = Counter()
    statement = select(Complaint.received_at, Complaint.timezone).where(where)
    for received, tz in session.execute(statement.execution_options(yield_per=5000)):
        totals[received.astimezone(zone_for(tz)).strftime("%Y-%m")] += 1
    rows: list[Row] = []
    previous: int | None = None
    for month in sorted(totals):
        n = totals[month]
        change = None if not previous else (n - previous) / previous
        rows.append(Row(month, month, n, change))
        previous = n
    return rows
