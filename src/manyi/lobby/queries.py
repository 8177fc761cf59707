"""Read-only views of a lobby: one ticket's status, an outlet's queue snapshot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from manyi.lobby import layouts, ports, store, waits
from manyi.lobby.adapters import printing
from manyi.lobby.domain.model import Counter, Policy, Service, TicketState
from manyi.lobby.domain.predict import LobbyView
from manyi.lobby.domain.ticket import Ticket
from manyi.lobby.outlets import OutletLike
from manyi.lobby.public_tickets import latest_leg
from manyi.lobby.service import announce
from manyi.lobby.tables import LobbyEventRow, LobbyTicket
from manyi.org.tables import Staff, Unit

RECENT_CALLS = 10


def view_of(session: Session, outlet: OutletLike, now: dt.datetime) -> LobbyView:
    lobby = layouts.layout(session, outlet)
    return LobbyView(
        now=now,
        services=lobby.services,
        counters=store.load_counters(session, outlet.id),
        waiting=store.all_waiting(session, outlet.id, lobby.policy.first_queue_day(now)),
        recent_service_s=layouts.recent_service_s(session, outlet.id, now),
        policy=lobby.policy,
    )


def waits_for_new(
    session: Session, outlet: OutletLike, now: dt.datetime
) -> dict[str, waits.WaitEstimate]:
    """What a new normal ticket of each service would wait now, by service code: the kiosk's
    and the dashboard's estimate (lobby guidance records it as the wait a diversion avoids)."""
    view = view_of(session, outlet, now)
    return {
        code: waits.estimate(session, outlet, view, waits.probe(code, view))
        for code in view.services
    }


@dataclass(frozen=True)
class TicketStatus:
    ticket: Ticket
    outlet: OutletLike
    service: Service | None
    estimate: waits.WaitEstimate | None  # while the ticket waits
    counter_number: int | None
    announcement: dict[str, str] | None
    survey_path: str | None = None  # a served ticket's survey, when its visit was invited
    teller: ports.TellerBadge | None = None  # who calls the ticket (挂牌上岗), while called

    @property
    def people_ahead(self) -> int | None:
        return None if self.estimate is None else self.estimate.ahead

    @property
    def predicted_wait_s(self) -> int | None:
        return None if self.estimate is None else self.estimate.wait_s


def ticket_status(session: Session, token: str, now: dt.datetime) -> TicketStatus:
    row = latest_leg(session, token)
    outlet = session.get_one(Unit, row.outlet_id)
    return _status(session, row, outlet, view_of(session, outlet, now), now, details=True)


def ticket_statuses(
    session: Session, tokens: Iterable[str], now: dt.datetime
) -> dict[str, TicketStatus]:
    """The live status of many tickets by their public tokens, each outlet's queue read once:
    for a pass that follows many customers (reach's queue alerts). Each is what
    `ticket_status` answers for that token, without the teller's badge and the survey link
    (neither is read). A token that names no ticket is left out."""
    wanted = sorted(set(tokens))
    latest: dict[str, LobbyTicket] = {}
    for start in range(0, len(wanted), _TOKENS_A_READ):
        rows = session.scalars(
            select(LobbyTicket)
            .where(LobbyTicket.public_token.in_(wanted[start : start + _TOKENS_A_READ]))
            .order_by(LobbyTicket.id)
        )
        for row in rows:  # a transfer's new leg has a higher id than the one before
            latest[row.public_token] = row
    by_outlet: dict[int, list[tuple[str, LobbyTicket]]] = {}
    for token, row in latest.items():
        by_outlet.setdefault(row.outlet_id, []).append((token, row))
    found: dict[str, TicketStatus] = {}
    for outlet_id, legs in by_outlet.items():
        outlet = session.get_one(Unit, outlet_id)
        view = view_of(session, outlet, now)
        for token, row in legs:
            found[token] = _status(session, row, outlet, view, now, details=False)
    return found


_TOKENS_A_READ = 500  # tokens in one IN (...): well inside every engine's parameter limit


def _status(
    session: Session,
    row: LobbyTicket,
    outlet: OutletLike,
    view: LobbyView,
    now: dt.datetime,
    *,
    details: bool,
) -> TicketStatus:
    """A ticket's status in its outlet's `view`; `details`: the teller's badge and survey."""
    ticket = store.ticket_of(row)
    service = view.services.get(ticket.service_code)
    estimate = None
    if ticket.state is TicketState.WAITING and service is not None:
        estimate = waits.estimate(session, outlet, view, ticket)
    counter_number = text = teller = None
    if ticket.counter_id is not None and ticket.state in (TicketState.CALLED, TicketState.SERVING):
        if ticket.teller_id is not None and details:
            teller = ports.teller_badges().badge(session, ticket.teller_id, now)
        counter = next((c for c in view.counters if c.id == ticket.counter_id), None)
        if counter is not None and service is not None:
            counter_number = counter.number
            text = announce(view.policy, ticket.number, counter.number, service)
    survey = None
    if details and ticket.state is TicketState.FINISHED and row.outcome == "served":
        survey = ports.surveys().survey_path(session, outlet.id, row.id, now)
    return TicketStatus(ticket, outlet, service, estimate, counter_number, text, survey, teller)


@dataclass(frozen=True)
class ServiceQueue:
    service: Service
    waiting: int
    by_class: dict[str, int]
    longest_wait_s: int
    estimate: waits.WaitEstimate  # for a normal ticket taken now: the kiosk's figure

    @property
    def predicted_wait_s(self) -> int | None:
        return self.estimate.wait_s


@dataclass(frozen=True)
class CounterView:
    counter: Counter
    teller_name: str | None
    current_number: str | None


@dataclass(frozen=True)
class Snapshot:
    outlet: OutletLike
    policy: Policy
    now: dt.datetime
    services: list[ServiceQueue]
    counters: list[CounterView]
    recent_calls: list[dict[str, Any]]
    last_event_id: int
    today: dict[str, int] = field(default_factory=dict)
    waiting: Sequence[Ticket] = ()  # every waiting ticket, as the queues were counted


def snapshot(session: Session, outlet: OutletLike, now: dt.datetime) -> Snapshot:
    policy = layouts.layout(session, outlet).policy
    view = view_of(session, outlet, now)
    queues = []
    for service in view.services.values():
        mine = [t for t in view.waiting if t.service_code == service.code]
        by_class: dict[str, int] = {}
        for t in mine:
            by_class[t.klass.value] = by_class.get(t.klass.value, 0) + 1
        queues.append(
            ServiceQueue(
                service=service,
                waiting=len(mine),
                by_class=by_class,
                longest_wait_s=max(
                    (int((now - t.issued_at).total_seconds()) for t in mine), default=0
                ),
                estimate=waits.estimate(session, outlet, view, waits.probe(service.code, view)),
            )
        )
    tellers = {c.teller_id for c in view.counters if c.teller_id is not None}
    names = (
        dict(
            session.execute(select(Staff.id, Staff.display_name).where(Staff.id.in_(tellers))).all()
        )
        if tellers
        else {}
    )
    current_ids = [c.current_ticket_id for c in view.counters if c.current_ticket_id is not None]
    numbers = (
        dict(
            session.execute(
                select(LobbyTicket.id, LobbyTicket.number).where(LobbyTicket.id.in_(current_ids))
            ).all()
        )
        if current_ids
        else {}
    )
    counters = [
        CounterView(
            counter=c,
            teller_name=names.get(c.teller_id) if c.teller_id is not None else None,
            current_number=numbers.get(c.current_ticket_id) if c.current_ticket_id else None,
        )
        for c in view.counters
    ]
    calls = session.scalars(
        select(LobbyEventRow)
        .where(LobbyEventRow.outlet_id == outlet.id, LobbyEventRow.kind.in_(("called", "recalled")))
        .order_by(LobbyEventRow.id.desc())
        .limit(RECENT_CALLS)
    )
    recent = [
        {
            "number": e.data.get("number"),
            "counter": e.data.get("counter"),
            "at": e.at.isoformat(),
            "recall": e.kind == "recalled",
        }
        for e in calls
    ]
    last_id = session.scalar(
        select(func.max(LobbyEventRow.id)).where(LobbyEventRow.outlet_id == outlet.id)
    )
    day = policy.business_day(now)  # the figures count tickets by the business day of issue
    counts = dict(
        session.execute(
            select(LobbyTicket.outcome, func.count())
            .where(
                LobbyTicket.outlet_id == outlet.id,
                LobbyTicket.local_day == day,
                LobbyTicket.state == TicketState.FINISHED.value,
            )
            .group_by(LobbyTicket.outcome)
        ).all()
    )
    issued = session.scalar(
        select(func.count())
        .select_from(LobbyTicket)
        .where(
            LobbyTicket.outlet_id == outlet.id,
            LobbyTicket.local_day == day,
            LobbyTicket.previous_id.is_(None),
        )
    )
    today = {"issued": int(issued or 0), **{str(k): int(v) for k, v in counts.items()}}
    return Snapshot(
        outlet, policy, now, queues, counters, recent, int(last_id or 0), today, view.waiting
    )


def slip_for(
    session: Session, token: str, now: dt.datetime, *, base_url: str, lang: printing.Lang
) -> printing.TicketSlip:
    """What the printed ticket of `token` shows, for a status page under `base_url`."""
    status = ticket_status(session, token, now)
    labels = printing.LABELS[lang]
    service = status.service
    english = lang == "en"
    outlet_name = status.outlet.name_en if english and status.outlet.name_en else None
    return printing.TicketSlip(
        outlet_name=outlet_name or status.outlet.name_zh,
        number=status.ticket.number,
        service_name=(service.name("en") if english else service.name_zh)
        if service
        else status.ticket.service_code,
        klass_label=labels.get(status.ticket.klass.value, ""),
        people_ahead=status.people_ahead or 0,
        predicted_wait_s=status.predicted_wait_s,
        wait_low_s=status.estimate.low_s if status.estimate else None,
        wait_high_s=status.estimate.high_s if status.estimate else None,
        served=status.estimate.served if status.estimate else True,
        issued_at_local=status.ticket.issued_at.astimezone(
            layouts.layout(session, status.outlet).policy.zone
        ),
        status_url=base_url.rstrip("/") + f"/t/{token}",
        footer=labels["footer"],
        lang=lang,
    )


def events_after(
    session: Session, outlet_id: int, after: int, limit: int | None = None
) -> list[Row[Any]]:
    """An outlet's lobby events with ids above `after`, oldest first (id, kind, at, ticket_id,
    data): for streams that resume and for predictors that follow the lobby."""
    query = (
        select(
            LobbyEventRow.id,
            LobbyEventRow.kind,
            LobbyEventRow.at,
            LobbyEventRow.ticket_id,
            LobbyEventRow.data,
        )
        .where(LobbyEventRow.outlet_id == outlet_id, LobbyEventRow.id > after)
        .order_by(LobbyEventRow.id)
    )
    return list(session.execute(query if limit is None else query.limit(limit)).all())
