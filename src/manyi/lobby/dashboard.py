"""What the lobby manager watches: queues, service level, counters, alerts; and a
teller's own figures for the day.

Service level over the last hour, as queue systems define it: of the customers
whose wait ended in the window (first called) plus those still waiting past
the target, the share called within the target. Counting those still waiting
keeps a lobby whose queue has stopped moving from looking good.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.lobby import queries, rating
from manyi.lobby.domain.model import CounterState
from manyi.lobby.outlets import OutletLike
from manyi.lobby.tables import LobbyAlert, LobbyCounter, LobbyTicket

WINDOW = dt.timedelta(minutes=60)
# A counter with nothing to do for this long while its services have a queue is flagged.
IDLE_ALERT_S = 60
STORED_ALERTS_FOR = dt.timedelta(hours=24)


@dataclass(frozen=True)
class ServiceLevel:
    target_s: int
    called: int
    within: int
    still_waiting_over: int

    @property
    def share(self) -> float | None:
        total = self.called + self.still_waiting_over
        return self.within / total if total else None


def service_level(
    session: Session, outlet_id: int, now: dt.datetime, target_s: int, waiting_over: int
) -> ServiceLevel:
    rows = session.execute(
        select(LobbyTicket.issued_at, LobbyTicket.first_called_at).where(
            LobbyTicket.outlet_id == outlet_id,
            LobbyTicket.previous_id.is_(None),
            LobbyTicket.first_called_at > now - WINDOW,
            LobbyTicket.first_called_at <= now,
        )
    ).all()
    within = sum(
        1 for issued, called in rows if called and (called - issued).total_seconds() <= target_s
    )
    return ServiceLevel(target_s, len(rows), within, waiting_over)


@dataclass(frozen=True)
class Dashboard:
    snapshot: queries.Snapshot
    level: ServiceLevel
    alerts: list[dict[str, Any]]
    ratings: rating.RatingShare
    idle_since: dict[int, dt.datetime]


def dashboard(session: Session, outlet: OutletLike, now: dt.datetime) -> Dashboard:
    snap = queries.snapshot(session, outlet, now)
    target = snap.policy.target_wait_s
    over = sum(1 for t in snap.waiting if (now - t.issued_at).total_seconds() > target)
    level = service_level(session, outlet.id, now, target, over)
    alerts: list[dict[str, Any]] = [
        {
            "kind": "wait_over_target",
            "service": q.service.code,
            "service_name": q.service.name_zh,
            "longest_wait_s": q.longest_wait_s,
            "target_s": target,
        }
        for q in snap.services
        if q.waiting and q.longest_wait_s > target
    ]
    updated = dict(
        session.execute(
            select(LobbyCounter.number, LobbyCounter.updated_at).where(
                LobbyCounter.outlet_id == outlet.id
            )
        ).all()
    )
    queue = {q.service.code: q.waiting for q in snap.services}
    idle_since: dict[int, dt.datetime] = {}
    for view in snap.counters:
        c = view.counter
        if c.state is not CounterState.OPEN or c.current_ticket_id is not None:
            continue
        since = updated.get(c.number)
        if since is None:
            continue
        idle_since[c.number] = since
        idle_s = int((now - since).total_seconds())
        queued = sum(queue.get(code, 0) for code in c.services)
        if idle_s >= IDLE_ALERT_S and queued:
            alerts.append(
                {"kind": "idle_counter", "counter": c.number, "idle_s": idle_s, "waiting": queued}
            )
    stored = session.scalars(
        select(LobbyAlert)
        .where(
            LobbyAlert.outlet_id == outlet.id,
            LobbyAlert.acknowledged_at.is_(None),
            LobbyAlert.raised_at > now - STORED_ALERTS_FOR,
        )
        .order_by(LobbyAlert.id.desc())
    )
    alerts.extend(
        {"kind": a.kind, "alert_id": a.id, "raised_at": a.raised_at.isoformat(), **a.data}
        for a in stored
    )
    day_start = snap.policy.business_day_start(now)
    shares = rating.shares(session, outlet.id, day_start, snap.today.get("served", 0))
    return Dashboard(snap, level, alerts, shares, idle_since)


@dataclass(frozen=True)
class TellerDay:
    served: int
    average_service_s: int | None


def teller_day(session: Session, outlet: OutletLike, teller_id: int, day: dt.date) -> TellerDay:
    rows = session.execute(
        select(LobbyTicket.started_at, LobbyTicket.finished_at).where(
            LobbyTicket.outlet_id == outlet.id,
            LobbyTicket.local_day == day,
            LobbyTicket.teller_id == teller_id,
            LobbyTicket.outcome == "served",
        )
    ).all()
    spans = [
        (finished - started).total_seconds()
        for started, finished in rows
        if started is not None and finished is not None
    ]
    return TellerDay(len(rows), round(sum(spans) / len(spans)) if spans else None)
