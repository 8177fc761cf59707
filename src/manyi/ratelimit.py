"""Fixed-window rate limits kept in the database, so every app process shares them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from manyi.db import Base


class RateLimitHit(Base):
    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_no: Mapped[int] = mapped_column(Integer, primary_key=True)  # epoch seconds // length
    count: Mapped[int] = mapped_column(Integer, default=0)


def hit(session: Session, key: str, limit: int, window_s: int, now: dt.datetime) -> bool:
    """Count one request for `key`; False when it is over `limit` in the current window.

    A refused request raises in the caller, so its count rolls back with the
    unit of work: the stored count is of accepted requests.
    """
    window = int(now.timestamp()) // window_s
    key = key[:200]
    dialect = session.get_bind().dialect.name
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        delete(RateLimitHit).where(RateLimitHit.key == key, RateLimitHit.window_no < window)
    )
    session.execute(
        upsert(RateLimitHit).values(key=key, window_no=window, count=0).on_conflict_do_nothing()
    )
    count = session.execute(
        update(RateLimitHit)
        .where(RateLimitHit.key == key, RateLimitHit.window_no == window)
        .values(count=RateLimitHit.count + 1)
        .returning(RateLimitHit.count)
    ).scalar_one()
    return int(count) <= limit


def reached(session: Session, key: str, limit: int, window_s: int, now: dt.datetime) -> bool:
    """Whether `key` has already used its `limit` in the current window (counts nothing)."""
    window = int(now.timestamp()) // window_s
    count = session.scalar(
        select(RateLimitHit.count).where(
            RateLimitHit.key == key[:200], RateLimitHit.window_no == window
        )
    )
    return (count or 0) >= limit
