"""Use cases over the lobby-event partitions: prepare months ahead, archive old ones.

Each month is one transaction: archiving 2024-11 and 2024-12, a failure on 2024-12 keeps
2024-12 and leaves 2024-11 archived.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from manyi.analytics import partitions
from manyi.analytics.months import months_ahead
from manyi.db import Database

MONTHS_AHEAD = 2  # this month and two more: a worker stopped for weeks still finds them


@dataclass
class RetentionPass:
    prepared: list[dt.date] = field(default_factory=list)
    archived: list[partitions.ArchivedMonth] = field(default_factory=list)

    def line(self) -> str:
        made = ", ".join(f"{m:%Y-%m}" for m in self.prepared) or "none"
        gone = ", ".join(f"{a.month:%Y-%m} ({a.rows} rows)" for a in self.archived) or "none"
        return f"lobby-event partitions prepared: {made}; archived: {gone}"


def prepare_months(db: Database, now: dt.datetime, ahead: int = MONTHS_AHEAD) -> list[dt.date]:
    made = []
    for month in months_ahead(now, ahead):
        with db.engine.begin() as conn:
            if partitions.ensure_month(conn, month):
                made.append(month)
    return made


def archive_before(
    db: Database, cutoff: dt.date, root: str, zone: str
) -> list[partitions.ArchivedMonth]:
    """Archive and drop every monthly partition before `cutoff` (the first month kept)."""
    with db.engine.connect() as conn:
        due = list(partitions.months_before(conn, cutoff))
    done = []
    for month in due:
        with db.engine.begin() as conn:
            done.append(partitions.archive_month(conn, month, root, zone))
    return done


def is_partitioned(db: Database) -> bool:
    with db.engine.connect() as conn:
        return partitions.partitioned(conn)
