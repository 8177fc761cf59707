"""A year of the rating pad's history (窗口评价器) for the demo bank: served tickets at each demo
lobby, the pad's prompt after each, and the customer's tap on three prompts in four (the
rest timed out), so the page's pad chart, its rows by teller and its response rate have
something to show.

Written into the lobby's tables (its public `tables`), as the lobby would have: a ticket
finished at a counter by a teller, a prompt, a rating. Days end the day before `now`, so no
number clashes with a ticket the demo issues today. Seeded once (skipped when the demo
outlets already have ratings); deterministic.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from manyi.bulk import insert_returning
from manyi.lobby.tables import (
    LobbyCounter,
    LobbyService,
    LobbyTicket,
    Rating,
    RatingPrompt,
    served_ticket_row,
)
from manyi.org.tables import Unit
from manyi.quality.demo import DAYS, OUTLETS, TZ, _tellers

PER_DAY = 5  # pad prompts per outlet and day, on average
ANSWERED = 0.75  # share of prompts the customer answers
BATCH = 1000
SCORES = ("very_satisfied", "satisfied", "neutral", "dissatisfied")


def seed(session: Session, now: dt.datetime) -> int:
    """Store the history; returns how many ratings were added (0 when already there)."""
    outlets = session.scalars(select(Unit).where(Unit.code.in_(OUTLETS))).all()
    ids = [u.id for u in outlets]
    if not ids or session.scalar(select(func.count()).where(Rating.outlet_id.in_(ids))):
        return 0
    rng = random.Random(29)  # noqa: S311 (demo data, not a secret)
    zone = zoneinfo.ZoneInfo(TZ)
    last = now.astimezone(zone).date() - dt.timedelta(days=1)
    tellers = _tellers(session, ids)
    tickets: list[dict[str, Any]] = []
    answers: dict[str, tuple[str, dt.datetime] | None] = {}
    for outlet in outlets:
        services = session.scalars(
            select(LobbyService).where(LobbyService.outlet_id == outlet.id)
        ).all()
        counters = session.scalars(
            select(LobbyCounter).where(LobbyCounter.outlet_id == outlet.id)
        ).all()
        staff = [t for t in tellers.get(outlet.id, []) if t is not None]
        if not services or not counters or not staff:
            continue
        base, drift, _ = OUTLETS[outlet.code]
        for back in range(DAYS, 0, -1):
            day = last - dt.timedelta(days=back - 1)
            level = base + 0.05 + drift * (DAYS - back) / DAYS - (0.08 if day.month == 2 else 0)
            seqs: dict[str, int] = {}
            for _ in range(rng.randint(PER_DAY - 2, PER_DAY + 2)):
                service = rng.choice(services)
                seqs[service.prefix] = seqs.get(service.prefix, 0) + 1
                ticket, answer = _visit(rng, outlet, day, zone, service, counters, staff, level)
                ticket["seq"] = seqs[service.prefix]
                ticket["number"] = f"{service.prefix}{ticket['seq']:03d}"
                tickets.append(ticket)
                answers[ticket["public_token"]] = answer
    return _store(session, tickets, answers)


def _visit(
    rng: random.Random,
    outlet: Unit,
    day: dt.date,
    zone: zoneinfo.ZoneInfo,
    service: LobbyService,
    counters: Sequence[LobbyCounter],
    staff: list[int],
    level: float,
) -> tuple[dict[str, Any], tuple[str, dt.datetime] | None]:
    minute = rng.randint(9 * 60, 16 * 60 + 30)
    issued = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), zone).astimezone(dt.UTC)
    called = issued + dt.timedelta(minutes=rng.randint(2, 25))
    finished = called + dt.timedelta(seconds=rng.randint(120, 900))
    counter = rng.choice(counters)
    teller = rng.choice(staff)
    token = f"{rng.getrandbits(128):032x}"
    ticket = served_ticket_row(
        service, outlet.id, day, issued, called, finished, counter.id, teller, token
    )
    ticket["counter_number"] = counter.number
    if rng.random() >= ANSWERED:
        return ticket, None
    happy = rng.random() < level
    score = rng.choice(SCORES[:2]) if happy else rng.choice((*SCORES[2:], "neutral"))
    return ticket, (score, finished + dt.timedelta(seconds=rng.randint(3, 25)))


def _store(
    session: Session,
    tickets: list[dict[str, Any]],
    answers: dict[str, tuple[str, dt.datetime] | None],
) -> int:
    conn = session.connection()
    ticket_table = cast(Table, LobbyTicket.__table__)
    prompt_table = cast(Table, RatingPrompt.__table__)
    rating_table = cast(Table, Rating.__table__)
    added = 0
    for start in range(0, len(tickets), BATCH):
        chunk = tickets[start : start + BATCH]
        rows = [{k: v for k, v in t.items() if k != "counter_number"} for t in chunk]
        ids = dict(
            (token, ticket_id)
            for ticket_id, token in insert_returning(
                conn, ticket_table, rows, returning=("id", "public_token")
            )
        )
        prompts = [
            {
                "outlet_id": t["outlet_id"],
                "ticket_id": ids[t["public_token"]],
                "counter_id": t["counter_id"],
                "counter_number": t["counter_number"],
                "teller_id": t["teller_id"],
                "number": t["number"],
                "service_code": t["service_code"],
                "prompted_at": t["finished_at"],
                "expires_at": t["finished_at"] + dt.timedelta(seconds=30),
                "times_shown": 1,
            }
            for t in chunk
        ]
        prompt_ids = dict(
            (ticket_id, prompt_id)
            for prompt_id, ticket_id in insert_returning(
                conn, prompt_table, prompts, returning=("id", "ticket_id")
            )
        )
        ratings = []
        for t in chunk:
            answer = answers[t["public_token"]]
            if answer is None:
                continue
            ticket_id = ids[t["public_token"]]
            ratings.append(
                {
                    "prompt_id": prompt_ids[ticket_id],
                    "ticket_id": ticket_id,
                    "outlet_id": t["outlet_id"],
                    "counter_id": t["counter_id"],
                    "teller_id": t["teller_id"],
                    "score": answer[0],
                    "reason": "long_wait" if answer[0] == "dissatisfied" else None,
                    "answered_at": answer[1],
                }
            )
        added += len(insert_returning(conn, rating_table, ratings, returning=("id",)))
    return added
