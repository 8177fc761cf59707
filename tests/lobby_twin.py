"""The database lobby seen through the in-memory `Lobby`'s eyes, for differential tests.

`DbTwin` drives the use cases (`service`, `counters`, `transfers`) with the same arguments
the engine takes, and reads the outlet's rows back as domain `Ticket`s and `Counter`s. Ticket
ids differ between the two (the engine counts from 1, the database has its own sequence), so
the twin keeps the map from engine ids to row ids; counter and teller ids are the database's
in both, because the engine's counters are built from the rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter as Counter_
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import sqlalchemy
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from manyi import audit
from manyi.db import Database
from manyi.errors import ManyiError
from manyi.lobby import counters, layouts, service, setup, store, transfers
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import (
    Counter,
    CounterKind,
    Outcome,
    Policy,
    PriorityClass,
    Service,
    TicketState,
)
from manyi.lobby.domain.ticket import Ticket
from manyi.lobby.service import Operator
from manyi.lobby.tables import (
    LobbyAlert,
    LobbyCounter,
    LobbyEventRow,
    LobbyTicket,
    Rating,
    RatingPrompt,
    TicketSequence,
)
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Unit
from tests.conftest import PASSWORD, SYSTEM

T = TypeVar("T")


@dataclass(frozen=True)
class CounterPlan:
    kind: CounterKind
    services: tuple[str, ...]
    skills: frozenset[str]  # of the teller who signs on here


@dataclass(frozen=True)
class LayoutPlan:
    services: tuple[Service, ...]
    counters: tuple[CounterPlan, ...]  # numbers 1, 2, … in this order
    policy: Policy


@dataclass
class DbTwin:
    db: Database
    outlet_code: str
    outlet_id: int
    manager: Operator
    tellers: Sequence[str]  # the teller who signs on at counter n is tellers[n - 1]
    teller_ids: Sequence[int]
    ids: dict[int, int] = field(default_factory=dict)  # engine ticket id -> row id

    # --- set-up -----------------------------------------------------------------------

    def reset(self, plan: LayoutPlan, now: dt.datetime) -> list[Counter]:
        """Empty the outlet's lobby, lay it out as `plan` and return its (closed) counters.

        Cheaper than a fresh database per example: a few deletes on one outlet's rows.
        Events and audit entries of earlier examples stay (audit is append-only), but no
        row of this outlet's queue does.
        """
        self.ids = {}
        with self.db.session() as session:
            outlet_id = self.outlet_id
            for table in (Rating, RatingPrompt, LobbyEventRow, LobbyAlert):
                session.execute(delete(table).where(table.outlet_id == outlet_id))
            # One statement for every leg: foreign keys (a leg's previous leg) are checked
            # at its end, when none is left.
            session.execute(delete(LobbyTicket).where(LobbyTicket.outlet_id == outlet_id))
            session.execute(delete(TicketSequence).where(TicketSequence.outlet_id == outlet_id))
            session.execute(
                update(LobbyCounter)
                .where(LobbyCounter.outlet_id == outlet_id)
                .values(state="closed", teller_id=None, current_ticket_id=None, credits={})
            )
            outlet = session.get_one(Unit, outlet_id)
            setup.configure_outlet(
                session,
                SYSTEM,
                outlet,
                policy=plan.policy,
                services=plan.services,
                counters=[
                    setup.CounterSpec(n, c.kind.value, c.services)
                    for n, c in enumerate(plan.counters, 1)
                ],
                now=now,
            )
            for username, counter in zip(self.tellers, plan.counters, strict=False):
                teller = staff_service.by_username(session, username)
                assert teller is not None
                setup.set_skills(session, SYSTEM, teller, sorted(counter.skills), now=now)
            # Cached layout and recent service times belong to the previous example.
            layouts.forget(session, outlet_id)
            return [store.counter_of(row) for row in store.counter_rows(session, outlet_id)]

    # --- the engine's operations, through the use cases --------------------------------

    def _do(self, action: Callable[[Session], T]) -> T:
        with self.db.session() as session:
            return action(session)

    def issue(
        self,
        service_code: str,
        now: dt.datetime,
        klass: PriorityClass,
        due_at: dt.datetime | None,
    ) -> service.Issued:
        return self._do(
            lambda s: service.issue_ticket(
                s,
                self.manager,
                self.outlet_code,
                service_code,
                now,
                klass=klass.value,
                due_at=due_at,
            )
        )

    def open(self, number: int, now: dt.datetime) -> None:
        username = self.tellers[number - 1]
        self._do(
            lambda s: counters.open_counter(
                s, self.manager, self.outlet_code, number, now, username
            )
        )

    def counter_action(self, name: str, number: int, now: dt.datetime) -> Any:
        """close, pause, resume, call_next, recall, start, complete or no_show at a counter."""
        actions: dict[str, Callable[..., Any]] = {
            "close": counters.close_counter,
            "pause": counters.pause_counter,
            "resume": counters.resume_counter,
            "call_next": counters.call_next,
            "recall": counters.recall,
            "start": counters.start,
            "complete": counters.complete,
            "no_show": counters.no_show,
        }
        action = actions[name]
        return self._do(lambda s: action(s, self.manager, self.outlet_code, number, now))

    def transfer(
        self,
        number: int,
        now: dt.datetime,
        service_code: str,
        target_number: int | None,
    ) -> Ticket:
        result = self._do(
            lambda s: transfers.transfer(
                s,
                self.manager,
                self.outlet_code,
                number,
                now,
                service_code=service_code,
                target_counter=target_number,
            )
        )
        assert result.ticket is not None
        return result.ticket

    def requeue(self, engine_id: int, now: dt.datetime) -> Ticket:
        return self._do(lambda s: service.requeue(s, self.manager, self.ids[engine_id], now))

    def cancel(self, engine_id: int, now: dt.datetime) -> Ticket:
        return self._do(lambda s: service.cancel(s, self.manager, self.ids[engine_id], now))

    # --- reading back -----------------------------------------------------------------

    def state(self) -> tuple[dict[int, Ticket], dict[int, Counter]]:
        """Every ticket row of the outlet (by row id) and every counter (by id)."""
        with self.db.session() as session:
            rows = session.execute(
                select(*(getattr(LobbyTicket, name) for name in store.TICKET_FIELDS)).where(
                    LobbyTicket.outlet_id == self.outlet_id
                )
            )
            tickets = {row.id: store.ticket_of(row) for row in rows}
            found = [store.counter_of(row) for row in store.counter_rows(session, self.outlet_id)]
        return tickets, {c.id: c for c in found}

    def waiting_counts(self) -> dict[str, int]:
        """Those waiting per service as issuing reads them (the tally the triggers keep)."""
        with self.db.session() as session:
            return store.waiting_counts(session, self.outlet_id, dt.date.min)

    def event_kinds(self, after_id: int) -> tuple[list[str], int]:
        """Kinds of the outlet's events written after `after_id`, and the last id."""
        with self.db.session() as session:
            rows = session.execute(
                select(LobbyEventRow.id, LobbyEventRow.kind)
                .where(LobbyEventRow.outlet_id == self.outlet_id, LobbyEventRow.id > after_id)
                .order_by(LobbyEventRow.id)
            ).all()
        return [kind for _, kind in rows], (rows[-1][0] if rows else after_id)


@contextlib.contextmanager
def open_twin(db: Database, outlet_id: int, counters: int) -> Iterator[DbTwin]:
    """A twin of `outlet_id` with a lobby manager (who does everything) and a teller for
    each of up to `counters` counters."""
    if db.engine.dialect.name == "sqlite":
        _fast_sqlite(db)
    tellers = [f"eq.teller{n}" for n in range(1, counters + 1)]
    with db.session() as session:
        for username in ("eq.lobby", *tellers):
            staff_service.create_staff(
                session,
                SYSTEM,
                username=username,
                display_name=username,
                unit_id=outlet_id,
                roles=[Role.LOBBY_MANAGER if username == "eq.lobby" else Role.TELLER],
                password=PASSWORD,
            )
        found = [staff_service.by_username(session, u) for u in ("eq.lobby", *tellers)]
        staff = [s for s in found if s is not None]
        manager = staff[0]
        actor = audit.Actor(
            id=manager.id, name=manager.username, unit_id=outlet_id, unit_path=manager.unit.path
        )
        operator = Operator.staff(actor, manager.permissions)
        code = manager.unit.code
    with db.engine.connect():  # see _fast_sqlite
        yield DbTwin(db, code, outlet_id, operator, tellers, [s.id for s in staff[1:]])


def _fast_sqlite(db: Database) -> None:
    """Spare the thousands of small SQLite transactions of a differential test two costs that
    tell nothing about the lobby: a flush to disk at every commit (the data are thrown away),
    and a WAL checkpoint whenever a session closes the last connection (`open_twin` holds one
    open, idle, while the test runs; the engine opens one per session)."""

    @sqlalchemy.event.listens_for(db.engine, "connect")
    def _no_sync(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=OFF")


# --- comparing --------------------------------------------------------------------------

# Compared field by field; `id` is mapped, and the predicted wait is compared only while
# nobody has been served: the use case then estimates from recent service times, the
# engine always from the expected ones (docs/lobby.md, "Known limits").
FIELDS = [f.name for f in fields(Ticket) if f.name not in ("id", "predicted_wait_s")]


def counter_view(c: Counter, ids: dict[int, int]) -> dict[str, Any]:
    current = None if c.current_ticket_id is None else ids.get(c.current_ticket_id, -1)
    return {
        "number": c.number,
        "kind": c.kind,
        "services": c.services,
        "state": c.state,
        "teller_id": c.teller_id,
        "current_ticket_id": current,
        "credits": dict(c.credits),
    }


def assert_same_state(lobby: Lobby, twin: DbTwin, step: int) -> None:
    """Every ticket and counter of the engine equals its row, ids mapped."""
    rows, counters = twin.state()
    ids = twin.ids
    assert sorted(rows) == sorted(ids[t] for t in lobby.tickets), f"step {step}: ticket sets"
    served = any(t.outcome is Outcome.SERVED for t in lobby.tickets.values())
    names = FIELDS if served else [*FIELDS, "predicted_wait_s"]
    for engine_id, mine in lobby.tickets.items():
        row = rows[ids[engine_id]]
        differ = {
            n: (getattr(mine, n), getattr(row, n))
            for n in names
            if getattr(mine, n) != getattr(row, n)
        }
        assert not differ, f"step {step}: ticket {mine.number} (engine, database): {differ}"
    waiting = Counter_(t.service_code for t in rows.values() if t.state is TicketState.WAITING)
    assert twin.waiting_counts() == dict(waiting), f"step {step}: waiting per service"
    assert set(counters) == set(lobby.counters)
    same_ids = {v: v for v in rows}
    for cid, c in lobby.counters.items():
        mine_c, theirs = counter_view(c, ids), counter_view(counters[cid], same_ids)
        assert mine_c == theirs, f"step {step}: counter {c.number}: {mine_c} != {theirs}"


def lifecycle_kinds(kinds: Sequence[str], engine: bool) -> list[str]:
    """Event kinds as both sides should record them.

    Two known differences are taken out. The engine records the new leg of a transfer as a
    `requeued` event right after `transferred`; the use case records only `transferred`, with
    the new leg's id in its data. The use case also records `rating_prompted` after a
    completion, for the rating pad, a screen the engine does not have.
    """
    out: list[str] = []
    for kind in kinds:
        if engine and kind == "requeued" and out[-1:] == ["transferred"]:
            continue
        if not engine and kind == "rating_prompted":
            continue
        out.append(kind)
    return out


def outcome(action: Callable[[], T]) -> tuple[str, Any]:
    """('ok', result) or ('refused', the error's class and code)."""
    try:
        return "ok", action()
    except ManyiError as error:
        return "refused", (type(error).__name__, error.error_code)
