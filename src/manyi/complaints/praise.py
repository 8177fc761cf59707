"""Praise (表扬) use cases: register it against a staff member and their outlet, list it within
a data scope. Who may: whoever registers complaints (`complaints.register`: complaint handlers,
lobby managers, complaint managers), for staff of units in their own scope. The count per staff
member and period is what supervision's service stars read (`facts.praise_for_staff`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.complaints.access import Caller
from manyi.complaints.domain import praise as rules
from manyi.complaints.praise_tables import ComplaintPraise
from manyi.errors import NotFound
from manyi.org.model import Permission, path_in_scope
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit

LIST_CAP = 500


def today_at(unit: Unit, now: dt.datetime) -> dt.date:
    """The unit's own day: praise given on the evening of the 1st in Beijing is the 1st's."""
    return now.astimezone(zoneinfo.ZoneInfo(unit.timezone)).date()


def register(
    session: Session,
    caller: Caller,
    *,
    staff_id: int | None,
    channel: str,
    received_on: dt.date | None,
    text: str,
    now: dt.datetime,
) -> ComplaintPraise:
    """Register one praise; InvalidInput (naming the field) or NotFound store nothing."""
    caller.need(Permission.COMPLAINTS_REGISTER)
    staff = session.get(Staff, staff_id) if staff_id is not None else None
    if staff_id is not None and (
        staff is None or not staff.active or not path_in_scope(caller.scope_path, staff.unit.path)
    ):
        raise NotFound("no staff member {id} in your scope", "staff_id", id=staff_id)
    today = today_at(staff.unit, now) if staff is not None else now.date()
    new = rules.check(staff_id, channel, received_on, text, today)
    assert staff is not None  # check() refused a missing one
    row = ComplaintPraise(
        staff_id=staff.id,
        unit_id=staff.unit_id,
        unit_path=staff.unit.path,
        channel=new.channel.value,
        received_on=new.received_on,
        text=new.text,
        registered_by_id=caller.staff_id,
        registered_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        caller.actor,
        entity_type="complaint_praise",
        entity_id=row.id,
        action="complaints.praise_registered",
        summary={"staff_id": staff.id, "channel": row.channel, "received_on": str(row.received_on)},
        unit_id=staff.unit_id,
        unit_path=staff.unit.path,
        now=now,
    )
    return row


@dataclass(frozen=True)
class PraiseLine:
    id: int
    staff_id: int
    staff_name: str
    unit_name: str
    channel: str
    received_on: dt.date
    text: str
    registered_by: str


def listing(
    session: Session,
    caller: Caller,
    *,
    unit_id: int | None = None,
    staff_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    lang: str = "zh",
) -> list[PraiseLine]:
    """Praise of staff in the caller's scope (optionally one unit's subtree or one person, and
    the days from `start` to `end` inclusive), the newest first, at most LIST_CAP rows."""
    caller.need(Permission.COMPLAINTS_VIEW)
    P = ComplaintPraise
    query = select(P).where(in_scope(P.unit_path, caller.scope_path))
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None or not path_in_scope(caller.scope_path, unit.path):
            raise NotFound("no unit {id} in your scope", "unit_id", id=unit_id)
        query = query.where(in_scope(P.unit_path, unit.path))
    if staff_id is not None:
        query = query.where(P.staff_id == staff_id)
    if start is not None:
        query = query.where(P.received_on >= start)
    if end is not None:
        query = query.where(P.received_on <= end)
    rows = list(session.scalars(query.order_by(P.received_on.desc(), P.id.desc()).limit(LIST_CAP)))
    people = _names(session, {r.staff_id for r in rows} | {r.registered_by_id or 0 for r in rows})
    units = {
        u.id: (u.name_en if lang == "en" and u.name_en else u.name_zh)
        for u in session.scalars(select(Unit).where(Unit.id.in_({r.unit_id for r in rows})))
    }
    return [
        PraiseLine(
            r.id,
            r.staff_id,
            people.get(r.staff_id, "?"),
            units.get(r.unit_id, "?"),
            r.channel,
            r.received_on,
            r.text,
            people.get(r.registered_by_id or 0, ""),
        )
        for r in rows
    ]


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(select(Staff.id, Staff.display_name).where(Staff.id.in_(ids))).all()
    return {int(i): str(name) for i, name in rows}


def staff_choices(session: Session, caller: Caller) -> list[tuple[int, str, str]]:
    """(id, display name, unit name) of the active staff in the caller's scope, by unit."""
    rows = session.execute(
        select(Staff.id, Staff.display_name, Unit.name_zh)
        .join(Unit, Unit.id == Staff.unit_id)
        .where(Staff.active.is_(True), in_scope(Unit.path, caller.scope_path))
        .order_by(Unit.path, Staff.display_name)
    ).all()
    return [(int(i), str(n), str(u)) for i, n, u in rows]


def units_in_scope(session: Session, caller: Caller) -> list[Unit]:
    return list(
        session.scalars(
            select(Unit)
            .where(Unit.active, in_scope(Unit.path, caller.scope_path))
            .order_by(Unit.path)
        )
    )
