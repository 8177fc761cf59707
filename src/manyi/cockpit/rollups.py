"""The cockpit's roll-ups kept by the worker (`cockpit_hourly`, `cockpit_daily`), on the
pattern of `quality.rollups`.

The invariant the pages rely on: the rows of an (outlet, local day) are exactly what
`build.rows_of_day` makes of the raw facts, unless the outlet-day is listed in
`cockpit_rollup_dirty` or has facts newer than the watermarks. Every pass keeps it:

1. `committed_tops` takes, under a brief SHARE lock on the source tables (PostgreSQL: it waits
   for inserting transactions to commit, so no id below the top can appear later; SQLite has
   one writer at a time), the highest id of each; `mark_new` marks dirty the outlet-days of
   every row above its watermark and up to its top and moves the watermarks, in one
   transaction. A lobby event marks its own day and the issue day of its ticket, so a ticket
   finished after midnight recomputes the day it was issued; a complaint or a survey imported
   for an old date has a new id and marks that old day.
2. `recompute_span`: the rows of some dirty outlets over a span of days are deleted, rebuilt
   from the raw facts and the marks removed, in one transaction. Running it again gives the
   same rows: the job is idempotent, and `mark_days` re-runs any days on demand.
3. Facts that change without a new row (an appointment cancelled or marked no-show, a counter
   bundle finishing without a lobby event) are caught when the day is *settled*: once a local
   day is over, the first pass marks all its outlets dirty once (`settled_day`). Changes made
   after that need `manyi cockpit rollup --day`.

The days are local days in the zone recorded with the watermarks, and "within target" counts
waits up to the recorded target: when either setting changes the roll-ups are emptied and
rebuilt from the start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, text, tuple_, union
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from manyi.cockpit import history, summaries
from manyi.cockpit.build import day_bounds, local_day, rows_of_span
from manyi.cockpit.tables import CockpitDaily as Daily
from manyi.cockpit.tables import CockpitHourly as Hourly
from manyi.cockpit.tables import (
    CockpitOutletMonthly,
    CockpitOutletRecent,
    CockpitOutletWindow,
    CockpitUnitDaily,
)
from manyi.cockpit.tables import CockpitRollupDirty as Dirty
from manyi.cockpit.tables import CockpitRollupState as State
from manyi.complaints.tables import Complaint
from manyi.counter import facts as counter_facts
from manyi.db import Database
from manyi.guidance import facts as guidance_facts
from manyi.lobby.tables import LobbyEventRow as E
from manyi.lobby.tables import LobbyTicket as T
from manyi.lobby.tables import Rating
from manyi.quality import facts as quality_facts
from manyi.reach import facts as reach_facts

NO_SYNC = {"synchronize_session": False}
HOURLY = cast(Table, Hourly.__table__)  # Core inserts: many rows, no ORM objects
DAILY = cast(Table, Daily.__table__)
DIRTY = cast(Table, Dirty.__table__)
LOCK_TIMEOUT = "2s"
# One transaction recomputes at most SPAN_DAYS consecutive days of at most OUTLET_DAYS
# outlet-days: a backfill reads a month of facts per statement, a day's pass a few thousand
# outlets at a time, and memory stays bounded.
SPAN_DAYS = 31
OUTLET_DAYS = 2000
SOURCES = (
    "lobby_events", "ratings", "complaints", "surveys", "bundles", "appointments", "guidance",
)  # fmt: skip
_LOCKED = "lobby_events, lobby_ratings, complaints, quality_responses, counter_bundle_measures, appointments, guidance_encounters"  # noqa: E501


@dataclass(frozen=True)
class Pass:
    marked: int  # outlet-days marked dirty
    days: int  # outlet-days recomputed
    busy: bool = False

    @property
    def done(self) -> int:
        return self.marked + self.days

    def line(self) -> str:
        if self.busy:
            return "events being inserted; roll-ups next round"
        return f"{self.marked} outlet-days marked, {self.days} recomputed"


def state(session: Session, tz: str, target_s: int, *, lock: bool = False) -> State:
    """The state row, created on first use; emptied and restarted when the zone or the
    target changed."""
    statement = select(State).where(State.id == 1)
    found = session.scalar(statement.with_for_update() if lock else statement)
    if found is None:
        found = State(id=1, tz=tz, target_s=target_s, **dict.fromkeys(SOURCES, 0))
        session.add(found)
        session.flush()
        _mark(session, history.all_days(session))  # imported days: no raw fact marks them
    elif (found.tz, found.target_s) != (tz, target_s):
        for table in (Hourly, Daily, Dirty, CockpitUnitDaily, CockpitOutletWindow,
                      CockpitOutletRecent, CockpitOutletMonthly):  # fmt: skip
            session.execute(delete(table))
        found.tz, found.target_s, found.settled_day = tz, target_s, None
        for source in SOURCES:
            setattr(found, source, 0)
        session.flush()
        _mark(session, history.all_days(session))
    return found


def committed_tops(session: Session) -> dict[str, int] | None:
    """The highest id of each source, once every inserting transaction has committed (see the
    module); None when the lock was not had in time."""
    if session.connection().dialect.name == "postgresql":
        try:
            with session.begin_nested():
                session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                session.execute(text(f"LOCK TABLE {_LOCKED} IN SHARE MODE"))
        except OperationalError:
            return None
    return {
        "lobby_events": int(session.scalar(select(func.max(E.id))) or 0),
        "ratings": int(session.scalar(select(func.max(Rating.id))) or 0),
        "complaints": int(session.scalar(select(func.max(Complaint.id))) or 0),
        "surveys": quality_facts.latest_response_id(session),
        "bundles": counter_facts.latest_id(session),
        "appointments": reach_facts.latest_id(session),
        "guidance": guidance_facts.latest_id(session),
    }


def _days(low: dt.datetime, high: dt.datetime, tz: str) -> list[dt.date]:
    first, last = local_day(low, tz), local_day(high, tz)
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _touched(session: Session, marks: State, tops: dict[str, int]) -> set[tuple[int, dt.date]]:
    tz = marks.tz
    pairs: set[tuple[int, dt.date]] = set()
    ranges: list[tuple[int, Any, Any]] = []
    after, upto = marks.lobby_events, tops["lobby_events"]
    if upto > after:
        ranges += session.execute(
            select(
                E.outlet_id,
                func.min(func.coalesce(T.issued_at, E.at)),
                func.max(E.at),
            )
            .outerjoin(T, T.id == E.ticket_id)
            .where(E.id > after, E.id <= upto)
            .group_by(E.outlet_id)
        ).all()
    after, upto = marks.ratings, tops["ratings"]
    if upto > after:
        ranges += session.execute(
            select(Rating.outlet_id, func.min(Rating.answered_at), func.max(Rating.answered_at))
            .where(Rating.id > after, Rating.id <= upto)
            .group_by(Rating.outlet_id)
        ).all()
    after, upto = marks.complaints, tops["complaints"]
    if upto > after:
        ranges += session.execute(
            select(
                Complaint.responsible_unit_id,
                func.min(Complaint.received_at),
                func.max(Complaint.received_at),
            )
            .where(Complaint.id > after, Complaint.id <= upto)
            .group_by(Complaint.responsible_unit_id)
        ).all()
    if tops["surveys"] > marks.surveys:
        ranges += quality_facts.responses_after(session, marks.surveys, tops["surveys"])
    for outlet, low, high in ranges:
        if outlet is not None and low is not None:
            pairs |= {(int(outlet), d) for d in _days(low, high, tz)}
    if tops["bundles"] > marks.bundles:
        pairs |= counter_facts.changed_after(session, marks.bundles, tops["bundles"])
    if tops["appointments"] > marks.appointments:
        pairs |= reach_facts.changed_after(session, marks.appointments, tops["appointments"])
    if tops["guidance"] > marks.guidance:
        pairs |= guidance_facts.changed_after(session, marks.guidance, tops["guidance"])
    return pairs


def mark_new(session: Session, tz: str, target_s: int, tops: dict[str, int]) -> int:
    """Mark the outlet-days of every row above the watermarks (up to `tops`) dirty and raise
    the watermarks; how many outlet-days were newly marked."""
    marks = state(session, tz, target_s, lock=True)
    marked = _mark(session, _touched(session, marks, tops))
    for source in SOURCES:
        setattr(marks, source, max(getattr(marks, source), tops[source]))
    return marked


def mark_days(session: Session, tz: str, target_s: int, days: Iterable[dt.date]) -> int:
    """Mark every outlet with facts or roll-ups on these days dirty (a re-run on demand)."""
    state(session, tz, target_s, lock=True)
    found: set[tuple[int, dt.date]] = set()
    for day in days:
        found |= {(o, day) for o in _outlets_of_day(session, day, tz)}
    return _mark(session, found)


def _outlets_of_day(session: Session, day: dt.date, tz: str) -> set[int]:
    starts, ends = day_bounds(day, tz)
    sources = union(
        select(T.outlet_id).where(T.issued_at >= starts, T.issued_at < ends),
        select(E.outlet_id).where(E.at >= starts, E.at < ends),
        select(Rating.outlet_id).where(Rating.answered_at >= starts, Rating.answered_at < ends),
        select(Complaint.responsible_unit_id).where(
            Complaint.received_at >= starts, Complaint.received_at < ends
        ),
        select(Daily.outlet_id).where(Daily.day == day),
    )
    found = {int(o) for o in session.scalars(sources) if o is not None}
    found |= {o for o, _, _ in quality_facts.csat_answers(session, None, starts, ends)}
    found |= counter_facts.outlets_on(session, day)
    found |= reach_facts.outlets_on(session, day)
    found |= guidance_facts.outlets_on(session, day)
    found |= history.outlets_on(session, day)
    return found


def _mark(session: Session, pairs: set[tuple[int, dt.date]]) -> int:
    if not pairs:
        return 0
    wanted = sorted(pairs)
    known: set[tuple[int, dt.date]] = set()
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        known |= {
            (int(o), d)
            for o, d in session.execute(
                select(Dirty.outlet_id, Dirty.day).where(
                    tuple_(Dirty.outlet_id, Dirty.day).in_(chunk)
                )
            ).all()
        }
    fresh = [{"outlet_id": o, "day": d} for o, d in wanted if (o, d) not in known]
    for start in range(0, len(fresh), 5000):
        session.connection().execute(DIRTY.insert(), fresh[start : start + 5000])
    return len(fresh)


def import_history(
    session: Session, tz: str, target_s: int, days: list[Any], source: str, now: dt.datetime
) -> int:
    """Store a previous queue system's days (`history.store`) and mark them dirty, in the
    caller's transaction; how many outlet-days. The next pass makes them roll-up rows."""
    state(session, tz, target_s, lock=True)
    stored = history.store(session, days, source, now)
    _mark(session, stored)
    return len(stored)


def next_span(session: Session) -> tuple[list[int], dt.date, dt.date] | None:
    """The next piece of work: (outlets, first day, last day), from the earliest dirty day;
    None when nothing is dirty."""
    first = session.scalar(select(func.min(Dirty.day)))
    if first is None:
        return None
    last = session.scalar(
        select(func.max(Dirty.day)).where(Dirty.day < first + dt.timedelta(days=SPAN_DAYS))
    )
    assert last is not None
    width = max(OUTLET_DAYS // ((last - first).days + 1), 1)
    outlets = session.scalars(
        select(Dirty.outlet_id)
        .where(Dirty.day >= first, Dirty.day <= last)
        .distinct()
        .order_by(Dirty.outlet_id)
        .limit(width)
    )
    return list(outlets), first, last


def recompute_span(
    session: Session, tz: str, target_s: int, outlets: list[int], first: dt.date, last: dt.date
) -> int:
    """Replace the rows of these outlets on the days first…last by those rebuilt from the raw
    facts and clear their marks (outlet-days not marked are rebuilt too, to the same rows:
    the invariant); how many marks were cleared. The branches' and the bank's days and the
    outlets' recent rows are recomputed with them (`summaries`)."""
    marks = state(session, tz, target_s, lock=True)
    hourly, daily = rows_of_span(session, outlets, first, last, tz, target_s)
    hourly, daily = history.merge(session, (outlets, first, last, tz), hourly, daily)
    counted_under = summaries.ancestors(session, outlets, first, last)
    in_span = (Dirty.outlet_id.in_(outlets), Dirty.day >= first, Dirty.day <= last)
    for table in (Hourly, Daily):
        stale = delete(table).where(
            table.outlet_id.in_(outlets), table.day >= first, table.day <= last
        )
        session.execute(stale, execution_options=NO_SYNC)
    for start in range(0, len(hourly), 5000):
        session.connection().execute(HOURLY.insert(), hourly[start : start + 5000])
    for start in range(0, len(daily), 5000):
        session.connection().execute(DAILY.insert(), daily[start : start + 5000])
    summaries.keep(session, outlets, first, last, counted_under, marks.settled_day)
    cleared = session.scalar(select(func.count()).where(*in_span)) or 0
    session.execute(delete(Dirty).where(*in_span), execution_options=NO_SYNC)
    return int(cleared)


def settle(session: Session, tz: str, target_s: int, now: dt.datetime) -> int:
    """Mark the outlets of every day over since the last settled one dirty, once (see the
    module, point 3); the first pass settles yesterday only."""
    marks = state(session, tz, target_s, lock=True)
    yesterday = local_day(now, tz) - dt.timedelta(days=1)
    first = yesterday if marks.settled_day is None else marks.settled_day + dt.timedelta(days=1)
    days = [first + dt.timedelta(days=i) for i in range((yesterday - first).days + 1)]
    marked = mark_days(session, tz, target_s, days) if days else 0
    before = marks.settled_day
    marks.settled_day = max(marks.settled_day or yesterday, yesterday)
    if marks.settled_day != before:  # the window moved: every outlet's recent rows
        summaries.refresh_recent(session, marks.settled_day)
    return marked


def run_pass(db: Database, tz: str, target_s: int, now: dt.datetime) -> Pass:
    """The worker's pass: mark what is new, settle the day just over, then recompute each dirty
    outlet-day in batches, each in its own transaction (a pass interrupted half-way leaves
    marks that the next pass finishes)."""
    with db.session() as session:
        tops = committed_tops(session)
    marked = None
    if tops is not None:
        with db.session() as session:
            marked = mark_new(session, tz, target_s, tops)
    with db.session() as session:
        marked = (marked or 0) + settle(session, tz, target_s, now)
    return Pass(marked=marked, days=recompute_dirty(db, tz, target_s), busy=tops is None)


def recompute_dirty(db: Database, tz: str, target_s: int) -> int:
    """Recompute every dirty outlet-day, a span at a time, each in its own transaction; how
    many were dirty."""
    done = 0
    while True:
        with db.session() as session:
            work = next_span(session)
            if work is None:
                return done
            done += recompute_span(session, tz, target_s, *work)
