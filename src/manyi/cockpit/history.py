"""Days imported from a bank's previous queue system (`cockpit_imported_daily`): stored from a
checked file (`domain.history`), and turned by the roll-up pass into the outlets' daily rows
for the days without raw facts (`rows_without_facts`): raw facts win for a day that has any,
so a recomputation from raw events neither wipes an imported day nor counts it twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from manyi.cockpit.build import _tiers
from manyi.cockpit.domain import histogram
from manyi.cockpit.domain.history import COUNTS, DayFigures, HistoryError
from manyi.cockpit.tables import CockpitDaily as Daily
from manyi.cockpit.tables import CockpitImportedDaily as Imported
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


def rows_without_facts(
    session: Session,
    outlets: Collection[int],
    first: dt.date,
    last: dt.date,
    built: set[tuple[int, dt.date]],
) -> list[dict[str, Any]]:
    """The daily rows of the imported outlet-days of the span that have no row from raw facts
    (`built`): the imported sums, the ratios computed as for raw days (the 90th percentile
    from the imported histogram), the measures the file does not carry NULL."""
    found = [
        r
        for r in session.scalars(
            select(Imported).where(
                Imported.outlet_id.in_(sorted(outlets)), Imported.day >= first, Imported.day <= last
            )
        )
        if (r.outlet_id, r.day) not in built
    ]
    if not found:
        return []
    ids = sorted({r.outlet_id for r in found})
    paths = dict(session.execute(select(Unit.id, Unit.path).where(Unit.id.in_(ids))).all())
    tiers = _tiers(session, paths)
    rows = []
    for r in found:
        waits = [getattr(r, c) for c in histogram.COLUMNS]
        sums = {c: getattr(r, c) for c in (*COUNTS, "transfers")}
        rows.append(
            dict.fromkeys(Daily.__table__.c.keys())
            | {
                "outlet_id": r.outlet_id, "day": r.day, "unit_path": paths.get(r.outlet_id, ""),
                "tier1_id": tiers.get(r.outlet_id, {}).get("tier1_branch"),
                "tier2_id": tiers.get(r.outlet_id, {}).get("tier2_branch"),
                **sums, **dict(zip(histogram.COLUMNS, waits, strict=True)),
                "wait_mean_s": _ratio(r.wait_sum_s, r.wait_n),
                "wait_p90_s": histogram.percentile(waits, 0.9) if sum(waits) else None,
                "service_level": _ratio(r.wait_within, r.wait_n),
                "abandonment": _ratio(r.no_shows + r.cancellations, r.issued),
                "service_mean_s": _ratio(r.service_sum_s, r.service_n),
                "busy_s": r.service_sum_s if r.issued else None,
                "complaints": 0, "complaint_rate": 0.0 if r.served else None,
            }
        )  # fmt: skip
    return rows
