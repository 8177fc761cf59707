"""The hash chain: pure functions that compute and check row hashes.

Each audit row carries the hash of the row before it, and its own hash covers
its content plus that previous hash. Altering a row breaks its own hash;
deleting or inserting a row breaks the sequence and the link of the next one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainRecord:
    seq: int
    occurred_at: dt.datetime
    actor_id: int | None
    actor: str
    unit_id: int | None
    entity_type: str
    entity_id: str
    action: str
    summary: str  # canonical JSON text
    prev_hash: str
    hash: str


def canonical_summary(summary: dict[str, Any]) -> str:
    return json.dumps(
        summary, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )


def compute_hash(
    *,
    seq: int,
    occurred_at: dt.datetime,
    actor_id: int | None,
    actor: str,
    unit_id: int | None,
    entity_type: str,
    entity_id: str,
    action: str,
    summary: str,
    prev_hash: str,
) -> str:
    # Microsecond UTC timestamps, so both engines give the same text back.
    stamp = occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = json.dumps(
        [seq, stamp, actor_id, actor, unit_id, entity_type, entity_id, action, summary, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: str  # "altered", "missing", "inserted", "broken_link"
    detail: str

    def __str__(self) -> str:
        return f"row seq={self.seq}: {self.kind}: {self.detail}"


def verify_chain(
    records: Iterable[ChainRecord], head_seq: int | None = None
) -> ChainProblem | None:
    """Return the first problem in records ordered by seq, or None when intact.

    `head_seq` is the sequence number the chain head says was issued last; it
    catches rows deleted from the end of the log.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    for record in records:
        if record.seq < expected_seq:
            return ChainProblem(record.seq, "inserted", "sequence number used twice")
        if record.seq > expected_seq:
            return ChainProblem(
                expected_seq, "missing", f"rows {expected_seq}..{record.seq - 1} are missing"
            )
        recomputed = compute_hash(
            seq=record.seq,
            occurred_at=record.occurred_at,
            actor_id=record.actor_id,
            actor=record.actor,
            unit_id=record.unit_id,
            entity_type=record.entity_type,
            entity_id=record.entity_id,
            action=record.action,
            summary=record.summary,
            prev_hash=record.prev_hash,
        )
        if recomputed != record.hash:
            return ChainProblem(record.seq, "altered", "content does not match its hash")
        if record.prev_hash != prev_hash:
            return ChainProblem(
                record.seq,
                "broken_link",
                "does not link to the row before it (inserted or replaced)",
            )
        prev_hash = record.hash
        expected_seq += 1
    if head_seq is not None and head_seq >= expected_seq:
        return ChainProblem(
            expected_seq, "missing", f"rows {expected_seq}..{head_seq} are missing at the end"
        )
    return None
