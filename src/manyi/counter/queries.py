"""Reading bundles for the screens: the teller's called ticket, their bundles of the day, and
everything one bundle's screen shows (`view`). No changes here; bundles.py changes bundles."""

from __future__ import annotations

import datetime as dt
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
from manyi.lobby.tables import LobbyTicket
from manyi.org.model import Permission

__all__ = ["BundleView", "CalledTicket", "called_ticket", "current_ticket", "recent", "view"]

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
