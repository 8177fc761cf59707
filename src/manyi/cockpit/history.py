"""Days imported from a bank's previous queue system (`cockpit_imported_daily`): stored from a
checked file (`domain.history`), and merged by the roll-up pass into the outlets' daily rows
(`merge`): manyi's own lobby events win for a day that has any; for a day without, the
imported ticket figures stand beside manyi's other measures of the day. A recomputation from
raw events therefore neither wipes an imported day nor counts it twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from manyi.cockpit.build import _tiers, day_bounds
from manyi.cockpit.domain import histogram
from manyi.cockpit.domain.history import COUNTS, DayFigures, HistoryError
from manyi.cockpit.tables import CockpitDaily as Daily
from manyi.cockpit.tables import CockpitImportedDaily as Imported
from manyi.lobby.tables import LobbyEventRow as E
from manyi.org.tables import Unit

NO_SYNC = {"synchronize_session": False}


def store(
    session: Session, days: list[DayFigures], source: str, now: dt.datetime
) -> set[tuple[int, dt.date]]:
    """Store the days (replacing those imported before for the same outlet-days); the
    outlet-days stored. HistoryError naming the line for an unknown outlet code (nothing is
    stored: the caller's transaction is rolled back)."""
    codes = sorted({d.outlet for d in days})
    outlets: dict[str, int] = {}
    for start in range(0, len(codes), 1000):
        outlets |= {
            code: int(unit_id)
            for code, unit_id in session.execute(
                select(Unit.code, Unit.id).where(
                    Unit.code.in_(codes[start : start + 1000]), Unit.level == "outlet"
                )
            ).all()
        }
    unknown = [d for d in days if d.outlet not in outlets]
    if unknown:
        raise HistoryError(
            [f"line {d.line}: outlet: there is no outlet {d.outlet!r}" for d in unknown[:20]]
        )
    pairs = [(outlets[d.outlet], d.day) for d in days]
    for start in range(0, len(pairs), 1000):
        session.execute(
            delete(Imported).where(
                tuple_(Imported.outlet_id, Imported.day).in_(pairs[start : start + 1000])
            ),
            execution_options=NO_SYNC,
        )
    rows = [
        {"outlet_id": outlets[d.outlet], "day": d.day, "source": source[:200], "imported_at": now,
         **{c: d.sums.get(c, 0) for c in (*COUNTS, *histogram.COLUMNS)}, "transfers": 0}
        for d in days
    ]  # fmt: skip
    table: Any = Imported.__table__
    for start in range(0, len(rows), 5000):
        session.connection().execute(table.insert(), rows[start : start + 5000])
    return set(pairs)


def all_days(session: Session) -> set[tuple[int, dt.date]]:
    return {(int(o), d) for o, d in session.execute(select(Imported.outlet_id, Imported.day))}


def outlets_on(session: Session, day: dt.date) -> set[int]:
    return {int(o) for o in session.scalars(select(Imported.outlet_id).where(Imported.day == day))}


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _with_events(session: Session, wanted: list[tuple[int, dt.date]], tz: str) -> set[Any]:
    """The outlet-days among `wanted` with lobby events in manyi (one query per day)."""
    by_day: dict[dt.date, list[int]] = {}
    for outlet, day in wanted:
        by_day.setdefault(day, []).append(outlet)
    found = set()
    for day, outlets in by_day.items():
        starts, ends = day_bounds(day, tz)
        found |= {
            (int(o), day)
            for o in session.scalars(
                select(E.outlet_id)
                .where(E.outlet_id.in_(sorted(outlets)), E.at >= starts, E.at < ends)
                .distinct()
            )
        }
    return found


def merge(
    session: Session,
    span: tuple[Collection[int], dt.date, dt.date, str],
    hourly: list[dict[str, Any]],
    daily: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The span's (outlets, first day, last day, zone) rows with the imported days merged in:
    an outlet-day with lobby events in manyi keeps its own ticket figures (raw events win);
    otherwise the imported ticket figures replace those of any tickets without events (a
    sample written without the lobby, as the demo's rating pad history) and stand beside the
    measures manyi has of that day (ratings, surveys, complaints, counters, bundles,
    appointments), or make a row of their own."""
    outlets, first, last, tz = span
    candidates = list(
        session.scalars(
            select(Imported).where(
                Imported.outlet_id.in_(sorted(outlets)), Imported.day >= first, Imported.day <= last
            )
        )
    )
    if not candidates:
        return hourly, daily
    evented = _with_events(session, [(r.outlet_id, r.day) for r in candidates], tz)
    found = [r for r in candidates if (r.outlet_id, r.day) not in evented]
    if not found:
        return hourly, daily
    replaced = {(r.outlet_id, r.day) for r in found}
    hourly = [h for h in hourly if (h["outlet_id"], h["day"]) not in replaced]
    by_key = {(row["outlet_id"], row["day"]): row for row in daily}
    ids = sorted({r.outlet_id for r in found})
    paths = dict(session.execute(select(Unit.id, Unit.path).where(Unit.id.in_(ids))).all())
    tiers = _tiers(session, paths)
    for r in found:
        row = by_key.get((r.outlet_id, r.day))
        if row is None:
            row = dict.fromkeys(Daily.__table__.c.keys()) | {
                "outlet_id": r.outlet_id, "day": r.day, "unit_path": paths.get(r.outlet_id, ""),
                "tier1_id": tiers.get(r.outlet_id, {}).get("tier1_branch"),
                "tier2_id": tiers.get(r.outlet_id, {}).get("tier2_branch"), "complaints": 0,
            }  # fmt: skip
            by_key[(r.outlet_id, r.day)] = row
        waits = [getattr(r, c) for c in histogram.COLUMNS]
        row.update({c: getattr(r, c) for c in (*COUNTS, "transfers")})
        row.update(dict(zip(histogram.COLUMNS, waits, strict=True)))
        busy = r.service_sum_s if r.issued else None
        row.update(
            {
                "wait_mean_s": _ratio(r.wait_sum_s, r.wait_n),
                "wait_p90_s": histogram.percentile(waits, 0.9) if sum(waits) else None,
                "service_level": _ratio(r.wait_within, r.wait_n),
                "abandonment": _ratio(r.no_shows + r.cancellations, r.issued),
                "service_mean_s": _ratio(r.service_sum_s, r.service_n),
                "busy_s": busy,
                "utilisation": _ratio(busy, row["counter_open_s"])
                if busy is not None and row["counter_open_s"]
                else None,
                "complaint_rate": _ratio(row["complaints"] * 10_000, r.served),
            }
        )
    return hourly, sorted(by_key.values(), key=lambda row: (row["outlet_id"], row["day"]))
