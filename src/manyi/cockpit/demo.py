"""The demo bank's roll-ups: a year of lobby history as the bank's previous queue system would
export it (`domain.demo_history`), imported through `manyi cockpit import-history`'s own path
(the file format, its checks, `rollups.import_history`), then computed on seed by the worker's
own pass (`rollups.run_pass`), so the cockpit shows a year at once rather than a minute later.
Seeded once: skipped when the demo's history is already imported."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select

from manyi.cockpit import rollups
from manyi.cockpit.build import local_day
from manyi.cockpit.domain import demo_history
from manyi.cockpit.domain.history import parse, to_csv
from manyi.cockpit.tables import CockpitImportedDaily
from manyi.config import Settings
from manyi.db import Database
from manyi.org.tables import Unit
from manyi.workdays.domain.calendar import ChinaCalendar

SOURCE = "demo: previous queue system"


def seed(db: Database, settings: Settings, now: dt.datetime) -> str:
    """Import the year and bring the roll-ups up to date; the line `manyi demo seed` prints."""
    started = time.perf_counter()
    tz, target = settings.timezone, settings.cockpit_service_level_s
    calendar = ChinaCalendar()
    with db.session() as session:
        done_before = session.scalar(
            select(CockpitImportedDaily.outlet_id).where(CockpitImportedDaily.source == SOURCE)
        )
        outlets = [] if done_before is not None else list(
            session.scalars(
                select(Unit.code).where(Unit.level == "outlet", Unit.active.is_(True))
                .order_by(Unit.code)
            )
        )  # fmt: skip
        last = local_day(now, tz) - dt.timedelta(days=1)
        days = demo_history.year(
            outlets, last, lambda d: calendar.holiday_name(d) is not None, target_s=target
        )
        imported = (
            rollups.import_history(session, tz, target, parse(to_csv(days)), SOURCE, now)
            if days
            else 0
        )
    done = rollups.run_pass(db, tz, target, now)
    return (
        f"cockpit history: {imported} outlet-days imported (a year); cockpit roll-ups:"
        f" {done.line()} in {time.perf_counter() - started:.1f} s"
    )
