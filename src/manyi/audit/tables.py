"""ORM mapping for the audit log and its chain head."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime


class AuditEvent(Base):
    """One attributable change. Rows are only ever inserted (a trigger refuses
    UPDATE and DELETE); the hash chain shows it if someone bypasses that."""

    __tablename__ = "audit_events"
    # A record's history (a rectification task's timeline) is read by entity.
    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the log outlives accounts
    actor: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    unit_path: Mapped[str] = mapped_column(String(400), default="", index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16), default="")  # which key sealed it
    hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA-256 seal (chain.py)
    # The web request that made it (X-Request-ID, as in the logs), sealed with the rest.
    request_id: Mapped[str] = mapped_column(String(64), default="", server_default="")


class AuditHead(Base):
    """A single row holding the last issued sequence number and hash.

    Appending starts with an UPDATE of this row, which takes a row lock on
    PostgreSQL and the write lock on SQLite: concurrent appends queue up
    instead of forking the chain.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
