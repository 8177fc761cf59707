"""Sealing personal data again under the current data key, so a retired key can be dropped.

After a rotation (a new `MANYI_DATA_KEY`, the old one moved to `MANYI_DATA_RETIRED_KEYS`) new
values are sealed under the new key at once, and older ones open with the retired key.
`manyi db reseal` opens every value sealed under another key and seals it under the current
one; when it reports nothing left under a retired key, that key can leave the settings.

The sealed columns are found in the schema (every `EncryptedText` and `EncryptedJSON`
column), so a column sealed later is covered without a list to keep up to date. Values are
read and written as stored text, never through the ORM, in batches of `BATCH` rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from manyi import audit
from manyi.db import EncryptedJSON, EncryptedText
from manyi.models import Base
from manyi.sealed import DataKeys, is_sealed

BATCH = 500


@dataclass
class ResealReport:
    key_id: str  # the current key, that everything is sealed under afterwards
    resealed: Counter[str] = field(default_factory=Counter)  # "table.column" → values
    found: Counter[str] = field(default_factory=Counter)  # key id → values found under it
    dry_run: bool = False


@dataclass(frozen=True)
class SealedColumns:
    table: str
    key: str  # the primary key column
    places: dict[str, str]  # column → the place its envelopes are bound to


def sealed_columns() -> Iterator[SealedColumns]:
    """Every table with sealed columns, from the schema."""
    for table in Base.metadata.sorted_tables:
        places = {
            column.name: column.type.place
            for column in table.columns
            if isinstance(column.type, EncryptedText | EncryptedJSON)
        }
        if places:
            [key] = table.primary_key.columns
            yield SealedColumns(table.name, key.name, places)


def reseal(
    session: Session,
    actor: audit.Actor,
    keys: DataKeys,
    now: dt.datetime,
    *,
    dry_run: bool = False,
) -> ResealReport:
    """Seal again under `keys.current_id` every value sealed under another key; a run that
    changed something is recorded on the audit chain (how many, from which keys, to which)."""
    report = ResealReport(key_id=keys.current_id, dry_run=dry_run)
    for columns in sealed_columns():
        _reseal_table(session, keys, columns, report)
    if report.resealed and not dry_run:
        audit.record(
            session,
            actor,
            entity_type="personal_data",
            entity_id="reseal",
            action="personal_data.resealed",
            summary={
                "key_id": keys.current_id,
                "values": sum(report.resealed.values()),
                "from": sorted(kid for kid in report.found if kid != keys.current_id),
            },
            now=now,
        )
    return report


def _reseal_table(
    session: Session, keys: DataKeys, columns: SealedColumns, report: ResealReport
) -> None:
    table = sa.table(
        columns.table,
        sa.column(columns.key, sa.BigInteger),
        *(sa.column(name, sa.Text) for name in columns.places),
    )
    key = table.c[columns.key]
    last: int | None = None
    while True:
        statement = sa.select(table).order_by(key).limit(BATCH)
        if last is not None:
            statement = statement.where(key > last)
        rows = session.execute(statement).all()
        if not rows:
            return
        for row in rows:
            changed = {}
            for name, place in columns.places.items():
                stored = row._mapping[name]
                kid = keys.key_id_of(stored) if is_sealed(stored) else None
                if kid is None:
                    continue
                report.found[kid] += 1
                if kid != keys.current_id:
                    changed[name] = keys.seal(keys.open(stored, place), place)
                    report.resealed[f"{columns.table}.{name}"] += 1
            if changed and not report.dry_run:
                where = key == row._mapping[columns.key]
                session.execute(sa.update(table).where(where).values(changed))
        last = rows[-1]._mapping[columns.key]
