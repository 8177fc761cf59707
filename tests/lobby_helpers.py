"""A small lobby for tests: four services, five counters, fixed times."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy.orm import Session

from manyi import audit, realtime
from manyi.db import Database
from manyi.lobby import events, setup
from manyi.lobby.domain.model import Policy, Service
from manyi.lobby.service import Operator
from manyi.lobby.setup import CounterSpec
from manyi.org import staff as staff_service
from manyi.org.tables import Unit
from tests.conftest import SYSTEM

# 10:00 in Beijing on a Monday.
T0 = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)

SERVICES = (
    Service("A", "个人现金业务", "A", 300, name_en="Personal cash"),
    Service("B", "个人非现金业务", "B", 480, name_en="Personal non-cash"),
    Service("C", "对公业务", "C", 600, name_en="Corporate", skill="corporate"),
    Service("K", "快速通道", "K", 120, name_en="Fast lane", fast_lane=True),
)
COUNTERS = (
    CounterSpec(1, "regular", ("A", "B")),
    CounterSpec(2, "fast_lane", ("K", "A")),
    CounterSpec(3, "green", ("A", "B")),
    CounterSpec(4, "flexible", ("B", "A", "K")),
    CounterSpec(5, "regular", ("C",)),
)


def configure(
    db: Database,
    outlet_id: int,
    *,
    opens: dt.time = dt.time(9),
    closes: dt.time | None = dt.time(17),
    **policy: object,
) -> None:
    with db.session() as session:
        outlet = session.get_one(Unit, outlet_id)
        setup.configure_outlet(
            session,
            SYSTEM,
            outlet,
            policy=Policy(opens_at=opens, closes_at=closes, timezone=outlet.timezone, **policy),  # type: ignore[arg-type]
            services=SERVICES,
            counters=COUNTERS,
        )


def operator(session: Session, username: str) -> Operator:
    staff = staff_service.by_username(session, username)
    assert staff is not None
    actor = audit.Actor(
        id=staff.id, name=staff.username, unit_id=staff.unit_id, unit_path=staff.unit.path
    )
    return Operator.staff(actor, staff.permissions)


async def listening_to(db: Database, outlet: int) -> realtime.Subscription:
    """A subscription to `outlet`'s events on `db`'s hub (another process's, when `db` is a
    second `Database`), once the hub listens, without the gap it sent on starting to."""
    sub = db.hub.subscribe(events.topic(outlet))
    assert await asyncio.to_thread(db.hub.listening.wait, 10)
    while not sub.queue.empty():
        sub.queue.get_nowait()
    return sub
