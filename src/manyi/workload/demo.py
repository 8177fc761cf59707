"""The demo bank's teller workload and staff pulse, so `/workload` and
`/workload/pulse/results` have something to show.

- **Service weights**: each demo outlet's lobby services weighed by the packaged catalogue's
  `x-manyi.weight` of the transactions done under them (`SERVICE_TRANSACTIONS`: personal cash
  is a deposit or a withdrawal, 0.8; the wealth desk a wealth-management purchase, 2.5), set
  through `weights.set_service_weight` (audited), for the demo's tickets served without a
  counter bundle.
- **Thirty days of tellers' work** ending the day before `now`: each teller signs on at their
  counter in the morning, pauses for lunch and sometimes for a break in the afternoon, serves
  customers one after another, and signs off (at the outlets that close at 17:00, sometimes
  late: overtime). 中关村's first teller carries the heavier load and often skips the
  afternoon break, so the fairness figure and the longest stretch have a story. Written into
  the lobby's public tables as the lobby would have (counter events, served tickets), as the
  rating pad's history is (`quality.demo_pad`); seeded once per outlet (skipped when the
  outlet has counter events in the period).
- **Last month's pulse survey** answered through `pulse.answer`: every staff member of
  中关村 and six of 陆家嘴 (shown: five or more), the lone tellers of 五道口, 望京 and 徐家汇
  (fewer than five: not shown). This month is left unanswered, for the demo's users to answer.

Deterministic (a seeded generator); seeding twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.bulk import insert_returning
from manyi.counter import work
from manyi.db import Database
from manyi.lobby import layouts
from manyi.lobby.tables import (
    LobbyCounter,
    LobbyEventRow,
    LobbyService,
    LobbyTicket,
    served_ticket_row,
)
from manyi.org.tables import Staff, StaffRole, Unit
from manyi.workload import pulse, weights
from manyi.workload.tables import ServiceWeight

DEMO_ACTOR = audit.Actor(id=None, name="demo-seed")
DAYS = 30
TZ = "Asia/Shanghai"
OUTLETS = ("BJ-HD-ZGC", "BJ-HD-WDK", "BJ-CY-WJ", "SH-PD-LJZ", "SH-XH-XJH")
# The catalogue's transactions done under each demo lobby service: the service's default weight
# is their mean catalogue weight.
SERVICE_TRANSACTIONS = {
    "A": ("deposit", "withdraw"),
    "B": ("card_issue", "transfer", "change_mobile", "password_reset", "card_replace"),
    "C": ("open_account", "close_account"),
    "V": ("wealth_buy",),
    "K": ("card_activate", "bill_pay"),
}
# The counters the outlet's tellers sign on at, in the order of their staff ids.
COUNTERS = (2, 6, 3, 4)
HEAVY = "zgc.teller1"  # works faster, rarely takes the afternoon break

# Last month's pulse answers: who answers, by outlet (usernames), and what they say.
PULSE = {
    "BJ-HD-ZGC": (
        "zgc.head",
        "zgc.lobby",
        "zgc.teller1",
        "zgc.teller2",
        "zgc.supervisor",
        "zgc.handler",
        "zgc.inspector",
        "zgc.expert",
    ),
    "SH-PD-LJZ": (
        "ljz.head",
        "ljz.lobby",
        "ljz.teller1",
        "ljz.teller2",
        "ljz.supervisor",
        "ljz.handler",
    ),
    "BJ-HD-WDK": ("wdk.teller1",),
    "BJ-CY-WJ": ("wj.teller1",),
    "SH-XH-XJH": ("xjh.teller1",),
}
PULSE_COMMENTS = (
    "午饭时间经常被打断，希望排班再合理一些",
    "月底对公业务集中，压力比较大",
    "新系统上线后填单少了，轻松不少",
    "希望增加一个弹性窗口分流高峰",
)


@dataclass
class Seeded:
    weights: int = 0
    tickets: int = 0
    events: int = 0
    answers: int = 0
    lines: list[str] = field(default_factory=list)


def seed(database: Database, now: dt.datetime) -> str:
    """Seed what is missing; the line `manyi demo seed` prints."""
    done = Seeded()
    with database.session() as session:
        done.weights = seed_weights(session)
    with database.session() as session:
        done.tickets, done.events = seed_history(session, now)
    with database.session() as session:
        done.answers = seed_pulse(session, now)
    return (
        f"teller workload: {done.weights} service weights set, {done.tickets} served tickets "
        f"and {done.events} counter events over {DAYS} days added; staff pulse: "
        f"{done.answers} answers for last month added"
    )


def _outlets(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.code.in_(OUTLETS)).order_by(Unit.code)))


def service_weights(session: Session) -> dict[str, float]:
    """{service code: mean catalogue weight of its transactions} from the stored catalogue;
    empty before the catalogue is stored."""
    current = work.current_weights(session)
    found = {}
    for service, codes in SERVICE_TRANSACTIONS.items():
        known = [current[c] for c in codes if c in current]
        if known:
            found[service] = round(sum(known) / len(known), 2)
    return found


def seed_weights(session: Session) -> int:
    """Each demo outlet's services weighed from the catalogue, where not set yet."""
    wanted = service_weights(session)
    added = 0
    for outlet in _outlets(session):
        known = set(
            session.scalars(
                select(ServiceWeight.service_code).where(ServiceWeight.outlet_id == outlet.id)
            )
        )
        services = layouts.layout(session, outlet).services
        for code, weight in wanted.items():
            if code in known or code not in services or weight == 1.0:
                continue
            weights.set_service_weight(session, DEMO_ACTOR, outlet.code, code, weight)
            added += 1
    return added


@dataclass(frozen=True)
class _Desk:
    teller: int
    heavy: bool
    counter: LobbyCounter
    services: tuple[LobbyService, ...]


def seed_history(session: Session, now: dt.datetime) -> tuple[int, int]:
    """Thirty days of the tellers' work at each demo outlet without counter events in them;
    returns (tickets, events) added."""
    zone = zoneinfo.ZoneInfo(TZ)
    last = now.astimezone(zone).date() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=DAYS - 1)
    since = dt.datetime.combine(first, dt.time(0), zone).astimezone(dt.UTC)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), zone).astimezone(dt.UTC)
    tickets: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for outlet in _outlets(session):
        worked = session.scalar(
            select(func.count()).where(
                LobbyEventRow.outlet_id == outlet.id,
                LobbyEventRow.kind == "counter_opened",
                LobbyEventRow.at >= since,
                LobbyEventRow.at < until,
            )
        )
        desks = _desks(session, outlet)
        if worked or not desks:
            continue
        closes = layouts.layout(session, outlet).policy.closes_at
        rng = random.Random(f"workload-{outlet.code}")  # noqa: S311 (demo data, not a secret)
        seqs = _last_seqs(session, outlet.id, first, last)
        day = first
        while day <= last:
            for desk in desks:
                _teller_day(rng, outlet, day, zone, desk, closes is not None, tickets, events)
            day += dt.timedelta(days=1)
        for ticket in sorted((t for t in tickets if t["outlet_id"] == outlet.id), key=_issued):
            key = (ticket["local_day"], ticket["prefix"])
            seqs[key] = seqs.get(key, 0) + 1
            ticket["seq"] = seqs[key]
            ticket["number"] = f"{ticket['prefix']}{seqs[key]:03d}"
    conn = session.connection()
    ticket_table = cast(Table, LobbyTicket.__table__)
    event_table = cast(Table, LobbyEventRow.__table__)
    for start in range(0, len(tickets), 1000):
        insert_returning(conn, ticket_table, tickets[start : start + 1000], returning=("id",))
    events.sort(key=lambda e: (e["outlet_id"], e["at"]))  # ids in time order, as live
    for start in range(0, len(events), 1000):
        insert_returning(conn, event_table, events[start : start + 1000], returning=("id",))
    return len(tickets), len(events)


def _issued(ticket: dict[str, Any]) -> dt.datetime:
    return cast(dt.datetime, ticket["issued_at"])


def _desks(session: Session, outlet: Unit) -> list[_Desk]:
    tellers = session.execute(
        select(Staff.id, Staff.username)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(Staff.unit_id == outlet.id, StaffRole.role == "teller")
        .order_by(Staff.id)
    ).all()
    counters = {
        c.number: c
        for c in session.scalars(select(LobbyCounter).where(LobbyCounter.outlet_id == outlet.id))
    }
    services = {
        s.code: s
        for s in session.scalars(select(LobbyService).where(LobbyService.outlet_id == outlet.id))
    }
    numbers = [n for n in COUNTERS if n in counters]
    desks = []
    for (teller, username), number in zip(tellers, numbers, strict=False):
        counter = counters[number]
        offered = tuple(services[c] for c in (counter.services or []) if c in services)
        if offered:
            desks.append(_Desk(int(teller), username == HEAVY, counter, offered))
    return desks


def _last_seqs(
    session: Session, outlet_id: int, first: dt.date, last: dt.date
) -> dict[tuple[dt.date, str], int]:
    """The numbers already issued on those days (the rating pad's history), to follow on."""
    rows = session.execute(
        select(LobbyTicket.local_day, LobbyTicket.prefix, func.max(LobbyTicket.seq))
        .where(
            LobbyTicket.outlet_id == outlet_id,
            LobbyTicket.local_day >= first,
            LobbyTicket.local_day <= last,
        )
        .group_by(LobbyTicket.local_day, LobbyTicket.prefix)
    ).all()
    return {(day, prefix): int(seq) for day, prefix, seq in rows}


def _teller_day(
    rng: random.Random,
    outlet: Unit,
    day: dt.date,
    zone: zoneinfo.ZoneInfo,
    desk: _Desk,
    closes_at_five: bool,
    tickets: list[dict[str, Any]],
    events: list[dict[str, Any]],
) -> None:
    """One teller's day: on-duty spans with their counter events, and the customers served."""

    def at(minutes: float) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(0), zone) + dt.timedelta(minutes=minutes)
        return local.astimezone(dt.UTC)

    weekend = day.weekday() >= 5
    opens = 8 * 60 + 50 + rng.randint(0, 15)
    lunch = 11 * 60 + 45 + rng.randint(0, 30)
    back = lunch + rng.randint(30, 60)
    closes = 17 * 60 + rng.randint(-5, 10)
    if closes_at_five and rng.random() < 0.3:
        closes += rng.randint(15, 50)  # customers still at the counter at closing: overtime
    spans = [(opens, lunch), (back, closes)]
    if rng.random() < (0.15 if desk.heavy else 0.7):  # the afternoon break (15 to 25 minutes)
        pause = 14 * 60 + 30 + rng.randint(0, 60)
        spans = [(opens, lunch), (back, pause), (pause + rng.randint(15, 25), closes)]
    if rng.random() < 0.5:  # a short pause in the morning: not a break, the stretch goes on
        mid = opens + rng.randint(60, 120)
        spans = [(opens, mid), (mid + rng.randint(3, 7), lunch), *spans[1:]]
    teller, counter = desk.teller, desk.counter
    base = {"outlet_id": outlet.id, "counter_id": counter.id, "staff_id": teller, "ticket_id": None}
    for index, (start, end) in enumerate(spans):
        opening = "counter_opened" if index == 0 else "counter_resumed"
        closing = "counter_closed" if index == len(spans) - 1 else "counter_paused"
        for kind, minute in ((opening, start), (closing, end)):
            data: dict[str, Any] = {"counter": counter.number}
            if kind == "counter_opened":
                data["teller_id"] = teller  # as the lobby records a sign-on
            events.append({**base, "at": at(minute), "kind": kind, "device_id": None, "data": data})
        gap = (0.3, 2.5) if desk.heavy else (1.0, 6.0)
        if weekend:
            gap = (gap[0] * 2, gap[1] * 2)
        cursor = start + rng.uniform(1, 4)
        while True:
            service = rng.choice(desk.services)
            mean = service.expected_service_s / 60
            length = min(max(rng.gauss(mean, mean * 0.35), 1.0), mean * 3)
            if cursor + length > end:
                break
            tickets.append(
                _ticket(rng, outlet, day, service, desk, at(cursor), at(cursor + length))
            )
            cursor += length + rng.uniform(*gap)


def _ticket(
    rng: random.Random,
    outlet: Unit,
    day: dt.date,
    service: LobbyService,
    desk: _Desk,
    started: dt.datetime,
    finished: dt.datetime,
) -> dict[str, Any]:
    issued = started - dt.timedelta(seconds=rng.randint(60, 20 * 60))
    token = f"{rng.getrandbits(128):032x}"
    return served_ticket_row(
        service, outlet.id, day, issued, started, finished, desk.counter.id, desk.teller, token
    )


def seed_pulse(session: Session, now: dt.datetime) -> int:
    """Last month's answers through the survey's own use case; those who answered are skipped."""
    zone = zoneinfo.ZoneInfo(TZ)
    first_of_month = now.astimezone(zone).date().replace(day=1)
    answered_at = dt.datetime.combine(
        first_of_month - dt.timedelta(days=12), dt.time(15), zone
    ).astimezone(dt.UTC)
    month = pulse.month_of(answered_at, zone)
    rng = random.Random(f"pulse-{month}")  # noqa: S311 (demo data, not a secret)
    added = 0
    for code, usernames in PULSE.items():
        people = _staff(session, usernames)
        for index, (staff_id, unit) in enumerate(people):
            form = _answer(rng, code, index)
            if pulse.has_answered(session, staff_id, month):
                continue
            who = pulse.Respondent(staff_id, unit.id, unit.path)
            pulse.answer(session, who, form, answered_at, zone)
            added += 1
    return added


def _staff(session: Session, usernames: Sequence[str]) -> list[tuple[int, Unit]]:
    rows = session.execute(
        select(Staff.id, Unit)
        .join(Unit, Unit.id == Staff.unit_id)
        .where(Staff.username.in_(list(usernames)))
        .order_by(Staff.username)
    ).all()
    return [(int(staff_id), unit) for staff_id, unit in rows]


def _answer(rng: random.Random, outlet: str, index: int) -> dict[str, str]:
    busy = outlet == "BJ-HD-ZGC"  # the busy outlet: workload and pressure lower
    low, high = (2, 4) if busy else (3, 5)
    comment = ""
    if index < len(PULSE_COMMENTS) and rng.random() < 0.6:
        comment = PULSE_COMMENTS[(index + len(outlet)) % len(PULSE_COMMENTS)]
    return {
        "workload": str(rng.randint(low, high)),
        "support": str(rng.randint(3, 5)),
        "pressure": str(rng.randint(low, high)),
        "comment": comment,
    }
