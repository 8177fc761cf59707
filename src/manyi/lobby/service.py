"""Lobby use cases shared by every entry point: who may act, issuing, ticket actions.

Each use case runs inside the caller's unit of work, loads what it needs
under the right locks, applies the domain rules, writes one lobby event per
state change and, when a staff member acted, one audit entry. Counter
actions are in `counters.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.lobby import events, layouts, store, waits
from manyi.lobby.domain import dispatch
from manyi.lobby.domain.model import (
    Channel,
    Policy,
    PriorityClass,
    Service,
    TicketState,
)
from manyi.lobby.domain.ticket import Ticket
from manyi.lobby.domain.voices import announcement
from manyi.lobby.hot_writes import Write
from manyi.lobby.outlets import Outlet, OutletLike
from manyi.lobby.tables import LobbyCounter, LobbyTicket
from manyi.org.device_tokens import DeviceKind
from manyi.org.model import Permission, path_in_scope
from manyi.org.tables import DeviceToken, Unit


@dataclass(frozen=True)
class Operator:
    """Who acts on a lobby: a staff member, a device bound to one outlet, or the public."""

    name: str
    scope_path: str = "/"
    staff_id: int | None = None
    device_id: int | None = None
    device_kind: str | None = None
    device_outlet_id: int | None = None
    device_counter: int | None = None  # the one counter a rating or calling pad works
    operate: bool = False  # may work a counter they are signed on to
    manage: bool = False  # may act on any counter of the outlet, issue priority tickets
    appointment: bool = False  # the appointment check-in (`issuing.issue_for_appointment`)
    audit_actor: audit.Actor | None = None

    @classmethod
    def staff(cls, actor: audit.Actor, permissions: frozenset[Permission]) -> Operator:
        return cls(
            name=actor.name,
            scope_path=actor.unit_path,
            staff_id=actor.id,
            operate=Permission.LOBBY_OPERATE in permissions,
            manage=Permission.LOBBY_MANAGE in permissions,
            audit_actor=actor,
        )

    @classmethod
    def device(cls, token: DeviceToken) -> Operator:
        return cls(
            name=f"device:{token.token_prefix}",
            scope_path=token.outlet.path,
            device_id=token.id,
            device_kind=token.kind,
            device_outlet_id=token.outlet_id,
            device_counter=token.counter_number,
        )

    @classmethod
    def public(cls) -> Operator:
        return cls(name="public")

    @property
    def is_public(self) -> bool:
        return (
            self.staff_id is None
            and self.device_id is None
            and self.audit_actor is None
            and not self.appointment
        )


NEWEST = 2**62  # stands for the id of a ticket not yet written: after every other


def outlet_for(session: Session, operator: Operator, code: str | None) -> Outlet:
    """The outlet an operator acts on; outside their scope it does not exist."""
    if operator.device_outlet_id is not None:
        return _devices(layouts.outlet_view(session, operator.device_outlet_id), code)
    return Outlet.of(outlet_unit_for(session, operator, code))


def outlet_unit_for(session: Session, operator: Operator, code: str | None) -> Unit:
    """`outlet_for` as the ORM's row, in this session (for what changes or links to it)."""
    if operator.device_outlet_id is not None:
        return _devices(layouts.outlet_by_id(session, operator.device_outlet_id), code)
    return layouts.outlet_by_code(session, code or "", operator.scope_path)


AnOutlet = TypeVar("AnOutlet", bound=OutletLike)


def _devices(outlet: AnOutlet, code: str | None) -> AnOutlet:
    """A device's own outlet, refused when the request names another."""
    if code is not None and code != outlet.code:
        raise Forbidden("this device belongs to outlet {outlet}", "outlet", outlet=outlet.code)
    return outlet


def record(
    session: Session,
    operator: Operator,
    outlet: OutletLike,
    kind: str,
    now: dt.datetime,
    *,
    ticket_id: int | None = None,
    counter_id: int | None = None,
    data: dict[str, Any] | None = None,
    along: Sequence[Write] = (),
) -> None:
    """One lobby event (with `along`, the writes that made it: `events.emit`); and an audit
    entry when a staff member acted."""
    record_if_claimed(
        session,
        operator,
        outlet,
        None,
        kind,
        now,
        ticket_id=ticket_id,
        counter_id=counter_id,
        data=data,
        along=along,
    )


def record_if_claimed(
    session: Session,
    operator: Operator,
    outlet: OutletLike,
    claim: Write | None,
    kind: str,
    now: dt.datetime,
    *,
    ticket_id: int | None = None,
    counter_id: int | None = None,
    data: dict[str, Any] | None = None,
    along: Sequence[Write] = (),
) -> bool:
    """`record`, only if the `claim` holds (`events.emit_if_claimed`; no claim: always):
    whether it did."""
    recorded = events.emit_if_claimed(
        session,
        claim,
        outlet.id,
        kind,
        now,
        ticket_id=ticket_id,
        counter_id=counter_id,
        staff_id=operator.staff_id,
        device_id=operator.device_id,
        data=data,
        along=along,
    )
    if recorded is None:
        return False
    audited(session, operator, outlet, kind, now, ticket_id, counter_id, data)
    return True


def audited(
    session: Session,
    operator: Operator,
    outlet: OutletLike,
    kind: str,
    now: dt.datetime,
    ticket_id: int | None,
    counter_id: int | None,
    data: dict[str, Any] | None,
) -> None:
    """The audit entry of a lobby event, when a staff member acted."""
    if operator.audit_actor is not None:
        audit.record(
            session,
            operator.audit_actor,
            entity_type="lobby_ticket" if ticket_id is not None else "lobby_counter",
            entity_id=ticket_id if ticket_id is not None else counter_id,
            action="lobby." + kind,
            summary={"outlet": outlet.code, **(data or {})},
            unit_id=outlet.id,
            unit_path=outlet.path,
            now=now,
        )


# --- issuing ------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    ticket: Ticket
    public_token: str
    service: Service
    outlet: OutletLike
    estimate: waits.WaitEstimate  # people ahead, the wait and its range; or not served now
    valid_until: dt.datetime  # when the ticket leaves the queue if nobody calls it

    @property
    def people_ahead(self) -> int | None:
        return self.estimate.ahead


def issue_ticket(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    service_code: str,
    now: dt.datetime,
    *,
    klass: str = PriorityClass.NORMAL.value,
    due_at: dt.datetime | None = None,
    customer_ref: str | None = None,
) -> Issued:
    if operator.audit_actor is None:
        # A device's ticket: its one write is the numbered insert, sent last. On PostgreSQL its
        # reads and that statement then commit each on their own, without BEGIN and COMMIT.
        events.alone(session)
    outlet = outlet_for(session, operator, outlet_code)
    priority, channel = _issue_rights(operator, klass)
    lobby = layouts.layout(session, outlet)
    policy = lobby.policy
    service = lobby.services.get(service_code.strip().upper())
    if service is None:
        raise InvalidInput(
            "no service {code} at this outlet",
            "service",
            code=service_code,
            error_code="unknown_service",
        )
    if not policy.is_open(now):
        raise Conflict(
            "the outlet is closed; tickets are issued from {opens} to {closes}",
            "outlet",
            error_code="outlet_closed",
            opens=policy.opens_at.strftime("%H:%M"),
            closes=policy.closes_at.strftime("%H:%M") if policy.closes_at else "24:00",
        )
    if due_at is not None and priority is not PriorityClass.APPOINTMENT:
        raise InvalidInput("only appointments have a booked time", "due_at")
    counters, counts = store.counters_and_waiting(session, outlet.id, policy.first_queue_day(now))
    if not any(service.code in c.services for c in counters):
        raise Conflict("no counter at this outlet serves {code}", "service", code=service.code)
    day = policy.business_day(now)
    # Predict first (the newcomer is behind everyone waiting), then write the ticket once.
    ticket = Ticket(
        id=NEWEST,
        number="",
        service_code=service.code,
        klass=priority,
        channel=channel,
        issued_at=now,
        queued_at=now,
        due_at=due_at,
    )
    view = waits.view_at_issue(session, outlet, lobby, counters, counts, now)
    # The one estimate the status page and the dashboard show too (lobby/waits.py).
    estimate = waits.estimate(session, outlet, view, ticket)
    predicted = estimate.wait_s
    token = store.new_public_token()
    row = {
        "outlet_id": outlet.id,
        "local_day": day,
        "prefix": service.prefix,
        "service_id": lobby.service_ids[service.code],
        "service_code": service.code,
        "klass": priority.value,
        "channel": channel.value,
        "state": TicketState.WAITING.value,
        "issued_at": now,
        "queued_at": now,
        "due_at": due_at,
        "call_count": 0,
        "predicted_wait_s": predicted,
        "public_token": token,
        "customer_ref": customer_ref,
    }
    details = {
        "service": service.code,
        "class": priority.value,
        "channel": channel.value,
        "predicted_wait_s": predicted,
        "people_ahead": estimate.ahead,
    }
    # The day's next number, the ticket and its event in one statement (PostgreSQL): the
    # number is held from there until commit, and gap-free (it rolls back with the ticket).
    ticket_id, number = events.emit_numbered_ticket(
        session,
        outlet.id,
        "issued",
        now,
        row,
        staff_id=operator.staff_id,
        device_id=operator.device_id,
        data=details,
    )
    data = {"number": number, **details}
    audited(session, operator, outlet, "issued", now, ticket_id, None, data)
    ticket.id, ticket.number, ticket.predicted_wait_s = ticket_id, number, predicted
    return Issued(ticket, token, service, outlet, estimate, policy.ticket_valid_until(now))


def _issue_rights(operator: Operator, klass: str) -> tuple[PriorityClass, Channel]:
    try:
        priority = PriorityClass(klass)
    except ValueError:
        raise InvalidInput("unknown priority class {klass}", "class", klass=klass) from None
    if operator.appointment:  # a checked-in appointment: on time or, late, a normal ticket
        if priority not in (PriorityClass.APPOINTMENT, PriorityClass.NORMAL):
            raise InvalidInput("unknown priority class {klass}", "class", klass=klass)
        return priority, Channel.APPOINTMENT
    if operator.is_public:
        if priority is not PriorityClass.NORMAL:
            raise InvalidInput(
                "tickets taken by phone are normal tickets; ask the lobby manager for priority",
                "class",
            )
        return priority, Channel.PHONE
    if operator.device_id is not None:
        if operator.device_kind != DeviceKind.KIOSK.value:
            raise Forbidden("only a kiosk issues tickets", "device")
        channel = Channel.APPOINTMENT if priority is PriorityClass.APPOINTMENT else Channel.KIOSK
        return priority, channel
    if not operator.manage:
        raise Forbidden("only the lobby manager issues tickets at the counter side", "class")
    return priority, Channel.LOBBY_MANAGER


# --- ticket actions by id -----------------------------------------------------


def ticket_in_scope(
    session: Session, operator: Operator, ticket_id: int
) -> tuple[LobbyTicket, Unit]:
    row = session.get(LobbyTicket, ticket_id)
    outlet = session.get(Unit, row.outlet_id) if row is not None else None
    if row is None or outlet is None or not path_in_scope(operator.scope_path, outlet.path):
        raise NotFound("no ticket {id}", "ticket", id=ticket_id)
    if operator.device_outlet_id is not None and operator.device_outlet_id != outlet.id:
        raise NotFound("no ticket {id}", "ticket", id=ticket_id)
    return row, outlet


def requeue(session: Session, operator: Operator, ticket_id: int, now: dt.datetime) -> Ticket:
    """Put a no-show back in the queue, behind a few people, within the grace period."""
    _need_counter_rights(operator)
    row, outlet = ticket_in_scope(session, operator, ticket_id)
    locked = store.lock_ticket(session, row.id)
    assert locked is not None
    policy = layouts.layout(session, outlet).policy
    ticket = store.ticket_of(locked)
    waiting = store.all_waiting(session, outlet.id, policy.first_queue_day(now))
    ticket.requeue(now, policy, dispatch.requeue_time(ticket, waiting, now, policy.requeue_behind))
    store.save_ticket(session, ticket)
    record(
        session,
        operator,
        outlet,
        "requeued",
        now,
        ticket_id=row.id,
        data={"number": row.number, "service": row.service_code, "behind": policy.requeue_behind},
    )
    return ticket


def cancel(session: Session, operator: Operator, ticket_id: int, now: dt.datetime) -> Ticket:
    _need_counter_rights(operator)
    row, outlet = ticket_in_scope(session, operator, ticket_id)
    return cancel_row(session, operator, outlet, row, now)


def cancel_row(
    session: Session, operator: Operator, outlet: OutletLike, row: LobbyTicket, now: dt.datetime
) -> Ticket:
    counter_row = None
    if row.counter_id is not None and row.state == TicketState.CALLED.value:
        number = session.get_one(LobbyCounter, row.counter_id).number
        counter_row = store.lock_counter(session, outlet.id, number)
    locked = store.lock_ticket(session, row.id)
    assert locked is not None
    ticket = store.ticket_of(locked)
    ticket.cancel(now)
    store.save_ticket(session, ticket)
    if counter_row is not None and counter_row.current_ticket_id == locked.id:
        counter = store.counter_of(counter_row)
        counter.release()
        store.save_counter(session, counter, now)
    record(
        session,
        operator,
        outlet,
        "cancelled",
        now,
        ticket_id=locked.id,
        counter_id=counter_row.id if counter_row is not None else None,
        data={"number": locked.number, "service": locked.service_code},
    )
    return ticket


def _need_counter_rights(operator: Operator) -> None:
    if operator.is_public or (
        operator.device_id is None and not (operator.operate or operator.manage)
    ):
        raise Forbidden("you may not act on tickets", "ticket")
    if operator.device_id is not None and operator.device_kind != DeviceKind.COUNTER_PAD.value:
        raise Forbidden("only a calling pad acts on tickets", "device")


def announce(policy: Policy, number: str, counter: int, service: Service) -> dict[str, str]:
    return {
        "zh": announcement(policy.announcement_zh, number, counter, service.name_zh),
        "en": announcement(policy.announcement_en, number, counter, service.name("en")),
    }
