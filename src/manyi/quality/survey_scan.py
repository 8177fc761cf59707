"""The invitation scan (worker job "survey-invitations"): finished visits become invitations.

Each pass reads what finished since the trigger's position (`survey_scan_positions`, less a
little slack for units of work still committing) up to now: tickets served (the lobby's public
`tables`), counter bundles finished and complaints closed (read as plain tables by name: quality
imports neither the counter nor complaints). `surveys.invite` decides (one per visit, sampled,
quiet period), so a row read twice is invited once. The job holds a lease: one worker at a time.

Customer keys for the quiet period: a complaint's `person_key`; a bundle's customer, the same
blind index (`personal.person_key`) of the ID number (else mobile) on its sealed form; tickets
carry no customer identity, so tickets have no quiet period (one invitation per visit still).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, column, select, table
from sqlalchemy.orm import Session

from manyi import personal, sealed
from manyi.config import Settings
from manyi.db import Database
from manyi.lobby.tables import LobbyTicket
from manyi.org.tables import Unit
from manyi.quality.survey_tables import SurveyScanPosition
from manyi.quality.surveys import Visit, invite
from manyi.worker import JobResult, WorkerJob

SLACK = dt.timedelta(minutes=2)  # a unit of work that finished a visit may commit this late
FIRST_LOOK_BACK = dt.timedelta(days=1)  # the very first pass: visits of the last day
BATCH = 2000  # rows per trigger per pass

BUNDLES = table(
    "counter_bundles",
    column("id", Integer),
    column("outlet_id", Integer),
    column("outlet_path", String),
    column("teller_id", Integer),
    column("ticket_id", Integer),
    column("state", String),
    column("form_values", Text),
    column("finished_at", DateTime(timezone=True)),
)
COMPLAINTS = table(
    "complaints",
    column("id", Integer),
    column("state", String),
    column("person_key", String),
    column("responsible_unit_id", Integer),
    column("responsible_unit_path", String),
    column("handler_id", Integer),
    column("business_code", String),
    column("closed_at", DateTime(timezone=True)),
)
BUNDLE_NOT_FINISHED = ("failed", "cancelled", "rejected")


def ticket_visit_key(outlet_id: int, local_day: dt.date, number: str) -> str:
    """One visit: every leg of a ticket (transfers keep the number) on that business day."""
    return f"t:{outlet_id}:{local_day.isoformat()}:{number}"


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _tickets(
    session: Session, low: dt.datetime, high: dt.datetime
) -> Iterator[tuple[dt.datetime, Visit]]:
    rows = session.execute(
        select(
            LobbyTicket.outlet_id,
            LobbyTicket.local_day,
            LobbyTicket.number,
            LobbyTicket.teller_id,
            LobbyTicket.service_code,
            LobbyTicket.finished_at,
            Unit.path,
        )
        .join(Unit, Unit.id == LobbyTicket.outlet_id)
        .where(
            LobbyTicket.outcome == "served",
            LobbyTicket.finished_at > low,
            LobbyTicket.finished_at <= high,
        )
        .order_by(LobbyTicket.finished_at, LobbyTicket.id)
        .limit(BATCH)
    )
    for r in rows:
        yield (
            r.finished_at,
            Visit(
                "ticket",
                ticket_visit_key(r.outlet_id, r.local_day, r.number),
                r.outlet_id,
                r.path,
                r.teller_id,
                r.service_code,
            ),
        )


def _bundle_customer(stored: str | None) -> str | None:
    if not stored or stored in ("{}", "[]"):
        return None
    try:
        values = json.loads(sealed.keyring().open(stored, "counter_bundles.form_values"))
    except (sealed.SealError, ValueError):
        return None
    if not isinstance(values, dict):
        return None
    id_number, mobile = values.get("id_number"), values.get("mobile")
    return personal.person_key(
        id_number if isinstance(id_number, str) else None,
        mobile if isinstance(mobile, str) else None,
        keys=sealed.keyring(),
    )


def _bundles(
    session: Session, low: dt.datetime, high: dt.datetime, bundle_id: int | None = None
) -> Iterator[tuple[dt.datetime, Visit]]:
    """Bundles finished in (low, high]; or the one bundle `bundle_id`, finished at all."""
    b = BUNDLES.alias("b")
    if bundle_id is None:
        which = [b.c.finished_at > low, b.c.finished_at <= high]
    else:
        which = [b.c.id == bundle_id, b.c.finished_at.is_not(None)]
    rows = session.execute(
        select(
            b.c.id,
            b.c.outlet_id,
            b.c.outlet_path,
            b.c.teller_id,
            b.c.form_values,
            b.c.finished_at,
            LobbyTicket.local_day,
            LobbyTicket.number,
            LobbyTicket.service_code,
        )
        .outerjoin(LobbyTicket, LobbyTicket.id == b.c.ticket_id)
        .where(*which, b.c.state.not_in(BUNDLE_NOT_FINISHED))
        .order_by(b.c.finished_at, b.c.id)
        .limit(BATCH)
    )
    for r in rows:
        key = (
            ticket_visit_key(r.outlet_id, r.local_day, r.number)
            if r.number is not None
            else f"b:{r.id}"
        )
        yield (
            r.finished_at,
            Visit(
                "bundle",
                key,
                r.outlet_id,
                r.outlet_path,
                r.teller_id,
                r.service_code,
                _bundle_customer(r.form_values),
            ),
        )


def _complaints(
    session: Session, low: dt.datetime, high: dt.datetime
) -> Iterator[tuple[dt.datetime, Visit]]:
    c = COMPLAINTS.alias("c")
    rows = session.execute(
        select(
            c.c.id,
            c.c.person_key,
            c.c.responsible_unit_id,
            c.c.responsible_unit_path,
            c.c.handler_id,
            c.c.business_code,
            c.c.closed_at,
        )
        .where(c.c.state == "closed", c.c.closed_at > low, c.c.closed_at <= high)
        .order_by(c.c.closed_at, c.c.id)
        .limit(BATCH)
    )
    for r in rows:
        yield (
            r.closed_at,
            Visit(
                "complaint",
                f"c:{r.id}",
                r.responsible_unit_id,
                r.responsible_unit_path,
                r.handler_id,
                (r.business_code or None) and str(r.business_code)[:32],
                r.person_key,
            ),
        )


def bundle_visit(session: Session, bundle_id: int) -> Visit | None:
    """The visit of one finished bundle (for its e-voucher), or None."""
    found = list(_bundles(session, dt.datetime.min, dt.datetime.max, bundle_id))
    return found[0][1] if found else None


SOURCES = {"bundle": _bundles, "ticket": _tickets, "complaint": _complaints}


def scan(session: Session, now: dt.datetime, expiry_days: int) -> dict[str, int]:
    """One pass: invitations made, by trigger. Bundles first: a bundle done for a ticket gets
    the counter survey, and the ticket of the same visit is then not asked again. Each source is
    read in the order its visits ended, ties by id: visits of one customer that end at the same
    moment are asked in the same order by every pass, on either engine (PostgreSQL returned ties
    in any order, and another of them could take the customer's quiet period)."""
    made: dict[str, int] = {}
    for trigger, source in SOURCES.items():
        position = session.get(SurveyScanPosition, trigger)
        if position is None:
            position = SurveyScanPosition(trigger=trigger, scanned_to=now - FIRST_LOOK_BACK)
            session.add(position)
        low = _aware(position.scanned_to) - SLACK
        count = 0
        found = list(source(session, low, now))
        for _finished, visit in found:
            if invite(session, visit, now, expiry_days) is not None:
                count += 1
        # A full batch: the next pass goes on from its last row (re-reading ties is harmless).
        position.scanned_to = _aware(found[-1][0]) if len(found) == BATCH else now
        made[trigger] = count
    session.flush()
    return made


def _run(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    with db.session() as session:
        made = scan(session, now, settings.survey_expiry_days)
    summary = ", ".join(f"{trigger} {n}" for trigger, n in made.items())
    return JobResult(done=sum(made.values()), summary=f"survey invitations: {summary}")


JOBS = (WorkerJob("survey-invitations", _run, every_s=30, lease_s=30),)
