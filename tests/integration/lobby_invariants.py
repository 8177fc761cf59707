"""What must hold in a lobby's tables after any crash, read from the database alone.

Used by the chaos tests (tests/integration/test_chaos_*.py) after kill -9 and database restarts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from sqlalchemy import select

from manyi import audit
from manyi.db import Database
from manyi.lobby import counters, setup
from manyi.lobby.domain.model import Policy
from manyi.lobby.tables import (
    LobbyCounter,
    LobbyEventRow,
    LobbyTicket,
    QueueTally,
    TicketSequence,
)
from manyi.org import device_tokens
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Unit
from tests.conftest import FIXED_NOW, PASSWORD, SYSTEM, build_bank
from tests.lobby_helpers import COUNTERS, SERVICES, operator

OUTLET = "OUT-A"
PAD_COUNTERS = (1, 3, 4)  # regular, green, flexible: each serves A and B


def lobby_with_devices(db: Database) -> tuple[str, dict[int, str]]:
    """The test bank's outlet A open all day, counters 1, 3 and 4 signed on by their tellers;
    (the kiosk's secret, {counter: its calling pad's secret})."""
    bank = build_bank(db)
    outlet_id = bank.unit(OUTLET)
    with db.session() as session:
        setup.configure_outlet(
            session,
            SYSTEM,
            session.get_one(Unit, outlet_id),
            policy=Policy(opens_at=dt.time(0), closes_at=None, timezone="Asia/Shanghai"),
            services=SERVICES,
            counters=COUNTERS,
            now=FIXED_NOW,
        )
    pads: dict[int, str] = {}
    for number in PAD_COUNTERS:
        username = f"chaos.t{number}"
        with db.session() as session:
            staff_service.create_staff(
                session,
                SYSTEM,
                username=username,
                display_name=f"柜员{number}",
                unit_id=outlet_id,
                roles=[Role.TELLER],
                password=PASSWORD,
            )
        with db.session() as session:
            counters.open_counter(session, operator(session, username), OUTLET, number, FIXED_NOW)
            _, pads[number] = device_tokens.issue_token(
                session,
                SYSTEM,
                outlet_id=outlet_id,
                kind="counter_pad",
                name=f"pad {number}",
                valid_days=None,
                now=FIXED_NOW,
                counter=number,
            )
    with db.session() as session:
        _, kiosk = device_tokens.issue_token(
            session,
            SYSTEM,
            outlet_id=outlet_id,
            kind="kiosk",
            name="kiosk",
            valid_days=None,
            now=FIXED_NOW,
        )
    return kiosk, pads


def lobby_problems(db: Database, issued: list[str], completed: list[int]) -> list[str]:
    """Everything wrong with the lobby's state (an empty list when it is sound).

    `issued`: numbers kiosks were given; `completed`: tickets pads were told they completed.
    """
    problems: list[str] = []
    with db.session() as session:
        tickets = session.scalars(select(LobbyTicket)).all()
        by_number = {t.number: t for t in tickets}
        # Numbering: per outlet, day and prefix, 1..n without a gap or a repeat, as the
        # sequence row says.
        seqs: dict[tuple[int, dt.date, str], list[int]] = defaultdict(list)
        for t in tickets:
            seqs[(t.outlet_id, t.local_day, t.prefix)].append(t.seq)
        for key, found in seqs.items():
            if sorted(found) != list(range(1, len(found) + 1)):
                problems.append(f"numbers of {key} are not 1..{len(found)}: {sorted(found)}")
            last = session.scalar(
                select(TicketSequence.last_seq).where(
                    TicketSequence.outlet_id == key[0],
                    TicketSequence.day == key[1],
                    TicketSequence.prefix == key[2],
                )
            )
            if last != len(found):
                problems.append(f"sequence of {key} says {last}, {len(found)} tickets exist")
        # No ticket lost: every number a kiosk handed out is there (and was handed out once).
        lost = [n for n in issued if n not in by_number]
        if lost:
            problems.append(f"numbers given to customers but not stored: {lost}")
        twice = [n for n, c in Counter(issued).items() if c > 1]
        if twice:
            problems.append(f"numbers given to two customers: {twice}")
        # Called once: one "called" event per ticket and a call count to match.
        calls = Counter(
            session.scalars(
                select(LobbyEventRow.ticket_id).where(LobbyEventRow.kind == "called")
            ).all()
        )
        problems += [f"ticket {i} called {c} times" for i, c in calls.items() if c > 1]
        problems += [
            f"ticket {t.number} has call_count {t.call_count} and {calls[t.id]} call events"
            for t in tickets
            if t.call_count != calls[t.id]
        ]
        # Not stuck: a called or served ticket is its counter's current one, and back.
        rows = session.scalars(select(LobbyCounter)).all()
        current = {c.current_ticket_id: c for c in rows if c.current_ticket_id is not None}
        for t in tickets:
            if t.state in ("called", "serving"):
                holder = current.get(t.id)
                if t.counter_id is None or holder is None or holder.id != t.counter_id:
                    problems.append(f"ticket {t.number} is {t.state} at no counter holding it")
        ticket_by_id = {t.id: t for t in tickets}
        for ticket_id, c in current.items():
            t = ticket_by_id.get(ticket_id)
            if t is None or t.state not in ("called", "serving") or t.counter_id != c.id:
                problems.append(f"counter {c.number} holds ticket {ticket_id}, not at it")
        # Completed means finished and served, with one "completed" event.
        done = Counter(
            session.scalars(
                select(LobbyEventRow.ticket_id).where(LobbyEventRow.kind == "completed")
            ).all()
        )
        problems += [f"ticket {i} completed {c} times" for i, c in done.items() if c > 1]
        for ticket_id in completed:
            t = ticket_by_id.get(ticket_id)
            if t is None or t.state != "finished" or t.outcome != "served":
                problems.append(f"ticket {ticket_id} was completed but is not served")
        # What issuing reads as the queue (the tally the triggers keep) is the queue.
        waiting = Counter(
            (t.outlet_id, t.local_day, t.service_code) for t in tickets if t.state == "waiting"
        )
        tally: Counter[tuple[int, dt.date, str]] = Counter()
        for row in session.scalars(select(QueueTally)):
            tally[(row.outlet_id, row.local_day, row.service_code)] += row.n
        if +tally != waiting or -tally:
            problems.append(f"the queue's tally says {dict(tally)}, {dict(waiting)} wait")
        verified = audit.verify(session)
        if not verified.ok:
            problems.append(f"audit chain: {verified.problem}")
    return problems
