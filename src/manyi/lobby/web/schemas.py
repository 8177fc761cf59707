"""Request bodies and JSON answers of the lobby API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from manyi.lobby import queries
from manyi.lobby.counter_ctx import CounterResult
from manyi.lobby.domain.model import PriorityClass
from manyi.lobby.domain.ticket import Ticket
from manyi.lobby.service import Issued
from manyi.lobby.waits import WaitEstimate

# --- bodies -----------------------------------------------------------------------


class IssueIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    service: str = Field(min_length=1, max_length=16, description="service code, e.g. A")
    klass: PriorityClass = Field(default=PriorityClass.NORMAL, alias="class")
    due_at: AwareDatetime | None = Field(
        default=None, description="appointments: booked time, with its UTC offset"
    )
    customer_ref: str | None = Field(default=None, max_length=64)
    outlet: str | None = Field(
        default=None,
        max_length=32,
        description="kiosks: the outlet the kiosk believes it stands in; refused if the "
        "device token belongs to another",
    )


class PublicIssueIn(BaseModel):
    service: str = Field(min_length=1, max_length=16)


class OpenIn(BaseModel):
    teller: str | None = Field(
        default=None, description="username; a lobby manager may sign another teller on"
    )


class ActionIn(BaseModel):
    ticket_id: int | None = Field(
        default=None, description="the ticket the caller believes is current; refused otherwise"
    )


class TransferIn(ActionIn):
    service: str | None = Field(default=None, max_length=16)
    counter: int | None = Field(default=None, ge=1, le=999)


# --- answers ----------------------------------------------------------------------

# A ticket no longer waiting: nothing ahead, no wait (`served` says nothing about it then).
NO_ESTIMATE = WaitEstimate(True)


def ticket_json(ticket: Ticket, **extra: Any) -> dict[str, Any]:
    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": ticket.id,
        "number": ticket.number,
        "service": ticket.service_code,
        "class": ticket.klass.value,
        "channel": ticket.channel.value,
        "state": ticket.state.value,
        "outcome": ticket.outcome.value if ticket.outcome else None,
        "issued_at": iso(ticket.issued_at),
        "due_at": iso(ticket.due_at),
        "called_at": iso(ticket.first_called_at),
        "started_at": iso(ticket.started_at),
        "finished_at": iso(ticket.finished_at),
        "call_count": ticket.call_count,
        "predicted_wait_s": ticket.predicted_wait_s,
        **extra,
    }


def issued_json(issued: Issued) -> dict[str, Any]:
    return ticket_json(
        issued.ticket,
        outlet=issued.outlet.code,
        service_name={"zh": issued.service.name_zh, "en": issued.service.name("en")},
        **issued.estimate.as_json(),
        token=issued.public_token,
        status_api=f"/api/v1/public/tickets/{issued.public_token}",
        valid_until=issued.valid_until.isoformat(),
    )


def counter_json(result: CounterResult) -> dict[str, Any]:
    c = result.counter
    body: dict[str, Any] = {
        "outlet": result.outlet.code,
        "counter": {
            "number": c.number,
            "kind": c.kind.value,
            "state": c.state.value,
            "services": list(c.services),
            "teller_id": c.teller_id,
            "current_ticket_id": c.current_ticket_id,
        },
        "ticket": ticket_json(result.ticket) if result.ticket else None,
    }
    if result.announcement:
        body["announcement"] = result.announcement
    if result.reason:
        body["reason"] = result.reason
    return body


def snapshot_json(snap: queries.Snapshot) -> dict[str, Any]:
    return {
        "outlet": {"code": snap.outlet.code, "name": snap.outlet.name_zh},
        "at": snap.now.isoformat(),
        "open": snap.policy.is_open(snap.now),
        "target_wait_s": snap.policy.target_wait_s,
        "last_event_id": snap.last_event_id,
        "services": [
            {
                "code": q.service.code,
                "name": {"zh": q.service.name_zh, "en": q.service.name("en")},
                "fast_lane": q.service.fast_lane,
                "waiting": q.waiting,
                "by_class": q.by_class,
                "longest_wait_s": q.longest_wait_s,
                **q.estimate.as_json(),
            }
            for q in snap.services
        ],
        "counters": [
            {
                "number": v.counter.number,
                "kind": v.counter.kind.value,
                "state": v.counter.state.value,
                "services": list(v.counter.services),
                "teller": v.teller_name,
                "current": v.current_number,
            }
            for v in snap.counters
        ],
        "recent_calls": snap.recent_calls,
        "today": snap.today,
    }


def status_json(status: queries.TicketStatus) -> dict[str, Any]:
    service = status.service
    return ticket_json(
        status.ticket,
        outlet={"code": status.outlet.code, "name": status.outlet.name_zh},
        service_name={"zh": service.name_zh, "en": service.name("en")} if service else None,
        **(status.estimate or NO_ESTIMATE).as_json(),
        # The place in the line: 1 when nobody will be called before the ticket.
        position=status.people_ahead + 1 if status.people_ahead is not None else None,
        counter=status.counter_number,
        announcement=status.announcement,
        survey_url=status.survey_path,
        teller=status.teller.as_json() if status.teller else None,
    )
