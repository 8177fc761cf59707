"""An outlet's counters (windows) on the cockpit: beside its tellers, the level below the
roll-ups, read from that outlet's own tickets and counter events.

Per counter over the period's local days: legs served there, their mean service time, busy
time (the sum of those service times, as the roll-ups' `busy_s`), counter-seconds open (as
the roll-ups' `counter_open_s`, by `build.open_seconds_of_day`: opened to closed, a pause
counts as open, a counter left open stops with the day's last lobby activity), utilisation
(busy / open) and the tellers who worked it (signed on to it, or served a leg there). Legs
belong to the local day their visit was issued, as in the roll-ups, so the counters' busy
and open time add up to the outlet's figures of the same days.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.cockpit.build import OPEN_LOOKBACK, CounterLog, day_bounds, local_day
from manyi.cockpit.build import open_seconds_of_day as open_seconds
from manyi.cockpit.domain.day import service_seconds
from manyi.cockpit.domain.figures import Period
from manyi.cockpit.queries import unit_in_scope
from manyi.errors import InvalidInput
from manyi.lobby.tables import LobbyCounter, LobbyEventRow
from manyi.lobby.tables import LobbyTicket as T
from manyi.org.tables import Staff

# Opened and closed bound the open time (as in the roll-ups); an opening names the teller.
COUNTER_KINDS = ("counter_opened", "counter_closed")
SERVED = ("served", "transferred")  # a transferred leg was served at its counter too


@dataclass(frozen=True, slots=True)
class CounterLine:
    counter_id: int
    number: int
    served: int
    service_mean_s: float | None
    busy_s: int
    open_s: int | None  # None: not open on any day of the period
    tellers: tuple[str, ...]  # by name

    @property
    def utilisation(self) -> float | None:
        return self.busy_s / self.open_s if self.open_s else None


@dataclass
class _Tally:
    served: int = 0
    timed: int = 0
    busy_s: int = 0
    open_s: int | None = None
    tellers: set[int] = field(default_factory=set)


def counters(
    session: Session, scope_path: str, outlet_id: int, period: Period, tz: str
) -> list[CounterLine]:
    """An outlet's counters over the period's local days (in the bank's zone `tz`), by number;
    a counter neither open nor serving in the period is left out."""
    outlet = unit_in_scope(session, scope_path, outlet_id)
    if outlet.level != "outlet":
        raise InvalidInput("counters are listed for an outlet, not a {level}", level=outlet.level)
    since, until = day_bounds(period.first, tz)[0], day_bounds(period.last, tz)[1]
    tally: dict[int, _Tally] = defaultdict(_Tally)
    activity: dict[dt.date, dt.datetime] = {}  # each day's last lobby activity

    def active(at: dt.datetime) -> None:
        day = local_day(at, tz)
        activity[day] = max(activity.get(day, at), at)

    for counter, teller, outcome, issued, called, started, finished in session.execute(
        select(T.counter_id, T.teller_id, T.outcome, T.issued_at, T.first_called_at,
               T.started_at, T.finished_at)
        .where(T.outlet_id == outlet.id, T.issued_at >= since, T.issued_at < until)
    ).all():  # fmt: skip
        active(max(t for t in (issued, called, finished) if t))
        if counter is None or outcome not in SERVED:
            continue
        line = tally[int(counter)]
        line.served += outcome == "served"
        if teller is not None:
            line.tellers.add(int(teller))
        service = service_seconds(started, called, finished)
        if service is not None:
            line.busy_s += service
            line.timed += 1
    log: CounterLog = []
    for counter, kind, at, staff, data in session.execute(
        select(LobbyEventRow.counter_id, LobbyEventRow.kind, LobbyEventRow.at,
               LobbyEventRow.staff_id, LobbyEventRow.data)
        .where(LobbyEventRow.outlet_id == outlet.id, LobbyEventRow.kind.in_(COUNTER_KINDS),
               LobbyEventRow.at >= since - OPEN_LOOKBACK, LobbyEventRow.at < until)
        .order_by(LobbyEventRow.at, LobbyEventRow.id)
    ).all():  # fmt: skip
        if counter is None:
            continue
        log.append((at, int(counter), kind))
        if at >= since:
            active(at)
            teller = (data or {}).get("teller_id", staff)
            if kind == "counter_opened" and teller is not None:
                tally[int(counter)].tellers.add(int(teller))
    moments = [at for at, _number, _kind in log]
    for day in period.days():
        starts, ends = day_bounds(day, tz)
        # The day's slice of the log (it is in time order): a year's period stays linear.
        near = log[
            bisect.bisect_left(moments, starts - OPEN_LOOKBACK) : bisect.bisect_left(moments, ends)
        ]
        for counter in {number for _at, number, _kind in near}:
            seconds = open_seconds(near, day, tz, activity.get(day), counter)
            if seconds is not None:
                line = tally[counter]
                line.open_s = (line.open_s or 0) + seconds
    return _lines(session, tally)


def _lines(session: Session, tally: dict[int, _Tally]) -> list[CounterLine]:
    numbers = dict(
        session.execute(
            select(LobbyCounter.id, LobbyCounter.number).where(LobbyCounter.id.in_(tally))
        ).all()
    )
    people = {t for line in tally.values() for t in line.tellers}
    names = dict(
        session.execute(select(Staff.id, Staff.display_name).where(Staff.id.in_(people))).all()
    )
    lines = [
        CounterLine(
            counter_id=counter,
            number=int(numbers.get(counter, 0)),
            served=line.served,
            service_mean_s=line.busy_s / line.timed if line.timed else None,
            busy_s=line.busy_s,
            open_s=line.open_s,
            tellers=tuple(sorted(str(names[t]) for t in line.tellers if t in names)),
        )
        for counter, line in tally.items()
        if counter in numbers and (line.open_s is not None or line.served or line.timed)
    ]
    return sorted(lines, key=lambda line: line.number)
