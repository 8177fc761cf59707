"""Storing responses: the one insert that imports, surveys, the demo and tests share.

`insert_responses` takes plain `NewResponse` values (the outlet's id and path looked up;
`outlet_ref` does it by unit code), inserts them in batches and skips any whose (source,
external_id) is already stored, so running it twice stores each response once, even when two
runs race.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from manyi import event_outbox
from manyi.bulk import insert_returning
from manyi.org.tables import Unit
from manyi.quality.domain.aggregate import Aggregate
from manyi.quality.tables import QualityResponse

RESPONSES = cast(Table, QualityResponse.__table__)
BATCH = 1000  # rows per INSERT: 15 columns, well within SQLite's parameter limit


@dataclass(frozen=True, slots=True)
class NewResponse:
    source: str  # 'import' | 'survey' | 'rating_pad'
    external_id: str
    outlet_id: int
    unit_path: str  # the outlet's path (org Unit.path)
    channel: str
    answered_at: dt.datetime  # aware
    csat: int | None = None
    nps: int | None = None
    ces: int | None = None
    teller_staff_id: int | None = None
    service: str | None = None
    trigger: str | None = None
    comment: str | None = None
    imported_batch: str | None = None

    def __post_init__(self) -> None:
        Aggregate.of(self.csat, self.nps, self.ces)  # the scales, checked before the database


def outlet_ref(session: Session, code: str) -> tuple[int, str]:
    """(id, path) of the unit with this code, for `NewResponse.outlet_id` and `unit_path`."""
    found = session.execute(select(Unit.id, Unit.path).where(Unit.code == code)).one_or_none()
    if found is None:
        raise LookupError(f"there is no unit {code}")
    return found[0], found[1]


def insert_responses(session: Session, responses: Sequence[NewResponse]) -> int:
    """Insert what is not stored yet; returns how many rows were added."""
    added = 0
    conn = session.connection()
    for start in range(0, len(responses), BATCH):
        rows: list[dict[str, Any]] = [asdict(r) for r in responses[start : start + BATCH]]
        stored = insert_returning(
            conn,
            RESPONSES,
            rows,
            returning=("id", "source", "external_id"),
            skip_conflicts_on=("source", "external_id"),
        )
        added += len(stored)
        if stored and event_outbox.enabled(session):
            _to_stream(session, responses[start : start + BATCH], stored)
    return added


def _to_stream(
    session: Session, batch: Sequence[NewResponse], stored: Sequence[tuple[Any, ...]]
) -> None:
    """The stored responses of one batch, for the event stream."""
    by_key = {(r.source, r.external_id): r for r in batch}
    pending = []
    for row_id, source, external_id in stored:
        r = by_key[(source, external_id)]
        scores = {"csat": r.csat, "nps": r.nps, "ces": r.ces}
        pending.append(
            event_outbox.Pending(
                "quality",
                int(row_id),
                "response",
                r.answered_at,
                outlet_id=r.outlet_id,
                staff_id=r.teller_staff_id,
                data={
                    **{k: v for k, v in scores.items() if v is not None},
                    "channel": r.channel,
                    "service": r.service,
                    "response_source": r.source,
                },
            )
        )
    event_outbox.record_many(session, pending)
