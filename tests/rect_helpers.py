"""Helpers for the rectification tests: actors of the test bank, a task, evidence files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from manyi import audit
from manyi.db import Database
from manyi.org.tables import Staff
from manyi.supervision import rectification
from manyi.supervision.domain.rectification import NewTask, Source
from manyi.supervision.rectification_tables import RectificationTask
from tests.conftest import Bank

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Beijing
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


def actor(db: Database, username: str) -> audit.Actor:
    with db.read() as session:
        staff = session.scalars(select(Staff).where(Staff.username == username)).one()
        return audit.Actor(
            id=staff.id, name=staff.username, unit_id=staff.unit_id, unit_path=staff.unit.path
        )


def new_task(bank: Bank, unit: str = "OUT-A", **changes: object) -> NewTask:
    fields: dict[str, object] = {
        "source": Source.COMPLAINT,
        "source_ref": "TS20261130-0001",
        "title": "柜面服务用语不规范",
        "detail": "投诉溯源：柜员未使用规范用语。",
        "unit_id": bank.unit(unit),
        "owner_id": None,
        "evidence_required": "整改培训签到表照片",
        "due_days": 5,
    }
    fields.update(changes)
    return NewTask(**fields)  # type: ignore[arg-type]


def open_one(db: Database, bank: Bank, issuer: str = "manager.br.a", **changes: object) -> int:
    with db.session() as session:
        return rectification.open_task(
            session, actor(db, issuer), new_task(bank, **changes), now=NOW
        )


def evidence() -> list[rectification.Upload]:
    return [rectification.Upload("签到表.png", PNG), rectification.Upload("方案.pdf", PDF)]


def to_submitted(db: Database, task_id: int, var_dir: Path, who: str = "head.a") -> None:
    with db.session() as session:
        rectification.start(session, actor(db, who), task_id, now=NOW)
    with db.session() as session:
        rectification.submit(
            session,
            actor(db, who),
            task_id,
            note="已组织全员培训",
            files=evidence(),
            var_dir=var_dir,
            now=NOW + dt.timedelta(days=1),
        )


def task_count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(RectificationTask)) or 0
