"""The roll-up rows of a span of local days for a set of outlets, built from the raw facts:
the lobby's tickets, counter events and ratings, complaints received, and what quality, the
counter and reach publish (`facts`). Reads only; `rollups.recompute_span` replaces the stored
rows with these. The facts of the whole span are read at once (a backfill of two years reads
a month per statement, not a day) and split by local day here; the sums are made in Python by
`domain.day`, so both engines give the same rows.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.cockpit.domain import day as day_rules
from manyi.cockpit.domain import histogram
from manyi.cockpit.domain.figures import GUIDANCE_CHANNELS
from manyi.complaints.tables import Complaint
from manyi.counter import facts as counter_facts
from manyi.guidance import facts as guidance_facts
from manyi.lobby.tables import LobbyEventRow as E
from manyi.lobby.tables import LobbyTicket as T
from manyi.lobby.tables import Rating
from manyi.org.tables import Unit
from manyi.quality import facts as quality_facts
from manyi.quality.domain.measures import CSAT_TOP
from manyi.reach import facts as reach_facts

COUNTER_KINDS = ("counter_opened", "counter_closed")
RATING_POINTS = {"very_satisfied": 4, "satisfied": 3, "neutral": 2, "dissatisfied": 1}
# A counter open at midnight was opened at most this long before (left open overnight).
OPEN_LOOKBACK = dt.timedelta(days=1)
SUM_FIELDS = (
    "issued", "served", "no_shows", "cancellations", "transfers",
    "wait_sum_s", "wait_n", "wait_within", "service_sum_s", "service_n",
)  # fmt: skip
Key = tuple[int, dt.date]  # (outlet id, local day)


def day_bounds(day: dt.date, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """The local day as UTC instants [start, end) (23 or 25 hours long across summer time)."""
    zone = zoneinfo.ZoneInfo(tz)
    starts = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
    ends = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return starts, ends


def local_day(moment: dt.datetime, tz: str) -> dt.date:
    return moment.astimezone(zoneinfo.ZoneInfo(tz)).date()


class _Facts:
    """The raw facts of the span, by (outlet, local day)."""

    def __init__(
        self, session: Session, outlets: list[int], first: dt.date, last: dt.date, tz: str
    ):
        self.tz = tz
        starts, ends = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
        self.legs: dict[Key, list[day_rules.Leg]] = defaultdict(list)
        self.activity: dict[Key, dt.datetime] = {}  # the day's last lobby activity
        for row in session.execute(
            select(T.outlet_id, T.previous_id, T.service_code, T.klass, T.issued_at,
                   T.first_called_at, T.started_at, T.finished_at, T.outcome)
            .where(T.outlet_id.in_(outlets), T.issued_at >= starts, T.issued_at < ends)
        ).all():  # fmt: skip
            leg = day_rules.Leg(*row[1:])
            key = (int(row[0]), local_day(leg.issued_at, tz))
            self.legs[key].append(leg)
            times = [t for t in (leg.issued_at, leg.first_called_at, leg.finished_at) if t]
            self._active(key, max(times))
        self.counters: dict[int, list[tuple[dt.datetime, int, str]]] = defaultdict(list)
        for outlet, counter, kind, at in session.execute(
            select(E.outlet_id, E.counter_id, E.kind, E.at)
            .where(E.outlet_id.in_(outlets), E.kind.in_(COUNTER_KINDS),
                   E.at >= starts - OPEN_LOOKBACK, E.at < ends)
            .order_by(E.at, E.id)
        ).all():  # fmt: skip
            self.counters[int(outlet)].append((at, int(counter or 0), kind))
            if at >= starts:
                self._active((int(outlet), local_day(at, tz)), at)
        self.ratings: dict[Key, list[int]] = {}
        for outlet, at, score in session.execute(
            select(Rating.outlet_id, Rating.answered_at, Rating.score).where(
                Rating.outlet_id.in_(outlets),
                Rating.answered_at >= starts,
                Rating.answered_at < ends,
            )
        ).all():
            sums = self.ratings.setdefault((int(outlet), local_day(at, tz)), [0, 0, 0])
            points = RATING_POINTS[score]
            sums[0], sums[1], sums[2] = sums[0] + 1, sums[1] + points, sums[2] + (points >= 3)
        self.complaints: dict[Key, int] = defaultdict(int)
        for unit, at in session.execute(
            select(Complaint.responsible_unit_id, Complaint.received_at).where(
                Complaint.responsible_unit_id.in_(outlets),
                Complaint.received_at >= starts,
                Complaint.received_at < ends,
            )
        ).all():
            self.complaints[(int(unit), local_day(at, tz))] += 1
        self.surveys: dict[Key, list[int]] = {}
        for outlet, at, csat in quality_facts.csat_answers(session, outlets, starts, ends):
            sums = self.surveys.setdefault((outlet, local_day(at, tz)), [0, 0, 0])
            sums[0], sums[1], sums[2] = sums[0] + 1, sums[1] + csat, sums[2] + (csat >= CSAT_TOP)
        self.bundles = counter_facts.bundles_by_outlet_day(session, outlets, first, last)
        self.appointments = reach_facts.appointments_by_outlet_day(session, outlets, first, last)
        self.guidance = guidance_facts.by_outlet_day(session, outlets, first, last)

    def _active(self, key: Key, at: dt.datetime) -> None:
        if key not in self.activity or at > self.activity[key]:
            self.activity[key] = at

    def open_seconds(self, outlet: int, day: dt.date) -> int | None:
        return open_seconds_of_day(
            self.counters.get(outlet, []), day, self.tz, self.activity.get((outlet, day))
        )


CounterLog = list[tuple[dt.datetime, int, str]]  # (at, counter id, kind), in order


def open_seconds_of_day(
    log: CounterLog,
    day: dt.date,
    tz: str,
    last_activity: dt.datetime | None,
    counter: int | None = None,
) -> int | None:
    """Counter-seconds open on the local day (of one `counter`, or all of the log's); a counter
    still open counts up to the day's last lobby activity (a ticket issued, called or
    finished, a counter event), not to midnight: today is not counted ahead, and a counter
    left open overnight stops with the lobby. `log` holds the counter events from
    `OPEN_LOOKBACK` before the day to its end."""
    starts, ends = day_bounds(day, tz)
    last_before: dict[int, str] = {}
    events = []
    for at, number, kind in log:
        if counter is not None and number != counter:
            continue
        if starts - OPEN_LOOKBACK <= at < starts:
            last_before[number] = kind
        elif starts <= at < ends:
            events.append(day_rules.CounterEvent(number, kind, at))
    open_at_start = {c for c, kind in last_before.items() if kind == "counter_opened"}
    until = min(last_activity or starts, ends)
    return day_rules.open_seconds(events, open_at_start, starts, until)


def _tiers(session: Session, paths: dict[int, str]) -> dict[int, dict[str, int]]:
    """{outlet id: {level: the id of its ancestor at that level}} from the units' paths."""
    chains = {o: [int(p) for p in path.strip("/").split("/") if p] for o, path in paths.items()}
    ancestors = {a for chain in chains.values() for a in chain}
    levels = dict(session.execute(select(Unit.id, Unit.level).where(Unit.id.in_(ancestors))).all())
    return {o: {levels[a]: a for a in chain if a in levels} for o, chain in chains.items()}


def _sums(cell: day_rules.Cell) -> dict[str, int]:
    row = {name: getattr(cell, name) for name in SUM_FIELDS}
    row.update(zip(histogram.COLUMNS, cell.histogram(), strict=True))
    return row


def _ratio(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else part / whole


def _guidance(sums: guidance_facts.DaySums | None) -> dict[str, int | None]:
    """Lobby guidance's columns of an outlet-day (None where nobody was met at the door)."""
    names = ("guided", "diverted", "taught", "wait_avoided_s", *GUIDANCE_CHANNELS)
    if sums is None:
        return dict.fromkeys(names)
    by_channel = [sums.by_channel[c] for c in guidance_facts.CHANNELS]
    values = (sums.met, sums.diverted, sums.taught, sums.wait_avoided_s, *by_channel)
    return dict(zip(names, values, strict=True))


def _pick(found: Any, index: int) -> int | None:
    return None if found is None else int(found[index])


def rows_of_span(
    session: Session,
    outlets: Collection[int],
    first: dt.date,
    last: dt.date,
    tz: str,
    target_s: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(hourly rows, daily rows) of the days first…last for these outlets: a daily row for each
    outlet-day with any fact, none for one with nothing (a closed day)."""
    ids = sorted(outlets)
    if not ids:
        return [], []
    facts = _Facts(session, ids, first, last, tz)
    paths = dict(session.execute(select(Unit.id, Unit.path).where(Unit.id.in_(ids))).all())
    tiers = _tiers(session, paths)
    hourly: list[dict[str, Any]] = []
    daily: list[dict[str, Any]] = []
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    for outlet in ids:
        for day in days:
            key = (outlet, day)
            cells = day_rules.cells(facts.legs.get(key, []), tz, target_s)
            opened = facts.open_seconds(outlet, day)
            rating, survey = facts.ratings.get(key), facts.surveys.get(key)
            bundle, booked = facts.bundles.get(key), facts.appointments.get(key)
            complained, guided = facts.complaints.get(key, 0), facts.guidance.get(key)
            if not (
                cells
                or opened is not None
                or rating
                or survey
                or bundle
                or booked
                or complained
                or guided
            ):
                continue
            for (hour, code, klass), cell in sorted(cells.items()):
                hourly.append(
                    {"outlet_id": outlet, "day": day, "hour": hour, "service_code": code,
                     "klass": klass, **_sums(cell)}
                )  # fmt: skip
            whole = day_rules.total(cells.values())
            busy = whole.service_sum_s if cells else None
            daily.append(
                {
                    "outlet_id": outlet,
                    "day": day,
                    "unit_path": paths.get(outlet, ""),
                    "tier1_id": tiers.get(outlet, {}).get("tier1_branch"),
                    "tier2_id": tiers.get(outlet, {}).get("tier2_branch"),
                    **_sums(whole),
                    "wait_mean_s": _ratio(whole.wait_sum_s, whole.wait_n),
                    "wait_p90_s": histogram.exact_percentile(whole.waits, 0.9),
                    "service_level": _ratio(whole.wait_within, whole.wait_n),
                    "abandonment": _ratio(whole.no_shows + whole.cancellations, whole.issued),
                    "service_mean_s": _ratio(whole.service_sum_s, whole.service_n),
                    "counter_open_s": opened,
                    "busy_s": busy,
                    "utilisation": _ratio(busy, opened),
                    "appointments_booked": _pick(booked, 0),
                    "appointments_kept": _pick(booked, 1),
                    **_guidance(guided),
                    "bundles_finished": bundle.finished if bundle else None,
                    "bundle_transactions": bundle.transactions if bundle else None,
                    "forms_saved": bundle.forms_saved if bundle else None,
                    "fields_saved": bundle.fields_saved if bundle else None,
                    "pins_saved": bundle.pins_saved if bundle else None,
                    "authorisations_saved": bundle.authorisations_saved if bundle else None,
                    "ratings_n": _pick(rating, 0),
                    "ratings_sum": _pick(rating, 1),
                    "ratings_top": _pick(rating, 2),
                    "survey_n": _pick(survey, 0),
                    "survey_sum": _pick(survey, 1),
                    "survey_top": _pick(survey, 2),
                    "complaints": complained,
                    "complaint_rate": _ratio(complained * 10_000, whole.served),
                }
            )
    return hourly, daily
