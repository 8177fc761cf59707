"""Reading bundles for the screens: the teller's called ticket, their bundles of the day,
everything one bundle's screen shows (`view`), and the authorisation requests as the
supervisors' screens show them (`requests_shown`, `request_shown`). No changes here;
bundles.py changes bundles, authorisations.py decides requests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.counter.access import Clerk, bundle_for
from manyi.counter.domain.bundle_states import Action, allowed_actions
from manyi.counter.domain.catalogue import TransactionType
from manyi.counter.domain.merge import MergedForm, merge
from manyi.counter.store import items_of, types_of
from manyi.counter.tables import (
    CounterAuthorisation,
    CounterBundle,
    CounterBundleItem,
    CounterCorrection,
    CounterPrefill,
)
from manyi.errors import NotFound
from manyi.lobby.tables import LobbyTicket
from manyi.org.model import Permission
from manyi.org.tables import Staff, Unit

__all__ = [
    "BundleView",
    "CalledTicket",
    "RequestShown",
    "bundle_reference",
    "called_ticket",
    "current_ticket",
    "recent",
    "request_shown",
    "requests_shown",
    "run_outcomes",
    "view",
]

_LIVE_TICKET = ("called", "serving")


def current_ticket(session: Session, teller: Clerk) -> LobbyTicket | None:
    """The ticket the teller called last and has not finished."""
    return session.scalar(
        select(LobbyTicket)
        .where(
            LobbyTicket.teller_id == teller.staff_id,
            LobbyTicket.outlet_id == teller.unit_id,
            LobbyTicket.state.in_(_LIVE_TICKET),
        )
        .order_by(LobbyTicket.last_called_at.desc(), LobbyTicket.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class CalledTicket:
    number: str
    has_prefill: bool


def called_ticket(session: Session, teller: Clerk, now: dt.datetime) -> CalledTicket | None:
    """The ticket the teller is serving and whether a pre-fill came with it (for the screen)."""
    teller.need(Permission.COUNTER_OPERATE)
    ticket = current_ticket(session, teller)
    if ticket is None:
        return None
    found = session.scalar(
        select(CounterPrefill.id).where(
            CounterPrefill.ticket_token == ticket.public_token,
            CounterPrefill.outlet_id == ticket.outlet_id,
            CounterPrefill.expires_at > now,
        )
    )
    return CalledTicket(ticket.number, found is not None)


@dataclass(frozen=True)
class BundleView:
    bundle: CounterBundle
    items: list[CounterBundleItem]
    types: list[TransactionType]
    form: MergedForm
    request: CounterAuthorisation | None
    corrections: list[CounterCorrection]
    actions: frozenset[Action]


def view(session: Session, clerk: Clerk, reference: str) -> BundleView:
    """Everything the teller's screen (or a supervisor's) shows of one bundle."""
    clerk.need_any(Permission.COUNTER_OPERATE, Permission.COUNTER_VIEW)
    bundle = bundle_for(session, clerk, reference, lock=False)
    items = items_of(session, bundle)
    types = types_of(session, items)
    request = session.scalar(
        select(CounterAuthorisation).where(CounterAuthorisation.bundle_id == bundle.id)
    )
    corrections = list(
        session.scalars(
            select(CounterCorrection)
            .where(CounterCorrection.bundle_id == bundle.id)
            .order_by(CounterCorrection.id)
        )
    )
    return BundleView(
        bundle, items, types, merge(types), request, corrections, allowed_actions(bundle.state)
    )


def recent(
    session: Session, teller: Clerk, since: dt.datetime, limit: int = 20
) -> list[CounterBundle]:
    """The teller's own bundles opened since `since`, newest first (the screen's list)."""
    teller.need(Permission.COUNTER_OPERATE)
    return list(
        session.scalars(
            select(CounterBundle)
            .where(CounterBundle.teller_id == teller.staff_id, CounterBundle.opened_at >= since)
            .order_by(CounterBundle.opened_at.desc(), CounterBundle.id.desc())
            .limit(limit)
        )
    )


def run_outcomes(session: Session, bundles: list[CounterBundle]) -> dict[int, str]:
    """How each bundle's run went, by bundle id, for those that ran: "done" (every item
    posted), "partial" or "failed" (none posted). A signed or archived bundle's state no
    longer says it; its items still do."""
    ran = [b.id for b in bundles if b.finished_at is not None]
    if not ran:
        return {}
    posted: dict[int, list[bool]] = {}
    rows = session.execute(
        select(CounterBundleItem.bundle_id, CounterBundleItem.status).where(
            CounterBundleItem.bundle_id.in_(ran)
        )
    )
    for bundle_id, status in rows:
        posted.setdefault(bundle_id, []).append(status == "posted")
    return {
        bundle_id: "done" if all(flags) else "partial" if any(flags) else "failed"
        for bundle_id, flags in posted.items()
    }


# --- authorisation requests, for the supervisors' screens -------------------------------


@dataclass(frozen=True)
class RequestShown:
    """One authorisation request with its bundle, its outlet and the names of its people."""

    row: CounterAuthorisation
    bundle: CounterBundle
    outlet: Unit
    teller: str  # who asked for it
    claimed_by: str  # who holds it at the remote centre, or ""


def requests_shown(session: Session, rows: Sequence[CounterAuthorisation]) -> list[RequestShown]:
    """The requests in the order given, each with its bundle, outlet and people, in three
    queries whatever their number."""
    if not rows:
        return []
    bundles = {
        b.id: b
        for b in session.scalars(
            select(CounterBundle).where(CounterBundle.id.in_({r.bundle_id for r in rows}))
        )
    }
    units = {
        u.id: u
        for u in session.scalars(select(Unit).where(Unit.id.in_({r.outlet_id for r in rows})))
    }
    staff_ids = {r.requested_by_id for r in rows} | {
        r.claimed_by_id for r in rows if r.claimed_by_id
    }
    names: dict[int, str] = {
        staff_id: name
        for staff_id, name in session.execute(
            select(Staff.id, Staff.display_name).where(Staff.id.in_(staff_ids))
        )
    }
    return [
        RequestShown(
            row=row,
            bundle=bundles[row.bundle_id],
            outlet=units[row.outlet_id],
            teller=names.get(row.requested_by_id, ""),
            claimed_by=names.get(row.claimed_by_id, "") if row.claimed_by_id else "",
        )
        for row in rows
    ]


def request_shown(session: Session, clerk: Clerk, request_id: int) -> RequestShown:
    """One request in the clerk's scope, else NotFound (ids outside the scope reveal nothing)."""
    row = session.get(CounterAuthorisation, request_id)
    if row is None or not clerk.sees(row.outlet_path):
        raise NotFound("there is no authorisation request {id}", "request", id=request_id)
    return requests_shown(session, [row])[0]


def bundle_reference(session: Session, bundle_id: int) -> str:
    """The reference of a bundle the caller already holds a request of (BD…)."""
    return session.get_one(CounterBundle, bundle_id).reference
