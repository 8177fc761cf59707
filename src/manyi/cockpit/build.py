"""One local day's roll-up rows for a set of outlets, built from the raw facts: the lobby's
tickets, counter events and ratings, complaints received, and what quality, the counter and
reach publish (`facts`). Reads only; `rollups.recompute_day` replaces the stored rows with
these. The sums are made in Python by `domain.day`, so both engines give the same rows.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.cockpit.domain import day as day_rules
from manyi.cockpit.domain import histogram
from manyi.complaints.tables import Complaint
from manyi.counter import facts as counter_facts
from manyi.lobby.tables import LobbyEventRow as E
from manyi.lobby.tables import LobbyTicket as T
from manyi.lobby.tables import Rating
from manyi.org.tables import Unit
from manyi.quality import facts as quality_facts
from manyi.reach import facts as reach_facts

COUNTER_KINDS = ("counter_opened", "counter_closed")
RATING_POINTS = {"very_satisfied": 4, "satisfied": 3, "neutral": 2, "dissatisfied": 1}
# A counter open at midnight was opened at most this long before (left open overnight).
OPEN_LOOKBACK = dt.timedelta(days=1)


def day_bounds(day: dt.date, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """The local day as UTC instants [start, end) (23 or 25 hours long across summer time)."""
    zone = zoneinfo.ZoneInfo(tz)
    starts = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
    ends = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return starts, ends


def local_day(moment: dt.datetime, tz: str) -> dt.date:
    return moment.astimezone(zoneinfo.ZoneInfo(tz)).date()


def _legs(session: Session, outlets: list[int], starts: dt.datetime, ends: dt.datetime) -> Any:
    found: dict[int, list[day_rules.Leg]] = defaultdict(list)
    rows = session.execute(
        select(
            T.outlet_id,
            T.previous_id,
            T.service_code,
            T.klass,
            T.issued_at,
            T.first_called_at,
            T.started_at,
            T.finished_at,
            T.outcome,
        ).where(T.outlet_id.in_(outlets), T.issued_at >= starts, T.issued_at < ends)
    ).all()
    for outlet, previous, code, klass, issued, called, started, finished, outcome in rows:
        leg = day_rules.Leg(previous, code, klass, issued, called, started, finished, outcome)
        found[int(outlet)].append(leg)
    return found


def _open_seconds(
    session: Session, outlets: list[int], starts: dt.datetime, ends: dt.datetime
) -> dict[int, int | None]:
    events: dict[int, list[day_rules.CounterEvent]] = defaultdict(list)
    for outlet, counter, kind, at in session.execute(
        select(E.outlet_id, E.counter_id, E.kind, E.at).where(
            E.outlet_id.in_(outlets), E.kind.in_(COUNTER_KINDS), E.at >= starts, E.at < ends
        )
    ).all():
        events[int(outlet)].append(day_rules.CounterEvent(int(counter or 0), kind, at))
    last_before = (
        select(E.outlet_id, E.counter_id, func.max(E.id).label("id"))
        .where(
            E.outlet_id.in_(outlets),
            E.kind.in_(COUNTER_KINDS),
            E.at >= starts - OPEN_LOOKBACK,
            E.at < starts,
        )
        .group_by(E.outlet_id, E.counter_id)
        .subquery()
    )
    open_at_start: dict[int, set[int]] = defaultdict(set)
    for outlet, counter in session.execute(
        select(E.outlet_id, E.counter_id)
        .join(last_before, last_before.c.id == E.id)
        .where(E.kind == "counter_opened")
    ).all():
        open_at_start[int(outlet)].add(int(counter or 0))
    # A counter still open counts up to the outlet's last event of the day, not to midnight:
    # today is not counted ahead, and a counter left open overnight stops with the lobby.
    last_event = dict(
        session.execute(
            select(E.outlet_id, func.max(E.at))
            .where(E.outlet_id.in_(outlets), E.at >= starts, E.at < ends)
            .group_by(E.outlet_id)
        ).all()
    )
    return {
        o: day_rules.open_seconds(
            events.get(o, []), open_at_start.get(o, set()), starts, last_event.get(o) or starts
        )
        for o in outlets
    }


def _ratings(
    session: Session, outlets: list[int], starts: dt.datetime, ends: dt.datetime
) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for outlet, score, n in session.execute(
        select(Rating.outlet_id, Rating.score, func.count())
        .where(
            Rating.outlet_id.in_(outlets), Rating.answered_at >= starts, Rating.answered_at < ends
        )
        .group_by(Rating.outlet_id, Rating.score)
    ).all():
        sums = found.setdefault(int(outlet), [0, 0, 0])
        sums[0] += int(n)
        sums[1] += RATING_POINTS[score] * int(n)
        sums[2] += int(n) if RATING_POINTS[score] >= 3 else 0
    return found


def _complaints(
    session: Session, outlets: list[int], starts: dt.datetime, ends: dt.datetime
) -> dict[int, int]:
    return {
        int(unit): int(n)
        for unit, n in session.execute(
            select(Complaint.responsible_unit_id, func.count())
            .where(
                Complaint.responsible_unit_id.in_(outlets),
                Complaint.received_at >= starts,
                Complaint.received_at < ends,
            )
            .group_by(Complaint.responsible_unit_id)
        ).all()
    }


def _sums(cell: day_rules.Cell) -> dict[str, int]:
    row = {name: getattr(cell, name) for name in SUM_FIELDS}
    row.update(zip(histogram.COLUMNS, cell.histogram(), strict=True))
    return row


SUM_FIELDS = (
    "issued", "served", "no_shows", "cancellations", "transfers",
    "wait_sum_s", "wait_n", "wait_within", "service_sum_s", "service_n",
)  # fmt: skip


def _ratio(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else part / whole


def rows_of_day(
    session: Session, outlets: Collection[int], day: dt.date, tz: str, target_s: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(hourly rows, daily rows) of `day` for these outlets: a daily row for each outlet with
    any fact that day, none for an outlet with nothing (a closed day)."""
    ids = sorted(outlets)
    if not ids:
        return [], []
    starts, ends = day_bounds(day, tz)
    legs = _legs(session, ids, starts, ends)
    opened = _open_seconds(session, ids, starts, ends)
    ratings = _ratings(session, ids, starts, ends)
    complaints = _complaints(session, ids, starts, ends)
    surveys = quality_facts.csat_by_outlet(session, ids, starts, ends)
    bundles = counter_facts.bundles_by_outlet(session, ids, day)
    appointments = reach_facts.appointments_by_outlet(session, ids, day)
    paths = dict(session.execute(select(Unit.id, Unit.path).where(Unit.id.in_(ids))).all())
    hourly: list[dict[str, Any]] = []
    daily: list[dict[str, Any]] = []
    for outlet in ids:
        cells = day_rules.cells(legs.get(outlet, []), tz, target_s)
        present = (cells, opened[outlet], ratings.get(outlet), complaints.get(outlet))
        if not any(present) and not any(outlet in d for d in (surveys, bundles, appointments)):
            continue
        for (hour, code, klass), cell in sorted(cells.items()):
            hourly.append(
                {"outlet_id": outlet, "day": day, "hour": hour, "service_code": code,
                 "klass": klass, **_sums(cell)}
            )  # fmt: skip
        whole = day_rules.total(cells.values())
        busy = whole.service_sum_s if cells else None
        rating = ratings.get(outlet)
        survey = surveys.get(outlet)
        bundle = bundles.get(outlet)
        booked = appointments.get(outlet)
        complained = complaints.get(outlet, 0)
        daily.append(
            {
                "outlet_id": outlet,
                "day": day,
                "unit_path": paths.get(outlet, ""),
                **_sums(whole),
                "wait_mean_s": _ratio(whole.wait_sum_s, whole.wait_n),
                "wait_p90_s": histogram.exact_percentile(whole.waits, 0.9),
                "service_level": _ratio(whole.wait_within, whole.wait_n),
                "abandonment": _ratio(whole.no_shows + whole.cancellations, whole.issued),
                "service_mean_s": _ratio(whole.service_sum_s, whole.service_n),
                "counter_open_s": opened[outlet],
                "busy_s": busy,
                "utilisation": _ratio(busy, opened[outlet]),
                "appointments_booked": booked[0] if booked else None,
                "appointments_kept": booked[1] if booked else None,
                "bundles_finished": bundle.finished if bundle else None,
                "bundle_transactions": bundle.transactions if bundle else None,
                "forms_saved": bundle.forms_saved if bundle else None,
                "fields_saved": bundle.fields_saved if bundle else None,
                "pins_saved": bundle.pins_saved if bundle else None,
                "authorisations_saved": bundle.authorisations_saved if bundle else None,
                "ratings_n": rating[0] if rating else None,
                "ratings_sum": rating[1] if rating else None,
                "ratings_top": rating[2] if rating else None,
                "survey_n": survey[0] if survey else None,
                "survey_sum": survey[1] if survey else None,
                "survey_top": survey[2] if survey else None,
                "complaints": complained,
                "complaint_rate": _ratio(complained * 10_000, whole.served),
            }
        )
    return hourly, daily
