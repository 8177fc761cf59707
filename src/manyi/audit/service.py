"""Appending to and verifying the audit chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from manyi import request_ids
from manyi.audit import anchors as anchoring
from manyi.audit.anchors import AnchorStore
from manyi.audit.chain import (
    GENESIS_HASH,
    ChainProblem,
    ChainRecord,
    canonical_summary,
    seal,
    verify_chain,
)
from manyi.audit.keys import keys_of
from manyi.audit.tables import AuditEvent, AuditHead
from manyi.db import utcnow
from manyi.org.scope import in_scope

HEAD_ID = 1


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff member, a device, or the system itself."""

    id: int | None
    name: str
    unit_id: int | None = None
    unit_path: str = ""


SYSTEM = Actor(id=None, name="system")


def record(
    session: Session,
    actor: Actor,
    *,
    entity_type: str,
    entity_id: object,
    action: str,
    summary: dict[str, Any] | None = None,
    unit_id: int | None = None,
    unit_path: str | None = None,
    now: dt.datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's unit of work."""
    occurred_at = (now or utcnow()).astimezone(dt.UTC)
    session.flush()
    head = session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.last_hash)
    ).one_or_none()
    if head is None:
        session.add(AuditHead(id=HEAD_ID, seq=1, last_hash=GENESIS_HASH))
        session.flush()
        seq, prev_hash = 1, GENESIS_HASH
    else:
        seq, prev_hash = head.seq, head.last_hash
    text = canonical_summary(summary or {})
    keys = keys_of(session.info)
    fields = {
        "seq": seq,
        "occurred_at": occurred_at,
        "actor_id": actor.id,
        "actor": actor.name,
        "unit_id": unit_id if unit_id is not None else actor.unit_id,
        "unit_path": unit_path if unit_path is not None else actor.unit_path,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "action": action,
        "summary": text,
        "prev_hash": prev_hash,
        "key_id": keys.current_id,
        "request_id": request_ids.current(),
    }
    digest = seal(keys, **fields)
    event = AuditEvent(**fields, hash=digest)
    session.add(event)
    session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(last_hash=digest))
    session.flush()
    return event


def _records(session: Session, batch: int = 2000) -> Iterator[ChainRecord]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield ChainRecord(
                seq=row.seq,
                occurred_at=row.occurred_at,
                actor_id=row.actor_id,
                actor=row.actor,
                unit_id=row.unit_id,
                unit_path=row.unit_path,
                entity_type=row.entity_type,
                entity_id=row.entity_id,
                action=row.action,
                summary=row.summary,
                prev_hash=row.prev_hash,
                key_id=row.key_id,
                hash=row.hash,
                request_id=row.request_id,
            )
        last = rows[-1].seq
        session.expunge_all()


@dataclass(frozen=True)
class VerifyResult:
    problem: ChainProblem | None
    rows: int
    head_hash: str

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(session: Session, anchors: AnchorStore | None = None) -> VerifyResult:
    """Check every row's seal and link, the head, and (given a store) every anchor kept."""
    keys = keys_of(session.info)
    head = session.get(AuditHead, HEAD_ID)
    head_seq = head.seq if head else 0
    head_hash = head.last_hash if head else GENESIS_HASH
    count = 0

    def counted() -> Iterator[ChainRecord]:
        nonlocal count
        for item in _records(session):
            count += 1
            yield item

    problem = verify_chain(counted(), keys, head_seq=head_seq)
    if problem is None and head is not None and count and head_hash != _last_hash(session):
        problem = ChainProblem(head_seq, "altered", "chain head does not match the last row")
    if problem is None and anchors is not None:
        kept, unreadable = anchors.read_all()
        if unreadable:
            problem = ChainProblem(0, "anchor_unreadable", "cannot read " + ", ".join(unreadable))
        else:
            problem = anchoring.check(kept, keys, count, lambda seq: _hash_at(session, seq))
    return VerifyResult(problem=problem, rows=count, head_hash=head_hash)


def anchor(session: Session, store: AnchorStore, now: dt.datetime) -> str | None:
    """Keep the chain's head in `store`, signed; None when the newest anchor already has it."""
    head = session.get(AuditHead, HEAD_ID)
    if head is None or head.seq == 0:
        return None
    kept, _ = store.read_all()
    if kept and kept[-1].seq == head.seq and kept[-1].hash == head.last_hash:
        return None
    signed = anchoring.sign(keys_of(session.info), head.seq, head.last_hash, now)
    return store.append(signed)


def _hash_at(session: Session, seq: int) -> str | None:
    return session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))


def _last_hash(session: Session) -> str:
    value = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
    return value or GENESIS_HASH


def events_in_scope(
    session: Session,
    scope_path: str,
    sees_all: bool,
    q: str = "",
    before: int | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """The newest events a viewer may read, matching a search, older than `before`.

    Head office (`sees_all`) sees everything, including events tied to no unit (failed
    sign-ins with unknown usernames, system jobs); everyone else their scope's events.
    """
    query = select(AuditEvent)
    if not sees_all:
        query = query.where(in_scope(AuditEvent.unit_path, scope_path))
    if q.strip():
        like = f"%{q.strip()}%"
        query = query.where(
            or_(
                AuditEvent.action.like(like),
                AuditEvent.actor.like(like),
                AuditEvent.summary.like(like),
                AuditEvent.request_id == q.strip(),
            )
        )
    if before:
        query = query.where(AuditEvent.seq < before)
    return list(session.scalars(query.order_by(AuditEvent.seq.desc()).limit(limit)))


def history(session: Session, entity_type: str, entity_id: object) -> list[AuditEvent]:
    """Every event about one record, oldest first (a record's timeline; indexed by entity).
    The caller has checked that the viewer may see the record."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.seq)
        )
    )
