"""The complaints filed under prominent-issue categories, as the tracker and the detector read
them: one small row per case, on its local day (the case's own time zone)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.complaints.tables import Complaint
from manyi.org.scope import in_scope


@dataclass(frozen=True)
class IssueCase:
    id: int
    code: str  # the prominent-issue category
    day: dt.date  # the local day it was received
    unit_path: str  # the responsible unit's path


def cases(
    session: Session,
    scope_path: str,
    since: dt.date,
    until: dt.date,
    *,
    codes: Sequence[str] | None = None,
) -> list[IssueCase]:
    """Cases in the scope (responsible unit) with a category, received from `since` to the day
    before `until` (local days)."""
    margin = dt.timedelta(days=1)  # local days straddle UTC midnight; trimmed below
    low = dt.datetime.combine(since - margin, dt.time(), dt.UTC)
    high = dt.datetime.combine(until + margin, dt.time(), dt.UTC)
    query = select(
        Complaint.id,
        Complaint.issue_code,
        Complaint.received_at,
        Complaint.timezone,
        Complaint.responsible_unit_path,
    ).where(
        Complaint.issue_code.is_not(None),
        Complaint.received_at >= low,
        Complaint.received_at < high,
        in_scope(Complaint.responsible_unit_path, scope_path),
    )
    if codes is not None:
        query = query.where(Complaint.issue_code.in_(list(codes)))
    zones: dict[str, ZoneInfo] = {}
    found = []
    for id_, code, received_at, zone, path in session.execute(query):
        tz = zones.setdefault(zone, ZoneInfo(zone or "Asia/Shanghai"))
        day = received_at.astimezone(tz).date()
        if code and since <= day < until:
            found.append(IssueCase(id_, code, day, path))
    return found


def references(session: Session, ids: Sequence[int], scope_path: str) -> list[tuple[int, str, str]]:
    """(id, reference, subject) of the cases with these ids in the scope, by id."""
    if not ids:
        return []
    rows = session.execute(
        select(Complaint.id, Complaint.reference, Complaint.subject)
        .where(Complaint.id.in_(list(ids)), in_scope(Complaint.responsible_unit_path, scope_path))
        .order_by(Complaint.id)
    )
    return [(r[0], r[1], r[2]) for r in rows]
