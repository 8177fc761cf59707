"""The demo bank's roll-ups: computed on seed by the worker's own pass (`rollups.run_pass`),
so the cockpit shows the seeded history at once rather than a minute later."""

from __future__ import annotations

import datetime as dt
import time

from manyi.cockpit import rollups
from manyi.config import Settings
from manyi.db import Database


def seed(db: Database, settings: Settings, now: dt.datetime) -> str:
    """Bring the roll-ups up to date; the line `manyi demo seed` prints."""
    started = time.perf_counter()
    done = rollups.run_pass(db, settings.timezone, settings.cockpit_service_level_s, now)
    return f"cockpit roll-ups: {done.line()} in {time.perf_counter() - started:.1f} s"
