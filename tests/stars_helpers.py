"""Service stars in tests: a programme, served tickets and named complaints for a teller."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select

from manyi import audit
from manyi.db import Database
from manyi.lobby.tables import LobbyService, LobbyTicket
from manyi.org.tables import Staff
from manyi.supervision import stars
from manyi.supervision.domain import star_definitions as definitions
from tests.conftest import FIXED_NOW
from tests.lobby_helpers import configure

DAY = FIXED_NOW.date()


def programme_definition(**changes: Any) -> dict[str, Any]:
    data = definitions.default_definition(DAY)
    data["eligibility"]["min_served"] = 20
    data["criteria"] = [
        {"criterion": "pad", "weight": 40},
        {"criterion": "complaints", "weight": 30, "target": 3},
        {"criterion": "volume", "weight": 30, "target": 160},
    ]
    data.update(changes)
    return data


def head_office(db: Database, **changes: Any) -> int:
    """The 2026Q4 programme, saved by head office; its id."""
    with db.session() as session:
        admin = session.scalars(select(Staff).where(Staff.username == "admin")).one()
        actor = audit.Actor(admin.id, "admin", admin.unit_id, admin.unit.path)
        row = stars.save_programme(
            session, actor, programme_definition(**changes), FIXED_NOW, level="head_office"
        )
        return row.id


def serve(db: Database, outlet_id: int, teller_id: int, count: int, *, first_seq: int = 1) -> None:
    """`count` tickets served by the teller at the outlet, finished over the past days."""
    with db.session() as session:
        configured = session.scalar(
            select(LobbyService.id).where(LobbyService.outlet_id == outlet_id)
        )
    if configured is None:
        configure(db, outlet_id)
    with db.session() as session:
        service_id = session.scalars(
            select(LobbyService.id).where(
                LobbyService.outlet_id == outlet_id, LobbyService.code == "A"
            )
        ).one()
        rows = []
        for i in range(count):
            finished = FIXED_NOW - dt.timedelta(days=1 + i % 20, minutes=i)
            seq = first_seq + i
            rows.append(
                {
                    "outlet_id": outlet_id,
                    "local_day": finished.date(),
                    "prefix": "A",
                    "seq": seq,
                    "number": f"A{seq:03d}",
                    "service_id": service_id,
                    "service_code": "A",
                    "klass": "normal",
                    "channel": "kiosk",
                    "state": "finished",
                    "outcome": "served",
                    "issued_at": finished - dt.timedelta(minutes=20),
                    "queued_at": finished - dt.timedelta(minutes=20),
                    "started_at": finished - dt.timedelta(minutes=5),
                    "finished_at": finished,
                    "teller_id": teller_id,
                    "public_token": f"st{outlet_id}x{seq}",
                    "call_count": 1,
                }
            )
        session.execute(insert(LobbyTicket), rows)
