"""A database prepared for the lobby benches: the demo bank, tellers signed on at the demo
outlet's counters, kiosk and calling-pad device tokens."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import make_url, select, text, update

from manyi import audit, demo
from manyi.db import Database, upgrade
from manyi.lobby import counters, layouts, setup
from manyi.lobby.demo_layout import LARGE, OUTLETS, SERVICES
from manyi.lobby.service import Operator
from manyi.lobby.setup import CounterSpec
from manyi.org import device_tokens, passwords
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Staff, Unit

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench"
OUTLET = "BJ-HD-ZGC"
SCREEN_USER = "zgc.lobby"  # the demo outlet's lobby manager (--screens, --sign-ins)
ACTOR = audit.Actor(id=None, name="bench")
# Counters 5 (corporate only) and 6 (VIP, wealth first) need tellers with those skills.
SKILLED = {5: "zgc.teller1", 6: "zgc.teller2"}


def fresh_url(engine: str, workdir: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    url = os.environ.get("MANYI_BENCH_DATABASE_URL", "") or PG_DEFAULT
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    print(f"[postgresql] dropping and recreating schema public of {redact(url)}", flush=True)
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.dispose()
    return url


@dataclass
class Fixture:
    kiosks: list[str]  # device token secrets
    pads: dict[int, str]  # counter number -> calling-pad token secret


def prepare(url: str, n_kiosks: int, n_tellers: int) -> Fixture:
    """Migrate, seed the demo, open `n_tellers` counters at the outlet, issue device tokens."""
    upgrade(url)
    db = Database(url)
    # Production password hashing costs ~0.1 s per staff member: not what is measured.
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with db.session() as session:
        demo.seed(session)
        # ... except for the one who signs in during the run (--sign-ins): the real cost.
        session.execute(
            update(Staff)
            .where(Staff.username == SCREEN_USER)
            .values(password_hash=PasswordHasher().hash(demo.DEMO_PASSWORD))
        )
        outlet = session.scalar(select(Unit).where(Unit.code == OUTLET))
        assert outlet is not None and OUTLETS[OUTLET][1] is None  # open around the clock
        if n_tellers > len(LARGE):  # more counters than the demo has: add regular ones
            extra = [
                CounterSpec(n, "regular", ("A", "B", "K"))
                for n in range(len(LARGE) + 1, n_tellers + 1)
            ]
            policy = layouts.load_policy(session, outlet)
            setup.configure_outlet(
                session, ACTOR, outlet, policy=policy, services=SERVICES, counters=[*LARGE, *extra]
            )
        numbers = list(range(1, n_tellers + 1))
        tellers = {n: SKILLED.get(n, f"bench.teller{n}") for n in numbers}
        for n, username in tellers.items():
            if staff_service.by_username(session, username) is None:
                staff_service.create_staff(
                    session,
                    ACTOR,
                    username=username,
                    display_name=f"压测柜员{n}",
                    unit_id=outlet.id,
                    roles=[Role.TELLER],
                    password=secrets.token_urlsafe(16) + "-Aa1",
                )
        kiosks = [
            device_tokens.issue_token(
                session, ACTOR, outlet_id=outlet.id, kind="kiosk", name=f"kiosk {k}", valid_days=1
            )[1]
            for k in range(n_kiosks)
        ]
        pads = {
            n: device_tokens.issue_token(
                session,
                ACTOR,
                outlet_id=outlet.id,
                kind="counter_pad",
                name=f"pad {n}",
                valid_days=1,
                counter=n,  # a calling pad is bound to its counter
            )[1]
            for n in numbers
        }
    now = dt.datetime.now(dt.UTC)
    for n, username in tellers.items():
        with db.session() as session:
            staff = staff_service.by_username(session, username)
            assert staff is not None
            actor = audit.Actor(
                id=staff.id, name=staff.username, unit_id=staff.unit_id, unit_path=staff.unit.path
            )
            counters.open_counter(session, Operator.staff(actor, staff.permissions), OUTLET, n, now)
    db.dispose()
    return Fixture(kiosks, pads)


def redact(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# The triggers that keep manyi's queue tally (migration 0058).
TALLY_TRIGGERS = (
    "lobby_queue_tally_insert",
    "lobby_queue_tally_update",
    "lobby_queue_tally_delete",
)


def without_tally_triggers(url: str) -> None:
    """Drop the triggers that keep manyi's queue tally from the bench's scratch database, once
    manyi has been served: the floor runs only the SQL a ticket needs, and a trigger of
    manyi's on the tables it shares would charge it for manyi's count of the queue."""
    db = Database(url)
    postgres = db.engine.dialect.name == "postgresql"
    with db.engine.begin() as conn:
        for name in TALLY_TRIGGERS:
            conn.execute(
                text(f"DROP TRIGGER IF EXISTS {name}" + (" ON lobby_tickets" if postgres else ""))
            )
    db.dispose()
