"""The business gauges, read when Prometheus scrapes `/metrics`: a handful of grouped reads,
no roll-up to keep. All are computed from time (`now`), not stored.

- `manyi_lobby_customers_waiting`, `manyi_lobby_longest_wait_seconds`: tickets waiting now and
  how long the one waiting longest has waited since it was issued (a transfer keeps its issue
  time, as the lobby's wait does);
- `manyi_lobby_called_last_hour`, `manyi_lobby_called_within_target_last_hour`,
  `manyi_lobby_service_level_ratio`: first legs first called in the last hour, those called
  within MANYI_COCKPIT_SERVICE_LEVEL_S of issue, and their share (the cockpit's definition
  over a moving hour; sum the two counts to get any group's share);
- `manyi_lobby_counters_open`: counters not closed (open, paused or serving);
- `manyi_complaints_open`, `_at_risk`, `_overdue`: cases whose regulatory clock runs, per
  responsible unit; overdue: past `due_at` now; at risk: not overdue, but past an at-risk
  threshold as the deadline scan last recorded it (`risk_notified`, kept every minute);
- `manyi_notify_outbox_messages`, `manyi_notify_outbox_oldest_age_seconds`: per channel;
- `manyi_worker_lag_seconds{job}`: how long the most overdue piece of a job's due work has
  waited (notifications past their attempt time, complaints past their next deadline check):
  0 when the worker keeps up, growing when it is stopped or behind.

`by` chooses the `unit` label: each outlet's code (complaints: the responsible unit's), or the
tier-1 branch it belongs to, summed (the longest wait: the longest). A national bank's 16,000
outlets make some 100,000 series per scrape per outlet; per tier-1 branch, a few hundred.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import case, func, literal_column, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from manyi import notify
from manyi.complaints.domain.model import OPEN_STATES
from manyi.complaints.tables import Complaint
from manyi.lobby.tables import WAITING, LobbyCounter, LobbyTicket
from manyi.org.tables import Unit

HOUR = dt.timedelta(hours=1)
log = logging.getLogger("manyi.observe")
Rows = dict[int, float]  # unit id -> value


def business_gauges(
    session: Session, now: dt.datetime, *, by: str, service_level_s: int
) -> list[GaugeMetricFamily]:
    """Every gauge family, labelled per outlet (`by="outlet"`) or per tier-1 branch."""
    label = _labeller(session, by)
    waiting, longest = _waiting(session, now)
    called, within = _called(session, now, service_level_s)
    open_, at_risk, overdue = _complaints(session, now)
    families = [
        label.sum("manyi_lobby_customers_waiting", "Customers waiting now.", waiting),
        label.max(
            "manyi_lobby_longest_wait_seconds",
            "The longest wait of a customer waiting now.",
            longest,
        ),
        label.sum(
            "manyi_lobby_called_last_hour", "Customers first called in the last hour.", called
        ),
        label.sum(
            "manyi_lobby_called_within_target_last_hour",
            "Of those, called within the service-level target (MANYI_COCKPIT_SERVICE_LEVEL_S).",
            within,
        ),
        label.ratio(
            "manyi_lobby_service_level_ratio",
            "Share of the last hour's first calls within the target.",
            within,
            called,
        ),
        label.sum("manyi_lobby_counters_open", "Counters open, paused or serving.", _open(session)),
        label.sum("manyi_complaints_open", "Complaints whose regulatory clock runs.", open_),
        label.sum(
            "manyi_complaints_at_risk", "Open complaints past an at-risk threshold.", at_risk
        ),
        label.sum("manyi_complaints_overdue", "Open complaints past their deadline.", overdue),
    ]
    return families + _outbox(session, now)


def _waiting(session: Session, now: dt.datetime) -> tuple[Rows, Rows]:
    rows = session.execute(
        select(LobbyTicket.outlet_id, func.count(), func.min(LobbyTicket.issued_at))
        # Written out, not bound: SQLite uses the partial index of the waiting tickets
        # (ix_lobby_tickets_waiting) only for a condition it can read as the index's own.
        .where(text(WAITING))
        .group_by(LobbyTicket.outlet_id)
    ).all()
    counts = {int(unit): float(n) for unit, n, _ in rows}
    longest = {int(unit): _age(now, oldest) for unit, _, oldest in rows}
    return counts, longest


def _called(session: Session, now: dt.datetime, target_s: int) -> tuple[Rows, Rows]:
    rows = session.execute(
        select(
            LobbyTicket.outlet_id,
            func.count(),
            func.sum(case((_wait_s(session) <= target_s, 1), else_=0)),
        )
        .where(
            LobbyTicket.previous_id.is_(None),
            _few(session, LobbyTicket.first_called_at >= now - HOUR),
        )
        .group_by(LobbyTicket.outlet_id)
    ).all()
    return (
        {int(unit): float(n) for unit, n, _ in rows},
        {int(unit): float(within or 0) for unit, _, within in rows},
    )


def _few(session: Session, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """`condition`, marked for SQLite's planner as true of few rows (the last hour's among the
    whole history), so that it reads them through their index (ix_lobby_tickets_first_called)
    rather than walk an index in outlet order to save the grouping's sort. PostgreSQL's
    statistics tell it so."""
    if session.get_bind().dialect.name == "sqlite":
        return func.likelihood(condition, literal_column("0.01"))
    return condition


def _wait_s(session: Session) -> ColumnElement[Any]:
    """First call − issue, in seconds, in each engine's own arithmetic."""
    called, issued = LobbyTicket.first_called_at, LobbyTicket.issued_at
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", called - issued)
    return (func.julianday(called) - func.julianday(issued)) * 86400.0


def _open(session: Session) -> Rows:
    rows = session.execute(
        select(LobbyCounter.outlet_id, func.count())
        .where(LobbyCounter.state != "closed")
        .group_by(LobbyCounter.outlet_id)
    ).all()
    return {int(unit): float(n) for unit, n in rows}


def _complaints(session: Session, now: dt.datetime) -> tuple[Rows, Rows, Rows]:
    overdue = Complaint.due_at < now
    rows = session.execute(
        select(
            Complaint.responsible_unit_id,
            func.count(),
            func.sum(case((~overdue & (Complaint.risk_notified > 0), 1), else_=0)),
            func.sum(case((overdue, 1), else_=0)),
        )
        .where(Complaint.state.in_([s.value for s in OPEN_STATES]))
        .group_by(Complaint.responsible_unit_id)
    ).all()
    return (
        {int(u): float(n) for u, n, _, _ in rows},
        {int(u): float(r or 0) for u, _, r, _ in rows},
        {int(u): float(o or 0) for u, _, _, o in rows},
    )


def _outbox(session: Session, now: dt.datetime) -> list[GaugeMetricFamily]:
    depth = GaugeMetricFamily(
        "manyi_notify_outbox_messages", "Notifications waiting to leave.", labels=["channel"]
    )
    age = GaugeMetricFamily(
        "manyi_notify_outbox_oldest_age_seconds",
        "Age of the oldest notification waiting to leave.",
        labels=["channel"],
    )
    lag = GaugeMetricFamily(
        "manyi_worker_lag_seconds",
        "How long the most overdue piece of a worker job's due work has waited.",
        labels=["job"],
    )
    notify_lag = 0.0
    for backlog in notify.outbox_backlog(session, now):
        depth.add_metric([backlog.channel], backlog.waiting)
        age.add_metric([backlog.channel], _age(now, backlog.oldest_at))
        notify_lag = max(notify_lag, _age(now, backlog.overdue_since))
    lag.add_metric(["notify"], notify_lag)
    next_check = session.scalar(
        select(func.min(Complaint.next_check_at)).where(Complaint.next_check_at <= now)
    )
    lag.add_metric(["complaints"], _age(now, next_check))
    return [depth, age, lag]


def _age(now: dt.datetime, since: dt.datetime | str | None) -> float:
    if since is None:
        return 0.0
    if isinstance(since, str):  # an aggregate on SQLite may come back as text
        since = dt.datetime.fromisoformat(since)
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return max(0.0, (now - since).total_seconds())


class _Labeller:
    """Unit ids to the `unit` label: the unit's code, or its tier-1 branch's."""

    def __init__(self, names: dict[int, str]) -> None:
        self.names = names

    def _grouped(self, rows: Rows, combine: Callable[[Iterable[float]], float]) -> dict[str, float]:
        groups: dict[str, list[float]] = defaultdict(list)
        for unit, value in rows.items():
            groups[self.names.get(unit, str(unit))].append(value)
        return {name: combine(values) for name, values in groups.items()}

    def _family(self, name: str, doc: str, values: dict[str, float]) -> GaugeMetricFamily:
        family = GaugeMetricFamily(name, doc, labels=["unit"])
        for unit, value in sorted(values.items()):
            family.add_metric([unit], value)
        return family

    def sum(self, name: str, doc: str, rows: Rows) -> GaugeMetricFamily:
        return self._family(name, doc, self._grouped(rows, sum))

    def max(self, name: str, doc: str, rows: Rows) -> GaugeMetricFamily:
        return self._family(name, doc, self._grouped(rows, max))

    def ratio(self, name: str, doc: str, part: Rows, whole: Rows) -> GaugeMetricFamily:
        parts, wholes = self._grouped(part, sum), self._grouped(whole, sum)
        shares = {unit: parts.get(unit, 0.0) / n for unit, n in wholes.items() if n}
        return self._family(name, doc, shares)


def _labeller(session: Session, by: str) -> _Labeller:
    units = session.execute(select(Unit.id, Unit.code, Unit.path)).all()
    codes = {int(unit_id): str(code) for unit_id, code, _ in units}
    if by != "tier1":
        return _Labeller(codes)
    names = {}
    for unit_id, _, path in units:
        ids = [int(part) for part in str(path).strip("/").split("/") if part]
        tier1 = ids[1] if len(ids) > 1 else ids[0] if ids else int(unit_id)  # head office: itself
        names[int(unit_id)] = codes.get(tier1, str(tier1))
    return _Labeller(names)


def scrape(session: Session, now: dt.datetime, *, by: str, service_level_s: int) -> list[Metric]:
    """What a scrape adds to the request metrics: the gauges (none when `by` is "off") and
    `manyi_business_gauges_up`, 0 when the database could not answer — the request metrics
    are still worth having then, so the scrape itself does not fail."""
    up = GaugeMetricFamily("manyi_business_gauges_up", "1 when the business gauges were read.")
    if by == "off":
        up.add_metric([], 0)
        return [up]
    try:
        families: list[Metric] = list(
            business_gauges(session, now, by=by, service_level_s=service_level_s)
        )
    except SQLAlchemyError as exc:
        log.warning("business gauges not read: %s", type(exc).__name__)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    return [*families, up]
