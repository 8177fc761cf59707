"""Rows in tests: how many a table holds."""

from __future__ import annotations

from sqlalchemy import func, select

from manyi.db import Database


def count(db: Database, table: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)
