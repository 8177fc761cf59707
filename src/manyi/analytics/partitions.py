"""The monthly partitions of `lobby_events` on PostgreSQL (migration 0042): prepared ahead,
and after the retention period exported to the analytics store, checked and dropped.

SQLite keeps one plain table: every function here does nothing there (`partitioned()` is
False). The month arithmetic is `months` (pure).

Archiving a month, in one transaction on the partition: lock it against writes (SHARE: reads
go on), count its rows, export them in id order as envelopes to Parquet files named
`archive-<month>-<chunk>.parquet` (a second run rewrites the same files), add up the rows in
the files written from their footers, and only when the two counts agree detach the partition
and drop it. A disagreement drops nothing and says both numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import JSON, Connection, TextualSelect, text
from sqlalchemy.types import TypeEngine

from manyi.analytics.lander import envelopes_table
from manyi.analytics.layout import filesystem, write_partitioned
from manyi.analytics.months import (
    DEFAULT_PARTITION,
    SCHEMA,
    bounds,
    month_of_name,
    partition_name,
)
from manyi.db import UTCDateTime
from manyi.stream.domain.envelope import from_columns

EXPORT_CHUNK = 200_000  # rows per exported file set: bounded memory at any partition size


class ArchiveError(RuntimeError):
    """A month could not be archived; nothing was dropped."""


@dataclass(frozen=True)
class ArchivedMonth:
    month: dt.date
    rows: int
    files: tuple[str, ...]


def partitioned(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass('public.lobby_events')")
    ).scalar()
    return kind == "p"


def prepared_months(conn: Connection) -> list[dt.date]:
    """The months that have a partition attached, oldest first."""
    if not partitioned(conn):
        return []
    names = conn.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'public.lobby_events'::regclass"
        )
    ).all()
    return sorted(m for m in (month_of_name(n) for n in names) if m is not None)


def _range(month: dt.date) -> str:
    start, end = bounds(month)
    return f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"


def ensure_month(conn: Connection, month: dt.date) -> bool:
    """Attach a partition for `month` unless there is one; True when one was made. Rows of that
    month waiting in the default partition move into it."""
    if not partitioned(conn) or month in prepared_months(conn):
        return False
    name = f"{SCHEMA}.{partition_name(month)}"
    start, end = bounds(month)
    default = f"{SCHEMA}.{DEFAULT_PARTITION}"
    where = "at >= :start AND at < :end"
    window = {"start": start, "end": end}
    waiting = conn.execute(
        text(f"SELECT EXISTS (SELECT 1 FROM {default} WHERE {where})"),  # noqa: S608
        window,
    ).scalar()
    if not waiting:
        conn.execute(text(f"CREATE TABLE {name} PARTITION OF lobby_events {_range(month)}"))
        return True
    conn.execute(text(f"CREATE TABLE {name} (LIKE lobby_events INCLUDING DEFAULTS)"))
    # Names built here from a date (partition_name), never from input; values are bound.
    conn.execute(text(f"INSERT INTO {name} SELECT * FROM {default} WHERE {where}"), window)  # noqa: S608
    conn.execute(text(f"DELETE FROM {default} WHERE {where}"), window)  # noqa: S608
    conn.execute(text(f"ALTER TABLE lobby_events ATTACH PARTITION {name} {_range(month)}"))
    return True


# The columns of the one envelope builder (`stream.domain.envelope.from_columns`), which the
# stream's publisher uses too: an archived event and a published one are the same envelope.
_EXPORT = """
SELECT 'lobby' AS source, e.id AS source_id, e.kind, e.at, e.outlet_id, u.path, e.ticket_id,
       e.counter_id, e.staff_id, e.data, t.service_code, t.klass, t.queued_at,
       t.first_called_at, t.started_at
FROM {table} e
LEFT JOIN units u ON u.id = e.outlet_id
LEFT JOIN lobby_tickets t ON t.id = e.ticket_id
ORDER BY e.id
"""
_TYPES: dict[str, TypeEngine[Any]] = {
    "at": UTCDateTime(),
    "queued_at": UTCDateTime(),
    "first_called_at": UTCDateTime(),
    "started_at": UTCDateTime(),
    "data": JSON(),
}


def export_query(table: str) -> TextualSelect:
    """The archive's read of a table of lobby events (a partition; `lobby_events` itself in
    tests), typed so that both dialects give datetimes and JSON objects."""
    return text(_EXPORT.format(table=table)).columns(**_TYPES)


def archive_month(conn: Connection, month: dt.date, root: str, zone: str) -> ArchivedMonth:
    """Export `month`'s partition to the store, check the count, detach and drop it. Run inside
    a transaction (the caller's `begin()`): the lock and the drop commit together."""
    if month not in prepared_months(conn):
        raise ArchiveError(f"{month:%Y-%m}: no partition of lobby_events for this month")
    table = f"{SCHEMA}.{partition_name(month)}"
    conn.execute(text(f"LOCK TABLE {table} IN SHARE MODE"))
    expected = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608
    files: list[str] = []
    result = conn.execute(
        export_query(table),
        execution_options={"stream_results": True, "yield_per": EXPORT_CHUNK},
    )
    for chunk_no, rows in enumerate(result.partitions(EXPORT_CHUNK)):
        batch = envelopes_table([envelope(row._mapping) for row in rows], zone)
        files += write_partitioned(batch, root, f"archive-{month:%Y-%m}-{chunk_no:05d}.parquet")
    written = rows_in(root, files)
    if written != expected:
        raise ArchiveError(
            f"{month:%Y-%m}: {expected} rows in the partition but {written} in the Parquet"
            " files; the partition was kept"
        )
    conn.execute(text(f"ALTER TABLE lobby_events DETACH PARTITION {table}"))
    conn.execute(text(f"DROP TABLE {table}"))
    return ArchivedMonth(month, expected, tuple(files))


def rows_in(root: str, files: list[str]) -> int:
    fs, _ = filesystem(root)
    total = 0
    for path in files:
        with fs.open(path, "rb") as handle:
            total += pq.ParquetFile(handle).metadata.num_rows
    return total


def envelope(row: Any) -> dict[str, Any]:
    """A stored lobby event (a row of `export_query`) as the stream's envelope: built by the
    publisher's own function, so both give the very same object for one event."""
    return from_columns(row).as_json()


def months_before(conn: Connection, cutoff: dt.date) -> Iterator[dt.date]:
    yield from (m for m in prepared_months(conn) if m < cutoff)
