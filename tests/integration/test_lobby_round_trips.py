"""How many statements a ticket's three steps send the database, between the BEGIN and the
COMMIT that psycopg and the unit of work add (issue 22): each one is a round trip, and the
hot path was made to need few. A change that adds one to a step fails here, to be weighed
against the bench (bench/lobby_api.py), not slipped in.

Counted at the kiosk and the calling pad, as devices (staff actions add their audit record),
after one ticket has warmed the per-process caches (the outlet's layout, recent service
times)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from manyi.db import Database
from manyi.driver_sql import Driver
from manyi.lobby import counters, ports, service
from manyi.lobby.service import Operator
from manyi.org import device_tokens
from manyi.org.tables import DeviceToken
from manyi.quality.lobby_adapters import SurveyAdapter
from tests.conftest import SYSTEM, Bank
from tests.lobby_helpers import T0, configure, operator

# Statements per step, on PostgreSQL: issuing reads the counters with the queue's tally, then
# (the queue being short: under estimate.MAX_CALLS) the waiting tickets, to play the rules on
# them, and writes the number, the ticket and its event in one statement; call-next locks the
# counter and reads its candidates in one, and claims with its event in another; completing
# reads the counter with its ticket, then writes in one statement both with the event, the
# rating prompt with its event, and the visit's survey invitation when quality is plugged in
# and samples the visit. (On SQLite that invitation is a statement of its own, and on both
# engines the survey's definition is read until this process has kept its id: those are not
# counted, as whether they are sent depends on what this process has registered and kept.)
# SQLite sends each write on its own: no round trip is paid in-process.
EXPECTED = {
    "postgresql": {"issue": 3, "call": 2, "complete": 2},
    "sqlite": {"issue": 5, "call": 5, "complete": 6},
}


@pytest.fixture
def devices(db: Database, bank: Bank) -> tuple[int, int]:
    """OUT-A open all day, teller.a at counter 1; (kiosk token id, counter 1's pad's id)."""
    outlet_id = bank.unit("OUT-A")
    configure(db, outlet_id)
    ids = []
    with db.session() as session:
        for kind, counter in (("kiosk", None), ("counter_pad", 1)):
            row, _ = device_tokens.issue_token(
                session,
                SYSTEM,
                outlet_id=outlet_id,
                kind=kind,
                name=kind,
                valid_days=None,
                now=T0,
                counter=counter,
            )
            ids.append(int(row.id))
    with db.session() as session:
        counters.open_counter(session, operator(session, "teller.a"), "OUT-A", 1, T0)
    return ids[0], ids[1]


@pytest.fixture
def surveys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Quality behind the lobby's survey port, as the application plugs it, inviting every
    served visit (its default rate)."""
    monkeypatch.setattr(ports, "_surveys", SurveyAdapter(7))


@pytest.fixture
def sent(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement sent from here on: the driver's own and SQLAlchemy's."""
    statements: list[str] = []
    direct = Driver.execute

    def counted(self: Driver, sql: str, params: Any = ()) -> Any:
        statements.append(sql)
        return direct(self, sql, params)

    def seen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)

    monkeypatch.setattr(Driver, "execute", counted)
    event.listen(db.engine, "before_cursor_execute", seen)
    yield statements
    event.remove(db.engine, "before_cursor_execute", seen)


def _surveys_own(sql: str) -> bool:
    return sql.startswith("INSERT INTO survey_invitations") or "FROM survey_definitions" in sql


def test_issue_call_and_complete_send_few_statements(
    db: Database, devices: tuple[int, int], surveys: None, sent: list[str]
) -> None:
    kiosk_id, pad_id = devices

    def step(action: Callable[[Session, Operator, Operator], Any]) -> int:
        with db.session() as session:
            kiosk = Operator.device(session.get_one(DeviceToken, kiosk_id))
            pad = Operator.device(session.get_one(DeviceToken, pad_id))
            sent.clear()
            action(session, kiosk, pad)
            count = sum(1 for sql in sent if not _surveys_own(sql))
        return count

    def issue(session: Session, kiosk: Operator, _pad: Operator) -> None:
        service.issue_ticket(session, kiosk, "OUT-A", "A", T0)

    def call(session: Session, _kiosk: Operator, pad: Operator) -> None:
        assert counters.call_next(session, pad, "OUT-A", 1, T0).ticket is not None

    def complete(session: Session, _kiosk: Operator, pad: Operator) -> None:
        counters.complete(session, pad, "OUT-A", 1, T0)

    for action in (issue, call, complete):  # the caches warmed
        step(action)
    counts = {action.__name__: step(action) for action in (issue, call, complete)}
    assert counts == EXPECTED[db.engine.dialect.name], sent
    # The completion's survey invitation was sent, with the rating prompt on PostgreSQL.
    invited = [sql for sql in sent if "INSERT INTO survey_invitations" in sql]
    assert len(invited) == 1, sent
    assert ("lobby_rating_prompts" in invited[0]) == (db.engine.dialect.name == "postgresql")
