"""The hash chain: pure functions that seal and check rows.

Each audit row carries the seal of the row before it, and its own seal is an HMAC-SHA-256,
under a key the database does not hold, of every column of the row (who sees it, `unit_path`,
included) plus that previous seal and the key's id. Altering a row breaks its own seal, and
without the key nobody can make a new one; deleting or inserting a row breaks the sequence and
the link of the next one. A truncated tail is caught by the chain head and by the anchors
(`anchors.py`) kept outside the database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from manyi.audit.keys import AuditKeys

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainRecord:
    seq: int
    occurred_at: dt.datetime
    actor_id: int | None
    actor: str
    unit_id: int | None
    unit_path: str
    entity_type: str
    entity_id: str
    action: str
    summary: str  # canonical JSON text
    prev_hash: str
    key_id: str
    hash: str
    request_id: str = ""  # the web request that made it (migration 0055), "" for others


def canonical_summary(summary: dict[str, Any]) -> str:
    return json.dumps(
        summary, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )


def sealed_text(
    *,
    seq: int,
    occurred_at: dt.datetime,
    actor_id: int | None,
    actor: str,
    unit_id: int | None,
    unit_path: str,
    entity_type: str,
    entity_id: str,
    action: str,
    summary: str,
    prev_hash: str,
    key_id: str,
    request_id: str = "",
) -> bytes:
    """Every column of a row, in one canonical text (what the seal covers).

    The request id joins the text only when there is one, so rows sealed before it existed
    (and rows of workers and commands, which have none) keep the text they were sealed with;
    blanking or adding one to a row changes its text and breaks its seal."""
    # Microsecond UTC timestamps, so both engines give the same text back.
    stamp = occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    fields = [seq, stamp, actor_id, actor, unit_id, unit_path, entity_type, entity_id]
    fields += [action, summary, prev_hash, key_id]
    if request_id:
        fields.append(request_id)
    return json.dumps(
        ["manyi-audit-v2", *fields], ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def seal(keys: AuditKeys, **fields: Any) -> str:
    """The seal of a row's fields (without `hash`) under the key its `key_id` names."""
    digest = keys.seal(fields["key_id"], sealed_text(**fields))
    if digest is None:
        raise KeyError(f"no audit key with id {fields['key_id']!r}")
    return digest


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: str  # "altered", "missing", "inserted", "broken_link", "unknown_key", "rewritten", ...
    detail: str

    def __str__(self) -> str:
        return f"row seq={self.seq}: {self.kind}: {self.detail}"


def verify_chain(
    records: Iterable[ChainRecord], keys: AuditKeys, head_seq: int | None = None
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
        fields = {k: v for k, v in vars(record).items() if k != "hash"}
        recomputed = keys.seal(record.key_id, sealed_text(**fields))
        if recomputed is None:
            return ChainProblem(
                record.seq,
                "unknown_key",
                f"sealed with key {record.key_id!r}, which is not among the keys given "
                "(a retired key belongs in MANYI_AUDIT_RETIRED_KEYS)",
            )
        if recomputed != record.hash:
            return ChainProblem(record.seq, "altered", "content does not match its seal")
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
