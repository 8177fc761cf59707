"""The event envelope: the one JSON object every consumer of the stream reads (docs/stream.md).

It is the contract between the publisher and its consumers (the analytics lander, screens of
other hosts): `id` is `"<source>:<row id>"`, stable and unique, and consumers are idempotent by
it; `at` is ISO-8601 UTC ending in `Z`; `data` is small. A lobby ticket event carries what the
roll-ups need from the ticket, so no consumer has to read `lobby_tickets`:

    issued at 09:00:00, called first at 09:12:30 → the `called` envelope has wait_s 750;
    started 09:13:00, completed 09:20:00       → the `completed` one has service_s 420 and
                                                  outcome "served".
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SUBJECT_ROOT = "manyi.events"
STREAM_NAME = "MANYI_EVENTS"
# Lobby kinds that end a visit, and the outcome each one means.
FINISHING = {
    "completed": "served",
    "no_show": "no_show",
    "cancelled": "cancelled",
    "transferred": "transferred",
}


@dataclass(frozen=True, slots=True)
class Ticket:
    """What the publisher reads of a lobby ticket to enrich its events."""

    service_code: str
    klass: str
    queued_at: dt.datetime
    first_called_at: dt.datetime | None
    started_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Envelope:
    id: str
    source: str
    kind: str
    at: str
    outlet_id: int | None
    tier1_id: int | None
    ticket_id: int | None
    counter_id: int | None
    staff_id: int | None
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "kind": self.kind,
            "at": self.at,
            "outlet_id": self.outlet_id,
            "tier1_id": self.tier1_id,
            "ticket_id": self.ticket_id,
            "counter_id": self.counter_id,
            "staff_id": self.staff_id,
            "data": self.data,
        }

    def encode(self) -> bytes:
        return json.dumps(self.as_json(), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Envelope:
        """The envelope in a message; ValueError when it is not one."""
        try:
            value = json.loads(raw)
            return cls(
                id=str(value["id"]),
                source=str(value["source"]),
                kind=str(value["kind"]),
                at=str(value["at"]),
                outlet_id=_int_or_none(value.get("outlet_id")),
                tier1_id=_int_or_none(value.get("tier1_id")),
                ticket_id=_int_or_none(value.get("ticket_id")),
                counter_id=_int_or_none(value.get("counter_id")),
                staff_id=_int_or_none(value.get("staff_id")),
                data=dict(value.get("data") or {}),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not an event envelope: {exc}") from None

    def subject(self, root: str = SUBJECT_ROOT) -> str:
        """`manyi.events.<source>.<tier1 or 0>.<outlet or 0>`: a consumer may take one branch."""
        return f"{root}.{self.source}.{self.tier1_id or 0}.{self.outlet_id or 0}"

    @property
    def instant(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.at.replace("Z", "+00:00"))


def _int_or_none(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def iso_z(at: dt.datetime) -> str:
    """ISO-8601 in UTC ending in Z (microseconds only when there are some)."""
    text = at.astimezone(dt.UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def tier1_of(path: str | None) -> int | None:
    """The tier-1 branch in a unit's path "/head office/tier-1/…/": its second id, if any."""
    if not path:
        return None
    ids = [part for part in path.strip("/").split("/") if part]
    return int(ids[1]) if len(ids) >= 2 else None


def lobby_data(kind: str, at: dt.datetime, data: dict[str, Any], ticket: Ticket) -> dict[str, Any]:
    """A lobby ticket event's payload with the ticket's service, class, and where known the wait,
    the service time and the outcome (the module docstring's example)."""
    out = {**data, "service_code": ticket.service_code, "klass": ticket.klass}
    if kind == "called" and ticket.first_called_at == at:
        out["wait_s"] = round((at - ticket.queued_at).total_seconds(), 3)
    outcome = FINISHING.get(kind)
    if outcome is not None:
        out["outcome"] = outcome
        if kind == "completed" and "service_s" not in out and ticket.started_at is not None:
            out["service_s"] = round((at - ticket.started_at).total_seconds(), 3)
    return out


def build(
    *,
    outbox_id: int,
    source: str,
    source_id: int | None,
    kind: str,
    at: dt.datetime,
    outlet_id: int | None,
    outlet_path: str | None,
    ticket_id: int | None,
    counter_id: int | None,
    staff_id: int | None,
    data: dict[str, Any],
    ticket: Ticket | None = None,
) -> Envelope:
    """The envelope of one outbox row (and, for a lobby ticket event, its ticket)."""
    payload = dict(data)
    if source == "lobby" and ticket is not None:
        payload = lobby_data(kind, at, payload, ticket)
    return Envelope(
        id=f"{source}:{source_id if source_id is not None else outbox_id}",
        source=source,
        kind=kind,
        at=iso_z(at),
        outlet_id=outlet_id,
        tier1_id=tier1_of(outlet_path),
        ticket_id=ticket_id,
        counter_id=counter_id,
        staff_id=staff_id,
        data=payload,
    )


# The columns `from_columns` reads: the event, its outlet's unit path and, for a lobby ticket
# event, the ticket's service, class and times. The stream's publisher (an outbox row) and the
# analytics archive (a stored lobby_events row) both select these, so both build each event's
# envelope with this one function and give byte-identical envelopes for one event: the
# analytics store's de-dup of copies (`SELECT DISTINCT`) relies on it.
COLUMNS = (
    "source",
    "source_id",
    "kind",
    "at",
    "outlet_id",
    "path",
    "ticket_id",
    "counter_id",
    "staff_id",
    "data",
    "service_code",
    "klass",
    "queued_at",
    "first_called_at",
    "started_at",
)


def from_columns(row: Mapping[Any, Any], outbox_id: int | None = None) -> Envelope:
    """The envelope of one event given as `COLUMNS` (a ticket without a service: no ticket)."""
    ticket = None
    if row["service_code"] is not None:
        ticket = Ticket(
            row["service_code"],
            row["klass"],
            row["queued_at"],
            row["first_called_at"],
            row["started_at"],
        )
    return build(
        outbox_id=outbox_id if outbox_id is not None else row["source_id"],
        source=row["source"],
        source_id=row["source_id"],
        kind=row["kind"],
        at=row["at"],
        outlet_id=row["outlet_id"],
        outlet_path=row["path"],
        ticket_id=row["ticket_id"],
        counter_id=row["counter_id"],
        staff_id=row["staff_id"],
        data=dict(row["data"] or {}),
        ticket=ticket,
    )
